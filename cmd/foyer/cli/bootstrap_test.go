package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/internal/bootstrap"
	"github.com/foyer-idp/foyer/internal/config"
	"github.com/foyer-idp/foyer/internal/testlog"
)

// runWith runs a command line as run does, on a root that holds the
// commands extra makes when newRootCmd does not register them yet.
func (c *cli) runWith(t *testing.T, stdin string, extra []func(deps) *cobra.Command, args ...string) result {
	t.Helper()
	var stdout, stderr testlog.Buffer
	d := c.deps()
	d.stdin = strings.NewReader(stdin)
	root := newRootCmd(d)
	for _, mk := range extra {
		sub := mk(d)
		if found, _, err := root.Find([]string{sub.Name()}); err != nil || found == root {
			root.AddCommand(sub)
		}
	}
	root.SetArgs(args)
	root.SetOut(&stdout)
	root.SetErr(&stderr)
	root.SetIn(d.stdin)
	code := exitOK
	if _, err := root.ExecuteContextC(t.Context()); err != nil {
		fmt.Fprintf(&stderr, "foyer: %v\n", err)
		code = exitError
		var usage usageError
		if errors.As(err, &usage) {
			code = exitUsage
		}
	}
	return result{stdout: stdout.String(), stderr: stderr.String(), code: code}
}

func (c *cli) bootstrap(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	return c.runWith(t, stdin, []func(deps) *cobra.Command{newBootstrapCmd}, append([]string{"bootstrap"}, args...)...)
}

// applyBootstrapFile applies bootstrapFile from a file, with the
// secrets it names in the environment, and answers the result.
func (c *cli) applyBootstrapFile(t *testing.T) result {
	t.Helper()
	c.env["ADMIN_PASSWORD"] = "admin-password-from-env"
	c.env["PORTAL_SECRET"] = "portal-secret-of-at-least-32-characters!"
	file := filepath.Join(t.TempDir(), "foyer-bootstrap.yaml")
	require.NoError(t, os.WriteFile(file, []byte(bootstrapFile), 0o600))
	return c.bootstrap(t, "", "--file", file)
}

const bootstrapFile = `
tenants:
  - slug: woodgrove
    displayName: Woodgrove Bank
    members:
      - mail: admin@woodgrove.test
        displayName: Woodgrove Admin
        passwordEnv: ADMIN_PASSWORD
        roles: [Tenant Administrator]
    groups:
      - displayName: Engineers
        members: [admin@woodgrove.test]
    applications:
      - clientId: portal
        displayName: Portal
        secretEnv: PORTAL_SECRET
        redirectUris: [https://portal.woodgrove.example/callback]
      - clientId: reports
        displayName: Reports
`

func TestBootstrapCommand(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	r := c.applyBootstrapFile(t)
	require.Equal(t, exitOK, r.code, r.stderr)
	require.Contains(t, r.stdout, "tenant       woodgrove  woodgrove")
	require.Contains(t, r.stdout, "5 created, 0 updated, 0 unchanged.")
	require.Contains(t, r.stdout, `Application "reports" of tenant "woodgrove":`)
	require.Contains(t, r.stdout, "Copy the client secret now", "the generated secret is shown once")
	require.NotContains(t, r.stdout, c.env["PORTAL_SECRET"], "a chosen secret is never printed")

	r = c.bootstrap(t, bootstrapFile, "-o", "json", "--file", "-")
	require.Equal(t, exitOK, r.code, r.stderr)
	var report bootstrap.Report
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &report))
	require.Len(t, report.Objects, 5)
	require.False(t, report.Changed(), "a second run changes nothing")
	require.NotContains(t, r.stdout, "secretText")

	keys := c.mustRun(t, "-o", "json", "keys", "list", "--tenant", "woodgrove")
	require.Equal(t, 2, strings.Count(keys, `"kid"`), "the tenant has its signing keys")
	audit := c.mustRun(t, "-o", "json", "audit", "list", "--tenant", "woodgrove")
	require.Contains(t, audit, `"actorName": "cli:tester"`)

	changed := strings.Replace(bootstrapFile, "displayName: Portal", "displayName: Customer Portal", 1)
	r = c.bootstrap(t, changed, "--file", "-")
	require.Equal(t, exitOK, r.code, r.stderr)
	require.Regexp(t, `application\s+woodgrove\s+portal\s+updated\s+displayName`, r.stdout)
}

func TestBootstrapCommandRefusals(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	r := c.bootstrap(t, "")
	require.Equal(t, exitUsage, r.code)
	require.Contains(t, r.stderr, "at least one of the flags in the group [file dev] is required")

	r = c.bootstrap(t, "", "--file", "x", "--dev")
	require.Equal(t, exitUsage, r.code)

	bad := strings.Replace(bootstrapFile, "https://portal.woodgrove.example/callback", "https://*.woodgrove.example/cb", 1)
	r = c.bootstrap(t, bad, "--file", "-")
	require.Equal(t, exitError, r.code)
	require.Contains(t, r.stderr, "foyer: invalid input:\n")
	require.Contains(t, r.stderr, "  tenants[0].members[0].passwordEnv: environment variable ADMIN_PASSWORD is not set\n")
	require.Contains(t, r.stderr, "  tenants[0].applications[0].redirectUris:")
	require.Contains(t, c.mustRun(t, "tenants", "list"), "SLUG", "nothing was written")
	require.NotContains(t, c.mustRun(t, "tenants", "list"), "woodgrove")

	r = c.bootstrap(t, "tenants:\n  - slug: x\n    colour: red\n", "--file", "-")
	require.Equal(t, exitError, r.code)
	require.Contains(t, r.stderr, "-: bootstrap file: yaml: unmarshal errors:\n  line 3: field colour not found")

	r = c.bootstrap(t, "", "--file", filepath.Join(t.TempDir(), "missing.yaml"))
	require.Equal(t, exitError, r.code)
	require.Contains(t, r.stderr, "no such file")

	c.env["FOYER_ENV"] = "production"
	c.env["FOYER_MASTER_KEY"] = strings.Repeat("ab", 32)
	c.env["FOYER_EXTERNAL_URL"] = "https://id.example.com"
	r = c.bootstrap(t, "", "--dev")
	require.Equal(t, exitError, r.code, r.stdout)
	require.Contains(t, r.stderr, "refused in production")
}

func TestBootstrapDevSeed(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	r := c.bootstrap(t, "", "--dev")
	require.Equal(t, exitOK, r.code, r.stderr)
	require.Contains(t, r.stdout, "7 created")
	require.NotContains(t, r.stdout, "Copy the client secret now")
	apps := c.mustRun(t, "-o", "json", "apps", "show", "--tenant", "woodgrove", "foyer-demo")
	require.Contains(t, apps, "http://localhost:8080/demo/callback")
	audit := c.mustRun(t, "-o", "json", "audit", "list", "--tenant", "woodgrove")
	require.Contains(t, audit, `"actorName": "foyer:dev-seed"`)

	r = c.bootstrap(t, "", "--dev")
	require.Equal(t, exitOK, r.code, r.stderr)
	require.Contains(t, r.stdout, "0 created, 0 updated, 7 unchanged.")
}

func TestDemoRoutes(t *testing.T) {
	t.Parallel()
	a := &app{cfg: config.Config{ExternalURL: "http://localhost:8080"}, logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	routes, err := demoRoutes(a)
	require.NoError(t, err)
	require.ElementsMatch(t, []string{"/demo", "/demo/"}, slices.Collect(maps.Keys(routes)))
	rec := httptest.NewRecorder()
	// The home page first tries a silent sign-in; with that tried, it is
	// the signed-out page, with the seed's credentials in the dev hint.
	req := httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/demo", nil)
	req.AddCookie(&http.Cookie{Name: "foyer_demo_silent", Value: "1"})
	routes["/demo"].ServeHTTP(rec, req)
	require.Equal(t, http.StatusOK, rec.Code)
	require.Contains(t, rec.Body.String(), "http://localhost:8080/t/woodgrove")
	require.Contains(t, rec.Body.String(), "Development mode.")
	require.Contains(t, rec.Body.String(), "foyer-dev")
}
