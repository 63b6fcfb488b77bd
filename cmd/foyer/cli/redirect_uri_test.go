package cli

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/internal/store/sqlstore/sqltest"
)

// TestRedirectURIsFoyerCannotKeepAreRefused: a redirect URI whose query
// does not read as parameters (Foyer would drop them when it adds code,
// state and iss) or that is not valid UTF-8 is refused, on both back
// ends, and nothing is written.
func TestRedirectURIsFoyerCannotKeepAreRefused(t *testing.T) {
	t.Parallel()
	sqltest.Run(t, func(t *testing.T, b sqltest.Backend) {
		c := newCLI(t)
		if b.Name == "Postgres" {
			c.env["FOYER_DATABASE"] = b.NewDB(t)
			c.mustRun(t, "migrate")
		}
		c.mustRun(t, "tenants", "create", "--slug", "woodgrove", "--name", "Woodgrove Bank")
		apps := []string{"apps", "list", "--tenant", "woodgrove", "-o", "json"}
		before := c.mustRun(t, apps...)
		for _, uri := range []string{"https://app.woodgrove.test/cb?a=%zz", "https://app.woodgrove.test/cb?a=1;b=2", "https://app.woodgrove.test/\xff"} {
			r := c.run(t, "apps", "create", "--tenant", "woodgrove", "--name", "Bad", "--redirect-uri", uri)
			require.Equal(t, exitError, r.code, "%q: stdout:\n%s\nstderr:\n%s", uri, r.stdout, r.stderr)
			require.True(t, strings.HasPrefix(r.stderr, "foyer: "), r.stderr)
			require.Contains(t, r.stderr, "redirectUris:")
		}
		require.JSONEq(t, before, c.mustRun(t, apps...), "nothing written")
		c.mustRun(t, "apps", "create", "--tenant", "woodgrove", "--name", "Good", "--redirect-uri", "https://app.woodgrove.test/cb?a=1&b=2")
	})
}
