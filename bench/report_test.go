package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestPlanAlternatesTargetsWithinEachScenarioAndRound(t *testing.T) {
	t.Parallel()
	got := plan(2, []string{"s1", "s2"}, []string{"A", "B", "C"})
	var order []string
	for _, s := range got {
		order = append(order, s.Scenario+":"+s.Target+":"+string(rune('0'+s.Round)))
	}
	require.Equal(t, []string{
		"s1:A:1", "s1:B:1", "s1:C:1", "s2:A:1", "s2:B:1", "s2:C:1",
		"s1:A:2", "s1:B:2", "s1:C:2", "s2:A:2", "s2:B:2", "s2:C:2",
	}, order)
	require.Empty(t, plan(0, []string{"s1"}, []string{"A"}))
}

func TestSpreadOf(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		in   []float64
		want Spread
	}{
		{"none", nil, Spread{}},
		{"one", []float64{7}, Spread{Median: 7, Min: 7, Max: 7, N: 1}},
		{"odd, unsorted", []float64{30, 10, 20}, Spread{Median: 20, Min: 10, Max: 30, N: 3}},
		{"even: mean of the middle two", []float64{4, 1, 3, 2}, Spread{Median: 2.5, Min: 1, Max: 4, N: 4}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := append([]float64(nil), tc.in...)
			require.Equal(t, tc.want, spreadOf(tc.in))
			require.Equal(t, in, tc.in, "spreadOf must not reorder its input")
		})
	}
}

func TestSummarizeMediansRatiosAndFailures(t *testing.T) {
	t.Parallel()
	runs := []Run{
		{Round: 1, Scenario: "jwks", Target: "ref", OpsPerSecond: 100, P50Ms: 1, P99Ms: 10},
		{Round: 1, Scenario: "jwks", Target: "foyer", OpsPerSecond: 150, P50Ms: 2, P99Ms: 20, Errors: 1},
		{Round: 2, Scenario: "jwks", Target: "ref", OpsPerSecond: 300, P50Ms: 3, P99Ms: 30},
		{Round: 2, Scenario: "jwks", Target: "foyer", OpsPerSecond: 450, P50Ms: 4, P99Ms: 40, Errors: 2},
		{Round: 3, Scenario: "jwks", Target: "ref", OpsPerSecond: 200, P50Ms: 2, P99Ms: 20},
		{Round: 3, Scenario: "jwks", Target: "foyer", Failed: "boom"},
		{Round: 1, Scenario: "refresh", Target: "foyer", OpsPerSecond: 50},
		{Round: 1, Scenario: "refresh", Target: "ref", Failed: "down"},
	}
	rows := summarize(runs, []string{"jwks", "refresh", "discovery"}, []string{"ref", "foyer"}, "ref")
	require.Len(t, rows, 4, "a scenario that never ran has no rows")

	ref, foyer := rows[0], rows[1]
	require.Equal(t, Spread{Median: 200, Min: 100, Max: 300, N: 3}, ref.OpsPerS)
	require.Equal(t, Spread{Median: 2, Min: 1, Max: 3, N: 3}, ref.P50Ms)
	require.InDelta(t, 1.0, ref.Ratio, 1e-9)
	require.Equal(t, Spread{Median: 300, Min: 150, Max: 450, N: 2}, foyer.OpsPerS)
	require.Equal(t, Spread{Median: 30, Min: 20, Max: 40, N: 2}, foyer.P99Ms)
	require.InDelta(t, 1.5, foyer.Ratio, 1e-9)
	require.Equal(t, int64(3), foyer.Errors)
	require.Equal(t, 1, foyer.Failed, "a failed run is counted, not averaged")

	// Without a reference figure there is no ratio.
	require.Equal(t, "refresh", rows[2].Scenario)
	require.Equal(t, "ref", rows[2].Target)
	require.Equal(t, 0, rows[2].OpsPerS.N)
	require.Equal(t, 1, rows[2].Failed)
	require.Zero(t, rows[3].Ratio)
	require.InDelta(t, 50, rows[3].OpsPerS.Median, 1e-9)
}

func TestMarkdownTable(t *testing.T) {
	t.Parallel()
	r := Report{
		Date: time.Date(2026, 12, 6, 18, 0, 0, 0, time.UTC), Machine: "test CPU, 2 CPUs", Workers: 16, Duration: "5s", Rounds: 3,
		Targets: []string{"reference", "foyer-sqlite"}, Reference: "reference",
		Rows: []Row{
			{Scenario: "jwks", Target: "reference", OpsPerS: Spread{Median: 12345.4, Min: 10000, Max: 13000.6, N: 3}, P50Ms: Spread{Median: 1.234}, P99Ms: Spread{Median: 9.876}, Ratio: 1},
			{Scenario: "jwks", Target: "foyer-sqlite", OpsPerS: Spread{Median: 18518, Min: 17000, Max: 19000, N: 2}, Ratio: 1.5, Errors: 4, Failed: 1},
			{Scenario: "refresh", Target: "foyer-sqlite", Failed: 3},
		},
		Bounds: []Bound{{Name: "argon2id", Workers: 16, PerS: Spread{Median: 52.25, Min: 50, Max: 60, N: 3}}},
		Runs:   []Run{{Round: 1, Scenario: "jwks", Target: "reference", OpsPerSecond: 12345.4, LoadAvg: [3]float64{1.5, 2, 3}}, {Round: 1, Scenario: "refresh", Target: "foyer-sqlite", Failed: "a|b"}},
		Notes:  []string{"a note"},
	}
	var b strings.Builder
	markdown(&b, r)
	out := b.String()
	for _, want := range []string{
		"Side by side, 2026-12-06 18:00 UTC, test CPU, 2 CPUs; 16 workers, 5s per run, 3 rounds alternating reference → foyer-sqlite.",
		"| scenario | target | ops/s (median) | spread (min–max) | p50 ms | p99 ms | ratio to reference | errors |",
		"| jwks | reference | 12,345 | 10,000–13,001 | 1.23 | 9.88 | 1.00 | 0 |",
		"| jwks | foyer-sqlite | 18,518 | 17,000–19,000 | 0.00 | 0.00 | 1.50 | 4 (1 runs failed) |",
		"| refresh | foyer-sqlite | failed | | | | | 3 of 3 runs failed |",
		"| argon2id | 16 | 52.2 | 50.0–60.0 |",
		"- a note",
		"| 1 | jwks | reference | 12,345 | 0.00 | 0.00 | 0 | 1.50 2.00 3.00 |",
		"| 1 | refresh | foyer-sqlite | failed: a/b |",
	} {
		require.Contains(t, out, want)
	}
}

func TestRate(t *testing.T) {
	t.Parallel()
	for in, want := range map[float64]string{0: "0.0", 41.25: "41.2", 100: "100", 999.6: "1,000", 1234567: "1,234,567"} {
		require.Equal(t, want, rate(in), "%v", in)
	}
}

func TestParseOptions(t *testing.T) {
	t.Parallel()
	o, err := parseOptions(nil, &strings.Builder{})
	require.NoError(t, err)
	require.Equal(t, 3, o.rounds)
	require.Equal(t, rows, o.scenarios)

	_, err = parseOptions([]string{"--rounds", "0", "--duration", "0s", "--scenario", "nope", "-o", "xml"}, &strings.Builder{})
	require.ErrorContains(t, err, "--rounds")
	require.ErrorContains(t, err, "--duration")
	require.ErrorContains(t, err, `unknown scenario "nope"`)
	require.ErrorContains(t, err, "-o must be")
}

func TestCheckDSNRefusesDatabasesOffThisMachine(t *testing.T) {
	t.Parallel()
	require.NoError(t, checkDSN("postgres://postgres@127.0.0.1:5432/hb1?sslmode=disable"))
	require.NoError(t, checkDSN("postgresql://u@localhost/bench"))
	require.ErrorContains(t, checkDSN("postgres://u@db.example.com/bench"), "on this machine")
	require.ErrorContains(t, checkDSN("postgres://u@127.0.0.1:5432/"), "names no database")
	require.Error(t, checkDSN("mysql://u@127.0.0.1/x"))
}

func TestBoundsFollowTheRunsTheyBound(t *testing.T) {
	t.Parallel()
	scenarios := []string{rowCCRS256, "jwks", "password-flow"}
	steps := plan(2, scenarios, []string{"A", "B"})
	var got []string
	for i := range steps {
		for _, b := range boundsAfter(steps, i, scenarios) {
			got = append(got, fmt.Sprintf("%d:%s:%s", i, steps[i].Scenario, b))
		}
	}
	require.Equal(t, []string{
		"1:" + rowCCRS256 + ":" + boundRSA, "5:password-flow:" + boundArgon2,
		"7:" + rowCCRS256 + ":" + boundRSA, "11:password-flow:" + boundArgon2,
	}, got)

	// Without their scenarios, the bounds close each round.
	steps = plan(2, []string{"jwks"}, []string{"A", "B"})
	got = nil
	for i := range steps {
		for _, b := range boundsAfter(steps, i, []string{"jwks"}) {
			got = append(got, fmt.Sprintf("%d:%s", i, b))
		}
	}
	require.Equal(t, []string{"1:" + boundRSA, "1:" + boundArgon2, "3:" + boundRSA, "3:" + boundArgon2}, got)
}
