package main

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestHarnessEndToEnd builds and starts the reference and Foyer on SQLite
// (and on PostgreSQL with FOYER_BENCH_POSTGRES_DSN) and runs two short
// scenarios. It takes a minute of a busy machine, so it runs only with
// FOYER_BENCH_E2E=1.
func TestHarnessEndToEnd(t *testing.T) {
	if os.Getenv("FOYER_BENCH_E2E") != "1" {
		t.Skip("set FOYER_BENCH_E2E=1 to build and run the harness")
	}
	var out, errs strings.Builder
	err := run(t.Context(), []string{"--duration", "1s", "--rounds", "1", "--no-bounds", "-o", "json",
		"--scenario", rowCCES256, "--scenario", "jwks"}, &out, &errs)
	require.NoError(t, err, errs.String())
	var r Report
	require.NoError(t, json.Unmarshal([]byte(out.String()), &r))
	require.Equal(t, targetReference, r.Targets[0])
	require.Contains(t, r.Targets, targetSQLite)
	require.Len(t, r.Runs, 2*len(r.Targets))
	for _, row := range r.Rows {
		require.Zero(t, row.Failed, "%s against %s", row.Scenario, row.Target)
		require.Positive(t, row.OpsPerS.Median, "%s against %s", row.Scenario, row.Target)
		require.Positive(t, row.Ratio, "%s against %s", row.Scenario, row.Target)
	}
}
