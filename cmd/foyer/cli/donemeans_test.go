package cli

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/internal/bootstrap"
)

// TestDoneMeansLoginThenRemoteCommands is issue 11's "done means": foyer
// login --device against serve --dev, the device code approved through the
// real pages as the dev admin; then audit list, signins list, apps create
// and apps secrets add run remotely with the stored delegated tokens (no
// app credentials anywhere) and show what the same commands show locally
// on the server's database.
func TestDoneMeansLoginThenRemoteCommands(t *testing.T) {
	t.Parallel()
	s := startDevServer(t)
	local := s.cli
	remote := newCLI(t)
	for _, env := range []string{envClientID, envClientSecret} {
		_, set := remote.env[env]
		require.False(t, set, "no app credentials: the commands act as the signed-in admin")
	}

	stdout, stderr, exited := remote.background(t, "login", "--server", s.base, "--tenant", "woodgrove", "--device")
	link := waitFor(t, stderr, deviceLink)[1]
	approveDevice(t, link, bootstrap.DevAdmin, bootstrap.DevPassword)
	require.Equal(t, exitOK, exitCode(t, exited, stderr), stderr.String())
	require.Contains(t, stdout.String(), "as "+bootstrap.DevAdmin)
	remote.env[envServer] = s.base

	both := func(args ...string) (string, string) {
		t.Helper()
		args = withTenant(args)
		return remote.mustRun(t, args...), local.mustRun(t, args...)
	}
	same := func(args ...string) string {
		t.Helper()
		for _, format := range [][]string{nil, {"-o", "json"}} {
			r, l := both(append(append([]string{}, args...), format...)...)
			require.Equal(t, l, r, "%s %v: remote and local differ", strings.Join(args, " "), format)
		}
		r, _ := both(args...)
		return r
	}

	// The sign-in log holds the admin's device sign-in.
	signIns := same("signins", "list")
	require.Contains(t, signIns, bootstrap.DevAdmin)
	require.Contains(t, signIns, bootstrap.DevNativeClientID)
	same("signins", "list", "--user", bootstrap.DevAdmin, "--status", "0")
	same("audit", "list")

	// apps create: the same flags on both sides make the same application,
	// but each has its own client id. Ignored: the ids, the creation time
	// and the first secret (its value and key id are new each time, and a
	// remote secret gets Graph's two years where a local one never ends).
	flags := []string{"--name", "Chain", "--redirect-uri", "https://chain.test/cb", "--grant", "authorization_code",
		"--grant", "client_credentials", "--permission", "AuditLog.Read.All"}
	created := func(c *cli, clientID string) (map[string]any, map[string]any) {
		t.Helper()
		out := c.mustRun(t, withTenant(append([]string{"-o", "json", "apps", "create", "--client-id", clientID}, flags...))...)
		var all map[string]any
		require.NoError(t, json.Unmarshal([]byte(out), &all))
		secret, _ := all["passwordCredential"].(map[string]any)
		require.NotEmpty(t, secret["secretText"], "the first secret is shown once")
		for _, k := range []string{"id", "appId", "createdDateTime", "passwordCredential"} {
			delete(all, k)
		}
		return all, secret
	}
	remoteApp, remoteSecret := created(remote, "chain")
	localApp, _ := created(local, "chain-local")
	require.Equal(t, localApp, remoteApp)
	shown := same("apps", "show", "chain")
	require.NotContains(t, shown, remoteSecret["secretText"].(string))
	status, _ := tryClientCredentials(t, s.base, "chain", remoteSecret["secretText"].(string), "")
	require.Equal(t, 200, status, "the secret created remotely authenticates")

	// apps secrets add: the same flags, a secret each. Ignored: the value,
	// key id and hint (new each time) and the times (a second apart).
	secretFlags := []string{"--name", "rollover", "--expires-in", "720h"}
	added := func(c *cli, app string) map[string]any {
		t.Helper()
		out := c.mustRun(t, withTenant(append([]string{"-o", "json", "apps", "secrets", "add", app}, secretFlags...))...)
		var v map[string]any
		require.NoError(t, json.Unmarshal([]byte(out), &v))
		end, err := time.Parse(time.RFC3339, v["endDateTime"].(string))
		require.NoError(t, err)
		require.WithinDuration(t, time.Now().Add(720*time.Hour), end, time.Minute)
		require.NotEmpty(t, v["secretText"])
		for _, k := range []string{"secretText", "keyId", "hint", "endDateTime", "startDateTime"} {
			delete(v, k)
		}
		return v
	}
	require.Equal(t, added(local, "chain-local"), added(remote, "chain"))
	listed := same("apps", "secrets", "list", "chain")
	require.Contains(t, listed, "rollover")
	table := remote.mustRun(t, withTenant([]string{"apps", "secrets", "add", "chain", "--name", "table"})...)
	require.Contains(t, table, "Copy the client secret now")

	// The changes are the signed-in admin's, in the audit log read both ways.
	same("audit", "list", "--activity", "Add application")
	var admin struct{ ID string }
	require.NoError(t, json.Unmarshal([]byte(local.mustRun(t, withTenant([]string{"-o", "json", "users", "show", bootstrap.DevAdmin})...)), &admin))
	var events []struct {
		ActorType  string `json:"actorType"`
		ActorID    string `json:"actorId"`
		TargetName string `json:"targetName"`
	}
	require.NoError(t, json.Unmarshal([]byte(remote.mustRun(t, withTenant([]string{"-o", "json", "audit", "list",
		"--activity", "Add application", "--user", admin.ID})...)), &events))
	require.Len(t, events, 1, "the remote create, by the admin, not by an app")
	require.Equal(t, "user", events[0].ActorType)
	require.Equal(t, "Chain", events[0].TargetName)
	s.shutdown(t)
	require.NotContains(t, s.logs.String(), remoteSecret["secretText"].(string))
}
