package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/internal/audit"
	"github.com/foyer-idp/foyer/internal/store"
	"github.com/foyer-idp/foyer/keys"
)

func TestVersion(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	require.Contains(t, c.mustRun(t, "version"), "foyer dev")

	var v versionInfo
	require.NoError(t, json.Unmarshal([]byte(c.mustRun(t, "version", "-o", "json")), &v))
	require.Equal(t, versionInfo{Version: "dev", Commit: "dev", Go: runtime.Version()}, v)
}

func TestMigrateIsIdempotent(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	for range 2 {
		out := c.mustRun(t, "migrate")
		require.Contains(t, out, "schema up to date")
		require.Contains(t, out, filepath.Join(c.dataDir, "foyer.db"))
	}
	require.NoFileExists(t, filepath.Join(c.dataDir, "master.key"), "migrate needs no master key")
}

func TestMigrateCreatesTheDataDirPrivate(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	dir := filepath.Join(c.dataDir, "nested", "data")
	c.mustRun(t, "migrate", "--data-dir", dir)
	info, err := os.Stat(dir)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o700), info.Mode().Perm())
	require.FileExists(t, filepath.Join(dir, "foyer.db"))
}

func TestKeysListAndRotate(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	c.seedTenant(t, "acme")

	var before []keys.KeyInfo
	require.NoError(t, json.Unmarshal([]byte(c.mustRun(t, "keys", "list", "--tenant", "acme", "-o", "json")), &before))
	require.Len(t, before, 2)

	var state keys.KeyState
	require.NoError(t, json.Unmarshal([]byte(c.mustRun(t, "keys", "rotate", "--tenant", "acme", "-o", "json")), &state))
	require.Equal(t, nextOf(t, before).ID, state.Active.ID, "the next key became active")
	require.Len(t, state.Retired, 1)

	table := c.mustRun(t, "keys", "list", "--tenant", "acme")
	require.Contains(t, table, "KID")
	for _, want := range []string{state.Active.ID, state.Next.ID, state.Retired[0].ID, "retired", "ES256"} {
		require.Contains(t, table, want)
	}
	require.NotContains(t, table, "PRIVATE")
}

func nextOf(t *testing.T, infos []keys.KeyInfo) keys.KeyInfo {
	t.Helper()
	for _, k := range infos {
		if k.State == store.KeyNext {
			return k
		}
	}
	t.Fatal("no next key")
	return keys.KeyInfo{}
}

func TestRotateIsAuditedAsTheOperator(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	tenant := c.seedTenant(t, "acme")
	c.mustRun(t, "keys", "rotate", "--tenant", "acme")

	events := c.auditOf(t.Context(), t, store.AuditFilter{TenantID: tenant.ID, Activity: audit.ActivityRotateSigningKeys})
	require.Len(t, events, 1)
	require.Equal(t, store.ActorSystem, events[0].ActorType)
	require.Equal(t, "cli:tester", events[0].ActorName)
}

func TestKeysUnknownTenant(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	for _, sub := range []string{"list", "rotate"} {
		r := c.run(t, "keys", sub, "--tenant", "nobody")
		require.Equal(t, exitError, r.code)
		require.Contains(t, r.stderr, `foyer: no tenant with slug "nobody"`)
		require.Empty(t, r.stdout)
	}
}

func TestAuditListJSON(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	c.seedTenant(t, "acme")
	c.seedTenant(t, "globex")
	c.mustRun(t, "keys", "rotate", "--tenant", "acme")

	list := func(args ...string) []store.AuditEvent {
		var events []store.AuditEvent
		out := c.mustRun(t, append([]string{"audit", "list", "-o", "json"}, args...)...)
		require.NoError(t, json.Unmarshal([]byte(out), &events), out)
		return events
	}
	all := list()
	require.Len(t, all, 3)
	require.Equal(t, audit.ActivityRotateSigningKeys, all[0].Activity, "newest first")

	require.Len(t, list("--tenant", "globex"), 1)
	require.Len(t, list("--activity", audit.ActivityCreateSigningKeys), 2)
	require.Len(t, list("--actor", "cli:tester"), 1)
	require.Len(t, list("--limit", "2"), 2)
	require.Len(t, list("--since", "1h"), 3)
	require.Empty(t, list("--since", time.Now().Add(time.Hour).UTC().Format(time.RFC3339)))

	table := c.mustRun(t, "audit", "list")
	require.Contains(t, table, "acme", "the table shows slugs, not tenant ids")
	require.Contains(t, table, "cli:tester (system)")
}

func TestParseSince(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	got, err := parseSince("24h", now)
	require.NoError(t, err)
	require.Equal(t, now.Add(-24*time.Hour), got)
	got, err = parseSince("2026-11-01T00:00:00Z", now)
	require.NoError(t, err)
	require.Equal(t, time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), got)
	for _, bad := range []string{"yesterday", "-1h", "0s"} {
		_, err := parseSince(bad, now)
		require.Error(t, err, bad)
	}
}

func TestBadConfigurationNamesTheField(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	c.env["FOYER_EXTERNAL_URL"] = "not a url"
	r := c.run(t, "migrate", "--log-level", "loud")
	require.Equal(t, exitError, r.code)
	require.True(t, strings.HasPrefix(r.stderr, "foyer: invalid configuration:"), r.stderr)
	require.Contains(t, r.stderr, "log.level (FOYER_LOG_LEVEL)")
	require.Contains(t, r.stderr, "externalURL (FOYER_EXTERNAL_URL)")
}

func TestUnknownYAMLKeyIsRefused(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	file := filepath.Join(c.dataDir, "foyer.yaml")
	require.NoError(t, os.WriteFile(file, []byte("lisen: \":9090\"\n"), 0o600))
	r := c.run(t, "migrate", "--config", file)
	require.Equal(t, exitError, r.code)
	require.Contains(t, r.stderr, "lisen")
}

func TestProductionRefusesToMakeUpAMasterKey(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	c.env["FOYER_ENV"] = "production"
	c.env["FOYER_EXTERNAL_URL"] = "https://id.example.com"
	r := c.run(t, "keys", "list", "--tenant", "acme")
	require.Equal(t, exitError, r.code)
	require.Contains(t, r.stderr, "masterKey")
	require.NoFileExists(t, filepath.Join(c.dataDir, "master.key"))
}

func TestMalformedMasterKeyIsRefusedUnquoted(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	c.env["FOYER_MASTER_KEY"] = "hunter2-is-not-a-key"
	r := c.run(t, "keys", "list", "--tenant", "acme")
	require.Equal(t, exitError, r.code)
	require.Contains(t, r.stderr, "masterKey (FOYER_MASTER_KEY)")
	require.NotContains(t, r.stderr, "hunter2")
	require.NoFileExists(t, filepath.Join(c.dataDir, "foyer.db"), "a bad key fails before the database is touched")
}

func TestUsageErrorsExitTwo(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	for _, args := range [][]string{
		{"bogus"},
		{"keys", "bogus"},
		{"migrate", "--no-such-flag"},
		{"migrate", "extra"},
		{"keys", "list"},
		{"version", "-o", "yaml"},
		{"audit", "list", "--since", "yesterday"},
		{"audit", "list", "--until", "tomorrow"},
		{"audit", "list", "--user", "u", "--app", "a"},
		{"audit", "list", "--result", "maybe"},
		{"audit", "list", "--top", "0"},
		{"audit", "list", "--server", "http://127.0.0.1:1"},
		{"signins", "list"},
		{"signins", "list", "--tenant", "acme", "--user-type", "robot"},
		{"signins", "list", "--tenant", "acme", "--status", "-3"},
		{"signins", "list", "--tenant", "acme", "--status", "0", "--error-code", "0"},
		{"signins", "list", "--tenant", "acme", "--since", "last week"},
		{"signins", "list", "--tenant", "acme", "--top", "1000"},
		{"tenants", "create", "--name", "No Slug"},
		{"tenants", "show"},
		{"tenants", "show", "a", "b"},
		{"tenants", "update", "acme"},
		{"users", "list"},
		{"users", "list", "--tenant", "acme", "--type", "Robot"},
		{"users", "list", "--tenant", "acme", "--top", "-1"},
		{"users", "create", "--tenant", "acme", "--name", "Sam"},
		{"users", "create", "--tenant", "acme", "--mail", "sam@acme.test", "--name", "Sam", "--password", "x", "--password-stdin"},
		{"users", "set-password", "--tenant", "acme", "sam@acme.test"},
		{"users", "update", "--tenant", "acme", "sam@acme.test"},
		{"roles", "assign", "--tenant", "acme", "--user", "sam@acme.test"},
		{"groups", "members", "add", "--tenant", "acme", "--user", "sam@acme.test"},
		{"groups", "owners", "list", "--tenant", "acme", "--group", "g", "extra"},
		{"apps", "show", "--tenant", "acme"},
		{"apps", "assign", "--tenant", "acme", "demo"},
		{"apps", "assign", "--tenant", "acme", "demo", "--user", "u", "--group", "g"},
		{"apps", "secrets", "add", "--tenant", "acme", "demo", "--expires-in", "-1h"},
		{"apps", "secrets", "remove", "--tenant", "acme", "demo"},
		{"apps", "owners", "bogus"},
	} {
		r := c.run(t, args...)
		require.Equal(t, exitUsage, r.code, "foyer %v:\n%s", args, r.stderr)
		require.True(t, strings.HasPrefix(r.stderr, "foyer: "), r.stderr)
		require.Contains(t, r.stderr, "--help")
	}
	require.NoFileExists(t, filepath.Join(c.dataDir, "foyer.db"), "a usage mistake is caught before anything is opened")
}

func TestHelpSucceeds(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	out := c.mustRun(t, "--help")
	for _, cmd := range []string{"serve", "migrate", "tenants", "users", "roles", "groups", "apps", "keys", "audit", "version"} {
		require.Contains(t, out, cmd)
	}
	require.Contains(t, c.mustRun(t, "keys"), "rotate")
	require.Contains(t, c.mustRun(t, "groups", "members"), "remove")
	require.Contains(t, c.mustRun(t, "apps", "secrets", "--help"), "add")
}

// TestUnknownCommandComesFirst: a mistyped command is reported before the
// flags after it, with cobra's suggestions, and exits 2 before anything is
// opened.
func TestUnknownCommandComesFirst(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	for _, tc := range []struct {
		args       []string
		word, path string
		suggestion string
	}{
		{[]string{"invte", "--tenant", "x"}, "invte", "foyer", "invite"},
		{[]string{"users", "lst", "--tenant", "x"}, "lst", "foyer users", "list"},
		{[]string{"-o", "json", "tenents", "list"}, "tenents", "foyer", "tenants"},
		{[]string{"apps", "secrets", "ad", "--tenant", "x", "demo"}, "ad", "foyer apps secrets", "add"},
		{[]string{"frobnicate", "--tenant", "x"}, "frobnicate", "foyer", ""},
	} {
		r := c.run(t, tc.args...)
		require.Equal(t, exitUsage, r.code, "foyer %v:\n%s", tc.args, r.stderr)
		require.True(t, strings.HasPrefix(r.stderr, fmt.Sprintf("foyer: unknown command %q for %q", tc.word, tc.path)), r.stderr)
		require.NotContains(t, r.stderr, "unknown flag")
		require.Contains(t, r.stderr, "Run '"+tc.path+" --help' for usage.")
		if tc.suggestion != "" {
			require.Contains(t, r.stderr, "Did you mean this?\n\t"+tc.suggestion+"\n", r.stderr)
		} else {
			require.NotContains(t, r.stderr, "Did you mean")
		}
	}
	require.NoFileExists(t, filepath.Join(c.dataDir, "foyer.db"), "a usage mistake is caught before anything is opened")
}

func TestVersionFlag(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	require.Equal(t, "foyer dev commit dev "+runtime.Version()+"\n", c.mustRun(t, "--version"))
}
