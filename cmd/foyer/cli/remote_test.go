package cli

import (
	"encoding/json"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/internal/bootstrap"
	"github.com/foyer-idp/foyer/internal/store"
)

// remoteCLI is a foyer with a data directory of its own (that it must
// never use) and the environment of an admin acting on server as the dev
// seed's demo-app.
func remoteCLI(t *testing.T, server string) *cli {
	t.Helper()
	c := newCLI(t)
	c.env[envServer] = server
	c.env[envClientID] = bootstrap.DevClientID
	c.env[envClientSecret] = bootstrap.DevClientSecret
	return c
}

// TestRemoteInvitationsAndGuests drives invite, invitations and guests
// through a running serve --dev's admin API with the credentials from the
// environment, and checks what they did through the server's own data.
func TestRemoteInvitationsAndGuests(t *testing.T) {
	t.Parallel()
	s := startDevServer(t)
	base := s.base
	c := remoteCLI(t, base)
	const redirect = bootstrap.DevRedirectURI

	var g struct{ ID string }
	require.NoError(t, json.Unmarshal([]byte(s.cli.mustRun(t, "-o", "json", "groups", "create", "--tenant", "woodgrove",
		"--name", "Partners")), &g))

	// invite: every flag reaches the API.
	before := time.Now()
	out := c.mustRun(t, "-o", "json", "invite", "--tenant", "woodgrove", "--email", "Kim@Partner.test",
		"--redirect-url", redirect, "--name", "Kim", "--message", "Welcome", "--language", "de-DE",
		"--cc", "boss@woodgrove.test", "--group", g.ID, "--app", bootstrap.DevClientID, "--expires-in", "48h")
	var kim invitationOut
	require.NoError(t, json.Unmarshal([]byte(out), &kim))
	require.Equal(t, store.InvitationPending, kim.Status)
	require.Equal(t, "kim@partner.test", kim.InvitedUserEmailAddress)
	require.True(t, strings.HasPrefix(kim.UserPrincipalName, "kim_partner.test#EXT#@woodgrove."), kim.UserPrincipalName)
	require.True(t, strings.HasPrefix(kim.InviteRedeemURL, base+"/t/woodgrove/redeem?token="), kim.InviteRedeemURL)
	require.Equal(t, redirect, kim.InviteRedirectURL)
	require.True(t, kim.SendInvitationMessage)
	require.WithinRange(t, kim.ExpirationDateTime, before.Add(48*time.Hour-time.Minute), time.Now().Add(48*time.Hour+time.Minute))
	members := s.cli.mustRun(t, "groups", "members", "list", "--tenant", "woodgrove", "--group", g.ID)
	require.Contains(t, members, kim.InvitedUserID, "--group was sent")
	shown := s.cli.mustRun(t, "users", "show", "--tenant", "woodgrove", kim.InvitedUserID)
	require.Contains(t, shown, "Kim", "--name was sent")
	_, err := os.Stat(filepath.Join(c.dataDir, "foyer.db"))
	require.ErrorIs(t, err, os.ErrNotExist, "with --server the local database is never opened")

	// The same table as a local invite.
	table := c.mustRun(t, "invite", "--tenant", "woodgrove", "--email", "lee@partner.test", "--redirect-url", redirect, "--no-mail")
	for _, want := range []string{"REDEEM URL", "(shown once)", "lee_partner.test#EXT#@woodgrove.", base + "/t/woodgrove/redeem?token="} {
		require.Contains(t, table, want)
	}
	_, metrics := get(t, base+"/metrics")
	require.Contains(t, metrics, "\nfoyer_invitations{state=\"PendingAcceptance\"} 2\n", "both invitations, read at the scrape")
	require.Contains(t, metrics, "\nfoyer_invitations{state=\"Accepted\"} 0\n")

	// invitations list: table and JSON, pending by default, filtered.
	table = c.mustRun(t, "invitations", "list", "--tenant", "woodgrove")
	require.Contains(t, table, kim.ID)
	require.Contains(t, table, "kim@partner.test")
	require.Contains(t, table, "lee@partner.test")
	require.NotContains(t, table, "token=")
	var items []invitationItem
	require.NoError(t, json.Unmarshal([]byte(c.mustRun(t, "-o", "json", "invitations", "list", "--tenant", "woodgrove",
		"--email", "KIM@partner.test")), &items))
	require.Len(t, items, 1)
	require.Equal(t, kim.ID, items[0].ID)
	require.Equal(t, kim.InvitedUserID, items[0].InvitedUserID)
	require.Equal(t, "de-DE", items[0].MessageLanguage)
	require.Equal(t, "[]\n", c.mustRun(t, "-o", "json", "invitations", "list", "--tenant", "woodgrove", "--status", "Accepted"))

	// resend: the same invitation, a new link, shown once.
	out = c.mustRun(t, "-o", "json", "invitations", "resend", "--tenant", "woodgrove", kim.ID)
	var again invitationOut
	require.NoError(t, json.Unmarshal([]byte(out), &again))
	require.Equal(t, kim.ID, again.ID)
	require.Equal(t, kim.InvitedUserID, again.InvitedUserID)
	require.True(t, again.SendInvitationMessage)
	require.True(t, strings.HasPrefix(again.InviteRedeemURL, base+"/t/woodgrove/redeem?token="), again.InviteRedeemURL)
	require.NotEqual(t, kim.InviteRedeemURL, again.InviteRedeemURL)
	oldToken := strings.TrimPrefix(kim.InviteRedeemURL, base+"/t/woodgrove/redeem?token=")
	require.NotContains(t, out, oldToken)
	r := c.run(t, "invitations", "resend", "--tenant", "woodgrove", "no-such-invitation")
	require.Equal(t, exitError, r.code)
	require.Contains(t, r.stderr, `no pending invitation "no-such-invitation"`)

	// guests list.
	guests := c.mustRun(t, "guests", "list", "--tenant", "woodgrove")
	require.Contains(t, guests, kim.UserPrincipalName)
	require.Contains(t, guests, "lee_partner.test#EXT#@woodgrove.")
	require.NotContains(t, guests, bootstrap.DevAdmin, "members are not guests")
	var pendingGuests []store.User
	require.NoError(t, json.Unmarshal([]byte(c.mustRun(t, "-o", "json", "guests", "list", "--tenant", "woodgrove",
		"--state", store.ExternalStatePending)), &pendingGuests))
	require.Len(t, pendingGuests, 2)
	require.Equal(t, "[]\n", c.mustRun(t, "-o", "json", "guests", "list", "--tenant", "woodgrove", "--state", store.ExternalStateAccepted))

	// revoke: gone from the pending list, with its never-redeemed guest.
	var lee []invitationItem
	require.NoError(t, json.Unmarshal([]byte(c.mustRun(t, "-o", "json", "invitations", "list", "--tenant", "woodgrove",
		"--email", "lee@partner.test")), &lee))
	require.Len(t, lee, 1)
	require.Contains(t, c.mustRun(t, "invitations", "revoke", "--tenant", "woodgrove", lee[0].ID), "Revoked invitation "+lee[0].ID)
	table = c.mustRun(t, "invitations", "list", "--tenant", "woodgrove")
	require.NotContains(t, table, lee[0].ID)
	require.Contains(t, table, kim.ID)
	require.NotContains(t, c.mustRun(t, "guests", "list", "--tenant", "woodgrove"), "lee_partner.test")
	r = c.run(t, "invitations", "revoke", "--tenant", "woodgrove", lee[0].ID)
	require.Equal(t, exitError, r.code)
	require.Contains(t, r.stderr, "Request_ResourceNotFound")

	// guests remove: a member is refused, a guest deleted.
	r = c.run(t, "guests", "remove", "--tenant", "woodgrove", bootstrap.DevAdmin)
	require.Equal(t, exitError, r.code)
	require.Contains(t, r.stderr, "not a guest")
	s.cli.mustRun(t, "users", "show", "--tenant", "woodgrove", bootstrap.DevAdmin)
	require.Contains(t, c.mustRun(t, "guests", "remove", "--tenant", "woodgrove", kim.InvitedUserID), "Deleted guest "+kim.UserPrincipalName)
	require.Equal(t, "[]\n", c.mustRun(t, "-o", "json", "guests", "list", "--tenant", "woodgrove"))
	require.Equal(t, "[]\n", c.mustRun(t, "-o", "json", "invitations", "list", "--tenant", "woodgrove"))
	r = s.cli.run(t, "users", "show", "--tenant", "woodgrove", kim.InvitedUserID)
	require.Equal(t, exitError, r.code, "kim is gone from the server's database")

	s.shutdown(t)
}

// TestRemoteErrors: refusals by the server, the token endpoint and the
// network come back as clear errors with exit code 1, never showing the
// secret; mistakes in the remote flags are usage errors that send nothing.
func TestRemoteErrors(t *testing.T) {
	t.Parallel()
	s := startDevServer(t)
	base := s.base
	c := remoteCLI(t, base)

	r := c.run(t, "invite", "--tenant", "woodgrove", "--email", "x@partner.test", "--redirect-url", "https://evil.test/")
	require.Equal(t, exitError, r.code, r.stdout)
	require.Contains(t, r.stderr, "foyer: Request_BadRequest: Invalid value specified for property 'inviteRedirectUrl'")
	r = c.run(t, "invite", "--tenant", "woodgrove", "--email", bootstrap.DevAdmin, "--redirect-url", bootstrap.DevRedirectURI)
	require.Equal(t, exitError, r.code, r.stdout)
	require.Contains(t, r.stderr, "'invitedUserEmailAddress'")
	require.Equal(t, "[]\n", c.mustRun(t, "-o", "json", "invitations", "list", "--tenant", "woodgrove"), "nothing was invited")

	const wrong = "not-the-demo-secret-4711"
	bad := remoteCLI(t, base)
	bad.env[envClientSecret] = wrong
	r = bad.run(t, "invitations", "list", "--tenant", "woodgrove")
	require.Equal(t, exitError, r.code)
	require.Contains(t, r.stderr, "invalid_client")
	require.Contains(t, r.stderr, `refused client "demo-app" of tenant "woodgrove"`)
	require.NotContains(t, r.stderr+r.stdout, wrong)

	r = c.run(t, "guests", "list", "--tenant", "nowhere")
	require.Equal(t, exitError, r.code)
	require.Contains(t, r.stderr, "/t/nowhere/oauth/token")

	// The secret as a flag works, with a warning, and is not echoed.
	flagged := remoteCLI(t, base)
	delete(flagged.env, envClientSecret)
	r = flagged.run(t, "guests", "list", "--tenant", "woodgrove", "--client-secret", bootstrap.DevClientSecret)
	require.Equal(t, exitOK, r.code, r.stderr)
	require.Contains(t, r.stderr, "warning: --client-secret")
	require.NotContains(t, r.stderr, bootstrap.DevClientSecret)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	closed := "http://" + ln.Addr().String()
	require.NoError(t, ln.Close())
	r = remoteCLI(t, closed).run(t, "invitations", "list", "--tenant", "woodgrove")
	require.Equal(t, exitError, r.code)
	require.Contains(t, r.stderr, "cannot reach Foyer at "+closed)
	require.NotContains(t, r.stderr, bootstrap.DevClientSecret)

	for _, tc := range []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"no client id", map[string]string{envClientID: ""}, nil, "--client-id (or FOYER_CLIENT_ID) is required"},
		// Neither app credentials nor a foyer login sign-in.
		{"no credentials", map[string]string{envClientID: "", envClientSecret: ""}, nil, "run foyer login --server " + base + " --tenant woodgrove first, or give app credentials"},
		{"client id without server", map[string]string{envServer: ""}, []string{"--client-id", "demo-app"}, "--client-id needs --server"},
		{"plain http to another machine", map[string]string{envServer: "http://foyer.example"}, nil, "use https"},
		{"not a URL", nil, []string{"--server", "foyer.example"}, "must be an http(s) URL"},
		{"bad status", nil, []string{"--status", "Pending"}, "--status must be"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := remoteCLI(t, base)
			for k, v := range tc.env {
				c.env[k] = v
			}
			r := c.run(t, append([]string{"invitations", "list", "--tenant", "woodgrove"}, tc.args...)...)
			require.Equal(t, exitUsage, r.code, r.stderr)
			require.Contains(t, r.stderr, tc.want)
		})
	}

	s.shutdown(t)
}

// countingTransport counts the requests a client sends.
type countingTransport struct {
	n    atomic.Int32
	next http.RoundTripper
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return c.next.RoundTrip(r)
}

// TestRemoteListFollowsNextLink pages through a running server's
// invitations one at a time, and refuses a next link to another server.
func TestRemoteListFollowsNextLink(t *testing.T) {
	t.Parallel()
	s := startDevServer(t)
	base := s.base
	admin := remoteCLI(t, base)
	for _, n := range []string{"a", "b", "c"} {
		admin.mustRun(t, "invite", "--tenant", "woodgrove", "--email", n+"@partner.test",
			"--redirect-url", bootstrap.DevRedirectURI, "--no-mail")
	}
	c := newRemoteClient(base, "woodgrove", bootstrap.DevClientID, bootstrap.DevClientSecret)
	counter := &countingTransport{next: c.http.Transport}
	c.http.Transport = counter
	got, err := listAll[remoteInvitation](t.Context(), c, "/v1.0/invitations?$top=1")
	require.NoError(t, err)
	var emails []string
	for _, inv := range got {
		emails = append(emails, inv.InvitedUserEmailAddress)
	}
	require.ElementsMatch(t, []string{"a@partner.test", "b@partner.test", "c@partner.test"}, emails)
	require.Equal(t, int32(1+3), counter.n.Load(), "a token, then three pages")

	_, err = listAll[remoteInvitation](t.Context(), c, "https://elsewhere.example/v1.0/invitations")
	require.ErrorContains(t, err, "outside "+base+"/v1.0/")
	require.Equal(t, int32(4), counter.n.Load(), "nothing sent")

	s.shutdown(t)
}
