package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/internal/audit"
	"github.com/foyer-idp/foyer/internal/store"
)

// TestInviteCommand invites through the CLI: the pending guest, the link
// shown once, the mail queued, the operator as audit actor; a member's
// address and a foreign redirect are refused naming the field.
func TestInviteCommand(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	c.mustRun(t, "tenants", "create", "--slug", "woodgrove", "--name", "Woodgrove Bank", "--signing-alg", "ES256")
	c.seedAdminAndPortal(t)
	var g struct{ ID string }
	require.NoError(t, json.Unmarshal([]byte(c.mustRun(t, "-o", "json", "groups", "create", "--tenant", "woodgrove",
		"--name", "Partners")), &g))

	out := c.mustRun(t, "-o", "json", "invite", "--tenant", "woodgrove", "--email", "Kim@Partner.test",
		"--redirect-url", "https://portal.woodgrove.test/signin", "--name", "Kim", "--message", "Welcome",
		"--language", "de-DE", "--group", g.ID, "--app", "portal", "--expires-in", "48h")
	var inv invitationOut
	require.NoError(t, json.Unmarshal([]byte(out), &inv))
	require.Equal(t, store.InvitationPending, inv.Status)
	require.Equal(t, "kim@partner.test", inv.InvitedUserEmailAddress)
	require.Equal(t, "kim_partner.test#EXT#@woodgrove.localhost", inv.UserPrincipalName)
	require.True(t, strings.HasPrefix(inv.InviteRedeemURL, "http://localhost:8080/t/woodgrove/redeem?token="), inv.InviteRedeemURL)
	require.True(t, inv.SendInvitationMessage)

	table := c.mustRun(t, "invite", "--tenant", "woodgrove", "--email", "kim@partner.test",
		"--redirect-url", "https://portal.woodgrove.test/signin", "--no-mail")
	require.Contains(t, table, "REDEEM URL")
	require.Contains(t, table, inv.ID, "a re-invitation renews the same invitation")
	require.NotContains(t, table, inv.InviteRedeemURL, "with a new link")

	members := c.mustRun(t, "groups", "members", "list", "--tenant", "woodgrove", "--group", g.ID)
	require.Contains(t, members, "kim_partner.test#EXT#@woodgrove.localhost")

	for _, tc := range []struct{ args, want []string }{
		{[]string{"--email", "admin@woodgrove.test", "--redirect-url", "https://portal.woodgrove.test/signin"},
			[]string{"invitedUserEmailAddress"}},
		{[]string{"--email", "x@partner.test", "--redirect-url", "https://evil.test/"}, []string{"inviteRedirectUrl"}},
	} {
		r := c.run(t, append([]string{"invite", "--tenant", "woodgrove"}, tc.args...)...)
		require.Equal(t, exitError, r.code, r.stdout)
		for _, w := range tc.want {
			require.Contains(t, r.stderr, w)
		}
	}
	r := c.run(t, "invite", "--tenant", "woodgrove", "--email", "x@partner.test")
	require.Equal(t, exitUsage, r.code, "--redirect-url is required")

	var tn struct{ ID string }
	require.NoError(t, json.Unmarshal([]byte(c.mustRun(t, "-o", "json", "tenants", "show", "woodgrove")), &tn))
	events := c.auditOf(t.Context(), t, store.AuditFilter{TenantID: tn.ID, Activity: audit.ActivityInviteExternalUser})
	require.Len(t, events, 4)
	require.Equal(t, store.ActorSystem, events[0].ActorType)
	require.Equal(t, "cli:tester", events[0].ActorName)
}
