package api_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/internal/api"
	"github.com/foyer-idp/foyer/internal/audit"
	"github.com/foyer-idp/foyer/internal/directory"
	"github.com/foyer-idp/foyer/internal/store"
	"github.com/foyer-idp/foyer/internal/store/sqlstore/sqltest"
)

// TestCreateUser: POST /v1.0/users makes a member, on each back end.
func TestCreateUser(t *testing.T) {
	t.Parallel()
	sqltest.RunSuite(t, []sqltest.Case[*fixture]{
		{Name: "Creates", Fn: testCreateUser},
		{Name: "Refuses", Fn: testCreateUserRefuses},
		{Name: "ForcedPasswordChange", Fn: testCreateUserForcedPasswordChange},
		{Name: "PatchPasswordProfile", Fn: testPatchPasswordProfile},
		{Name: "PatchPasswordProfileRefuses", Fn: testPatchPasswordProfileRefuses},
	}, newFixture)
}

const newPassword = "correct-horse-battery-staple-42"

func testCreateUser(t *testing.T, f *fixture) {
	p := f.app("User.ReadWrite.All")
	res := f.call(t, p, "POST", "/v1.0/users", map[string]any{
		"accountEnabled": true, "displayName": "Ada Lovelace", "mailNickname": "ada", "givenName": "Ada", "surname": "Lovelace",
		"userPrincipalName": "Ada@Contoso.example", "mail": "ada.lovelace@contoso.example",
		"passwordProfile": map[string]any{"password": newPassword, "forceChangePasswordNextSignIn": false},
	})
	require.Equal(t, http.StatusCreated, res.status, res.raw)
	id := res.body["id"].(string)
	require.Equal(t, "https://foyer.example/v1.0/users/"+id, res.header.Get("Location"))
	require.Equal(t, "ada@contoso.example", res.body["userPrincipalName"])
	require.Equal(t, "ada.lovelace@contoso.example", res.body["mail"])
	require.Equal(t, "Member", res.body["userType"])
	require.Equal(t, true, res.body["accountEnabled"])
	require.NotContains(t, res.body, "passwordProfile")

	// The password goes through the same hasher as the CLI's: it signs in.
	u, err := f.dir.VerifyPassword(t.Context(), f.a.ID, "ada@contoso.example", newPassword)
	require.NoError(t, err)
	require.Equal(t, id, u.ID)
	got := f.call(t, p, "GET", "/v1.0/users/"+id, nil)
	list := f.call(t, p, "GET", "/v1.0/users", nil)
	f.requireNotLeaked(t, newPassword, res.raw, got.raw, list.raw)
	require.Equal(t, "admin-script", f.requireAudited(t, audit.ActivityAddUser, id).ActorID)

	// Without a password the member exists but cannot sign in with one;
	// disabled when asked.
	res = f.call(t, p, "POST", "/v1.0/users", map[string]any{"accountEnabled": false, "displayName": "Bob", "mailNickname": "bob",
		"userPrincipalName": "bob@contoso.example"})
	require.Equal(t, http.StatusCreated, res.status, res.raw)
	require.Equal(t, false, res.body["accountEnabled"])

	// A User Administrator may create members.
	ua := f.memberWithRole(t, f.a.ID, "ua@contoso.example", directory.RoleUserAdministrator)
	res = f.call(t, f.delegated(ua.ID, "User.ReadWrite.All"), "POST", "/v1.0/users",
		map[string]any{"displayName": "Cy", "userPrincipalName": "cy@contoso.example"})
	require.Equal(t, http.StatusCreated, res.status, res.raw)
	require.Equal(t, ua.ID, f.requireAudited(t, audit.ActivityAddUser, res.body["id"].(string)).ActorID)
}

func testCreateUserRefuses(t *testing.T, f *fixture) {
	f.member(t, f.a.ID, "taken@contoso.example")
	member := f.member(t, f.a.ID, "plain@contoso.example")
	p := f.app("User.ReadWrite.All")
	before, err := f.dir.Users(t.Context(), f.a.ID, store.UserFilter{})
	require.NoError(t, err)
	for _, c := range []struct {
		name   string
		p      *api.Principal
		body   map[string]any
		status int
		code   string
		parts  []string
	}{
		{"display name required", p, map[string]any{"userPrincipalName": "x@contoso.example"}, http.StatusBadRequest, "Request_BadRequest", []string{"'displayName'"}},
		{"bad address", p, map[string]any{"displayName": "X", "userPrincipalName": "not an address"}, http.StatusBadRequest, "Request_BadRequest", []string{"'userPrincipalName'"}},
		{"short password", p, map[string]any{"displayName": "X", "userPrincipalName": "x@contoso.example",
			"passwordProfile": map[string]any{"password": "short"}}, http.StatusBadRequest, "Request_BadRequest", []string{"'passwordProfile.password'"}},
		{"forced change without a password", p, map[string]any{"displayName": "X", "userPrincipalName": "x@contoso.example",
			"passwordProfile": map[string]any{"forceChangePasswordNextSignIn": true}},
			http.StatusBadRequest, "Request_BadRequest", []string{"'passwordProfile.forceChangePasswordNextSignIn'", "needs a password"}},
		{"forced change not a boolean", p, map[string]any{"displayName": "X", "userPrincipalName": "x@contoso.example",
			"passwordProfile": map[string]any{"password": newPassword, "forceChangePasswordNextSignIn": "yes"}},
			http.StatusBadRequest, "Request_BadRequest", []string{"'passwordProfile'"}},
		{"unknown nested", p, map[string]any{"displayName": "X", "userPrincipalName": "x@contoso.example",
			"passwordProfile": map[string]any{"password": newPassword, "forceChangePasswordNextSignInWithMfa": true}},
			http.StatusBadRequest, "Request_BadRequest", []string{"Property 'passwordProfile.forceChangePasswordNextSignInWithMfa' does not exist"}},
		{"guests come with invitations", p, map[string]any{"displayName": "X", "userPrincipalName": "x@contoso.example", "userType": "Guest"},
			http.StatusBadRequest, "Request_BadRequest", []string{"'userType' is read-only"}},
		{"taken", p, map[string]any{"displayName": "X", "userPrincipalName": "TAKEN@contoso.example"}, http.StatusBadRequest, "ObjectConflict", []string{"userPrincipalName"}},
		{"types", p, map[string]any{"displayName": 1, "accountEnabled": "yes", "passwordProfile": "pw"}, http.StatusBadRequest, "Request_BadRequest",
			[]string{"'displayName'", "'accountEnabled'", "'passwordProfile'"}},
		{"no permission", f.app("Group.ReadWrite.All"), map[string]any{"displayName": "X", "userPrincipalName": "x@contoso.example"},
			http.StatusForbidden, "Authorization_RequestDenied", nil},
		{"delegated member without a role", f.delegated(member.ID, "User.ReadWrite.All"),
			map[string]any{"displayName": "X", "userPrincipalName": "x@contoso.example"}, http.StatusForbidden, "Authorization_RequestDenied", nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			res := f.call(t, c.p, "POST", "/v1.0/users", c.body)
			f.requireError(t, res, c.status, c.code, c.parts...)
			require.NotContains(t, res.raw, newPassword)
		})
	}
	after, err := f.dir.Users(t.Context(), f.a.ID, store.UserFilter{})
	require.NoError(t, err)
	require.Equal(t, len(before), len(after), "no refused request made a user")
	f.requireNotLeaked(t, newPassword)
}

// passwordProfileOf reads a user's passwordProfile as GET answers it with
// $select.
func (f *fixture) passwordProfileOf(t *testing.T, p *api.Principal, id string) map[string]any {
	t.Helper()
	res := f.call(t, p, "GET", "/v1.0/users/"+id+"?$select=id,passwordProfile", nil)
	require.Equal(t, http.StatusOK, res.status, res.raw)
	profile, ok := res.body["passwordProfile"].(map[string]any)
	require.True(t, ok, res.raw)
	return profile
}

// A member created with forceChangePasswordNextSignIn keeps the flag; GET
// answers it only when selected, with the password null, as Graph does.
func testCreateUserForcedPasswordChange(t *testing.T, f *fixture) {
	p := f.app("User.ReadWrite.All")
	res := f.call(t, p, "POST", "/v1.0/users", map[string]any{"displayName": "Ada", "userPrincipalName": "ada@contoso.example",
		"passwordProfile": map[string]any{"password": newPassword, "forceChangePasswordNextSignIn": true}})
	require.Equal(t, http.StatusCreated, res.status, res.raw)
	id := res.body["id"].(string)
	u, err := f.store.GetUserCore(t.Context(), f.a.ID, id)
	require.NoError(t, err)
	require.True(t, u.ForceChangePassword)

	require.Equal(t, map[string]any{"forceChangePasswordNextSignIn": true, "password": nil}, f.passwordProfileOf(t, p, id))
	got := f.call(t, p, "GET", "/v1.0/users/"+id, nil)
	require.NotContains(t, got.body, "passwordProfile", "only when selected")
	list := f.call(t, p, "GET", "/v1.0/users?$select=id,passwordProfile", nil)
	require.Equal(t, http.StatusOK, list.status, list.raw)
	require.Contains(t, list.raw, `"forceChangePasswordNextSignIn":true`)
	f.requireNotLeaked(t, newPassword, res.raw, got.raw, list.raw)
}

// PATCH passwordProfile: the flag on and off (audited as Update user with
// the old and new value) and an administrator's reset with it, in one
// request.
func testPatchPasswordProfile(t *testing.T, f *fixture) {
	ctx := t.Context()
	app := f.app("User.ReadWrite.All")
	alex := f.member(t, f.a.ID, "alex@contoso.example")
	for _, force := range []bool{true, false} {
		res := f.call(t, app, "PATCH", "/v1.0/users/"+alex.ID, map[string]any{
			"passwordProfile": map[string]any{"forceChangePasswordNextSignIn": force}})
		require.Equal(t, http.StatusNoContent, res.status, res.raw)
		require.Equal(t, force, f.passwordProfileOf(t, app, alex.ID)["forceChangePasswordNextSignIn"])
	}
	ev := f.requireAudited(t, audit.ActivityUpdateUser, alex.ID) // the newest
	require.Equal(t, []store.ModifiedProperty{
		{Name: "passwordProfile.forceChangePasswordNextSignIn", OldValue: "true", NewValue: "false"}}, ev.ModifiedProperties)

	// A User Administrator resets the password and asks for a change.
	ua := f.memberWithRole(t, f.a.ID, "ua@contoso.example", directory.RoleUserAdministrator)
	res := f.call(t, f.delegated(ua.ID, "User.ReadWrite.All"), "PATCH", "/v1.0/users/"+alex.ID, map[string]any{
		"passwordProfile": map[string]any{"password": newPassword, "forceChangePasswordNextSignIn": true}})
	require.Equal(t, http.StatusNoContent, res.status, res.raw)
	u, err := f.dir.VerifyPassword(ctx, f.a.ID, "alex@contoso.example", newPassword)
	require.NoError(t, err)
	require.True(t, u.ForceChangePassword)
	require.Equal(t, ua.ID, f.requireAudited(t, audit.ActivityResetPassword, alex.ID).ActorID)

	// A reset alone asks for a change too, as in Graph; false says not to.
	for _, c := range []struct {
		profile map[string]any
		want    bool
	}{
		{map[string]any{"password": newPassword + "!", "forceChangePasswordNextSignIn": false}, false},
		{map[string]any{"password": newPassword + "?"}, true},
	} {
		res = f.call(t, f.delegated(ua.ID, "User.ReadWrite.All"), "PATCH", "/v1.0/users/"+alex.ID, map[string]any{"passwordProfile": c.profile})
		require.Equal(t, http.StatusNoContent, res.status, res.raw)
		require.Equal(t, c.want, f.passwordProfileOf(t, app, alex.ID)["forceChangePasswordNextSignIn"], c.profile)
	}
	f.requireNotLeaked(t, newPassword, res.raw)
}

func testPatchPasswordProfileRefuses(t *testing.T, f *fixture) {
	ctx := t.Context()
	app := f.app("User.ReadWrite.All")
	alex := f.member(t, f.a.ID, "alex@contoso.example")
	bare, err := f.dir.CreateMember(ctx, f.a.ID, directory.NewMember{DisplayName: "Bo", Mail: "bo@contoso.example"})
	require.NoError(t, err)
	guest := f.guest(t, f.a.ID, "sam@fabrikam.example", store.ExternalStateAccepted)
	ua := f.memberWithRole(t, f.a.ID, "ua@contoso.example", directory.RoleUserAdministrator)
	admin := f.delegated(ua.ID, "User.ReadWrite.All")
	for _, c := range []struct {
		name   string
		p      *api.Principal
		id     string
		body   map[string]any
		status int
		code   string
		parts  []string
	}{
		{"an app resets no password", app, alex.ID, map[string]any{"passwordProfile": map[string]any{"password": newPassword}},
			http.StatusForbidden, "Authorization_RequestDenied", []string{"may not reset"}},
		{"no password to change", app, bare.ID, map[string]any{"passwordProfile": map[string]any{"forceChangePasswordNextSignIn": true}},
			http.StatusBadRequest, "Request_BadRequest", []string{"'passwordProfile.forceChangePasswordNextSignIn'"}},
		{"a guest has no password", admin, guest.ID, map[string]any{"passwordProfile": map[string]any{"password": newPassword}},
			http.StatusBadRequest, "Request_BadRequest", []string{"'passwordProfile.password'"}},
		{"short password", admin, alex.ID, map[string]any{"passwordProfile": map[string]any{"password": "short"}},
			http.StatusBadRequest, "Request_BadRequest", []string{"'passwordProfile.password'"}},
		{"unknown nested", app, alex.ID, map[string]any{"passwordProfile": map[string]any{"forceChangePasswordNextSignInWithMfa": true}},
			http.StatusBadRequest, "Request_BadRequest", []string{"Property 'passwordProfile.forceChangePasswordNextSignInWithMfa' does not exist"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			res := f.call(t, c.p, "PATCH", "/v1.0/users/"+c.id, c.body)
			f.requireError(t, res, c.status, c.code, c.parts...)
		})
	}
	for _, u := range []store.User{alex, bare, guest} {
		got, err := f.store.GetUser(ctx, f.a.ID, u.ID)
		require.NoError(t, err)
		require.Equal(t, u.PasswordHash, got.PasswordHash, "no refused request changed a password")
		require.False(t, got.ForceChangePassword)
	}
	f.requireNotLeaked(t, newPassword)
}
