package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/internal/bootstrap"
)

// TestRemoteAppsMatchLocal drives every apps command through a running
// serve --dev's admin API and compares what it prints, as a table and
// with -o json, with the same command run on the server's database.
func TestRemoteAppsMatchLocal(t *testing.T) {
	t.Parallel()
	s := startDevServer(t)
	remote := remoteCLI(t, s.base)
	local := s.cli
	const tenant = "woodgrove"
	both := func(t *testing.T, args ...string) (string, string) {
		t.Helper()
		args = append(args, "--tenant", tenant)
		return remote.mustRun(t, args...), local.mustRun(t, args...)
	}
	same := func(t *testing.T, args ...string) string {
		t.Helper()
		for _, format := range [][]string{nil, {"-o", "json"}} {
			r, l := both(t, append(append([]string{}, args...), format...)...)
			require.Equal(t, l, r, "apps %s %v: remote and local differ", strings.Join(args, " "), format)
		}
		r, _ := both(t, args...)
		return r
	}

	// create: the same flags make the same application; each side's
	// first secret is its own, shown once.
	flags := []string{"--name", "Nightly", "--redirect-uri", "https://nightly.test/cb", "--post-logout-redirect-uri",
		"https://nightly.test/bye", "--grant", "authorization_code", "--grant", "client_credentials", "--home-page",
		"https://nightly.test", "--requires-mfa", "--assignment-required", "--access-token-format", "opaque",
		"--permission", "User.Invite.All"}
	type created struct {
		ID                 string         `json:"id"`
		AppID              string         `json:"appId"`
		CreatedDateTime    time.Time      `json:"createdDateTime"`
		PasswordCredential map[string]any `json:"passwordCredential"`
	}
	createOn := func(c *cli, clientID string) (created, map[string]any) {
		t.Helper()
		out := c.mustRun(t, append([]string{"-o", "json", "apps", "create", "--tenant", tenant, "--client-id", clientID}, flags...)...)
		var v created
		require.NoError(t, json.Unmarshal([]byte(out), &v))
		var all map[string]any
		require.NoError(t, json.Unmarshal([]byte(out), &all))
		for _, k := range []string{"id", "appId", "createdDateTime", "passwordCredential"} {
			delete(all, k)
		}
		return v, all
	}
	r, rest := createOn(remote, "nightly")
	l, localRest := createOn(local, "nightly-local")
	require.Equal(t, localRest, rest, "the same flags register the same application")
	require.Equal(t, "nightly", r.AppID)
	for _, sec := range []map[string]any{r.PasswordCredential, l.PasswordCredential} {
		require.NotEmpty(t, sec["secretText"])
		require.NotEmpty(t, sec["keyId"])
	}
	// The one difference: the API gives a secret Graph's two years where
	// the local command gives none.
	require.Nil(t, l.PasswordCredential["endDateTime"])
	end, err := time.Parse(time.RFC3339, r.PasswordCredential["endDateTime"].(string))
	require.NoError(t, err)
	require.WithinDuration(t, time.Now().Add(2*365*24*time.Hour), end, time.Hour)
	table := remote.mustRun(t, "apps", "create", "--tenant", tenant, "--client-id", "nightly-2", "--name", "Nightly 2")
	for _, want := range []string{"Client ID", "nightly-2", "Client secret", "Copy the client secret now"} {
		require.Contains(t, table, want)
	}

	// An owner and an assignment, so that show has them to print.
	local.mustRun(t, "apps", "owners", "add", "--tenant", tenant, "nightly", "--user", bootstrap.DevAdmin)
	assigned := remote.mustRun(t, "apps", "assign", "--tenant", tenant, "nightly", "--user", bootstrap.DevAdmin)
	require.Contains(t, assigned, bootstrap.DevAdmin)

	secret := r.PasswordCredential["secretText"].(string)
	same(t, "apps", "list")
	same(t, "apps", "secrets", "list", "nightly")
	shown := same(t, "apps", "show", "nightly")
	require.Contains(t, shown, bootstrap.DevAdmin, "owner and assignment")
	require.NotContains(t, shown, secret, "a secret shows once")

	// update, secrets add and remove, unassign and delete change through
	// the API what the local side then reads.
	out := remote.mustRun(t, "apps", "update", "--tenant", tenant, "nightly", "--name", "Nightly v2",
		"--redirect-uri", "https://nightly.test/cb2", "--home-page", "", "--permission", "", "--requires-mfa=false")
	require.Equal(t, local.mustRun(t, "apps", "show", "--tenant", tenant, "nightly"), out)
	require.Contains(t, out, "Nightly v2")
	require.Contains(t, out, "https://nightly.test/cb2")

	added := remote.mustRun(t, "-o", "json", "apps", "secrets", "add", "--tenant", tenant, "nightly",
		"--expires-in", "720h", "--name", "rollover")
	var sec struct {
		KeyID       string    `json:"keyId"`
		SecretText  string    `json:"secretText"`
		DisplayName string    `json:"displayName"`
		EndDateTime time.Time `json:"endDateTime"`
	}
	require.NoError(t, json.Unmarshal([]byte(added), &sec))
	require.Equal(t, "rollover", sec.DisplayName)
	require.WithinDuration(t, time.Now().Add(720*time.Hour), sec.EndDateTime, time.Minute)
	status, _ := tryClientCredentials(t, s.base, "nightly", sec.SecretText, "")
	require.Equal(t, 200, status, "the secret added remotely authenticates")
	listed := same(t, "apps", "secrets", "list", "nightly")
	require.Contains(t, listed, "rollover")
	require.NotContains(t, listed, sec.SecretText)

	removed := remote.mustRun(t, "apps", "secrets", "remove", "--tenant", tenant, "nightly", sec.KeyID)
	require.NotContains(t, removed, sec.KeyID)
	require.Equal(t, local.mustRun(t, "apps", "secrets", "list", "--tenant", tenant, "nightly"), removed)

	var admin struct{ ID string }
	require.NoError(t, json.Unmarshal([]byte(local.mustRun(t, "-o", "json", "users", "show", "--tenant", tenant, bootstrap.DevAdmin)), &admin))
	unassigned := remote.mustRun(t, "apps", "unassign", "--tenant", tenant, "nightly", "--principal", admin.ID)
	require.NotContains(t, unassigned, bootstrap.DevAdmin)

	rr := remote.run(t, "apps", "show", "--tenant", tenant, "nobody")
	lr := local.run(t, "apps", "show", "--tenant", tenant, "nobody")
	require.Equal(t, exitError, rr.code)
	require.Equal(t, lr.stderr, rr.stderr, "a missing application is reported alike")

	deleted := remote.mustRun(t, "apps", "delete", "--tenant", tenant, "nightly")
	require.Contains(t, deleted, "Deleted application")
	require.Equal(t, exitError, local.run(t, "apps", "show", "--tenant", tenant, "nightly").code)

	_, err = os.Stat(filepath.Join(remote.dataDir, "foyer.db"))
	require.ErrorIs(t, err, os.ErrNotExist, "with --server the local database is never opened")
	s.shutdown(t)
	require.NotContains(t, s.logs.String(), secret)
	require.NotContains(t, s.logs.String(), sec.SecretText)
}
