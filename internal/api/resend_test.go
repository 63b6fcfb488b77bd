package api_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/internal/audit"
	"github.com/foyer-idp/foyer/internal/directory"
	"github.com/foyer-idp/foyer/internal/store"
	"github.com/foyer-idp/foyer/internal/store/sqlstore/sqltest"
)

// POST /v1.0/invitations/{id}/resend, a Foyer extension: the pending
// invitation mailed again with a new link, the old one dead.
func TestResendInvitation(t *testing.T) {
	t.Parallel()
	sqltest.RunSuite(t, []sqltest.Case[*fixture]{
		{Name: "Contract", Fn: testResendContract},
		{Name: "Refusals", Fn: testResendRefusals},
	}, newFixture)
}

func tokenOf(t *testing.T, redeemURL string) string {
	t.Helper()
	token, ok := strings.CutPrefix(redeemURL, "https://foyer.example/t/contoso/redeem?token=")
	require.True(t, ok, redeemURL)
	return token
}

func testResendContract(t *testing.T, f *fixture) {
	ctx := t.Context()
	f.portal(t, f.a.ID, "portal")
	body := inviteBody("bo@fabrikam.example")
	body["invitedUserMessageInfo"] = map[string]any{"messageLanguage": "de-DE"}
	first := f.call(t, f.app(inviter...), "POST", "/v1.0/invitations", body)
	require.Equal(t, http.StatusCreated, first.status, first.raw)
	id := first.body["id"].(string)
	oldToken := tokenOf(t, first.body["inviteRedeemUrl"].(string))
	stored, err := f.store.GetInvitation(ctx, f.a.ID, id)
	require.NoError(t, err)
	oldHash := stored.TokenHash

	for _, b := range []any{nil, `{}`} {
		res := f.call(t, f.app(inviter...), "POST", "/v1.0/invitations/"+id+"/resend", b)
		require.Equal(t, http.StatusOK, res.status, res.raw)
		require.Equal(t, id, res.body["id"], "the same invitation")
		require.Equal(t, first.body["invitedUser"], res.body["invitedUser"])
		require.Equal(t, true, res.body["sendInvitationMessage"])
		require.Equal(t, portalRedirect, res.body["inviteRedirectUrl"])
		require.Equal(t, "de-DE", res.body["invitedUserMessageInfo"].(map[string]any)["messageLanguage"])
		newToken := tokenOf(t, res.body["inviteRedeemUrl"].(string))
		require.NotEqual(t, oldToken, newToken)
		inv, err := f.store.GetInvitation(ctx, f.a.ID, id)
		require.NoError(t, err)
		require.NotEqual(t, oldHash, inv.TokenHash, "the old link no longer matches")
		require.NotContains(t, res.raw, inv.TokenHash)
		oldToken, oldHash = newToken, inv.TokenHash
	}
	mails, err := f.store.ListMail(ctx, store.MailFilter{TenantID: f.a.ID})
	require.NoError(t, err)
	require.Len(t, mails, 2, "each resend mails it; the first invitation asked for none")
	pending, err := f.store.ListInvitations(ctx, f.a.ID, store.InvitationFilter{Status: store.InvitationPending})
	require.NoError(t, err)
	require.Len(t, pending, 1, "renewed, not duplicated")
	events, err := f.store.ListAudit(ctx, store.AuditFilter{TenantID: f.a.ID, Activity: audit.ActivityInviteExternalUser})
	require.NoError(t, err)
	require.Len(t, events, 3, "the invitation and each resend, by the caller")
	require.Equal(t, "admin-script", events[0].ActorID)
}

func testResendRefusals(t *testing.T, f *fixture) {
	ctx := t.Context()
	f.portal(t, f.a.ID, "portal")
	f.portal(t, f.b.ID, "other-portal")
	res := f.call(t, f.app(inviter...), "POST", "/v1.0/invitations", inviteBody("bo@fabrikam.example"))
	require.Equal(t, http.StatusCreated, res.status, res.raw)
	id := res.body["id"].(string)
	resend := "/v1.0/invitations/" + id + "/resend"
	before, err := f.store.GetInvitation(ctx, f.a.ID, id)
	require.NoError(t, err)

	// Properties are refused by name; the action takes none.
	f.requireError(t, f.call(t, f.app(inviter...), "POST", resend, `{"inviteRedirectUrl":"https://evil.example/"}`),
		http.StatusBadRequest, "Request_BadRequest", "'inviteRedirectUrl'")
	f.requireError(t, f.call(t, f.app(inviter...), "POST", resend, `{"colour":1}`), http.StatusBadRequest, "Request_BadRequest", "'colour'")
	f.requireError(t, f.call(t, f.app(inviter...), "POST", resend, `[1]`), http.StatusBadRequest, "Request_BadRequest")
	// Not found: unknown, another tenant's, revoked.
	theirs, _, err := f.dir.Invite(ctx, f.b.ID, directory.InviteInput{Email: "cy@fabrikam.example", RedirectURL: portalRedirect})
	require.NoError(t, err)
	for _, other := range []string{"nope", theirs.ID} {
		f.requireError(t, f.call(t, f.app(inviter...), "POST", "/v1.0/invitations/"+other+"/resend", nil),
			http.StatusNotFound, "Request_ResourceNotFound", other)
	}
	// Who may not manage invitations may not resend one: an app without
	// the permission, a member without a role even where members may
	// invite (resending kills the link someone else sent).
	f.requireError(t, f.call(t, f.app("User.ReadWrite.All"), "POST", resend, nil), http.StatusForbidden, "Authorization_RequestDenied")
	plain := f.member(t, f.a.ID, "plain@contoso.example")
	f.requireError(t, f.call(t, f.delegated(plain.ID, "User.Invite.All"), "POST", resend, nil), http.StatusForbidden, "Authorization_RequestDenied")
	after, err := f.store.GetInvitation(ctx, f.a.ID, id)
	require.NoError(t, err)
	require.Equal(t, before.TokenHash, after.TokenHash, "nothing refused renewed the link")

	// A Guest Inviter may.
	inviterUser := f.memberWithRole(t, f.a.ID, "gi@contoso.example", directory.RoleGuestInviter)
	res = f.call(t, f.delegated(inviterUser.ID, "User.Invite.All"), "POST", resend, nil)
	require.Equal(t, http.StatusOK, res.status, res.raw)

	del := f.call(t, f.app(inviter...), "DELETE", "/v1.0/invitations/"+id, nil)
	require.Equal(t, http.StatusNoContent, del.status, del.raw)
	f.requireError(t, f.call(t, f.app(inviter...), "POST", resend, nil), http.StatusNotFound, "Request_ResourceNotFound")
}
