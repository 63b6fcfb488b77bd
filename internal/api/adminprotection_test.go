package api_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/internal/directory"
	"github.com/foyer-idp/foyer/internal/store"
	"github.com/foyer-idp/foyer/internal/store/sqlstore/sqltest"
)

// TestAdminProtection: how the API answers the directory's rules for
// administrators, on each back end.
func TestAdminProtection(t *testing.T) {
	t.Parallel()
	sqltest.RunSuite(t, []sqltest.Case[*fixture]{
		{Name: "PrivilegedTargets", Fn: testPrivilegedTargets},
		{Name: "LastTenantAdministrator", Fn: testLastTenantAdministratorAnswer},
		{Name: "PathIdentifiersAreExact", Fn: testPathIdentifiersAreExact},
		{Name: "ResetRedemptionNeedsAdministrator", Fn: testResetNeedsAdministrator},
	}, newFixture)
}

func (f *fixture) withRole(t *testing.T, mail, role string) store.User {
	t.Helper()
	u := f.member(t, f.a.ID, mail)
	require.NoError(t, f.dir.AssignRole(t.Context(), f.a.ID, u.ID, role))
	return u
}

func testPrivilegedTargets(t *testing.T, f *fixture) {
	ta := f.withRole(t, "ta@contoso.example", directory.RoleTenantAdministrator)
	f.withRole(t, "ta2@contoso.example", directory.RoleTenantAdministrator)
	ua := f.withRole(t, "ua@contoso.example", directory.RoleUserAdministrator)
	gi := f.withRole(t, "gi@contoso.example", directory.RoleGuestInviter)
	app := f.app("User.ReadWrite.All")
	for _, target := range []store.User{ta, ua} {
		for _, c := range []struct{ method, body string }{
			{"PATCH", `{"accountEnabled":false}`}, {"PATCH", `{"mail":"cfo@contoso.example"}`}, {"DELETE", ""},
		} {
			var body any
			if c.body != "" {
				body = c.body
			}
			res := f.call(t, app, c.method, "/v1.0/users/"+target.ID, body)
			f.requireError(t, res, http.StatusForbidden, "Authorization_RequestDenied", "An application may not change")
		}
	}
	res := f.call(t, app, "PATCH", "/v1.0/users/"+gi.ID, map[string]any{"displayName": "Gi"})
	require.Equal(t, http.StatusNoContent, res.status, res.raw)

	asUA := f.delegated(ua.ID, "User.ReadWrite.All")
	res = f.call(t, asUA, "DELETE", "/v1.0/users/"+ta.ID, nil)
	f.requireError(t, res, http.StatusForbidden, "Authorization_RequestDenied", "Only a Tenant Administrator")
	res = f.call(t, asUA, "PATCH", "/v1.0/users/"+gi.ID, map[string]any{"accountEnabled": false})
	require.Equal(t, http.StatusNoContent, res.status, res.raw)
	res = f.call(t, f.delegated(ta.ID, "User.ReadWrite.All"), "PATCH", "/v1.0/users/"+ua.ID, map[string]any{"displayName": "Ua"})
	require.Equal(t, http.StatusNoContent, res.status, res.raw)

	got, err := f.store.GetUser(t.Context(), f.a.ID, ta.ID)
	require.NoError(t, err)
	require.True(t, got.AccountEnabled)
	require.Equal(t, "ta@contoso.example", got.Mail)
}

func testLastTenantAdministratorAnswer(t *testing.T, f *fixture) {
	ta := f.withRole(t, "ta@contoso.example", directory.RoleTenantAdministrator)
	p := f.delegated(ta.ID, "User.ReadWrite.All")
	res := f.call(t, p, "PATCH", "/v1.0/users/"+ta.ID, map[string]any{"accountEnabled": false})
	f.requireError(t, res, http.StatusBadRequest, "Request_BadRequest",
		"ta@contoso.example is the organisation's last enabled Tenant Administrator")
	require.NotContains(t, res.raw, "Invalid value specified")
	res = f.call(t, p, "DELETE", "/v1.0/users/ta@contoso.example", nil)
	f.requireError(t, res, http.StatusBadRequest, "Request_BadRequest", "last enabled Tenant Administrator")
}

func testPathIdentifiersAreExact(t *testing.T, f *fixture) {
	u := f.member(t, f.a.ID, "bo@contoso.example")
	app := f.app(admin...)
	for _, ref := range []string{"bo@contoso.example%20", "%20bo@contoso.example", u.ID + "%20",
		"%3Cbo@contoso.example%3E"} {
		res := f.call(t, app, "DELETE", "/v1.0/users/"+ref, nil)
		f.requireError(t, res, http.StatusNotFound, "Request_ResourceNotFound")
		res = f.call(t, app, "GET", "/v1.0/users/"+ref, nil)
		f.requireError(t, res, http.StatusNotFound, "Request_ResourceNotFound")
	}
	// A control character is refused before any look-up.
	for _, method := range []string{"DELETE", "GET"} {
		res := f.call(t, app, method, "/v1.0/users/bo@contoso.example%09", nil)
		f.requireError(t, res, http.StatusBadRequest, "Request_BadRequest")
	}
	res := f.call(t, app, "GET", "/v1.0/users/BO@Contoso.Example", nil)
	require.Equal(t, http.StatusOK, res.status, "the address in another case is the same user")
	require.Equal(t, u.ID, res.body["id"])
}

func testResetNeedsAdministrator(t *testing.T, f *fixture) {
	f.portal(t, f.a.ID, "portal")
	f.setLevel(t, f.a.ID, store.InvitesFromEveryone)
	guest := f.guest(t, f.a.ID, "kim@fabrikam.example", store.ExternalStateAccepted)
	body := inviteBody(guest.Mail)
	body["resetRedemption"] = true
	body["invitedUser"] = map[string]any{"id": guest.ID}
	gi := f.withRole(t, "gi@contoso.example", directory.RoleGuestInviter)
	employee := f.member(t, f.a.ID, "employee@contoso.example")
	for _, u := range []store.User{gi, employee} {
		res := f.call(t, f.delegated(u.ID, inviter...), "POST", "/v1.0/invitations", body)
		f.requireError(t, res, http.StatusForbidden, "Authorization_RequestDenied", "Only a User Administrator or Tenant Administrator")
	}
	got, err := f.store.GetUser(t.Context(), f.a.ID, guest.ID)
	require.NoError(t, err)
	require.Equal(t, store.ExternalStateAccepted, got.ExternalUserState)
	require.NotEmpty(t, got.Identities)

	ua := f.withRole(t, "ua@contoso.example", directory.RoleUserAdministrator)
	res := f.call(t, f.delegated(ua.ID, inviter...), "POST", "/v1.0/invitations", body)
	require.Equal(t, http.StatusCreated, res.status, res.raw)
	require.Equal(t, true, res.body["resetRedemption"])
}
