package cli

import (
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/internal/audit"
	"github.com/foyer-idp/foyer/internal/store"
	"github.com/foyer-idp/foyer/internal/store/sqlstore"
)

// withStore runs fn on the CLI's database, opened directly.
func (c *cli) withStore(t *testing.T, fn func(st *sqlstore.Store)) {
	t.Helper()
	st, err := sqlstore.OpenSQLite(t.Context(), filepath.Join(c.dataDir, "foyer.db"))
	require.NoError(t, err)
	defer st.Close()
	fn(st)
}

func TestMFACommands(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	ctx := t.Context()
	c.mustRun(t, "tenants", "create", "--slug", "woodgrove", "--name", "Woodgrove Bank")
	c.mustRun(t, "tenants", "create", "--slug", "contoso", "--name", "Contoso")
	c.seedAdminAndPortal(t)
	var inv invitationOut
	require.NoError(t, json.Unmarshal([]byte(c.mustRun(t, "-o", "json", "invite", "--tenant", "woodgrove",
		"--email", "kim@partner.test", "--redirect-url", "https://portal.woodgrove.test/signin", "--no-mail")), &inv))
	guest := inv.UserPrincipalName

	policy := func(t *testing.T, args ...string) mfaPolicyView {
		t.Helper()
		var v mfaPolicyView
		out := c.mustRun(t, append([]string{"-o", "json", "mfa", "policy"}, args...)...)
		require.NoError(t, json.Unmarshal([]byte(out), &v), out)
		return v
	}
	require.Equal(t, mfaPolicyView{Tenant: "woodgrove", Required: "guests", PeriodSeconds: 30}, policy(t, "show", "--tenant", "woodgrove"))
	require.Equal(t, mfaPolicyView{Tenant: "woodgrove", Required: "everyone", PeriodSeconds: 30},
		policy(t, "set", "--tenant", "woodgrove", "--required", "everyone"))
	require.Equal(t, mfaPolicyView{Tenant: "woodgrove", Required: "everyone", PeriodSeconds: 45},
		policy(t, "set", "--tenant", "woodgrove", "--period", "45"))
	require.Equal(t, mfaPolicyView{Tenant: "woodgrove", Required: "guests", PeriodSeconds: 30},
		policy(t, "set", "--tenant", "woodgrove", "--required", "guests", "--period", "30"))
	require.Contains(t, c.mustRun(t, "mfa", "policy", "show", "--tenant", "woodgrove"), "MFA required for:")
	for _, bad := range []struct {
		args []string
		code int
		msg  string
	}{
		{nil, exitUsage, "at least one of the flags"},
		{[]string{"--required", "admins"}, exitError, "required: must be one of nobody, guests, everyone"},
		{[]string{"--period", "10"}, exitError, "periodSeconds: must be from 15 to 120"},
		{[]string{"--period", "x"}, exitUsage, "invalid argument"},
	} {
		r := c.run(t, append([]string{"mfa", "policy", "set", "--tenant", "woodgrove"}, bad.args...)...)
		require.Equal(t, bad.code, r.code, "%v: %s", bad.args, r.stderr)
		require.Contains(t, r.stderr, bad.msg)
	}
	require.Equal(t, mfaPolicyView{Tenant: "contoso", Required: "guests", PeriodSeconds: 30}, policy(t, "show", "--tenant", "contoso"))

	// Register the guest's authenticator and lock it, in the store.
	c.withStore(t, func(st *sqlstore.Store) {
		tn, err := st.GetTenantBySlug(ctx, "woodgrove")
		require.NoError(t, err)
		u, err := st.GetUserByEmail(ctx, tn.ID, "kim@partner.test")
		require.NoError(t, err)
		now := time.Now()
		require.NoError(t, st.SaveTOTPFactor(ctx, store.TOTPFactor{TenantID: tn.ID, UserID: u.ID,
			PendingSealedSecret: []byte("sealed"), CreatedAt: now}))
		require.NoError(t, st.ActivateTOTPFactor(ctx, tn.ID, u.ID, now.Unix()/30, now))
		_, err = st.RecordMFAFailure(ctx, tn.ID, u.ID, now, 1, now.Add(15*time.Minute))
		require.NoError(t, err)
	})
	r := c.run(t, "mfa", "policy", "set", "--tenant", "woodgrove", "--period", "60")
	require.Equal(t, exitError, r.code)
	require.Contains(t, r.stderr, "cannot change while 1 users")

	report := func(t *testing.T, args ...string) map[string]mfaReportLine {
		t.Helper()
		var lines []mfaReportLine
		out := c.mustRun(t, append([]string{"-o", "json", "mfa", "report", "--tenant", "woodgrove"}, args...)...)
		require.NoError(t, json.Unmarshal([]byte(out), &lines), out)
		byUPN := map[string]mfaReportLine{}
		for _, l := range lines {
			byUPN[l.UserPrincipalName] = l
		}
		return byUPN
	}
	lines := report(t)
	require.Len(t, lines, 2)
	require.True(t, lines[guest].IsMfaRegistered)
	require.True(t, lines[guest].IsMfaRequired)
	require.Equal(t, "guest", lines[guest].UserType)
	require.NotNil(t, lines[guest].LockedUntil)
	require.False(t, lines["admin@woodgrove.test"].IsMfaRegistered)
	require.False(t, lines["admin@woodgrove.test"].IsMfaRequired, "guests only")
	require.Empty(t, report(t, "--missing"), "the one who must has registered")
	policy(t, "set", "--tenant", "woodgrove", "--required", "everyone")
	missing := report(t, "--missing")
	require.Len(t, missing, 1)
	require.Contains(t, missing, "admin@woodgrove.test")
	table := c.mustRun(t, "mfa", "report", "--tenant", "woodgrove")
	require.Contains(t, table, "1 must use MFA and have not registered")
	require.Contains(t, table, guest)

	status := func(t *testing.T, user string) mfaStatusView {
		t.Helper()
		var v mfaStatusView
		out := c.mustRun(t, "-o", "json", "mfa", "status", "--tenant", "woodgrove", user)
		require.NoError(t, json.Unmarshal([]byte(out), &v), out)
		return v
	}
	st := status(t, guest)
	require.True(t, st.Registered)
	require.NotNil(t, st.LockedUntil)

	require.Contains(t, c.mustRun(t, "mfa", "unlock", "--tenant", "woodgrove", guest), "Unlocked")
	st = status(t, guest)
	require.True(t, st.Registered)
	require.Nil(t, st.LockedUntil)

	out := c.mustRun(t, "mfa", "reset", "--tenant", "woodgrove", "kim@partner.test")
	require.Contains(t, out, "again at their next sign-in")
	require.False(t, status(t, guest).Registered)
	r = c.run(t, "mfa", "reset", "--tenant", "woodgrove", guest)
	require.Equal(t, exitError, r.code)
	require.Contains(t, r.stderr, "no authenticator app registered")
	r = c.run(t, "mfa", "unlock", "--tenant", "woodgrove", guest)
	require.Equal(t, exitError, r.code)
	r = c.run(t, "mfa", "status", "--tenant", "contoso", guest)
	require.Equal(t, exitError, r.code, "another tenant's user is not found")
	require.Contains(t, r.stderr, "no user")
	r = c.run(t, "mfa", "reset", "--tenant", "woodgrove")
	require.Equal(t, exitUsage, r.code)

	events := c.auditOf(ctx, t, store.AuditFilter{Activity: audit.ActivityUpdatePolicy})
	ok := 0
	for _, e := range events {
		require.Equal(t, store.ActorSystem, e.ActorType)
		if e.Result == store.ResultSuccess && e.TargetID == "mfaPolicy" {
			ok++
		}
	}
	require.Equal(t, 4, ok)

	// An application's own rule.
	var app struct {
		RequiresMFA bool `json:"requiresMfa"`
	}
	require.NoError(t, json.Unmarshal([]byte(c.mustRun(t, "-o", "json", "apps", "update", "--tenant", "woodgrove", "portal",
		"--requires-mfa")), &app))
	require.True(t, app.RequiresMFA)
	require.Contains(t, c.mustRun(t, "apps", "show", "--tenant", "woodgrove", "portal"), "Requires MFA:")
	require.NoError(t, json.Unmarshal([]byte(c.mustRun(t, "-o", "json", "apps", "update", "--tenant", "woodgrove", "portal",
		"--requires-mfa=false")), &app))
	require.False(t, app.RequiresMFA)
	require.NoError(t, json.Unmarshal([]byte(c.mustRun(t, "-o", "json", "apps", "create", "--tenant", "woodgrove", "--name", "Vault",
		"--type", "public", "--redirect-uri", "https://vault.woodgrove.test/cb", "--requires-mfa")), &app))
	require.True(t, app.RequiresMFA)
}
