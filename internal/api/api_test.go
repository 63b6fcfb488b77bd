package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/foyer-idp/foyer/internal/testlog"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/internal/api"
	"github.com/foyer-idp/foyer/internal/directory"
	"github.com/foyer-idp/foyer/internal/mail"
	"github.com/foyer-idp/foyer/internal/mfa"
	"github.com/foyer-idp/foyer/internal/secret"
	"github.com/foyer-idp/foyer/internal/store"
	"github.com/foyer-idp/foyer/internal/store/sqlstore/sqltest"
)

var testArgon2 = secret.Argon2Params{MemoryKiB: 64, Time: 1, Threads: 1}

type fixture struct {
	dir     *directory.Directory
	store   store.Store
	mfa     *mfa.Service
	handler http.Handler
	now     time.Time
	// logs holds what the API logged.
	logs testlog.Buffer
	// tenant a is the caller's; tenant b is another one.
	a, b store.Tenant
}

func newFixture(t *testing.T, b sqltest.Backend) *fixture { return openFixture(t, b) }

// openFixture is newFixture for a fuzz target too.
func openFixture(t testing.TB, b sqltest.Backend) *fixture {
	t.Helper()
	st := b.OpenMigrated(t)
	f := &fixture{store: st, now: time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)}
	master := secret.GenerateMasterKey()
	outbox, err := mail.NewOutbox(mail.OutboxConfig{
		Store: st, Sealer: master.Sealer("mail"), Sender: noSender{}, Logger: slog.New(slog.DiscardHandler),
		Rand: func() float64 { return 0.5 }, Now: func() time.Time { return f.now },
	})
	require.NoError(t, err)
	f.dir, err = directory.New(directory.Config{
		Store:        st,
		SecretHasher: master.Hasher("client-secrets"),
		Passwords:    secret.NewPasswordHasher(testArgon2, 2),
		Now:          func() time.Time { return f.now },
		Federation: &directory.FederationConfig{
			Sealer:      master.Sealer("idp-secrets"),
			Issuer:      func(t store.Tenant) string { return "https://foyer.example/t/" + t.Slug },
			CallbackURL: func(t store.Tenant) string { return "https://foyer.example/t/" + t.Slug + "/federation/callback" },
		},
		Invitations: &directory.InvitationConfig{
			Hasher:        master.Hasher("tokens"),
			Mailer:        outbox,
			InitialDomain: func(t store.Tenant) string { return t.Slug + ".foyer.example" },
			RedeemURL: func(t store.Tenant, token string) string {
				return "https://foyer.example/t/" + t.Slug + "/redeem?token=" + token
			},
			BlockURL: func(t store.Tenant, token string) string {
				return "https://foyer.example/t/" + t.Slug + "/redeem/block?token=" + token
			},
		},
	})
	require.NoError(t, err)
	f.mfa, err = mfa.New(mfa.Config{Store: st, Sealer: master.Sealer("mfa-secrets"), Hasher: master.Hasher("mfa-recovery"),
		Mailer: outbox, Now: func() time.Time { return f.now }})
	require.NoError(t, err)
	a, err := api.New(api.Config{Directory: f.dir, Store: st, MFA: f.mfa, PagingKey: secret.GenerateMasterKey().Hasher("api-paging"),
		BaseURL: "https://foyer.example", Now: func() time.Time { return f.now },
		Logger: slog.New(slog.NewTextHandler(&f.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	require.NoError(t, err)
	f.handler = a.Handler()
	f.a = f.tenant(t, "contoso")
	f.b = f.tenant(t, "fabrikam")
	return f
}

func (f *fixture) tenant(t testing.TB, slug string) store.Tenant {
	t.Helper()
	tn, err := f.dir.CreateTenant(t.Context(), directory.NewTenant{Slug: slug, DisplayName: strings.ToUpper(slug)})
	require.NoError(t, err)
	return tn
}

func (f *fixture) member(t *testing.T, tenantID, mail string) store.User {
	t.Helper()
	u, err := f.dir.CreateMember(t.Context(), tenantID, directory.NewMember{DisplayName: mail, Mail: mail, Password: "foyer-dev-pw"})
	require.NoError(t, err)
	return u
}

// memberWithRole creates a member holding a directory role.
func (f *fixture) memberWithRole(t *testing.T, tenantID, mail, role string) store.User {
	t.Helper()
	u := f.member(t, tenantID, mail)
	require.NoError(t, f.dir.AssignRole(t.Context(), tenantID, u.ID, role))
	return u
}

// guest stores a pending guest directly: invitations are not this
// package's.
func (f *fixture) guest(t *testing.T, tenantID, mail, state string) store.User {
	t.Helper()
	u := store.User{TenantID: tenantID, ID: secret.NewID(), DisplayName: mail, Mail: mail,
		UserPrincipalName: strings.Replace(mail, "@", "_", 1) + "#EXT#@" + tenantID + ".example",
		UserType:          store.UserTypeGuest, ExternalUserState: state, CreationType: store.CreationTypeInvitation,
		AccountEnabled: true, CreatedAt: f.now, UpdatedAt: f.now,
		Identities: []store.Identity{{SignInType: store.SignInTypeEmail, Issuer: "mail", IssuerAssignedID: mail}}}
	require.NoError(t, f.store.CreateUser(t.Context(), u))
	return u
}

func (f *fixture) group(t *testing.T, tenantID, name string) store.Group {
	t.Helper()
	g, err := f.dir.CreateGroup(t.Context(), tenantID, directory.NewGroup{DisplayName: name})
	require.NoError(t, err)
	return g
}

// app is an app-only principal of tenant a with these application
// permissions.
func (f *fixture) app(roles ...string) *api.Principal {
	return &api.Principal{TenantID: f.a.ID, ClientID: "admin-script", Roles: roles}
}

// delegated is a principal acting for the user with these scopes.
func (f *fixture) delegated(userID string, scp ...string) *api.Principal {
	return &api.Principal{TenantID: f.a.ID, ClientID: "admin-portal", UserID: userID, Scp: scp}
}

var admin = []string{"User.ReadWrite.All", "Group.ReadWrite.All", "Application.ReadWrite.All"}

type response struct {
	status int
	header http.Header
	raw    string
	body   map[string]any
}

// injectPrincipal is the test stand-in for the authenticating middleware.
func injectPrincipal(p *api.Principal, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p != nil {
			r = r.WithContext(api.WithPrincipal(r.Context(), *p))
		}
		next.ServeHTTP(w, r)
	})
}

func (f *fixture) call(t *testing.T, p *api.Principal, method, target string, body any) response {
	t.Helper()
	var rd *bytes.Reader
	switch b := body.(type) {
	case nil:
		rd = bytes.NewReader(nil)
	case string:
		rd = bytes.NewReader([]byte(b))
	default:
		raw, err := json.Marshal(b)
		require.NoError(t, err)
		rd = bytes.NewReader(raw)
	}
	target = strings.TrimPrefix(target, "https://foyer.example")
	req := httptest.NewRequestWithContext(t.Context(), method, target, rd)
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	injectPrincipal(p, f.handler).ServeHTTP(rec, req)
	res := response{status: rec.Code, header: rec.Header(), raw: rec.Body.String()}
	if rec.Body.Len() > 0 {
		require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &res.body), "body: %s", rec.Body.String())
	}
	return res
}

// requireError asserts Graph's error body, exactly: its keys, the code,
// a message containing each of parts, the request id and the date.
func (f *fixture) requireError(t *testing.T, res response, status int, code string, parts ...string) {
	t.Helper()
	require.Equal(t, status, res.status, res.raw)
	require.Equal(t, []string{"error"}, keys(res.body), res.raw)
	e, ok := res.body["error"].(map[string]any)
	require.True(t, ok, res.raw)
	require.Equal(t, []string{"code", "innerError", "message"}, keys(e), res.raw)
	require.Equal(t, code, e["code"], res.raw)
	for _, p := range parts {
		require.Contains(t, e["message"], p)
	}
	inner := e["innerError"].(map[string]any)
	require.Equal(t, []string{"date", "request-id"}, keys(inner))
	require.NotEmpty(t, inner["request-id"])
	require.Equal(t, res.header.Get("X-Request-Id"), inner["request-id"])
	require.Equal(t, "2026-11-27T09:00:00Z", inner["date"])
	require.NotContains(t, res.raw, "goroutine")
}

func keys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func values(t *testing.T, res response) []map[string]any {
	t.Helper()
	require.Equal(t, http.StatusOK, res.status, res.raw)
	raw, ok := res.body["value"].([]any)
	require.True(t, ok, res.raw)
	out := make([]map[string]any, 0, len(raw))
	for _, v := range raw {
		out = append(out, v.(map[string]any))
	}
	return out
}

func ids(items []map[string]any) []string {
	var out []string
	for _, it := range items {
		out = append(out, it["id"].(string))
	}
	return out
}

func TestAPI(t *testing.T) {
	t.Parallel()
	tests := []sqltest.Case[*fixture]{
		{Name: "NoPrincipalIs401", Fn: testNoPrincipal},
		{Name: "MissingPermissionIs403", Fn: testMissingPermission},
		{Name: "DelegatedNeedsDirectoryRole", Fn: testDelegatedNeedsRole},
		{Name: "OtherTenantIs404", Fn: testOtherTenant},
		{Name: "GetUser", Fn: testGetUser},
		{Name: "PatchUser", Fn: testPatchUser},
		{Name: "PatchUserRefusesUnknownAndReadOnly", Fn: testPatchUserRefuses},
		{Name: "DeleteUser", Fn: testDeleteUser},
		{Name: "ListUsersFilter", Fn: testFilter},
		{Name: "SelectAndTop", Fn: testSelectAndTop},
		{Name: "Paging", Fn: testPaging},
		{Name: "Groups", Fn: testGroups},
		{Name: "GroupMembers", Fn: testGroupMembers},
		{Name: "Applications", Fn: testApplications},
		{Name: "CreateApplication", Fn: testCreateApplication},
		{Name: "CreateApplicationRefuses", Fn: testCreateApplicationRefuses},
		{Name: "PatchApplicationEveryField", Fn: testPatchApplicationEveryField},
		{Name: "DeleteApplication", Fn: testDeleteApplication},
		{Name: "ApplicationPasswords", Fn: testApplicationPasswords},
		{Name: "ApplicationPasswordsByOwners", Fn: testApplicationPasswordsByOwners},
		{Name: "ApplicationOwners", Fn: testApplicationOwners},
		{Name: "ApplicationAssignments", Fn: testApplicationAssignments},
		{Name: "UnknownRouteAndBodyLimits", Fn: testUnknownRouteAndLimits},
		{Name: "ChangesAreAuditedAsCaller", Fn: testAuditActor},
		{Name: "InviteContract", Fn: testInviteContract},
		{Name: "InviteRefusesFields", Fn: testInviteRefusesFields},
		{Name: "InviteErrors", Fn: testInviteErrors},
		{Name: "InviteRefusesAddressOfUnprovenGuest", Fn: testInviteUnprovenGuest},
		{Name: "InvitePermissions", Fn: testInvitePermissions},
		{Name: "InvitationsListAndRevoke", Fn: testInvitationsListAndRevoke},
		{Name: "InvitationsFilter", Fn: testInvitationsFilter},
		{Name: "InvitationsFilterPages", Fn: testInvitationsFilterPages},
	}
	sqltest.RunSuite(t, tests, newFixture)
}

func TestNewReportsEveryMissingDependency(t *testing.T) {
	t.Parallel()
	_, err := api.New(api.Config{BaseURL: "ftp://x"})
	require.Error(t, err)
	for _, want := range []string{"Directory", "Store", "MFA", "PagingKey", "BaseURL"} {
		require.Contains(t, err.Error(), want)
	}
}

func testNoPrincipal(t *testing.T, f *fixture) {
	u := f.member(t, f.a.ID, "ada@contoso.example")
	g := f.group(t, f.a.ID, "Staff")
	for _, c := range []struct{ method, path string }{
		{"GET", "/v1.0/users"}, {"GET", "/v1.0/users/" + u.ID}, {"PATCH", "/v1.0/users/" + u.ID},
		{"DELETE", "/v1.0/users/" + u.ID}, {"GET", "/v1.0/groups"}, {"POST", "/v1.0/groups"},
		{"GET", "/v1.0/groups/" + g.ID}, {"PATCH", "/v1.0/groups/" + g.ID}, {"DELETE", "/v1.0/groups/" + g.ID},
		{"GET", "/v1.0/groups/" + g.ID + "/members"}, {"POST", "/v1.0/groups/" + g.ID + "/members/$ref"},
		{"DELETE", "/v1.0/groups/" + g.ID + "/members/" + u.ID + "/$ref"}, {"GET", "/v1.0/applications"},
		{"GET", "/v1.0/applications/x"}, {"GET", "/v1.0/nothing"},
	} {
		t.Run(c.method+c.path, func(t *testing.T) {
			res := f.call(t, nil, c.method, c.path, `{"displayName":"x"}`)
			f.requireError(t, res, http.StatusUnauthorized, "InvalidAuthenticationToken")
			require.Equal(t, "Bearer", res.header.Get("WWW-Authenticate"))
		})
	}
	// A principal without a tenant is no principal.
	res := f.call(t, &api.Principal{ClientID: "x", Roles: admin}, "GET", "/v1.0/users", nil)
	require.Equal(t, http.StatusUnauthorized, res.status)
	// Nothing changed.
	_, err := f.dir.Group(t.Context(), f.a.ID, g.ID)
	require.NoError(t, err)
}

func testMissingPermission(t *testing.T, f *fixture) {
	u := f.member(t, f.a.ID, "ada@contoso.example")
	g := f.group(t, f.a.ID, "Staff")
	for _, c := range []struct {
		roles        []string
		method, path string
	}{
		{[]string{"Group.ReadWrite.All"}, "GET", "/v1.0/users"},
		{[]string{"User.Read.All"}, "PATCH", "/v1.0/users/" + u.ID},
		{[]string{"User.Read.All"}, "DELETE", "/v1.0/users/" + u.ID},
		{[]string{"User.ReadWrite.All"}, "GET", "/v1.0/groups"},
		{[]string{"Group.Read.All"}, "POST", "/v1.0/groups"},
		{[]string{"Group.Read.All"}, "DELETE", "/v1.0/groups/" + g.ID},
		{[]string{"Group.Read.All"}, "POST", "/v1.0/groups/" + g.ID + "/members/$ref"},
		{[]string{"User.ReadWrite.All", "Group.ReadWrite.All"}, "GET", "/v1.0/applications"},
		{nil, "GET", "/v1.0/users/" + u.ID},
		// A permission in the wrong claim: scopes without a user grant nothing.
		{nil, "GET", "/v1.0/users"},
	} {
		t.Run(c.method+c.path, func(t *testing.T) {
			p := f.app(c.roles...)
			res := f.call(t, p, c.method, c.path, `{"displayName":"x"}`)
			f.requireError(t, res, http.StatusForbidden, "Authorization_RequestDenied",
				"Insufficient privileges to complete the operation.")
		})
	}
	p := &api.Principal{TenantID: f.a.ID, ClientID: "x", Scp: admin}
	f.requireError(t, f.call(t, p, "GET", "/v1.0/users", nil), http.StatusForbidden, "Authorization_RequestDenied")
	// Reading is granted by the ReadWrite permission.
	require.Equal(t, http.StatusOK, f.call(t, f.app("User.ReadWrite.All"), "GET", "/v1.0/users/"+u.ID, nil).status)
	require.Equal(t, http.StatusOK, f.call(t, f.app("Group.ReadWrite.All"), "GET", "/v1.0/groups", nil).status)
	_, err := f.dir.User(t.Context(), f.a.ID, u.ID)
	require.NoError(t, err)
}

func testDelegatedNeedsRole(t *testing.T, f *fixture) {
	nobody := f.member(t, f.a.ID, "nobody@contoso.example")
	inviter := f.memberWithRole(t, f.a.ID, "inviter@contoso.example", directory.RoleGuestInviter)
	userAdmin := f.memberWithRole(t, f.a.ID, "useradmin@contoso.example", directory.RoleUserAdministrator)
	tenantAdmin := f.memberWithRole(t, f.a.ID, "admin@contoso.example", directory.RoleTenantAdministrator)
	for _, c := range []struct {
		user   store.User
		path   string
		status int
	}{
		{nobody, "/v1.0/users", http.StatusForbidden},
		{nobody, "/v1.0/groups", http.StatusForbidden},
		{inviter, "/v1.0/users", http.StatusForbidden},
		{inviter, "/v1.0/groups", http.StatusForbidden},
		{userAdmin, "/v1.0/users", http.StatusOK},
		{userAdmin, "/v1.0/groups", http.StatusOK},
		{userAdmin, "/v1.0/applications", http.StatusForbidden},
		{tenantAdmin, "/v1.0/users", http.StatusOK},
		{tenantAdmin, "/v1.0/applications", http.StatusOK},
	} {
		t.Run(c.user.Mail+c.path, func(t *testing.T) {
			res := f.call(t, f.delegated(c.user.ID, admin...), "GET", c.path, nil)
			if c.status == http.StatusForbidden {
				f.requireError(t, res, c.status, "Authorization_RequestDenied")
				return
			}
			require.Equal(t, c.status, res.status, res.raw)
		})
	}
	// A role without the scope grants nothing either.
	f.requireError(t, f.call(t, f.delegated(tenantAdmin.ID, "Group.Read.All"), "GET", "/v1.0/users", nil),
		http.StatusForbidden, "Authorization_RequestDenied")
	// Nor does a role held in another tenant: the user id is looked up in
	// the principal's tenant.
	other := f.memberWithRole(t, f.b.ID, "admin@fabrikam.example", directory.RoleTenantAdministrator)
	f.requireError(t, f.call(t, f.delegated(other.ID, admin...), "GET", "/v1.0/users", nil),
		http.StatusForbidden, "Authorization_RequestDenied")
	// A delegated write by a user administrator works.
	res := f.call(t, f.delegated(userAdmin.ID, "User.ReadWrite.All"), "PATCH", "/v1.0/users/"+nobody.ID,
		map[string]any{"displayName": "Somebody"})
	require.Equal(t, http.StatusNoContent, res.status, res.raw)
}

func testOtherTenant(t *testing.T, f *fixture) {
	theirs := f.member(t, f.b.ID, "bob@fabrikam.example")
	ours := f.member(t, f.a.ID, "ada@contoso.example")
	theirGroup := f.group(t, f.b.ID, "Their staff")
	ourGroup := f.group(t, f.a.ID, "Our staff")
	require.NoError(t, f.dir.AddGroupMember(t.Context(), f.b.ID, theirGroup.ID, theirs.ID))
	theirApp, _, err := f.dir.CreateApplication(t.Context(), f.b.ID, directory.NewApplication{DisplayName: "Theirs",
		ClientID: "their-app", RedirectURIs: []string{"https://their.example/cb"}})
	require.NoError(t, err)
	p := f.app(admin...)
	for _, c := range []struct {
		method, path string
		body         any
	}{
		{"GET", "/v1.0/users/" + theirs.ID, nil},
		{"GET", "/v1.0/users/" + theirs.Mail, nil},
		{"PATCH", "/v1.0/users/" + theirs.ID, map[string]any{"displayName": "Pwned"}},
		{"DELETE", "/v1.0/users/" + theirs.ID, nil},
		{"GET", "/v1.0/groups/" + theirGroup.ID, nil},
		{"PATCH", "/v1.0/groups/" + theirGroup.ID, map[string]any{"displayName": "Pwned"}},
		{"DELETE", "/v1.0/groups/" + theirGroup.ID, nil},
		{"GET", "/v1.0/groups/" + theirGroup.ID + "/members", nil},
		{"POST", "/v1.0/groups/" + theirGroup.ID + "/members/$ref",
			map[string]any{"@odata.id": "https://graph.microsoft.com/v1.0/directoryObjects/" + ours.ID}},
		{"POST", "/v1.0/groups/" + ourGroup.ID + "/members/$ref",
			map[string]any{"@odata.id": "https://graph.microsoft.com/v1.0/directoryObjects/" + theirs.ID}},
		{"DELETE", "/v1.0/groups/" + theirGroup.ID + "/members/" + theirs.ID + "/$ref", nil},
		{"GET", "/v1.0/applications/" + theirApp.ID, nil},
		{"GET", "/v1.0/applications/" + theirApp.ClientID, nil},
	} {
		t.Run(c.method+c.path, func(t *testing.T) {
			f.requireError(t, f.call(t, p, c.method, c.path, c.body), http.StatusNotFound, "Request_ResourceNotFound")
		})
	}
	// Lists show only the caller's tenant.
	require.Equal(t, []string{ours.ID}, ids(values(t, f.call(t, p, "GET", "/v1.0/users", nil))))
	require.Equal(t, []string{ourGroup.ID}, ids(values(t, f.call(t, p, "GET", "/v1.0/groups", nil))))
	require.Empty(t, values(t, f.call(t, p, "GET", "/v1.0/applications", nil)))
	// And nothing of theirs changed.
	got, err := f.dir.User(t.Context(), f.b.ID, theirs.ID)
	require.NoError(t, err)
	require.Equal(t, theirs.DisplayName, got.DisplayName)
	members, err := f.dir.GroupMembers(t.Context(), f.b.ID, theirGroup.ID)
	require.NoError(t, err)
	require.Len(t, members, 1)
}

func testGetUser(t *testing.T, f *fixture) {
	u := f.member(t, f.a.ID, "ada@contoso.example")
	for _, ref := range []string{u.ID, u.UserPrincipalName} {
		res := f.call(t, f.app("User.ReadWrite.All"), "GET", "/v1.0/users/"+ref, nil)
		require.Equal(t, http.StatusOK, res.status, res.raw)
		require.Equal(t, "https://foyer.example/v1.0/$metadata#users/$entity", res.body["@odata.context"])
		require.Equal(t, u.ID, res.body["id"])
		require.Equal(t, "ada@contoso.example", res.body["mail"])
		require.Equal(t, "ada@contoso.example", res.body["userPrincipalName"])
		require.Equal(t, "Member", res.body["userType"])
		require.Equal(t, true, res.body["accountEnabled"])
		require.Contains(t, res.body, "givenName") // null, as Graph answers
		require.Nil(t, res.body["givenName"])
		require.Equal(t, "2026-11-27T09:00:00Z", res.body["createdDateTime"])
		require.Equal(t, "no-store", res.header.Get("Cache-Control"))
		stored, err := f.store.GetUser(t.Context(), f.a.ID, u.ID)
		require.NoError(t, err)
		require.NotEmpty(t, stored.PasswordHash)
		require.NotContains(t, res.raw, stored.PasswordHash)
		require.NotContains(t, strings.ToLower(res.raw), "password")
	}
	f.requireError(t, f.call(t, f.app("User.ReadWrite.All"), "GET", "/v1.0/users/nobody", nil),
		http.StatusNotFound, "Request_ResourceNotFound", "'nobody'")
}

func testPatchUser(t *testing.T, f *fixture) {
	u := f.member(t, f.a.ID, "ada@contoso.example")
	other := f.member(t, f.a.ID, "bob@contoso.example")
	p := f.app("User.ReadWrite.All")
	res := f.call(t, p, "PATCH", "/v1.0/users/"+u.ID, map[string]any{
		"displayName": "Ada Lovelace", "givenName": "Ada", "surname": "Lovelace", "accountEnabled": false,
		"mail": "Ada.Lovelace@Contoso.example"})
	require.Equal(t, http.StatusNoContent, res.status, res.raw)
	require.Empty(t, res.raw)
	got, err := f.dir.User(t.Context(), f.a.ID, u.ID)
	require.NoError(t, err)
	require.Equal(t, "Ada Lovelace", got.DisplayName)
	require.Equal(t, "Ada", got.GivenName)
	require.Equal(t, "Lovelace", got.Surname)
	require.False(t, got.AccountEnabled)
	require.Equal(t, "ada.lovelace@contoso.example", got.Mail)
	require.Equal(t, u.UserPrincipalName, got.UserPrincipalName)

	// null clears an optional text field.
	res = f.call(t, p, "PATCH", "/v1.0/users/"+u.ID, `{"givenName":null}`)
	require.Equal(t, http.StatusNoContent, res.status, res.raw)
	got, _ = f.dir.User(t.Context(), f.a.ID, u.ID)
	require.Empty(t, got.GivenName)

	// Every invalid field is named at once, and nothing changes.
	res = f.call(t, p, "PATCH", "/v1.0/users/"+u.ID, map[string]any{"displayName": "", "mail": "not-an-address"})
	f.requireError(t, res, http.StatusBadRequest, "Request_BadRequest", "'displayName'", "'mail'")
	res = f.call(t, p, "PATCH", "/v1.0/users/"+u.ID, `{"accountEnabled":"yes","surname":7}`)
	f.requireError(t, res, http.StatusBadRequest, "Request_BadRequest", "'accountEnabled'", "'surname'")
	res = f.call(t, p, "PATCH", "/v1.0/users/"+u.ID, `{"accountEnabled":null}`)
	f.requireError(t, res, http.StatusBadRequest, "Request_BadRequest", "'accountEnabled'")
	// A taken address is Graph's ObjectConflict.
	res = f.call(t, p, "PATCH", "/v1.0/users/"+u.ID, map[string]any{"mail": other.Mail})
	f.requireError(t, res, http.StatusBadRequest, "ObjectConflict", "already exists")
	got2, _ := f.dir.User(t.Context(), f.a.ID, u.ID)
	require.Equal(t, got, got2)
	// Malformed bodies.
	for _, body := range []string{``, `[]`, `"x"`, `{"displayName":"a"} {}`, `{"displayName":`, `null`} {
		f.requireError(t, f.call(t, p, "PATCH", "/v1.0/users/"+u.ID, body), http.StatusBadRequest, "Request_BadRequest")
	}
	f.requireError(t, f.call(t, p, "PATCH", "/v1.0/users/nobody", `{"displayName":"x"}`),
		http.StatusNotFound, "Request_ResourceNotFound")
}

func testPatchUserRefuses(t *testing.T, f *fixture) {
	u := f.member(t, f.a.ID, "ada@contoso.example")
	p := f.app("User.ReadWrite.All")
	for _, c := range []struct {
		body  string
		named []string
	}{
		{`{"foo":1}`, []string{"'foo' does not exist"}},
		{`{"id":"x"}`, []string{"'id' is read-only"}},
		{`{"createdDateTime":"2020-01-01T00:00:00Z"}`, []string{"'createdDateTime' is read-only"}},
		{`{"userType":"Guest"}`, []string{"'userType' is read-only"}},
		{`{"externalUserState":"Accepted"}`, []string{"'externalUserState' is read-only"}},
		{`{"identities":[]}`, []string{"'identities' is read-only"}},
		{`{"passwordHash":"x"}`, []string{"'passwordHash' does not exist"}},
		{`{"displayName":"ok","bar":1,"id":"x","userType":"Guest"}`, []string{"'bar'", "'id'", "'userType'"}},
	} {
		t.Run(c.body, func(t *testing.T) {
			f.requireError(t, f.call(t, p, "PATCH", "/v1.0/users/"+u.ID, c.body), http.StatusBadRequest,
				"Request_BadRequest", c.named...)
		})
	}
	got, err := f.dir.User(t.Context(), f.a.ID, u.ID)
	require.NoError(t, err)
	require.Equal(t, u.DisplayName, got.DisplayName)
	require.Equal(t, store.UserTypeMember, got.UserType)
}

func testDeleteUser(t *testing.T, f *fixture) {
	u := f.member(t, f.a.ID, "ada@contoso.example")
	p := f.app("User.ReadWrite.All")
	res := f.call(t, p, "DELETE", "/v1.0/users/"+u.ID, nil)
	require.Equal(t, http.StatusNoContent, res.status, res.raw)
	f.requireError(t, f.call(t, p, "GET", "/v1.0/users/"+u.ID, nil), http.StatusNotFound, "Request_ResourceNotFound")
	f.requireError(t, f.call(t, p, "DELETE", "/v1.0/users/"+u.ID, nil), http.StatusNotFound, "Request_ResourceNotFound")
}

func testFilter(t *testing.T, f *fixture) {
	m := f.member(t, f.a.ID, "ada@contoso.example")
	pending := f.guest(t, f.a.ID, "gina@partner.example", store.ExternalStatePending)
	accepted := f.guest(t, f.a.ID, "otto@partner.example", store.ExternalStateAccepted)
	f.guest(t, f.b.ID, "gina@partner.example", store.ExternalStatePending) // another tenant's
	p := f.app("User.ReadWrite.All")
	list := func(filter string) []string {
		t.Helper()
		got := ids(values(t, f.call(t, p, "GET", "/v1.0/users?$filter="+url.QueryEscape(filter), nil)))
		sort.Strings(got)
		return got
	}
	sorted := func(s ...string) []string { sort.Strings(s); return s }
	require.Equal(t, sorted(pending.ID, accepted.ID), list("userType eq 'Guest'"))
	require.Equal(t, sorted(m.ID), list("userType eq 'Member'"))
	require.Equal(t, sorted(pending.ID), list("userType eq 'Guest' and externalUserState eq 'PendingAcceptance'"))
	require.Equal(t, sorted(accepted.ID), list("externalUserState eq 'Accepted'"))
	require.Equal(t, sorted(pending.ID), list("mail eq 'Gina@Partner.example'"))
	require.Equal(t, sorted(m.ID), list("userPrincipalName eq 'ada@contoso.example'"))
	require.Equal(t, sorted(m.ID), list("mail eq 'ada@contoso.example' and userType eq 'Member'"))
	require.Empty(t, list("mail eq 'ada@contoso.example' and userType eq 'Guest'"))
	require.Empty(t, list("mail eq 'nobody@contoso.example'"))
	require.Empty(t, list("userType eq 'Robot'"))
	require.Equal(t, sorted(pending.ID), list("mail eq 'gina@partner.example' and userPrincipalName eq '"+pending.UserPrincipalName+"'"))
	require.Empty(t, list("mail eq 'gina@partner.example' and userPrincipalName eq 'ada@contoso.example'"))

	for _, c := range []struct{ filter, code string }{
		{"displayName eq 'Ada'", "Request_UnsupportedQuery"},
		{"accountEnabled eq true", "Request_UnsupportedQuery"},
		{"userType ne 'Guest'", "Request_UnsupportedQuery"},
		{"startswith(mail,'ada')", "Request_UnsupportedQuery"},
		{"userType eq 'Guest' or userType eq 'Member'", "Request_UnsupportedQuery"},
		{"userType eq 'Guest' and userType eq 'Member'", "Request_UnsupportedQuery"},
		{"userType eq Guest", "Request_BadRequest"},
		{"userType eq 'Guest", "Request_BadRequest"},
		{"userType eq", "Request_BadRequest"},
		{"userType eq 'Guest' and", "Request_BadRequest"},
		{"", "Request_BadRequest"},
	} {
		t.Run(c.filter, func(t *testing.T) {
			f.requireError(t, f.call(t, p, "GET", "/v1.0/users?$filter="+url.QueryEscape(c.filter), nil),
				http.StatusBadRequest, c.code)
		})
	}
	// Other query options are refused, not ignored.
	for _, q := range []string{"$orderby=displayName", "$count=true", "$search=ada", "$expand=memberOf"} {
		f.requireError(t, f.call(t, p, "GET", "/v1.0/users?"+q, nil), http.StatusBadRequest, "Request_UnsupportedQuery")
	}
	f.requireError(t, f.call(t, f.app("Group.ReadWrite.All"), "GET", "/v1.0/groups?$filter="+url.QueryEscape("displayName eq 'x'"), nil),
		http.StatusBadRequest, "Request_UnsupportedQuery")
}

func testSelectAndTop(t *testing.T, f *fixture) {
	u := f.member(t, f.a.ID, "ada@contoso.example")
	p := f.app("User.ReadWrite.All")
	items := values(t, f.call(t, p, "GET", "/v1.0/users?$select=id,mail", nil))
	require.Len(t, items, 1)
	require.Equal(t, map[string]any{"id": u.ID, "mail": u.Mail}, items[0])
	res := f.call(t, p, "GET", "/v1.0/users/"+u.ID+"?$select=displayName,givenName", nil)
	require.Equal(t, http.StatusOK, res.status, res.raw)
	require.Equal(t, []string{"@odata.context", "displayName", "givenName"}, keys(res.body))
	for _, bad := range []string{"passwordHash", "id,foo", "", "id,,mail"} {
		f.requireError(t, f.call(t, p, "GET", "/v1.0/users?$select="+url.QueryEscape(bad), nil),
			http.StatusBadRequest, "Request_BadRequest")
	}
	f.requireError(t, f.call(t, p, "GET", "/v1.0/users?$select=foo", nil), http.StatusBadRequest, "Request_BadRequest", "'foo'")
	for _, top := range []string{"0", "1000", "-1", "abc", ""} {
		f.requireError(t, f.call(t, p, "GET", "/v1.0/users?$top="+top, nil), http.StatusBadRequest, "Request_BadRequest", "$top")
	}
	f.requireError(t, f.call(t, p, "GET", "/v1.0/users?$top=1&$top=2", nil), http.StatusBadRequest, "Request_BadRequest")
	for _, top := range []string{"1", "999"} {
		require.Len(t, values(t, f.call(t, p, "GET", "/v1.0/users?$top="+top, nil)), 1)
	}
	// Groups and applications take $select too.
	g := f.group(t, f.a.ID, "Staff")
	items = values(t, f.call(t, f.app("Group.ReadWrite.All"), "GET", "/v1.0/groups?$select=displayName", nil))
	require.Equal(t, []map[string]any{{"displayName": g.DisplayName}}, items)
}

func testPaging(t *testing.T, f *fixture) {
	var want []string
	for _, n := range []string{"a", "b", "c", "d", "e"} {
		want = append(want, f.member(t, f.a.ID, n+"@contoso.example").ID)
		want = append(want, f.group(t, f.a.ID, "Group "+n).ID)
	}
	f.member(t, f.b.ID, "z@fabrikam.example")
	p := f.app(admin...)
	walk := func(first string) (got []string, pages int, link string) {
		t.Helper()
		next := first
		for next != "" {
			res := f.call(t, p, "GET", next, nil)
			items := values(t, res)
			require.LessOrEqual(t, len(items), 2)
			require.NotContains(t, res.body, "@odata.count")
			if link == "" {
				link, _ = res.body["@odata.nextLink"].(string)
			}
			require.True(t, strings.HasSuffix(res.body["@odata.context"].(string), "/v1.0/$metadata#users") ||
				strings.HasSuffix(res.body["@odata.context"].(string), "/v1.0/$metadata#groups"), res.raw)
			got = append(got, ids(items)...)
			next, _ = res.body["@odata.nextLink"].(string)
			pages++
		}
		return got, pages, link
	}
	users, pages, link := walk("/v1.0/users?$top=2&$select=id")
	require.Equal(t, 3, pages)
	require.True(t, strings.HasPrefix(link, "https://foyer.example/v1.0/users?"), link)
	require.Contains(t, link, "$select=id")
	require.Contains(t, link, "$top=2")
	require.Contains(t, link, "$skiptoken=")
	groups, pages, glink := walk("/v1.0/groups?$top=2")
	require.Equal(t, 3, pages)
	got := append(users, groups...)
	sort.Strings(got)
	sort.Strings(want)
	require.Equal(t, want, got)
	// Filters carry into the next link.
	f.guest(t, f.a.ID, "g1@partner.example", store.ExternalStatePending)
	f.guest(t, f.a.ID, "g2@partner.example", store.ExternalStatePending)
	f.guest(t, f.a.ID, "g3@partner.example", store.ExternalStatePending)
	guests, pages, _ := walk("/v1.0/users?$top=2&$filter=" + url.QueryEscape("userType eq 'Guest'"))
	require.Len(t, guests, 3)
	require.Equal(t, 2, pages)

	u, err := url.Parse(link)
	require.NoError(t, err)
	tok := u.Query().Get("$skiptoken")
	tamper := func(t *testing.T, target string) {
		t.Helper()
		f.requireError(t, f.call(t, p, "GET", target, nil), http.StatusBadRequest, "Request_BadRequest", "$skiptoken")
	}
	tamper(t, "/v1.0/users?$skiptoken=garbage")
	flipped := "A"
	if strings.HasSuffix(tok, "A") {
		flipped = "B"
	}
	tamper(t, "/v1.0/users?$skiptoken="+url.QueryEscape(tok[:len(tok)-1]+flipped))
	// A forged token naming an id of our choosing.
	_, mac, _ := strings.Cut(tok, ".")
	tamper(t, "/v1.0/users?$skiptoken="+url.QueryEscape("MDAwMDAwMDA."+mac))
	// A token is bound to its list and tenant.
	gu, _ := url.Parse(glink)
	tamper(t, "/v1.0/users?$skiptoken="+url.QueryEscape(gu.Query().Get("$skiptoken")))
	other := &api.Principal{TenantID: f.b.ID, ClientID: "x", Roles: admin}
	f.requireError(t, f.call(t, other, "GET", "/v1.0/users?$skiptoken="+url.QueryEscape(tok), nil),
		http.StatusBadRequest, "Request_BadRequest")
	// $skiptoken is for collections only.
	f.requireError(t, f.call(t, p, "GET", "/v1.0/users/"+want[0]+"?$skiptoken="+url.QueryEscape(tok), nil),
		http.StatusBadRequest, "Request_UnsupportedQuery")
}

func testGroups(t *testing.T, f *fixture) {
	p := f.app("Group.ReadWrite.All")
	res := f.call(t, p, "POST", "/v1.0/groups", map[string]any{"displayName": "Partners", "description": "External partners",
		"ownersCanInviteGuests": true})
	require.Equal(t, http.StatusCreated, res.status, res.raw)
	id, _ := res.body["id"].(string)
	require.NotEmpty(t, id)
	require.Equal(t, "https://foyer.example/v1.0/groups/"+id, res.header.Get("Location"))
	require.Equal(t, "https://foyer.example/v1.0/$metadata#groups/$entity", res.body["@odata.context"])
	require.Equal(t, "Partners", res.body["displayName"])
	require.Equal(t, "External partners", res.body["description"])
	require.Equal(t, true, res.body["ownersCanInviteGuests"])
	require.Equal(t, "2026-11-27T09:00:00Z", res.body["createdDateTime"])

	res = f.call(t, p, "GET", "/v1.0/groups/"+id, nil)
	require.Equal(t, http.StatusOK, res.status, res.raw)
	require.Equal(t, "Partners", res.body["displayName"])

	res = f.call(t, p, "PATCH", "/v1.0/groups/"+id, map[string]any{"displayName": "Suppliers", "ownersCanInviteGuests": false})
	require.Equal(t, http.StatusNoContent, res.status, res.raw)
	g, err := f.dir.Group(t.Context(), f.a.ID, id)
	require.NoError(t, err)
	require.Equal(t, "Suppliers", g.DisplayName)
	require.Equal(t, "External partners", g.Description)
	require.False(t, g.OwnersCanInviteGuests)

	f.requireError(t, f.call(t, p, "POST", "/v1.0/groups", map[string]any{}), http.StatusBadRequest,
		"Request_BadRequest", "'displayName'")
	f.requireError(t, f.call(t, p, "POST", "/v1.0/groups", map[string]any{"displayName": "x", "id": "mine",
		"createdDateTime": "2020-01-01T00:00:00Z", "mailEnabled": false}), http.StatusBadRequest,
		"Request_BadRequest", "'id' is read-only", "'createdDateTime' is read-only", "'mailEnabled' does not exist")
	f.requireError(t, f.call(t, p, "PATCH", "/v1.0/groups/"+id, map[string]any{"displayName": ""}), http.StatusBadRequest,
		"Request_BadRequest", "'displayName'")
	f.requireError(t, f.call(t, p, "PATCH", "/v1.0/groups/"+id, `{"ownersCanInviteGuests":"true"}`), http.StatusBadRequest,
		"Request_BadRequest", "'ownersCanInviteGuests'")

	items := values(t, f.call(t, p, "GET", "/v1.0/groups", nil))
	require.Equal(t, []string{id}, ids(items))

	require.Equal(t, http.StatusNoContent, f.call(t, p, "DELETE", "/v1.0/groups/"+id, nil).status)
	f.requireError(t, f.call(t, p, "GET", "/v1.0/groups/"+id, nil), http.StatusNotFound, "Request_ResourceNotFound")
	f.requireError(t, f.call(t, p, "PATCH", "/v1.0/groups/"+id, map[string]any{"displayName": "x"}), http.StatusNotFound, "Request_ResourceNotFound")
	f.requireError(t, f.call(t, p, "DELETE", "/v1.0/groups/"+id, nil), http.StatusNotFound, "Request_ResourceNotFound")
}

func testGroupMembers(t *testing.T, f *fixture) {
	g := f.group(t, f.a.ID, "Staff")
	ada := f.member(t, f.a.ID, "ada@contoso.example")
	gina := f.guest(t, f.a.ID, "gina@partner.example", store.ExternalStatePending)
	p := f.app("Group.ReadWrite.All")
	members := "/v1.0/groups/" + g.ID + "/members"
	for _, ref := range []string{
		"https://graph.microsoft.com/v1.0/directoryObjects/" + ada.ID,
		"https://foyer.example/v1.0/users/" + gina.ID,
	} {
		res := f.call(t, p, "POST", members+"/$ref", map[string]any{"@odata.id": ref})
		require.Equal(t, http.StatusNoContent, res.status, res.raw)
	}
	f.requireError(t, f.call(t, p, "POST", members+"/$ref",
		map[string]any{"@odata.id": "https://graph.microsoft.com/v1.0/directoryObjects/" + ada.ID}),
		http.StatusBadRequest, "Request_BadRequest", "already exist")
	f.requireError(t, f.call(t, p, "POST", members+"/$ref",
		map[string]any{"@odata.id": "https://graph.microsoft.com/v1.0/directoryObjects/nobody"}),
		http.StatusNotFound, "Request_ResourceNotFound", "'nobody'")
	for _, body := range []string{`{}`, `{"@odata.id":7}`, `{"@odata.id":"https://x/v1.0/groups/"}`,
		`{"@odata.id":"x","id":"y"}`} {
		f.requireError(t, f.call(t, p, "POST", members+"/$ref", body), http.StatusBadRequest, "Request_BadRequest")
	}

	res := f.call(t, f.app("Group.ReadWrite.All"), "GET", members, nil)
	items := values(t, res)
	require.Equal(t, "https://foyer.example/v1.0/$metadata#directoryObjects", res.body["@odata.context"])
	got := ids(items)
	sort.Strings(got)
	want := []string{ada.ID, gina.ID}
	sort.Strings(want)
	require.Equal(t, want, got)
	for _, it := range items {
		require.Equal(t, "#microsoft.graph.user", it["@odata.type"])
	}
	require.NotContains(t, strings.ToLower(res.raw), "password")
	items = values(t, f.call(t, p, "GET", members+"?$top=1&$select=id", nil))
	require.Len(t, items, 1)
	require.Equal(t, []string{"@odata.type", "id"}, keys(items[0]))

	res = f.call(t, p, "DELETE", members+"/"+ada.ID+"/$ref", nil)
	require.Equal(t, http.StatusNoContent, res.status, res.raw)
	f.requireError(t, f.call(t, p, "DELETE", members+"/"+ada.ID+"/$ref", nil), http.StatusNotFound, "Request_ResourceNotFound")
	left, err := f.dir.GroupMembers(t.Context(), f.a.ID, g.ID)
	require.NoError(t, err)
	require.Len(t, left, 1)
	require.Equal(t, gina.ID, left[0].ID)
	f.requireError(t, f.call(t, p, "GET", "/v1.0/groups/nobody/members", nil), http.StatusNotFound, "Request_ResourceNotFound")
}

func testApplications(t *testing.T, f *fixture) {
	app, sec, err := f.dir.CreateApplication(t.Context(), f.a.ID, directory.NewApplication{DisplayName: "Portal",
		ClientID: "portal", RedirectURIs: []string{"https://portal.example/cb"}, APIPermissions: []string{"User.ReadWrite.All"}})
	require.NoError(t, err)
	require.NotNil(t, sec)
	secrets, err := f.store.ListClientSecrets(t.Context(), f.a.ID, app.ID)
	require.NoError(t, err)
	require.NotEmpty(t, secrets)
	p := f.app("Application.ReadWrite.All")
	list := f.call(t, p, "GET", "/v1.0/applications", nil)
	items := values(t, list)
	require.Equal(t, []string{app.ID}, ids(items))
	require.Equal(t, "https://foyer.example/v1.0/$metadata#applications", list.body["@odata.context"])
	for _, ref := range []string{app.ID, "portal"} {
		res := f.call(t, f.app("Application.ReadWrite.All"), "GET", "/v1.0/applications/"+ref, nil)
		require.Equal(t, http.StatusOK, res.status, res.raw)
		require.Equal(t, "portal", res.body["appId"])
		require.Equal(t, "Portal", res.body["displayName"])
		require.Equal(t, map[string]any{"redirectUris": []any{"https://portal.example/cb"}, "homePageUrl": nil}, res.body["web"])
		require.Equal(t, map[string]any{"redirectUris": []any{}}, res.body["publicClient"])
		require.Nil(t, res.body["redirectUris"], "the flat name of before is gone: Graph's web.redirectUris replaced it")
		require.Equal(t, []any{"User.ReadWrite.All"}, res.body["apiPermissions"])
		creds := res.body["passwordCredentials"].([]any)
		require.Len(t, creds, 1)
		require.Equal(t, secrets[0].ID, creds[0].(map[string]any)["keyId"])
		require.Equal(t, sec.Value[:3], creds[0].(map[string]any)["hint"])
		for _, raw := range []string{res.raw, list.raw} {
			require.NotContains(t, raw, sec.Value)
			require.NotContains(t, raw, secrets[0].Hash)
			require.NotContains(t, raw, "secretText")
			require.NotContains(t, strings.ToLower(raw), "hash")
		}
	}
	f.requireError(t, f.call(t, p, "GET", "/v1.0/applications/nobody", nil), http.StatusNotFound, "Request_ResourceNotFound")
	require.Equal(t, false, items[0]["requiresMfa"])
	// The client id and type never change; the flat redirectUris of before is refused.
	f.requireError(t, f.call(t, p, "PATCH", "/v1.0/applications/"+app.ID, map[string]any{"redirectUris": []string{},
		"appId": "x", "clientType": "public", "passwordCredentials": []any{}}),
		http.StatusBadRequest, "Request_BadRequest", "Property 'redirectUris' does not exist", "'appId' is read-only",
		"'clientType' is read-only", "'passwordCredentials' is read-only")
	f.requireError(t, f.call(t, p, "PATCH", "/v1.0/applications/"+app.ID, map[string]any{"requiresMfa": "yes"}),
		http.StatusBadRequest, "Request_BadRequest", "'requiresMfa': must be true or false")
	f.requireError(t, f.call(t, p, "PATCH", "/v1.0/applications/"+app.ID, map[string]any{"displayName": ""}),
		http.StatusBadRequest, "Request_BadRequest", "'displayName'")
	f.requireError(t, f.call(t, f.app("User.ReadWrite.All"), "PATCH", "/v1.0/applications/"+app.ID, map[string]any{"requiresMfa": true}),
		http.StatusForbidden, "Authorization_RequestDenied")
	res := f.call(t, p, "PATCH", "/v1.0/applications/portal", map[string]any{"requiresMfa": true, "displayName": "Portal 2"})
	require.Equal(t, http.StatusNoContent, res.status, res.raw)
	got, err := f.store.GetApplication(t.Context(), f.a.ID, app.ID)
	require.NoError(t, err)
	require.True(t, got.RequiresMFA)
	require.Equal(t, "Portal 2", got.DisplayName)
	require.Equal(t, []string{"https://portal.example/cb"}, got.RedirectURIs, "the rest stays")
	require.Equal(t, true, f.call(t, p, "GET", "/v1.0/applications/"+app.ID, nil).body["requiresMfa"])
	// Another tenant's application is not found, and not changed.
	other, _, err := f.dir.CreateApplication(t.Context(), f.b.ID, directory.NewApplication{DisplayName: "Theirs",
		ClientID: "theirs", RedirectURIs: []string{"https://theirs.example/cb"}})
	require.NoError(t, err)
	f.requireError(t, f.call(t, p, "PATCH", "/v1.0/applications/"+other.ID, map[string]any{"requiresMfa": true}),
		http.StatusNotFound, "Request_ResourceNotFound")
	theirs, err := f.store.GetApplication(t.Context(), f.b.ID, other.ID)
	require.NoError(t, err)
	require.False(t, theirs.RequiresMFA)
}

func testUnknownRouteAndLimits(t *testing.T, f *fixture) {
	p := f.app(admin...)
	f.requireError(t, f.call(t, p, "GET", "/v1.0/nothing", nil), http.StatusBadRequest, "Request_BadRequest")
	f.requireError(t, f.call(t, p, "PUT", "/v1.0/users", nil), http.StatusBadRequest, "Request_BadRequest")
	u := f.member(t, f.a.ID, "ada@contoso.example")
	big := `{"displayName":"` + strings.Repeat("a", 70<<10) + `"}`
	f.requireError(t, f.call(t, p, "PATCH", "/v1.0/users/"+u.ID, big), http.StatusRequestEntityTooLarge, "Request_EntityTooLarge")
	// An incoming request id is echoed into the error body.
	req := httptest.NewRequestWithContext(t.Context(), "GET", "/v1.0/users/nobody", nil)
	req.Header.Set("X-Request-Id", "trace-42")
	rec := httptest.NewRecorder()
	injectPrincipal(p, f.handler).ServeHTTP(rec, req)
	require.Equal(t, http.StatusNotFound, rec.Code)
	require.Contains(t, rec.Body.String(), `"request-id":"trace-42"`)
}

func testAuditActor(t *testing.T, f *fixture) {
	u := f.member(t, f.a.ID, "ada@contoso.example")
	admin1 := f.member(t, f.a.ID, "admin@contoso.example")
	require.NoError(t, f.dir.AssignRole(t.Context(), f.a.ID, admin1.ID, directory.RoleUserAdministrator))
	res := f.call(t, f.app("User.ReadWrite.All"), "PATCH", "/v1.0/users/"+u.ID, map[string]any{"displayName": "By app"})
	require.Equal(t, http.StatusNoContent, res.status, res.raw)
	res = f.call(t, f.delegated(admin1.ID, "Group.ReadWrite.All"), "POST", "/v1.0/groups", map[string]any{"displayName": "By user"})
	require.Equal(t, http.StatusCreated, res.status, res.raw)
	// A refused change is audited as a failure with the caller as actor.
	res = f.call(t, f.app("User.ReadWrite.All"), "PATCH", "/v1.0/users/"+u.ID, map[string]any{"displayName": ""})
	require.Equal(t, http.StatusBadRequest, res.status, res.raw)

	events, err := f.store.ListAudit(t.Context(), store.AuditFilter{TenantID: f.a.ID})
	require.NoError(t, err)
	find := func(activity, result string) store.AuditEvent {
		t.Helper()
		i := slices.IndexFunc(events, func(e store.AuditEvent) bool { return e.Activity == activity && e.Result == result })
		require.GreaterOrEqual(t, i, 0, "no %s %s event", activity, result)
		return events[i]
	}
	e := find("Update user", store.ResultSuccess)
	require.Equal(t, store.ActorApp, e.ActorType)
	require.Equal(t, "admin-script", e.ActorID)
	require.Equal(t, u.ID, e.TargetID)
	require.NotEmpty(t, e.CorrelationID)
	e = find("Add group", store.ResultSuccess)
	require.Equal(t, store.ActorUser, e.ActorType)
	require.Equal(t, admin1.ID, e.ActorID)
	e = find("Update user", store.ResultFailure)
	require.Equal(t, store.ActorApp, e.ActorType)
}

// failingDirectory answers storage errors, to check what reaches the
// client.
type failingDirectory struct {
	api.Directory
	err error
}

func (d failingDirectory) Users(_ context.Context, _ string, _ store.UserFilter) ([]store.User, error) {
	return nil, d.err
}

func TestInternalErrorsCarryNoDetail(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		err    error
		status int
		code   string
	}{
		{errors.New(`pq: relation "users" password=hunter2`), http.StatusInternalServerError, "Service_InternalServerError"},
		{fmt.Errorf("list users: %w: dial tcp 10.0.0.5:5432", store.ErrUnavailable), http.StatusServiceUnavailable, "Service_Unavailable"},
	} {
		a, err := api.New(api.Config{Directory: failingDirectory{err: c.err}, Store: nopStore{}, MFA: &mfa.Service{},
			PagingKey: secret.GenerateMasterKey().Hasher("p"), Logger: slog.New(slog.DiscardHandler)})
		require.NoError(t, err)
		rec := httptest.NewRecorder()
		req := httptest.NewRequestWithContext(t.Context(), "GET", "/v1.0/users", nil)
		p := api.Principal{TenantID: "t", ClientID: "c", Roles: []string{"User.ReadWrite.All"}}
		injectPrincipal(&p, a.Handler()).ServeHTTP(rec, req)
		require.Equal(t, c.status, rec.Code)
		require.Contains(t, rec.Body.String(), `"code":"`+c.code+`"`)
		for _, leak := range []string{"pq:", "hunter2", "10.0.0.5", "dial", "relation"} {
			require.NotContains(t, rec.Body.String(), leak)
		}
	}
}

type nopStore struct{}

func (nopStore) GetUserByEmail(context.Context, string, string) (store.User, error) {
	return store.User{}, store.ErrNotFound
}

func (nopStore) ListMFARegistrations(context.Context, string) ([]store.MFARegistration, error) {
	return nil, nil
}

func (nopStore) ListAudit(context.Context, store.AuditFilter) ([]store.AuditEvent, error) {
	return nil, nil
}

func (nopStore) SignInActivity(context.Context, string, []string) (map[string]store.SignInActivity, error) {
	return nil, nil
}

func (nopStore) ListSignIns(context.Context, store.SignInFilter) ([]store.SignIn, error) {
	return nil, nil
}
