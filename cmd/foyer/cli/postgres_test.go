package cli

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/internal/store/sqlstore/sqltest"
)

// TestCLIOnPostgres drives the CLI against PostgreSQL, in a schema of its
// own: migrate twice, then the directory and key commands.
func TestCLIOnPostgres(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	c.env["FOYER_DATABASE"] = sqltest.PostgresSchema(t)
	for range 2 {
		out := c.mustRun(t, "migrate")
		require.Contains(t, out, "migrated postgres ")
		require.Contains(t, out, "schema up to date")
		require.NotContains(t, out, "@", "credentials stay out of the output")
	}
	c.mustRun(t, "tenants", "create", "--slug", "woodgrove", "--name", "WoodGrove")
	r := c.runIn(t, "foyer-dev-pw\n", "users", "create", "--tenant", "woodgrove", "--mail", "admin@woodgrove.test",
		"--name", "Admin", "--password-stdin", "--role", "Tenant Administrator")
	require.Equal(t, exitOK, r.code, r.stderr)

	dup := c.run(t, "tenants", "create", "--slug", "woodgrove", "--name", "Again")
	require.Equal(t, exitError, dup.code)
	require.Contains(t, dup.stderr, "slug")

	before := c.mustRun(t, "-o", "json", "keys", "list", "--tenant", "woodgrove")
	require.Equal(t, 2, strings.Count(before, `"kid"`))
	c.mustRun(t, "keys", "rotate", "--tenant", "woodgrove")
	after := c.mustRun(t, "-o", "json", "keys", "list", "--tenant", "woodgrove")
	require.Equal(t, 3, strings.Count(after, `"kid"`), "next, active and the retired key")

	audit := c.mustRun(t, "-o", "json", "audit", "list", "--tenant", "woodgrove")
	for _, activity := range []string{"Create company", "Add user", "Add member to role", "Create signing keys", "Rotate signing keys"} {
		require.Contains(t, audit, activity)
	}
	r = c.run(t, "keys", "list", "--tenant", "no-such-tenant")
	require.Equal(t, exitError, r.code)
	require.Contains(t, r.stderr, `no tenant with slug "no-such-tenant"`)
}
