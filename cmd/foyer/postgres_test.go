package main

import (
	"os"
	"testing"

	"github.com/stretchr/testify/require"
)

// postgresDSN answers the test database, skipping without one unless
// FOYER_REQUIRE_POSTGRES says a skip would hide a gap (CI sets it).
func postgresDSN(t *testing.T) string {
	t.Helper()
	dsn := os.Getenv("FOYER_TEST_POSTGRES_DSN")
	if dsn == "" {
		if os.Getenv("FOYER_REQUIRE_POSTGRES") != "" {
			t.Fatal("FOYER_REQUIRE_POSTGRES is set but FOYER_TEST_POSTGRES_DSN is not")
		}
		t.Skip("FOYER_TEST_POSTGRES_DSN is not set")
	}
	return dsn
}

// TestMigratePostgres drives the CLI against PostgreSQL. It only migrates
// (idempotent, under an advisory lock) and reads, so it can share the
// database with the store's own tests.
func TestMigratePostgres(t *testing.T) {
	c := newCLI(t)
	c.env["FOYER_DATABASE"] = postgresDSN(t)
	for range 2 {
		out := c.mustRun(t, "migrate")
		require.Contains(t, out, "migrated postgres ")
		require.Contains(t, out, "schema up to date")
		require.NotContains(t, out, "@", "credentials stay out of the output")
	}
	c.mustRun(t, "audit", "list", "--limit", "1")
	r := c.run(t, "keys", "list", "--tenant", "no-such-tenant")
	require.Equal(t, exitError, r.code)
	require.Contains(t, r.stderr, `no tenant with slug "no-such-tenant"`)
}
