package api_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/internal/audit"
	"github.com/foyer-idp/foyer/internal/directory"
	"github.com/foyer-idp/foyer/internal/store"
	"github.com/foyer-idp/foyer/internal/store/sqlstore/sqltest"
)

// The routes the remote CLI's users and groups commands need beyond the
// basic ones: a group's owners, a user's memberOf, and PATCH of a user's
// user principal name and password.
func TestUsersAndGroupsForTheCLI(t *testing.T) {
	t.Parallel()
	sqltest.RunSuite(t, []sqltest.Case[*fixture]{
		{Name: "GroupOwners", Fn: testGroupOwners},
		{Name: "UserMemberOf", Fn: testUserMemberOf},
		{Name: "PatchUserPrincipalNameAndPassword", Fn: testPatchUPNAndPassword},
		{Name: "PatchPasswordRefusals", Fn: testPatchPasswordRefusals},
	}, newFixture)
}

func testGroupOwners(t *testing.T, f *fixture) {
	g := f.group(t, f.a.ID, "Partners")
	ada := f.member(t, f.a.ID, "ada@contoso.example")
	bob := f.member(t, f.b.ID, "bob@fabrikam.example")
	p := f.app("Group.ReadWrite.All")
	owners := "/v1.0/groups/" + g.ID + "/owners"

	res := f.call(t, p, "POST", owners+"/$ref", map[string]any{"@odata.id": "https://graph.microsoft.com/v1.0/directoryObjects/" + ada.ID})
	require.Equal(t, http.StatusNoContent, res.status, res.raw)
	f.requireError(t, f.call(t, p, "POST", owners+"/$ref", map[string]any{"@odata.id": "https://x/v1.0/directoryObjects/" + ada.ID}),
		http.StatusBadRequest, "Request_BadRequest", "'owners'")
	f.requireError(t, f.call(t, p, "POST", owners+"/$ref", map[string]any{"@odata.id": "https://x/v1.0/directoryObjects/" + bob.ID}),
		http.StatusNotFound, "Request_ResourceNotFound", bob.ID) // another tenant's user is nobody here
	f.requireError(t, f.call(t, p, "POST", owners+"/$ref", `{"@odata.id":"https://x/v1.0/users/`+ada.ID+`","extra":1}`),
		http.StatusBadRequest, "Request_BadRequest", "'extra'")

	items := values(t, f.call(t, p, "GET", owners, nil))
	require.Equal(t, []string{ada.ID}, ids(items))
	require.Equal(t, "#microsoft.graph.user", items[0]["@odata.type"])
	require.Equal(t, "ada@contoso.example", items[0]["userPrincipalName"])
	refs := values(t, f.call(t, p, "GET", owners+"/$ref", nil))
	require.Equal(t, []map[string]any{{"@odata.id": "https://foyer.example/v1.0/directoryObjects/" + ada.ID}}, refs)
	got, err := f.dir.GroupOwners(t.Context(), f.a.ID, g.ID)
	require.NoError(t, err)
	require.Len(t, got, 1)

	// Only callers who may change groups.
	plain := f.member(t, f.a.ID, "plain@contoso.example")
	f.requireError(t, f.call(t, f.delegated(plain.ID, "Group.ReadWrite.All"), "POST", owners+"/$ref",
		map[string]any{"@odata.id": "https://x/v1.0/directoryObjects/" + plain.ID}), http.StatusForbidden, "Authorization_RequestDenied")
	f.requireError(t, f.call(t, f.app("User.ReadWrite.All"), "GET", owners, nil), http.StatusForbidden, "Authorization_RequestDenied")

	res = f.call(t, p, "DELETE", owners+"/"+ada.ID+"/$ref", nil)
	require.Equal(t, http.StatusNoContent, res.status, res.raw)
	f.requireError(t, f.call(t, p, "DELETE", owners+"/"+ada.ID+"/$ref", nil), http.StatusNotFound, "Request_ResourceNotFound")
	require.Empty(t, values(t, f.call(t, p, "GET", owners, nil)))
	f.requireError(t, f.call(t, p, "GET", "/v1.0/groups/nobody/owners", nil), http.StatusNotFound, "Request_ResourceNotFound")
	other := f.group(t, f.b.ID, "Theirs")
	f.requireError(t, f.call(t, p, "GET", "/v1.0/groups/"+other.ID+"/owners", nil), http.StatusNotFound, "Request_ResourceNotFound")
}

func testUserMemberOf(t *testing.T, f *fixture) {
	ada := f.memberWithRole(t, f.a.ID, "ada@contoso.example", directory.RoleGuestInviter)
	g := f.group(t, f.a.ID, "Staff")
	require.NoError(t, f.dir.AddGroupMember(t.Context(), f.a.ID, g.ID, ada.ID))
	p := f.app("User.ReadWrite.All")
	res := f.call(t, p, "GET", "/v1.0/users/ada@contoso.example/memberOf", nil)
	items := values(t, res)
	require.Len(t, items, 2)
	types := map[string]map[string]any{}
	for _, it := range items {
		types[it["@odata.type"].(string)] = it
	}
	require.Equal(t, g.ID, types["#microsoft.graph.group"]["id"])
	require.Equal(t, directory.RoleGuestInviter, types["#microsoft.graph.directoryRole"]["displayName"])
	require.Equal(t, inviterDef, types["#microsoft.graph.directoryRole"]["roleTemplateId"])

	f.requireError(t, f.call(t, f.app("Group.ReadWrite.All"), "GET", "/v1.0/users/"+ada.ID+"/memberOf", nil),
		http.StatusForbidden, "Authorization_RequestDenied")
	f.requireError(t, f.call(t, p, "GET", "/v1.0/users/nobody/memberOf", nil), http.StatusNotFound, "Request_ResourceNotFound")
	bob := f.member(t, f.b.ID, "bob@fabrikam.example")
	f.requireError(t, f.call(t, p, "GET", "/v1.0/users/"+bob.ID+"/memberOf", nil), http.StatusNotFound, "Request_ResourceNotFound")
}

func testPatchUPNAndPassword(t *testing.T, f *fixture) {
	ada := f.member(t, f.a.ID, "ada@contoso.example")
	p := f.app("User.ReadWrite.All")
	res := f.call(t, p, "PATCH", "/v1.0/users/"+ada.ID, map[string]any{"userPrincipalName": "ada.l@contoso.example"})
	require.Equal(t, http.StatusNoContent, res.status, res.raw)
	u, err := f.dir.User(t.Context(), f.a.ID, ada.ID)
	require.NoError(t, err)
	require.Equal(t, "ada.l@contoso.example", u.UserPrincipalName)

	// A password is reset by a signed-in administrator; an app may not.
	f.requireError(t, f.call(t, p, "PATCH", "/v1.0/users/"+ada.ID, map[string]any{"passwordProfile": map[string]any{"password": "a new long one"}}),
		http.StatusForbidden, "Authorization_RequestDenied")
	admin := f.memberWithRole(t, f.a.ID, "una@contoso.example", directory.RoleUserAdministrator)
	p = f.delegated(admin.ID, "User.ReadWrite.All")
	res = f.call(t, p, "PATCH", "/v1.0/users/"+ada.ID, map[string]any{"passwordProfile": map[string]any{"password": "a new long one"}})
	require.Equal(t, http.StatusNoContent, res.status, res.raw)
	_, err = f.dir.VerifyPassword(t.Context(), f.a.ID, "ada.l@contoso.example", "a new long one")
	require.NoError(t, err, "the new password signs in")
	_, err = f.dir.VerifyPassword(t.Context(), f.a.ID, "ada.l@contoso.example", "foyer-dev-pw")
	require.Error(t, err, "the old one does not")

	// Both at once, with forceChangePasswordNextSignIn false.
	res = f.call(t, p, "PATCH", "/v1.0/users/"+ada.ID, map[string]any{"displayName": "Ada L",
		"passwordProfile": map[string]any{"password": "a third long one", "forceChangePasswordNextSignIn": false}})
	require.Equal(t, http.StatusNoContent, res.status, res.raw)
	u, err = f.dir.VerifyPassword(t.Context(), f.a.ID, "ada.l@contoso.example", "a third long one")
	require.NoError(t, err)
	require.Equal(t, "Ada L", u.DisplayName)
	require.NotContains(t, f.call(t, p, "GET", "/v1.0/users/"+ada.ID, nil).raw, "password")

	events, err := f.store.ListAudit(t.Context(), store.AuditFilter{TenantID: f.a.ID, Activity: audit.ActivityResetPassword})
	require.NoError(t, err)
	require.Len(t, events, 2)
	require.Equal(t, store.ActorUser, events[0].ActorType)
	require.Equal(t, admin.ID, events[0].ActorID)
	require.Equal(t, ada.ID, events[0].TargetID)
}

func testPatchPasswordRefusals(t *testing.T, f *fixture) {
	ada := f.member(t, f.a.ID, "ada@contoso.example")
	root := f.memberWithRole(t, f.a.ID, "root@contoso.example", directory.RoleTenantAdministrator)
	una := f.memberWithRole(t, f.a.ID, "una@contoso.example", directory.RoleUserAdministrator)
	p := f.delegated(una.ID, "User.ReadWrite.All")
	for _, c := range []struct {
		name string
		body any
		want string
	}{
		{"too short, with a name: nothing changes", map[string]any{"displayName": "Changed", "passwordProfile": map[string]any{"password": "short"}},
			"'passwordProfile.password'"},
		{"no password", map[string]any{"passwordProfile": map[string]any{}}, "'passwordProfile.password'"},
		{"null profile", map[string]any{"passwordProfile": nil}, "'passwordProfile.password'"},
		{"unknown nested property", map[string]any{"passwordProfile": map[string]any{"password": "long enough one", "colour": 1}},
			"'passwordProfile.colour'"},
		{"forced change not a boolean", map[string]any{"passwordProfile": map[string]any{"forceChangePasswordNextSignIn": "yes"}},
			"passwordProfile"},
		{"password not text", map[string]any{"passwordProfile": map[string]any{"password": 12345678}}, "passwordProfile"},
		{"bad upn", map[string]any{"userPrincipalName": "not an address"}, "'userPrincipalName'"},
	} {
		t.Run(c.name, func(t *testing.T) {
			f.requireError(t, f.call(t, p, "PATCH", "/v1.0/users/"+ada.ID, c.body), http.StatusBadRequest, "Request_BadRequest", c.want)
		})
	}
	u, err := f.dir.VerifyPassword(t.Context(), f.a.ID, "ada@contoso.example", "foyer-dev-pw")
	require.NoError(t, err, "the password is unchanged")
	require.Equal(t, "ada@contoso.example", u.DisplayName, "and so is the name")

	// A guest has no password here: it would sign in past their home
	// account. The whole body is refused.
	gina := f.guest(t, f.a.ID, "gina@partner.example", store.ExternalStateAccepted)
	f.requireError(t, f.call(t, p, "PATCH", "/v1.0/users/"+gina.ID, map[string]any{"displayName": "Gina G",
		"passwordProfile": map[string]any{"password": "a guest's new one"}}), http.StatusBadRequest, "Request_BadRequest",
		"'passwordProfile.password'", "guest")
	_, err = f.dir.VerifyPassword(t.Context(), f.a.ID, "gina@partner.example", "a guest's new one")
	require.Error(t, err)
	g, err := f.dir.User(t.Context(), f.a.ID, gina.ID)
	require.NoError(t, err)
	require.Equal(t, "gina@partner.example", g.DisplayName)

	// A User Administrator may not set a Tenant Administrator's password,
	// an app nobody's, nor a member without rights anyone's.
	f.requireError(t, f.call(t, p, "PATCH", "/v1.0/users/"+root.ID, map[string]any{"passwordProfile": map[string]any{"password": "taken over now"}}),
		http.StatusForbidden, "Authorization_RequestDenied")
	f.requireError(t, f.call(t, f.app("User.ReadWrite.All"), "PATCH", "/v1.0/users/"+ada.ID,
		map[string]any{"passwordProfile": map[string]any{"password": "taken over now"}}), http.StatusForbidden, "Authorization_RequestDenied")
	plain := f.member(t, f.a.ID, "plain@contoso.example")
	f.requireError(t, f.call(t, f.delegated(plain.ID, "User.ReadWrite.All"), "PATCH", "/v1.0/users/"+ada.ID,
		map[string]any{"passwordProfile": map[string]any{"password": "taken over now"}}), http.StatusForbidden, "Authorization_RequestDenied")
	_, err = f.dir.VerifyPassword(t.Context(), f.a.ID, "root@contoso.example", "foyer-dev-pw")
	require.NoError(t, err)
	_, err = f.dir.VerifyPassword(t.Context(), f.a.ID, "ada@contoso.example", "foyer-dev-pw")
	require.NoError(t, err)
}
