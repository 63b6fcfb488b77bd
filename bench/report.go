package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// Run is one `foyer bench` run of one scenario against one target.
type Run struct {
	Round        int        `json:"round"`
	Scenario     string     `json:"scenario"`
	Target       string     `json:"target"`
	Started      time.Time  `json:"started"`
	LoadAvg      [3]float64 `json:"loadAverage"` // /proc/loadavg as the run started
	Operations   int64      `json:"operations"`
	OpsPerSecond float64    `json:"operationsPerSecond"`
	P50Ms        float64    `json:"p50Ms"`
	P99Ms        float64    `json:"p99Ms"`
	Errors       int64      `json:"errors"`
	// Failed says why the run gave no figures (the command failed);
	// such a run is left out of the medians.
	Failed string `json:"failed,omitempty"`
}

// Step is one entry of the plan: which scenario, against which target,
// in which round.
type Step struct {
	Round    int
	Scenario string
	Target   string
}

// plan alternates the targets: in each round, for each scenario, every
// target once, in the order given (A B C A B C …).
func plan(rounds int, scenarios, targets []string) []Step {
	steps := make([]Step, 0, rounds*len(scenarios)*len(targets))
	for r := 1; r <= rounds; r++ {
		for _, s := range scenarios {
			for _, t := range targets {
				steps = append(steps, Step{Round: r, Scenario: s, Target: t})
			}
		}
	}
	return steps
}

// Spread is a median with the smallest and largest value it came from.
type Spread struct {
	Median float64 `json:"median"`
	Min    float64 `json:"min"`
	Max    float64 `json:"max"`
	N      int     `json:"n"`
}

// spreadOf answers the median (the mean of the middle two for an even
// count), minimum and maximum of xs; the zero Spread for none.
func spreadOf(xs []float64) Spread {
	if len(xs) == 0 {
		return Spread{}
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	med := s[n/2]
	if n%2 == 0 {
		med = (s[n/2-1] + s[n/2]) / 2
	}
	return Spread{Median: med, Min: s[0], Max: s[n-1], N: n}
}

// Row is one scenario against one target, over the rounds.
type Row struct {
	Scenario string `json:"scenario"`
	Target   string `json:"target"`
	OpsPerS  Spread `json:"operationsPerSecond"`
	P50Ms    Spread `json:"p50Ms"`
	P99Ms    Spread `json:"p99Ms"`
	// Ratio is the median ops/s over the reference's for the same
	// scenario; 0 when either is unknown.
	Ratio  float64 `json:"ratioToReference,omitempty"`
	Errors int64   `json:"errors"`
	Failed int     `json:"failedRuns"`
}

// summarize groups the runs by scenario and target (in the orders given)
// and compares each target with reference.
func summarize(runs []Run, scenarios, targets []string, reference string) []Row {
	var rows []Row
	for _, s := range scenarios {
		var refMedian float64
		start := len(rows)
		for _, t := range targets {
			row := Row{Scenario: s, Target: t}
			var ops, p50, p99 []float64
			for _, r := range runs {
				if r.Scenario != s || r.Target != t {
					continue
				}
				if r.Failed != "" {
					row.Failed++
					continue
				}
				ops, p50, p99 = append(ops, r.OpsPerSecond), append(p50, r.P50Ms), append(p99, r.P99Ms)
				row.Errors += r.Errors
			}
			if len(ops) == 0 && row.Failed == 0 {
				continue // not planned
			}
			row.OpsPerS, row.P50Ms, row.P99Ms = spreadOf(ops), spreadOf(p50), spreadOf(p99)
			if t == reference {
				refMedian = row.OpsPerS.Median
			}
			rows = append(rows, row)
		}
		for i := start; i < len(rows); i++ {
			if refMedian > 0 && rows[i].OpsPerS.N > 0 {
				rows[i].Ratio = rows[i].OpsPerS.Median / refMedian
			}
		}
	}
	return rows
}

// Bound is a rate this machine's CPU sets, measured with the harness's
// worker count.
type Bound struct {
	Name    string `json:"name"`
	Workers int    `json:"workers"`
	PerS    Spread `json:"perSecond"`
}

// Report is a harness run's outcome.
type Report struct {
	Date      time.Time `json:"date"`
	Machine   string    `json:"machine"`
	Workers   int       `json:"workers"`
	Duration  string    `json:"durationPerRun"`
	Rounds    int       `json:"rounds"`
	Targets   []string  `json:"targets"`
	Rows      []Row     `json:"rows"`
	Bounds    []Bound   `json:"bounds"`
	Runs      []Run     `json:"runs"`
	Notes     []string  `json:"notes,omitempty"`
	Reference string    `json:"reference"`
}

// markdown writes the report as Markdown: the summary table, the bounds,
// the notes and every run with its load average.
func markdown(w io.Writer, r Report) {
	fmt.Fprintf(w, "Side by side, %s, %s; %d workers, %s per run, %d rounds alternating %s.\n\n",
		r.Date.UTC().Format("2006-01-02 15:04 MST"), r.Machine, r.Workers, r.Duration, r.Rounds, strings.Join(r.Targets, " → "))
	fmt.Fprintln(w, "| scenario | target | ops/s (median) | spread (min–max) | p50 ms | p99 ms | ratio to "+r.Reference+" | errors |")
	fmt.Fprintln(w, "|---|---|--:|--:|--:|--:|--:|--:|")
	for _, row := range r.Rows {
		if row.OpsPerS.N == 0 {
			fmt.Fprintf(w, "| %s | %s | failed | | | | | %d of %d runs failed |\n", row.Scenario, row.Target, row.Failed, row.Failed)
			continue
		}
		errs := fmt.Sprint(row.Errors)
		if row.Failed > 0 {
			errs += fmt.Sprintf(" (%d runs failed)", row.Failed)
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s–%s | %.2f | %.2f | %s | %s |\n", row.Scenario, row.Target,
			rate(row.OpsPerS.Median), rate(row.OpsPerS.Min), rate(row.OpsPerS.Max),
			row.P50Ms.Median, row.P99Ms.Median, ratio(row.Ratio), errs)
	}
	if len(r.Bounds) > 0 {
		fmt.Fprintln(w)
		fmt.Fprintln(w, "| bound | workers | per second (median) | spread (min–max) |")
		fmt.Fprintln(w, "|---|--:|--:|--:|")
		for _, b := range r.Bounds {
			fmt.Fprintf(w, "| %s | %d | %s | %s–%s |\n", b.Name, b.Workers, rate(b.PerS.Median), rate(b.PerS.Min), rate(b.PerS.Max))
		}
	}
	if len(r.Notes) > 0 {
		fmt.Fprintln(w)
		for _, n := range r.Notes {
			fmt.Fprintln(w, "- "+n)
		}
	}
	if len(r.Runs) > 0 {
		fmt.Fprintln(w)
		fmt.Fprintln(w, "<details><summary>every run</summary>")
		fmt.Fprintln(w)
		fmt.Fprintln(w, "| round | scenario | target | ops/s | p50 ms | p99 ms | errors | load average |")
		fmt.Fprintln(w, "|--:|---|---|--:|--:|--:|--:|---|")
		for _, run := range r.Runs {
			ops := rate(run.OpsPerSecond)
			if run.Failed != "" {
				ops = "failed: " + strings.ReplaceAll(run.Failed, "|", "/")
			}
			fmt.Fprintf(w, "| %d | %s | %s | %s | %.2f | %.2f | %d | %.2f %.2f %.2f |\n", run.Round, run.Scenario, run.Target,
				ops, run.P50Ms, run.P99Ms, run.Errors, run.LoadAvg[0], run.LoadAvg[1], run.LoadAvg[2])
		}
		fmt.Fprintln(w)
		fmt.Fprintln(w, "</details>")
	}
}

// rate formats a per-second figure: whole numbers with thousands
// separated, one decimal under 100.
func rate(x float64) string {
	if x < 100 {
		return fmt.Sprintf("%.1f", x)
	}
	s := fmt.Sprintf("%.0f", x)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

func ratio(x float64) string {
	if x == 0 {
		return "–"
	}
	return fmt.Sprintf("%.2f", x)
}
