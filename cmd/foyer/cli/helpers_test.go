package cli

import (
	"context"
	"github.com/foyer-idp/foyer/internal/testlog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/internal/secret"
	"github.com/foyer-idp/foyer/internal/store"
	"github.com/foyer-idp/foyer/internal/store/sqlstore"
	"github.com/foyer-idp/foyer/keys"
)

// cli runs foyer in-process against its own data directory and an
// environment of the test's making.
type cli struct {
	dataDir string
	// configDir is the user's configuration directory, where foyer login
	// keeps its sign-in.
	configDir string
	env       map[string]string
}

func newCLI(t *testing.T) *cli {
	t.Helper()
	dir := t.TempDir()
	// No load balancer waits on a test's serve: it stops at once
	// (TestServeHandsOver sets a delay).
	return &cli{dataDir: dir, configDir: t.TempDir(), env: map[string]string{"FOYER_DATA_DIR": dir, "FOYER_SHUTDOWN_DELAY": "0s"}}
}

func (c *cli) deps() deps {
	return deps{
		lookupEnv: func(k string) (string, bool) { v, ok := c.env[k]; return v, ok },
		osUser:    func() string { return "tester" },
		configDir: func() (string, error) { return c.configDir, nil },
	}
}

type result struct {
	stdout, stderr string
	code           int
}

func (c *cli) run(t *testing.T, args ...string) result {
	t.Helper()
	return c.runIn(t, "", args...)
}

// runIn runs a command with stdin as its standard input.
func (c *cli) runIn(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	var stdout, stderr testlog.Buffer
	d := c.deps()
	d.stdin = strings.NewReader(stdin)
	code := run(t.Context(), args, &stdout, &stderr, d)
	return result{stdout: stdout.String(), stderr: stderr.String(), code: code}
}

// mustRun runs a command that has to succeed.
func (c *cli) mustRun(t *testing.T, args ...string) string {
	t.Helper()
	r := c.run(t, args...)
	require.Equal(t, exitOK, r.code, "foyer %v failed:\n%s", args, r.stderr)
	return r.stdout
}

// seedTenant creates a tenant with signing keys straight through the store
// and the keys manager, under the master key the CLI will load.
func (c *cli) seedTenant(t *testing.T, slug string) store.Tenant {
	t.Helper()
	c.mustRun(t, "migrate")
	ctx := t.Context()
	st, err := sqlstore.OpenSQLite(ctx, filepath.Join(c.dataDir, "foyer.db"))
	require.NoError(t, err)
	defer st.Close()
	tenant := store.Tenant{ID: secret.NewID(), Slug: slug, DisplayName: slug, SigningAlg: "ES256"}
	require.NoError(t, st.CreateTenant(ctx, tenant))
	require.NoError(t, c.keyManager(t, st).Ensure(ctx, tenant.ID))
	return tenant
}

func (c *cli) keyManager(t *testing.T, st *sqlstore.Store) *keys.Manager {
	t.Helper()
	master, _, err := secret.LoadOrCreateKeyFile(filepath.Join(c.dataDir, "master.key"))
	require.NoError(t, err)
	m, err := keys.New(keys.Config{Store: st, Sealer: master.Sealer(signingKeysPurpose)})
	require.NoError(t, err)
	return m
}

// auditOf reads the audit log straight from the store.
func (c *cli) auditOf(ctx context.Context, t *testing.T, f store.AuditFilter) []store.AuditEvent {
	t.Helper()
	st, err := sqlstore.OpenSQLite(ctx, filepath.Join(c.dataDir, "foyer.db"))
	require.NoError(t, err)
	defer st.Close()
	events, err := st.ListAudit(ctx, f)
	require.NoError(t, err)
	return events
}

// seedAdminAndPortal gives the tenant woodgrove, made before, a member
// admin@woodgrove.test and a public application portal redirecting to
// https://portal.woodgrove.test/signin.
func (c *cli) seedAdminAndPortal(t *testing.T) {
	t.Helper()
	c.mustRun(t, "users", "create", "--tenant", "woodgrove", "--mail", "admin@woodgrove.test", "--name", "Admin")
	c.mustRun(t, "apps", "create", "--tenant", "woodgrove", "--name", "Portal", "--client-id", "portal",
		"--type", "public", "--redirect-uri", "https://portal.woodgrove.test/signin", "--grant", "authorization_code")
}
