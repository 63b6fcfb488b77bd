package cli

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/internal/store"
)

// TestGuestCommandsLocal runs the invitation and guest commands on the
// local database, without --server: the same bodies as through the API.
func TestGuestCommandsLocal(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	c.mustRun(t, "tenants", "create", "--slug", "woodgrove", "--name", "Woodgrove Bank", "--signing-alg", "ES256")
	c.seedAdminAndPortal(t)
	invite := func(email string) invitationOut {
		t.Helper()
		var inv invitationOut
		require.NoError(t, json.Unmarshal([]byte(c.mustRun(t, "-o", "json", "invite", "--tenant", "woodgrove",
			"--email", email, "--redirect-url", "https://portal.woodgrove.test/signin", "--language", "de-DE", "--no-mail")), &inv))
		return inv
	}
	kim, lee := invite("kim@partner.test"), invite("lee@partner.test")

	var items []invitationItem
	require.NoError(t, json.Unmarshal([]byte(c.mustRun(t, "-o", "json", "invitations", "list", "--tenant", "woodgrove")), &items))
	require.Len(t, items, 2)
	require.Equal(t, kim.ID, items[0].ID, "oldest first")
	require.Equal(t, "de-DE", items[0].MessageLanguage)
	require.NoError(t, json.Unmarshal([]byte(c.mustRun(t, "-o", "json", "invitations", "list", "--tenant", "woodgrove",
		"--email", "LEE@partner.test")), &items))
	require.Equal(t, []string{lee.ID}, []string{items[0].ID})
	require.Len(t, items, 1)

	var again invitationOut
	require.NoError(t, json.Unmarshal([]byte(c.mustRun(t, "-o", "json", "invitations", "resend", "--tenant", "woodgrove", kim.ID)), &again))
	require.Equal(t, kim.ID, again.ID)
	require.NotEqual(t, kim.InviteRedeemURL, again.InviteRedeemURL)
	require.True(t, again.SendInvitationMessage)

	require.Contains(t, c.mustRun(t, "invitations", "revoke", "--tenant", "woodgrove", lee.ID), "Revoked")
	r := c.run(t, "invitations", "revoke", "--tenant", "woodgrove", lee.ID)
	require.Equal(t, exitError, r.code)
	require.Contains(t, r.stderr, "no pending invitation")

	var guests []store.User
	require.NoError(t, json.Unmarshal([]byte(c.mustRun(t, "-o", "json", "guests", "list", "--tenant", "woodgrove",
		"--state", store.ExternalStatePending)), &guests))
	require.Len(t, guests, 1)
	require.Equal(t, kim.UserPrincipalName, guests[0].UserPrincipalName)
	r = c.run(t, "guests", "remove", "--tenant", "woodgrove", "admin@woodgrove.test")
	require.Equal(t, exitError, r.code)
	require.Contains(t, r.stderr, "not a guest")
	require.Contains(t, c.mustRun(t, "guests", "remove", "--tenant", "woodgrove", kim.UserPrincipalName), "Deleted guest")
	require.Equal(t, "[]\n", c.mustRun(t, "-o", "json", "guests", "list", "--tenant", "woodgrove"))
}
