package api_test

import (
	"context"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/internal/audit"
	"github.com/foyer-idp/foyer/internal/directory"
	"github.com/foyer-idp/foyer/internal/mail"
	"github.com/foyer-idp/foyer/internal/store"
)

type noSender struct{}

func (noSender) Send(context.Context, mail.Message) error { return nil }

const portalRedirect = "https://portal.contoso.example/signin"

var inviter = []string{"User.Invite.All"}

// portal registers an application of tenant id whose redirect URI
// invitations may lead to.
func (f *fixture) portal(t *testing.T, tenantID, clientID string) store.Application {
	t.Helper()
	a, _, err := f.dir.CreateApplication(t.Context(), tenantID, directory.NewApplication{
		DisplayName: "Portal", ClientID: clientID, ClientType: store.ClientPublic,
		RedirectURIs: []string{portalRedirect}, GrantTypes: []string{"authorization_code"},
	})
	require.NoError(t, err)
	return a
}

func inviteBody(email string) map[string]any {
	return map[string]any{"invitedUserEmailAddress": email, "inviteRedirectUrl": portalRedirect}
}

func testInviteContract(t *testing.T, f *fixture) {
	ctx := t.Context()
	app := f.portal(t, f.a.ID, "portal")
	g := f.group(t, f.a.ID, "Partners")
	body := map[string]any{
		"invitedUserEmailAddress": "Bo@Fabrikam.example",
		"inviteRedirectUrl":       portalRedirect,
		"invitedUserDisplayName":  "Bo Smith",
		"invitedUserType":         "guest",
		"sendInvitationMessage":   true,
		"invitedUserMessageInfo": map[string]any{
			"customizedMessageBody": "Welcome!",
			"messageLanguage":       "en-US",
			"ccRecipients":          []any{map[string]any{"emailAddress": map[string]any{"address": "boss@contoso.example", "name": "Boss"}}},
		},
		"groupIds":       []string{g.ID},
		"applicationIds": []string{app.ID},
		"expiresIn":      "P2DT12H",
	}
	res := f.call(t, f.app(inviter...), "POST", "/v1.0/invitations", body)
	require.Equal(t, http.StatusCreated, res.status, res.raw)
	require.Equal(t, []string{"@odata.context", "expirationDateTime", "id", "inviteRedeemUrl", "inviteRedirectUrl",
		"invitedUser", "invitedUserDisplayName", "invitedUserEmailAddress", "invitedUserMessageInfo",
		"invitedUserType", "resetRedemption", "sendInvitationMessage", "status"}, keys(res.body))
	require.Equal(t, "https://foyer.example/v1.0/$metadata#invitations/$entity", res.body["@odata.context"])
	require.Equal(t, "PendingAcceptance", res.body["status"])
	require.Equal(t, "bo@fabrikam.example", res.body["invitedUserEmailAddress"])
	require.Equal(t, portalRedirect, res.body["inviteRedirectUrl"])
	require.Equal(t, "Bo Smith", res.body["invitedUserDisplayName"])
	require.Equal(t, "Guest", res.body["invitedUserType"])
	require.Equal(t, true, res.body["sendInvitationMessage"])
	require.Equal(t, false, res.body["resetRedemption"])
	require.Equal(t, "2026-11-29T21:00:00Z", res.body["expirationDateTime"])
	require.Equal(t, map[string]any{
		"customizedMessageBody": "Welcome!", "messageLanguage": "en-US",
		"ccRecipients": []any{map[string]any{"emailAddress": map[string]any{"address": "boss@contoso.example", "name": "Boss"}}},
	}, res.body["invitedUserMessageInfo"])
	redeem := res.body["inviteRedeemUrl"].(string)
	require.True(t, strings.HasPrefix(redeem, "https://foyer.example/t/contoso/redeem?token="), redeem)
	token := strings.TrimPrefix(redeem, "https://foyer.example/t/contoso/redeem?token=")
	require.GreaterOrEqual(t, len(token), 22, "≥128 bits")

	userID := res.body["invitedUser"].(map[string]any)["id"].(string)
	u, err := f.store.GetUser(ctx, f.a.ID, userID)
	require.NoError(t, err)
	require.Equal(t, "bo_fabrikam.example#EXT#@contoso.foyer.example", u.UserPrincipalName)
	require.Equal(t, store.ExternalStatePending, u.ExternalUserState)

	inv, err := f.store.GetInvitation(ctx, f.a.ID, res.body["id"].(string))
	require.NoError(t, err)
	require.NotContains(t, res.raw, inv.TokenHash, "never the hash")
	require.NotEqual(t, token, inv.TokenHash)
	mails, err := f.store.ListMail(ctx, store.MailFilter{TenantID: f.a.ID})
	require.NoError(t, err)
	require.Len(t, mails, 1)
	ok, err := f.store.IsAssigned(ctx, f.a.ID, app.ID, userID)
	require.NoError(t, err)
	require.True(t, ok)

	// The audit names the caller.
	events, err := f.store.ListAudit(ctx, store.AuditFilter{TenantID: f.a.ID, Activity: audit.ActivityInviteExternalUser})
	require.NoError(t, err)
	require.Len(t, events, 1)
	require.Equal(t, store.ActorApp, events[0].ActorType)
	require.Equal(t, "admin-script", events[0].ActorID)

	// Minimal body: no mail, Graph's defaults.
	res = f.call(t, f.app(inviter...), "POST", "/v1.0/invitations", inviteBody("al@fabrikam.example"))
	require.Equal(t, http.StatusCreated, res.status, res.raw)
	require.Equal(t, false, res.body["sendInvitationMessage"])
	require.Equal(t, "al@fabrikam.example", res.body["invitedUserDisplayName"])
	mails, err = f.store.ListMail(ctx, store.MailFilter{TenantID: f.a.ID})
	require.NoError(t, err)
	require.Len(t, mails, 1, "no message asked for, none sent")

	// Re-inviting: the same guest.
	again := f.call(t, f.app(inviter...), "POST", "/v1.0/invitations", inviteBody("BO@fabrikam.example"))
	require.Equal(t, http.StatusCreated, again.status, again.raw)
	require.Equal(t, userID, again.body["invitedUser"].(map[string]any)["id"])
	require.NotEqual(t, redeem, again.body["inviteRedeemUrl"])
}

func testInviteRefusesFields(t *testing.T, f *fixture) {
	f.portal(t, f.a.ID, "portal")
	for _, c := range []struct {
		name  string
		body  any
		parts []string
	}{
		{"read-only", map[string]any{"invitedUserEmailAddress": "x@y.example", "inviteRedirectUrl": portalRedirect,
			"id": "x", "status": "Accepted", "inviteRedeemUrl": "https://evil.example"},
			[]string{"'id' is read-only", "'status' is read-only", "'inviteRedeemUrl' is read-only"}},
		{"unknown", map[string]any{"invitedUserEmailAddress": "x@y.example", "inviteRedirectUrl": portalRedirect,
			"roles": []string{"Tenant Administrator"}}, []string{"Property 'roles' does not exist"}},
		{"unknown nested", map[string]any{"invitedUserEmailAddress": "x@y.example", "inviteRedirectUrl": portalRedirect,
			"invitedUserMessageInfo": map[string]any{"bcc": "x"}}, []string{"Property 'invitedUserMessageInfo.bcc' does not exist"}},
		{"unknown nested deep", map[string]any{"invitedUserEmailAddress": "x@y.example", "inviteRedirectUrl": portalRedirect,
			"invitedUserMessageInfo": map[string]any{"preferredColour": "teal", "ccRecipients": []any{
				map[string]any{"emailAddress": map[string]any{"address": "a@y.example"}},
				map[string]any{"emailAddress": map[string]any{"address": "b@y.example", "colour": "red"}}}}},
			[]string{"Property 'invitedUserMessageInfo.preferredColour' does not exist",
				"Property 'invitedUserMessageInfo.ccRecipients[1].emailAddress.colour' does not exist"}},
		{"types", map[string]any{"invitedUserEmailAddress": 1, "inviteRedirectUrl": portalRedirect,
			"sendInvitationMessage": "yes", "groupIds": "g"},
			[]string{"'invitedUserEmailAddress'", "'sendInvitationMessage'", "'groupIds'"}},
		{"required", map[string]any{}, []string{"'invitedUserEmailAddress': is required", "'inviteRedirectUrl': is required"}},
		{"expiresIn", map[string]any{"invitedUserEmailAddress": "x@y.example", "inviteRedirectUrl": portalRedirect,
			"expiresIn": "7 days"}, []string{"'expiresIn'"}},
		{"not json", "[1]", []string{"JSON object"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			res := f.call(t, f.app(inviter...), "POST", "/v1.0/invitations", c.body)
			f.requireError(t, res, http.StatusBadRequest, "Request_BadRequest", c.parts...)
		})
	}
	users, err := f.store.ListUsers(t.Context(), f.a.ID, store.UserFilter{UserType: store.UserTypeGuest})
	require.NoError(t, err)
	require.Empty(t, users)
}

func testInviteErrors(t *testing.T, f *fixture) {
	f.portal(t, f.a.ID, "portal")
	f.portal(t, f.b.ID, "other-portal")
	f.member(t, f.a.ID, "ada@contoso.example")
	for _, c := range []struct {
		name  string
		body  map[string]any
		parts []string
	}{
		{"member", inviteBody("Ada@contoso.example"), []string{"'invitedUserEmailAddress'", "member"}},
		{"bad email", inviteBody("ada"), []string{"'invitedUserEmailAddress'"}},
		{"open redirect", map[string]any{"invitedUserEmailAddress": "x@y.example", "inviteRedirectUrl": "https://evil.example/"},
			[]string{"'inviteRedirectUrl'"}},
		{"http", map[string]any{"invitedUserEmailAddress": "x@y.example", "inviteRedirectUrl": "http://portal.contoso.example/signin"},
			[]string{"'inviteRedirectUrl'", "https"}},
		{"javascript", map[string]any{"invitedUserEmailAddress": "x@y.example", "inviteRedirectUrl": "javascript:alert(1)"},
			[]string{"'inviteRedirectUrl'"}},
		{"fragment", map[string]any{"invitedUserEmailAddress": "x@y.example", "inviteRedirectUrl": portalRedirect + "#x"},
			[]string{"'inviteRedirectUrl'", "fragment"}},
		{"member type", map[string]any{"invitedUserEmailAddress": "x@y.example", "inviteRedirectUrl": portalRedirect,
			"invitedUserType": "Member"}, []string{"'invitedUserType'"}},
		{"another tenant's group", map[string]any{"invitedUserEmailAddress": "x@y.example", "inviteRedirectUrl": portalRedirect,
			"groupIds": []string{f.group(t, f.b.ID, "Theirs").ID}}, []string{"'groupIds'"}},
		{"invitedUser without reset", map[string]any{"invitedUserEmailAddress": "x@y.example", "inviteRedirectUrl": portalRedirect,
			"invitedUser": map[string]any{"id": "x"}}, []string{"'invitedUser.id'"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			res := f.call(t, f.app(inviter...), "POST", "/v1.0/invitations", c.body)
			f.requireError(t, res, http.StatusBadRequest, "Request_BadRequest", c.parts...)
		})
	}
	list, err := f.store.ListInvitations(t.Context(), f.a.ID, store.InvitationFilter{})
	require.NoError(t, err)
	require.Empty(t, list)
	events, err := f.store.ListAudit(t.Context(), store.AuditFilter{TenantID: f.a.ID, Activity: audit.ActivityInviteExternalUser})
	require.NoError(t, err)
	require.Len(t, events, 9)
	for _, e := range events {
		require.Equal(t, store.ResultFailure, e.Result)
		require.NotEmpty(t, e.Reason)
	}
}

// testInviteUnprovenGuest: an accepted guest whose account never proved
// its mail (here stored as such) is not re-used by an invitation of that
// address, which would add it to the groups asked for: a 400 naming
// invitedUserEmailAddress, until the admin resets its redemption.
func testInviteUnprovenGuest(t *testing.T, f *fixture) {
	ctx := t.Context()
	f.portal(t, f.a.ID, "portal")
	g := f.group(t, f.a.ID, "Finance")
	squatter := f.guest(t, f.a.ID, "cfo@contoso.example", store.ExternalStateAccepted)
	body := inviteBody("CFO@contoso.example")
	body["groupIds"] = []string{g.ID}
	res := f.call(t, f.app(inviter...), "POST", "/v1.0/invitations", body)
	f.requireError(t, res, http.StatusBadRequest, "Request_BadRequest", "'invitedUserEmailAddress'", "resetRedemption")
	members, err := f.store.ListGroupMembers(ctx, f.a.ID, g.ID)
	require.NoError(t, err)
	require.Empty(t, members, "the squatting guest got nothing")

	body["resetRedemption"] = true
	body["invitedUser"] = map[string]any{"id": squatter.ID}
	res = f.call(t, f.app(inviter...), "POST", "/v1.0/invitations", body)
	require.Equal(t, http.StatusCreated, res.status, res.raw)
	got, err := f.store.GetUser(ctx, f.a.ID, squatter.ID)
	require.NoError(t, err)
	require.Empty(t, got.Identities, "it must redeem again")
	require.Equal(t, store.ExternalStatePending, got.ExternalUserState)
}

func testInvitePermissions(t *testing.T, f *fixture) {
	f.portal(t, f.a.ID, "portal")
	// Members may not invite here (policy_test.go has every level).
	_, err := f.dir.SetInvitationPolicy(t.Context(), f.a.ID, store.InvitationPolicy{AllowInvitesFrom: store.InvitesFromAdminsAndGuestInviters})
	require.NoError(t, err)
	for _, roles := range [][]string{nil, {"User.ReadWrite.All"}, {"User.Read.All", "Group.ReadWrite.All"}} {
		res := f.call(t, f.app(roles...), "POST", "/v1.0/invitations", inviteBody("x@y.example"))
		f.requireError(t, res, http.StatusForbidden, "Authorization_RequestDenied")
		f.requireError(t, f.call(t, f.app(roles...), "GET", "/v1.0/invitations", nil), http.StatusForbidden, "Authorization_RequestDenied")
		f.requireError(t, f.call(t, f.app(roles...), "DELETE", "/v1.0/invitations/x", nil), http.StatusForbidden, "Authorization_RequestDenied")
	}
	ctx := t.Context()
	nobody := f.member(t, f.a.ID, "nobody@contoso.example")
	groupsOnly := f.member(t, f.a.ID, "groups@contoso.example")
	guestInviter := f.memberWithRole(t, f.a.ID, "inviter@contoso.example", directory.RoleGuestInviter)
	userAdmin := f.memberWithRole(t, f.a.ID, "useradmin@contoso.example", directory.RoleUserAdministrator)
	tenantAdmin := f.memberWithRole(t, f.a.ID, "admin@contoso.example", directory.RoleTenantAdministrator)
	for i, c := range []struct {
		user   store.User
		scp    []string
		status int
	}{
		{nobody, inviter, http.StatusForbidden},
		{groupsOnly, inviter, http.StatusForbidden},
		{guestInviter, []string{"User.ReadWrite.All"}, http.StatusForbidden},
		{guestInviter, inviter, http.StatusCreated},
		{userAdmin, inviter, http.StatusCreated},
		{tenantAdmin, inviter, http.StatusCreated},
	} {
		res := f.call(t, f.delegated(c.user.ID, c.scp...), "POST", "/v1.0/invitations",
			inviteBody("guest"+string(rune('a'+i))+"@fabrikam.example"))
		require.Equal(t, c.status, res.status, "%s: %s", c.user.Mail, res.raw)
	}
	events, err := f.store.ListAudit(ctx, store.AuditFilter{TenantID: f.a.ID, Activity: audit.ActivityInviteExternalUser})
	require.NoError(t, err)
	require.NotEmpty(t, events)
	require.Equal(t, store.ActorUser, events[0].ActorType)
}

func testInvitationsListAndRevoke(t *testing.T, f *fixture) {
	f.portal(t, f.a.ID, "portal")
	f.portal(t, f.b.ID, "other-portal")
	mine := f.call(t, f.app(inviter...), "POST", "/v1.0/invitations", inviteBody("bo@fabrikam.example"))
	require.Equal(t, http.StatusCreated, mine.status, mine.raw)
	second := f.call(t, f.app(inviter...), "POST", "/v1.0/invitations", inviteBody("al@fabrikam.example"))
	require.Equal(t, http.StatusCreated, second.status, second.raw)
	theirs, _, err := f.dir.Invite(t.Context(), f.b.ID, directory.InviteInput{Email: "cy@fabrikam.example", RedirectURL: portalRedirect})
	require.NoError(t, err)

	res := f.call(t, f.app(inviter...), "GET", "/v1.0/invitations", nil)
	items := values(t, res)
	require.ElementsMatch(t, []string{mine.body["id"].(string), second.body["id"].(string)}, ids(items))
	for _, it := range items {
		require.Nil(t, it["inviteRedeemUrl"], "shown only when made")
		require.Equal(t, "PendingAcceptance", it["status"])
	}
	stored, err := f.store.ListInvitations(t.Context(), f.a.ID, store.InvitationFilter{})
	require.NoError(t, err)
	for _, inv := range stored {
		require.NotContains(t, res.raw, inv.TokenHash)
	}

	// Another tenant's invitation is not there.
	f.requireError(t, f.call(t, f.app(inviter...), "DELETE", "/v1.0/invitations/"+theirs.ID, nil),
		http.StatusNotFound, "Request_ResourceNotFound")
	_, err = f.store.GetInvitation(t.Context(), f.b.ID, theirs.ID)
	require.NoError(t, err)

	del := f.call(t, f.app(inviter...), "DELETE", "/v1.0/invitations/"+mine.body["id"].(string), nil)
	require.Equal(t, http.StatusNoContent, del.status, del.raw)
	f.requireError(t, f.call(t, f.app(inviter...), "DELETE", "/v1.0/invitations/"+mine.body["id"].(string), nil),
		http.StatusNotFound, "Request_ResourceNotFound")
	require.Equal(t, []string{second.body["id"].(string)}, ids(values(t, f.call(t, f.app(inviter...), "GET", "/v1.0/invitations", nil))))
	events, err := f.store.ListAudit(t.Context(), store.AuditFilter{TenantID: f.a.ID, Activity: audit.ActivityDeleteExternalUser})
	require.NoError(t, err)
	require.Len(t, events, 3, "the refused other-tenant attempt, the success, the refused repeat")
}

func testInvitationsFilter(t *testing.T, f *fixture) {
	ctx := t.Context()
	f.portal(t, f.a.ID, "portal")
	f.portal(t, f.b.ID, "other-portal")
	invite := func(email string) string {
		t.Helper()
		res := f.call(t, f.app(inviter...), "POST", "/v1.0/invitations", inviteBody(email))
		require.Equal(t, http.StatusCreated, res.status, res.raw)
		return res.body["id"].(string)
	}
	pending := invite("bo@fabrikam.example")
	accepted := invite("al@fabrikam.example")
	revoked := invite("cy@fabrikam.example")
	inv, err := f.store.GetInvitation(ctx, f.a.ID, accepted)
	require.NoError(t, err)
	_, err = f.store.RedeemInvitation(ctx, f.a.ID, inv.TokenHash, f.now)
	require.NoError(t, err)
	// Revoked in the store, so the guest (and with it the invitation)
	// stays, as for a guest who redeemed another invitation before.
	require.NoError(t, f.store.RevokeInvitation(ctx, f.a.ID, revoked))
	_, _, err = f.dir.Invite(ctx, f.b.ID, directory.InviteInput{Email: "bo@fabrikam.example", RedirectURL: portalRedirect})
	require.NoError(t, err) // another tenant's, never listed

	list := func(filter string) []string {
		t.Helper()
		target := "/v1.0/invitations"
		if filter != "" {
			target += "?$filter=" + url.QueryEscape(filter)
		}
		return ids(values(t, f.call(t, f.app(inviter...), "GET", target, nil)))
	}
	for _, c := range []struct {
		filter string
		want   []string
	}{
		{"", []string{pending}},
		{"status eq 'PendingAcceptance'", []string{pending}},
		{"status eq 'Accepted'", []string{accepted}},
		{"status eq 'revoked'", []string{revoked}},
		{"invitedUserEmailAddress eq 'Bo@Fabrikam.example'", []string{pending}},
		{"invitedUserEmailAddress eq 'al@fabrikam.example'", nil},
		{"invitedUserEmailAddress eq 'al@fabrikam.example' and status eq 'Accepted'", []string{accepted}},
		{"status eq 'Accepted' and invitedUserEmailAddress eq 'bo@fabrikam.example'", nil},
		{"invitedUserEmailAddress eq 'nobody@fabrikam.example'", nil},
	} {
		t.Run(c.filter, func(t *testing.T) {
			require.Equal(t, c.want, list(c.filter))
		})
	}
	items := values(t, f.call(t, f.app(inviter...), "GET", "/v1.0/invitations?$filter="+url.QueryEscape("status eq 'Accepted'"), nil))
	require.Equal(t, "Accepted", items[0]["status"])

	for _, c := range []struct{ filter, code, part string }{
		{"status eq 'Pending'", "Request_BadRequest", "'Pending'"},
		{"status eq ''", "Request_BadRequest", "'status'"},
		{"inviteRedirectUrl eq 'x'", "Request_UnsupportedQuery", "'inviteRedirectUrl'"},
		{"status ne 'Accepted'", "Request_UnsupportedQuery", "'status'"},
		{"status eq Accepted", "Request_BadRequest", "quoted"},
	} {
		t.Run(c.filter, func(t *testing.T) {
			f.requireError(t, f.call(t, f.app(inviter...), "GET", "/v1.0/invitations?$filter="+url.QueryEscape(c.filter), nil),
				http.StatusBadRequest, c.code, c.part)
		})
	}
}

// testInvitationsFilterPages: the filter carries into the next link.
func testInvitationsFilterPages(t *testing.T, f *fixture) {
	f.portal(t, f.a.ID, "portal")
	var want []string
	for _, n := range []string{"a", "b", "c"} {
		res := f.call(t, f.app(inviter...), "POST", "/v1.0/invitations", inviteBody(n+"@fabrikam.example"))
		require.Equal(t, http.StatusCreated, res.status, res.raw)
		want = append(want, res.body["id"].(string))
	}
	var got []string
	next := "/v1.0/invitations?$top=2&$filter=" + url.QueryEscape("status eq 'PendingAcceptance'")
	for pages := 0; next != ""; pages++ {
		require.Less(t, pages, 3)
		res := f.call(t, f.app(inviter...), "GET", next, nil)
		got = append(got, ids(values(t, res))...)
		next, _ = res.body["@odata.nextLink"].(string)
		if next != "" {
			require.Contains(t, next, "$filter=")
		}
	}
	sort.Strings(want)
	require.Equal(t, want, got)
}
