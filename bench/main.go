package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/foyer-idp/foyer/internal/loadtest"
)

// The table's scenarios, in the order each round runs them.
const (
	rowCCES256 = "client_credentials ES256"
	rowCCRS256 = "client_credentials RS256"
)

var rows = []string{rowCCES256, rowCCRS256, loadtest.SessionFlow, loadtest.Refresh, loadtest.JWKS, loadtest.Discovery, loadtest.PasswordFlow}

// envPostgresDSN is the environment variable --postgres-dsn defaults to.
const envPostgresDSN = "FOYER_BENCH_POSTGRES_DSN"

type options struct {
	rounds      int
	duration    time.Duration
	workers     int
	postgresDSN string
	scenarios   []string
	output      string
	workDir     string
	keep        bool
	noBounds    bool
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

func parseOptions(args []string, stderr io.Writer) (options, error) {
	o := options{}
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&o.rounds, "rounds", 3, "rounds: each runs every scenario against every target in turn")
	fs.DurationVar(&o.duration, "duration", 5*time.Second, "how long each run lasts")
	fs.IntVar(&o.workers, "workers", loadtest.DefaultWorkers, "concurrent clients of each run, and workers of the bounds")
	fs.StringVar(&o.postgresDSN, "postgres-dsn", os.Getenv(envPostgresDSN), "a loopback PostgreSQL database for Foyer, created for the harness alone (default $"+envPostgresDSN+"; none: no PostgreSQL target)")
	var sc listFlag
	fs.Var(&sc, "scenario", "scenario to run (repeatable): "+strings.Join(rows, ", ")+" (default: all)")
	fs.StringVar(&o.output, "o", "markdown", "output: markdown or json")
	fs.StringVar(&o.workDir, "work-dir", "", "where binaries, data and logs go (default: a new temporary directory)")
	fs.BoolVar(&o.keep, "keep", false, "keep the work directory (logs, SQLite data) afterwards")
	fs.BoolVar(&o.noBounds, "no-bounds", false, "skip the argon2id and RSA bounds")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	o.scenarios = sc
	var errs []error
	if len(o.scenarios) == 0 {
		o.scenarios = rows
	}
	for _, s := range o.scenarios {
		if !slices.Contains(rows, s) {
			errs = append(errs, fmt.Errorf("unknown scenario %q: want one of %s", s, strings.Join(rows, ", ")))
		}
	}
	if o.rounds < 1 {
		errs = append(errs, errors.New("--rounds must be at least 1"))
	}
	if o.duration <= 0 || o.duration > loadtest.MaxRunTime {
		errs = append(errs, fmt.Errorf("--duration must be more than 0 and at most %v", loadtest.MaxRunTime))
	}
	if o.workers < 1 || o.workers > loadtest.MaxWorkers {
		errs = append(errs, fmt.Errorf("--workers must be 1 to %d", loadtest.MaxWorkers))
	}
	if o.output != "markdown" && o.output != "json" {
		errs = append(errs, errors.New("-o must be markdown or json"))
	}
	if o.postgresDSN != "" {
		if err := checkDSN(o.postgresDSN); err != nil {
			errs = append(errs, err)
		}
	}
	return o, errors.Join(errs...)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parseOptions(args, stderr)
	if err != nil {
		return err
	}
	logf := func(format string, a ...any) { fmt.Fprintf(stderr, "bench: "+format+"\n", a...) }
	moduleDir, err := moduleRoot()
	if err != nil {
		return err
	}
	dir := o.workDir
	if dir == "" {
		if dir, err = os.MkdirTemp("", "foyer-bench-"); err != nil {
			return err
		}
		if !o.keep {
			defer os.RemoveAll(dir)
		}
	} else if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	logf("building foyer and the reference in %s", dir)
	foyerBin, refBin, err := build(ctx, moduleDir, dir)
	if err != nil {
		return err
	}

	report := Report{Date: time.Now().UTC(), Machine: machine(), Workers: o.workers, Duration: o.duration.String(),
		Rounds: o.rounds, Reference: targetReference}
	var targets []*target
	defer func() {
		for _, t := range targets {
			t.stop()
		}
	}()
	starters := []func() (*target, error){
		func() (*target, error) { return startReference(ctx, refBin, dir) },
		func() (*target, error) { return startFoyer(ctx, targetSQLite, foyerBin, dir, "") },
	}
	if o.postgresDSN != "" {
		starters = append(starters, func() (*target, error) { return startFoyer(ctx, targetPostgres, foyerBin, dir, o.postgresDSN) })
	} else {
		report.Notes = append(report.Notes, "no PostgreSQL target: give --postgres-dsn (or $"+envPostgresDSN+")")
	}
	for _, start := range starters {
		t, err := start()
		if t != nil {
			targets = append(targets, t)
		}
		if err != nil {
			return err
		}
		logf("%s is up (%v)", t.Name, t.ready.Sub(t.started).Round(time.Millisecond))
		if t.Profiles != "" {
			logf("%s profiles: %s", t.Name, t.Profiles)
		}
	}
	byName := map[string]*target{}
	for _, t := range targets {
		if err := checkAlg(ctx, t.ServiceES, "ES256"); err != nil {
			return fmt.Errorf("%s: %w", t.Name, err)
		}
		if err := checkAlg(ctx, t.ServiceRS, "RS256"); err != nil {
			return fmt.Errorf("%s: %w", t.Name, err)
		}
		report.Targets = append(report.Targets, t.Name)
		byName[t.Name] = t
	}

	steps := plan(o.rounds, o.scenarios, report.Targets)
	var argon, rsaRates []float64
	for i, s := range steps {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		ep, scenario := byName[s.Target].forScenario(s.Scenario)
		r := Run{Round: s.Round, Scenario: s.Scenario, Target: s.Target, Started: time.Now().UTC(), LoadAvg: loadAverage()}
		res, err := benchOnce(ctx, foyerBin, ep, scenario, o.workers, o.duration)
		if err != nil {
			r.Failed = err.Error()
		}
		r.Operations, r.OpsPerSecond, r.P50Ms, r.P99Ms, r.Errors = res.Operations, res.OpsPerSecond, res.Latency.P50, res.Latency.P99, res.Errors
		report.Runs = append(report.Runs, r)
		logf("[%d/%d] round %d %-24s %-15s %9.1f ops/s p50 %.2fms p99 %.2fms errors %d load %.2f %s",
			i+1, len(steps), r.Round, r.Scenario, r.Target, r.OpsPerSecond, r.P50Ms, r.P99Ms, r.Errors, r.LoadAvg[0], r.Failed)
		if o.noBounds {
			continue
		}
		for _, b := range boundsAfter(steps, i, o.scenarios) {
			la := loadAverage()
			switch b {
			case boundArgon2:
				a, err := argon2Bound(ctx, o.workers, o.duration)
				if err != nil {
					return fmt.Errorf("argon2id bound: %w", err)
				}
				argon = append(argon, a)
				logf("round %d bound: argon2id %.1f/s load %.2f", s.Round, a, la[0])
			case boundRSA:
				rs, err := rsaBound(ctx, o.workers, o.duration)
				if err != nil {
					return fmt.Errorf("RSA bound: %w", err)
				}
				rsaRates = append(rsaRates, rs)
				logf("round %d bound: RSA-2048 %.0f/s load %.2f", s.Round, rs, la[0])
			}
		}
	}
	report.Rows = summarize(report.Runs, o.scenarios, report.Targets, targetReference)
	if !o.noBounds {
		report.Bounds = []Bound{
			{Name: boundArgon2, Workers: o.workers, PerS: spreadOf(argon)},
			{Name: boundRSA, Workers: o.workers, PerS: spreadOf(rsaRates)},
		}
	}
	report.Notes = append(report.Notes, notes(report)...)
	if o.keep || o.workDir != "" {
		report.Notes = append(report.Notes, "logs and data: "+dir)
	}
	if o.output == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(report)
	}
	markdown(stdout, report)
	return nil
}

// notes states what the table alone does not: how the targets differ
// and how the bound-limited rows compare with their bound.
func notes(r Report) []string {
	n := []string{
		"reference: zitadel/oidc v3's example storage under op.NewProvider (bench/reference), in memory, JWT access tokens, no request log; " +
			"its password check is a plain string comparison and its session a map, so password-flow against it measures no hash. " +
			"client_credentials RS256 runs against a second reference process with an RSA-2048 key.",
		"Foyer: serve --dev with tenants bench-es (ES256) and bench-rs (RS256), each with a first-party app (no consent page) and a member; " +
			"a text access-log line per request, at warn level otherwise.",
	}
	median := func(scenario, target string) float64 {
		for _, row := range r.Rows {
			if row.Scenario == scenario && row.Target == target {
				return row.OpsPerS.Median
			}
		}
		return 0
	}
	for _, b := range r.Bounds {
		if b.PerS.Median == 0 {
			continue
		}
		scenario := loadtest.PasswordFlow
		if b.Name == boundRSA {
			scenario = rowCCRS256
		}
		for _, t := range r.Targets {
			if t == targetReference {
				continue
			}
			if m := median(scenario, t); m > 0 {
				n = append(n, fmt.Sprintf("%s on %s: %.0f %% of the %s bound", scenario, t, 100*m/b.PerS.Median, strings.SplitN(b.Name, " ", 2)[0]))
			}
		}
	}
	return n
}

// moduleRoot finds the directory of Foyer's go.mod from here up.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && strings.Contains(string(b), "module github.com/foyer-idp/foyer\n") {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("run the harness inside Foyer's repository (go run ./bench)")
		}
		dir = parent
	}
}

// machine describes this machine: CPU model and count.
func machine() string {
	model := runtime.GOARCH
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
	}
	return fmt.Sprintf("%s, %d CPUs (GOMAXPROCS %d)", model, runtime.NumCPU(), runtime.GOMAXPROCS(0))
}

// boundsAfter answers the bounds to measure after step i: each right
// after the runs it bounds (RSA after client_credentials RS256, argon2id
// after password-flow) in every round, so that both meet the machine in
// the same state; at the end of the round when its scenario is not run.
func boundsAfter(steps []Step, i int, scenarios []string) []string {
	s := steps[i]
	last := i+1 == len(steps)
	endOfGroup := last || steps[i+1].Round != s.Round || steps[i+1].Scenario != s.Scenario
	endOfRound := last || steps[i+1].Round != s.Round
	var out []string
	for _, b := range []struct{ name, after string }{{boundRSA, rowCCRS256}, {boundArgon2, loadtest.PasswordFlow}} {
		if slices.Contains(scenarios, b.after) {
			if endOfGroup && s.Scenario == b.after {
				out = append(out, b.name)
			}
		} else if endOfRound {
			out = append(out, b.name)
		}
	}
	return out
}
