package cli

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/internal/api"
	"github.com/foyer-idp/foyer/internal/bootstrap"
	"github.com/foyer-idp/foyer/internal/store"
	"github.com/foyer-idp/foyer/internal/webclient"
)

// TestLogsLocalAndRemoteAgree signs in at a running serve --dev (once
// with a wrong password, once rightly), then reads both logs with the
// local database and through the admin API: the same table, the same
// JSON, filters included.
func TestLogsLocalAndRemoteAgree(t *testing.T) {
	t.Parallel()
	s := startDevServer(t)
	ctx := t.Context()
	login := s.base + "/demo/login"
	bad := webclient.New(webclient.Config{StopAt: []string{s.base + "/demo/callback"}})
	_, err := bad.SignIn(ctx, login, webclient.Credentials{Username: bootstrap.DevAdmin, Password: "not-the-password"})
	require.Error(t, err, "the wrong password is refused")
	good := webclient.New(webclient.Config{StopAt: []string{s.base + "/demo/callback"}})
	back, err := good.SignIn(ctx, login, webclient.Credentials{Username: bootstrap.DevAdmin, Password: bootstrap.DevPassword})
	require.NoError(t, err)
	require.True(t, back.Stopped(), back.Summary())

	remote := remoteCLI(t, s.base)
	both := func(args ...string) string {
		t.Helper()
		local := s.cli.mustRun(t, args...)
		require.Equal(t, local, remote.mustRun(t, args...), "foyer %v: local and remote differ", args)
		return local
	}

	var rows []api.SignIn
	require.NoError(t, json.Unmarshal([]byte(both("-o", "json", "signins", "list", "--tenant", "woodgrove")), &rows))
	require.Len(t, rows, 2)
	ok, wrong := rows[0], rows[1]
	require.Zero(t, ok.Status.ErrorCode)
	require.Equal(t, bootstrap.DevAdmin, *ok.UserPrincipalName)
	require.Equal(t, "member", *ok.UserType)
	require.Equal(t, "none", ok.CrossTenantAccessType)
	require.Equal(t, []string{"Password"}, ok.AuthenticationMethodsUsed)
	require.Equal(t, "singleFactorAuthentication", ok.AuthenticationRequirement)
	require.Equal(t, "Browser", ok.ClientAppUsed)
	require.True(t, ok.IsInteractive)
	require.Equal(t, bootstrap.DemoClientID, *ok.AppID)
	require.Equal(t, 50126, wrong.Status.ErrorCode)
	require.Equal(t, *ok.UserID, *wrong.UserID)

	table := both("signins", "list", "--tenant", "woodgrove", "--status", "50126")
	require.Contains(t, table, "50126")
	require.NotContains(t, table, "success")
	require.NotContains(t, both("signins", "list", "--tenant", "woodgrove", "--user", bootstrap.DevAdmin, "--error-code", "0"), "50126")
	require.Contains(t, both("signins", "list", "--tenant", "woodgrove", "--user-type", "guest"), "TIME")
	both("-o", "json", "signins", "list", "--tenant", "woodgrove", "--app", bootstrap.DemoClientID, "--since", "1h", "--top", "1")

	var events []store.AuditEvent
	require.NoError(t, json.Unmarshal([]byte(both("-o", "json", "audit", "list", "--tenant", "woodgrove", "--top", "100")), &events))
	require.NotEmpty(t, events)
	require.Equal(t, s.cli.mustRun(t, "audit", "list", "--tenant", "woodgrove"), remote.mustRun(t, "audit", "list", "--tenant", "woodgrove"))
	both("-o", "json", "audit", "list", "--tenant", "woodgrove", "--category", "ApplicationManagement", "--result", "success")
	both("-o", "json", "audit", "list", "--tenant", "woodgrove", "--target", events[len(events)-1].TargetID)
}
