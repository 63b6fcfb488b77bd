package cli

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestInviteRefusesUnprovenGuest: a guest redeems by passcode, an admin
// re-addresses it, and inviting the new address (which the guest's
// account never proved) is refused by the CLI, locally and through the
// API, with the message, until the admin resets the guest's redemption.
func TestInviteRefusesUnprovenGuest(t *testing.T) {
	t.Parallel()
	s := startDevServer(t)
	s.cli.mustRun(t, "invite", "--tenant", "woodgrove", "--email", "kim@partner.test", "--redirect-url", s.base+"/demo")
	_, page := redeemByPasscode(t, s)
	require.Equal(t, "/demo", page.URL.Path, page.Summary())

	var kim struct{ ID string }
	require.NoError(t, json.Unmarshal([]byte(s.cli.mustRun(t, "-o", "json", "users", "show", "--tenant", "woodgrove", "kim@partner.test")), &kim))
	s.cli.mustRun(t, "users", "update", "--tenant", "woodgrove", kim.ID, "--mail", "cfo@partner.test")

	r := s.cli.run(t, "invite", "--tenant", "woodgrove", "--email", "cfo@partner.test", "--redirect-url", s.base+"/demo")
	require.Equal(t, exitError, r.code, r.stdout)
	require.Contains(t, r.stderr, "invitedUserEmailAddress")
	require.Contains(t, r.stderr, "has not proven this address")
	remote := remoteCLI(t, s.base)
	r = remote.run(t, "invite", "--tenant", "woodgrove", "--email", "cfo@partner.test", "--redirect-url", s.base+"/demo")
	require.Equal(t, exitError, r.code, r.stdout)
	require.Contains(t, r.stderr, "Request_BadRequest: Invalid value specified for property 'invitedUserEmailAddress'")
	require.Contains(t, r.stderr, "resetRedemption")

	out := remote.mustRun(t, "-o", "json", "invite", "--tenant", "woodgrove", "--email", "cfo@partner.test",
		"--redirect-url", s.base+"/demo", "--reset-redemption", "--user-id", kim.ID)
	var again invitationOut
	require.NoError(t, json.Unmarshal([]byte(out), &again))
	require.Equal(t, kim.ID, again.InvitedUserID)
	require.Contains(t, s.cli.mustRun(t, "guests", "list", "--tenant", "woodgrove", "--state", "PendingAcceptance"), kim.ID,
		"reset: it redeems again")
	s.shutdown(t)
}
