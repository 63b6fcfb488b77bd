package api_test

import (
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/internal/api"
	"github.com/foyer-idp/foyer/internal/audit"
	"github.com/foyer-idp/foyer/internal/directory"
	"github.com/foyer-idp/foyer/internal/store"
)

var appWriter = []string{"Application.ReadWrite.All"}

// newApp registers an application through the API, as an app holding
// every API permission (so it may grant any), and answers its body.
func (f *fixture) newApp(t *testing.T, body map[string]any) map[string]any {
	t.Helper()
	res := f.call(t, f.app(directory.APIPermissions...), "POST", "/v1.0/applications", body)
	require.Equal(t, http.StatusCreated, res.status, res.raw)
	return res.body
}

// requireAudited asserts the tenant's audit log holds a successful event
// of activity naming target.
func (f *fixture) requireAudited(t *testing.T, activity, target string) store.AuditEvent {
	t.Helper()
	events, err := f.store.ListAudit(t.Context(), store.AuditFilter{TenantID: f.a.ID})
	require.NoError(t, err)
	i := slices.IndexFunc(events, func(e store.AuditEvent) bool {
		return e.Activity == activity && e.TargetID == target && e.Result == store.ResultSuccess
	})
	require.GreaterOrEqual(t, i, 0, "no %q event for %s", activity, target)
	return events[i]
}

func testCreateApplication(t *testing.T, f *fixture) {
	body := f.newApp(t, map[string]any{
		"displayName": "Portal", "appId": "portal",
		"web":                    map[string]any{"redirectUris": []string{"https://portal.example/cb"}, "homePageUrl": "https://portal.example"},
		"postLogoutRedirectUris": []string{"https://portal.example/bye"},
		"grantTypes":             []string{"authorization_code", "refresh_token", "client_credentials"},
		"firstParty":             true, "appRoleAssignmentRequired": true, "requiresMfa": true,
		"accessTokenFormat": "opaque", "apiPermissions": []string{"User.Invite.All"},
	})
	require.Equal(t, "portal", body["appId"])
	require.Equal(t, "Portal", body["displayName"])
	require.Equal(t, "confidential", body["clientType"])
	require.Equal(t, false, body["isFallbackPublicClient"])
	require.Equal(t, map[string]any{"redirectUris": []any{"https://portal.example/cb"}, "homePageUrl": "https://portal.example"}, body["web"])
	require.Equal(t, []any{}, body["passwordCredentials"], "POST registers no secret: addPassword does, as in Graph")
	require.Equal(t, "https://foyer.example/v1.0/$metadata#applications/$entity", body["@odata.context"])
	id := body["id"].(string)

	got, err := f.dir.Application(t.Context(), f.a.ID, "portal")
	require.NoError(t, err)
	require.Equal(t, id, got.ID)
	require.Equal(t, []string{"https://portal.example/bye"}, got.PostLogoutRedirectURIs)
	require.Equal(t, []string{"authorization_code", "refresh_token", "client_credentials"}, got.GrantTypes)
	require.True(t, got.FirstParty && got.AssignmentRequired && got.RequiresMFA)
	require.Equal(t, "opaque", got.AccessTokenFormat)
	require.Equal(t, []string{"User.Invite.All"}, got.APIPermissions)
	secrets, err := f.dir.ClientSecrets(t.Context(), f.a.ID, id)
	require.NoError(t, err)
	require.Empty(t, secrets)
	require.Equal(t, "admin-script", f.requireAudited(t, audit.ActivityAddApplication, id).ActorID)

	// A public client's redirect URIs are under publicClient; defaults
	// fill the rest, and the client id is generated.
	public := f.newApp(t, map[string]any{"displayName": "CLI", "clientType": "native",
		"publicClient": map[string]any{"redirectUris": []string{"http://127.0.0.1/callback"}}})
	require.Equal(t, true, public["isFallbackPublicClient"])
	require.Equal(t, map[string]any{"redirectUris": []any{"http://127.0.0.1/callback"}}, public["publicClient"])
	require.Equal(t, map[string]any{"redirectUris": []any{}, "homePageUrl": nil}, public["web"])
	require.NotEmpty(t, public["appId"])
	require.Equal(t, []any{"authorization_code", "refresh_token"}, public["grantTypes"])
	require.Equal(t, "jwt", public["accessTokenFormat"])
}

func testCreateApplicationRefuses(t *testing.T, f *fixture) {
	f.newApp(t, map[string]any{"displayName": "Taken", "appId": "taken"})
	member := f.member(t, f.a.ID, "ada@contoso.example")
	before, err := f.dir.Applications(t.Context(), f.a.ID)
	require.NoError(t, err)
	p := f.app(appWriter...)
	for _, c := range []struct {
		name   string
		p      *api.Principal
		body   any
		status int
		code   string
		parts  []string
	}{
		{"display name required", p, map[string]any{}, http.StatusBadRequest, "Request_BadRequest", []string{"'displayName'"}},
		{"unknown nested", p, map[string]any{"displayName": "X", "web": map[string]any{"logoutUrl": "https://x.example"}},
			http.StatusBadRequest, "Request_BadRequest", []string{"Property 'web.logoutUrl' does not exist"}},
		{"wrong section", p, map[string]any{"displayName": "X", "publicClient": map[string]any{"redirectUris": []string{"https://x.example/cb"}}},
			http.StatusBadRequest, "Request_BadRequest", []string{"'publicClient.redirectUris'"}},
		{"bad redirect URI named by path", p, map[string]any{"displayName": "X", "web": map[string]any{"redirectUris": []string{"https://*.x.example/cb"}}},
			http.StatusBadRequest, "Request_BadRequest", []string{"'web.redirectUris'"}},
		{"bad home page named by path", p, map[string]any{"displayName": "X", "web": map[string]any{"homePageUrl": "javascript:alert(1)"}},
			http.StatusBadRequest, "Request_BadRequest", []string{"'web.homePageUrl'"}},
		{"types", p, map[string]any{"displayName": 1, "grantTypes": "code", "requiresMfa": "yes", "web": "x"},
			http.StatusBadRequest, "Request_BadRequest", []string{"'displayName'", "'grantTypes'", "'requiresMfa'", "'web'"}},
		{"unknown permission", p, map[string]any{"displayName": "X", "apiPermissions": []string{"Directory.ReadWrite.All"}},
			http.StatusBadRequest, "Request_BadRequest", []string{"'apiPermissions'"}},
		{"read-only", p, map[string]any{"displayName": "X", "id": "x", "passwordCredentials": []any{}},
			http.StatusBadRequest, "Request_BadRequest", []string{"'id' is read-only", "'passwordCredentials' is read-only"}},
		{"taken client id", p, map[string]any{"displayName": "X", "appId": "taken"}, http.StatusBadRequest, "ObjectConflict", []string{"appId"}},
		{"no permission", f.app("User.ReadWrite.All"), map[string]any{"displayName": "X"}, http.StatusForbidden, "Authorization_RequestDenied", nil},
		{"an app granting what it does not hold", p, map[string]any{"displayName": "X", "apiPermissions": []string{"User.ReadWrite.All"}},
			http.StatusForbidden, "Authorization_RequestDenied", []string{"'User.ReadWrite.All'"}},
		{"delegated member without a role", f.delegated(member.ID, appWriter...), map[string]any{"displayName": "X"},
			http.StatusForbidden, "Authorization_RequestDenied", nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			res := f.call(t, c.p, "POST", "/v1.0/applications", c.body)
			f.requireError(t, res, c.status, c.code, c.parts...)
		})
	}
	after, err := f.dir.Applications(t.Context(), f.a.ID)
	require.NoError(t, err)
	require.Equal(t, before, after, "no refused request registered anything")
}

func testPatchApplicationEveryField(t *testing.T, f *fixture) {
	id := f.newApp(t, map[string]any{"displayName": "Portal", "appId": "portal",
		"web": map[string]any{"redirectUris": []string{"https://portal.example/cb"}, "homePageUrl": "https://portal.example"}})["id"].(string)
	// A signed-in Tenant Administrator: an app may grant only what it
	// holds (CreateApplicationRefuses).
	root := f.memberWithRole(t, f.a.ID, "root@contoso.example", directory.RoleTenantAdministrator)
	p := f.delegated(root.ID, appWriter...)
	res := f.call(t, p, "PATCH", "/v1.0/applications/portal", map[string]any{
		"displayName": "Portal 2", "web": map[string]any{"redirectUris": []string{"https://portal.example/cb2", "https://portal.example/cb3"}},
		"postLogoutRedirectUris": []string{"https://portal.example/bye"}, "grantTypes": []string{"authorization_code"},
		"firstParty": true, "appRoleAssignmentRequired": true, "requiresMfa": true, "accessTokenFormat": "opaque",
		"apiPermissions": []string{"Group.ReadWrite.All"},
	})
	require.Equal(t, http.StatusNoContent, res.status, res.raw)
	got, err := f.dir.Application(t.Context(), f.a.ID, id)
	require.NoError(t, err)
	require.Equal(t, "Portal 2", got.DisplayName)
	require.Equal(t, []string{"https://portal.example/cb2", "https://portal.example/cb3"}, got.RedirectURIs)
	require.Equal(t, "https://portal.example", got.HomePageURL, "a web property not sent stays")
	require.Equal(t, []string{"https://portal.example/bye"}, got.PostLogoutRedirectURIs)
	require.Equal(t, []string{"authorization_code"}, got.GrantTypes)
	require.True(t, got.FirstParty && got.AssignmentRequired && got.RequiresMFA)
	require.Equal(t, "opaque", got.AccessTokenFormat)
	require.Equal(t, []string{"Group.ReadWrite.All"}, got.APIPermissions)
	f.requireAudited(t, audit.ActivityUpdateApplication, id)

	// null clears a list; the home page clears with "".
	res = f.call(t, p, "PATCH", "/v1.0/applications/"+id, map[string]any{"apiPermissions": nil, "web": map[string]any{"homePageUrl": ""}})
	require.Equal(t, http.StatusNoContent, res.status, res.raw)
	got, err = f.dir.Application(t.Context(), f.a.ID, id)
	require.NoError(t, err)
	require.Empty(t, got.APIPermissions)
	require.Empty(t, got.HomePageURL)

	for _, c := range []struct {
		name  string
		body  map[string]any
		parts []string
	}{
		{"public section on a confidential client", map[string]any{"publicClient": map[string]any{"redirectUris": []string{}}},
			[]string{"'publicClient.redirectUris'"}},
		{"unknown grant type", map[string]any{"grantTypes": []string{"password"}}, []string{"'grantTypes'"}},
		{"unknown nested", map[string]any{"web": map[string]any{"implicitGrantSettings": map[string]any{}}},
			[]string{"Property 'web.implicitGrantSettings' does not exist"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			f.requireError(t, f.call(t, p, "PATCH", "/v1.0/applications/"+id, c.body), http.StatusBadRequest, "Request_BadRequest", c.parts...)
		})
	}
	f.requireError(t, f.call(t, p, "PATCH", "/v1.0/applications/nobody", map[string]any{"displayName": "X"}),
		http.StatusNotFound, "Request_ResourceNotFound")
	unchanged, err := f.dir.Application(t.Context(), f.a.ID, id)
	require.NoError(t, err)
	require.Equal(t, got, unchanged)
}

func testDeleteApplication(t *testing.T, f *fixture) {
	id := f.newApp(t, map[string]any{"displayName": "Portal"})["id"].(string)
	theirs, _, err := f.dir.CreateApplication(t.Context(), f.b.ID, directory.NewApplication{DisplayName: "Theirs"})
	require.NoError(t, err)
	p := f.app(appWriter...)
	f.requireError(t, f.call(t, f.app("User.ReadWrite.All"), "DELETE", "/v1.0/applications/"+id, nil),
		http.StatusForbidden, "Authorization_RequestDenied")
	f.requireError(t, f.call(t, p, "DELETE", "/v1.0/applications/"+theirs.ID, nil), http.StatusNotFound, "Request_ResourceNotFound")
	_, err = f.dir.Application(t.Context(), f.b.ID, theirs.ID)
	require.NoError(t, err, "another tenant's application stays")

	res := f.call(t, p, "DELETE", "/v1.0/applications/"+id, nil)
	require.Equal(t, http.StatusNoContent, res.status, res.raw)
	f.requireError(t, f.call(t, p, "GET", "/v1.0/applications/"+id, nil), http.StatusNotFound, "Request_ResourceNotFound")
	f.requireError(t, f.call(t, p, "DELETE", "/v1.0/applications/"+id, nil), http.StatusNotFound, "Request_ResourceNotFound")
	f.requireAudited(t, audit.ActivityDeleteApplication, id)
}

func testApplicationPasswords(t *testing.T, f *fixture) {
	body := f.newApp(t, map[string]any{"displayName": "Portal", "appId": "portal"})
	id := body["id"].(string)
	p := f.app(appWriter...)
	end := f.now.Add(30 * 24 * time.Hour)
	res := f.call(t, p, "POST", "/v1.0/applications/"+id+"/addPassword",
		map[string]any{"passwordCredential": map[string]any{"displayName": "CI", "endDateTime": end}})
	require.Equal(t, http.StatusOK, res.status, res.raw)
	require.Equal(t, []string{"@odata.context", "customKeyIdentifier", "displayName", "endDateTime", "hint", "keyId",
		"secretText", "startDateTime"}, keys(res.body))
	value := res.body["secretText"].(string)
	keyID := res.body["keyId"].(string)
	require.Len(t, value, 43, "256 bits, base64url")
	require.Equal(t, value[:3], res.body["hint"])
	require.Equal(t, "CI", res.body["displayName"])
	require.Equal(t, end.Format(time.RFC3339), res.body["endDateTime"])
	require.Equal(t, "no-store", res.header.Get("Cache-Control"))
	_, err := f.dir.VerifyClientSecret(t.Context(), f.a.ID, "portal", value)
	require.NoError(t, err, "the secret authenticates the client")

	// Without endDateTime a secret lasts two years, as in Graph.
	res = f.call(t, p, "POST", "/v1.0/applications/portal/addPassword", map[string]any{})
	require.Equal(t, http.StatusOK, res.status, res.raw)
	require.Equal(t, f.now.Add(2*365*24*time.Hour).Format(time.RFC3339), res.body["endDateTime"])
	require.Nil(t, res.body["displayName"])
	second := res.body["secretText"].(string)

	// A GET lists both by hint, never the value.
	got := f.call(t, p, "GET", "/v1.0/applications/"+id, nil)
	require.Equal(t, http.StatusOK, got.status, got.raw)
	creds := got.body["passwordCredentials"].([]any)
	require.Len(t, creds, 2)
	require.Contains(t, []any{creds[0].(map[string]any)["keyId"], creds[1].(map[string]any)["keyId"]}, keyID)
	list := f.call(t, p, "GET", "/v1.0/applications", nil)
	for _, v := range []string{value, second} {
		f.requireNotLeaked(t, v, got.raw, list.raw)
	}
	require.NotContains(t, got.raw, "secretText")
	f.requireAudited(t, audit.ActivityAddAppSecret, id)

	// Past its end a secret no longer authenticates.
	start := f.now
	f.now = end.Add(time.Second)
	_, err = f.dir.VerifyClientSecret(t.Context(), f.a.ID, "portal", value)
	require.ErrorIs(t, err, directory.ErrBadCredentials)
	f.now = start

	for _, c := range []struct {
		name, path string
		body       any
		status     int
		parts      []string
	}{
		{"end in the past", "addPassword", map[string]any{"passwordCredential": map[string]any{"endDateTime": f.now.Add(-time.Hour)}},
			http.StatusBadRequest, []string{"'passwordCredential.endDateTime'"}},
		{"unknown nested", "addPassword", map[string]any{"passwordCredential": map[string]any{"secretText": "chosen-by-me"}},
			http.StatusBadRequest, []string{"Property 'passwordCredential.secretText' does not exist"}},
		{"not a time", "addPassword", map[string]any{"passwordCredential": map[string]any{"endDateTime": "tomorrow"}},
			http.StatusBadRequest, []string{"'passwordCredential'"}},
		{"control character in the label", "addPassword", map[string]any{"passwordCredential": map[string]any{"displayName": "a\x00b"}},
			http.StatusBadRequest, []string{"'passwordCredential.displayName'"}},
		{"keyId required", "removePassword", map[string]any{}, http.StatusBadRequest, []string{"'keyId'"}},
		{"unknown keyId", "removePassword", map[string]any{"keyId": "nope"}, http.StatusNotFound, []string{"'nope'"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			res := f.call(t, p, "POST", "/v1.0/applications/"+id+"/"+c.path, c.body)
			code := "Request_BadRequest"
			if c.status == http.StatusNotFound {
				code = "Request_ResourceNotFound"
			}
			f.requireError(t, res, c.status, code, c.parts...)
		})
	}
	public := f.newApp(t, map[string]any{"displayName": "SPA", "clientType": "public"})
	f.requireError(t, f.call(t, p, "POST", "/v1.0/applications/"+public["id"].(string)+"/addPassword", map[string]any{}),
		http.StatusBadRequest, "Request_BadRequest", "'clientType'")
	f.requireError(t, f.call(t, p, "POST", "/v1.0/applications/nobody/addPassword", map[string]any{}),
		http.StatusNotFound, "Request_ResourceNotFound")

	res = f.call(t, p, "POST", "/v1.0/applications/"+id+"/removePassword", map[string]any{"keyId": keyID})
	require.Equal(t, http.StatusNoContent, res.status, res.raw)
	secrets, err := f.dir.ClientSecrets(t.Context(), f.a.ID, id)
	require.NoError(t, err)
	require.Len(t, secrets, 1)
	require.NotEqual(t, keyID, secrets[0].ID)
	f.requireAudited(t, audit.ActivityRemoveAppSecret, id)
}

func testApplicationPasswordsByOwners(t *testing.T, f *fixture) {
	id := f.newApp(t, map[string]any{"displayName": "Portal"})["id"].(string)
	owner := f.member(t, f.a.ID, "owner@contoso.example")
	other := f.member(t, f.a.ID, "other@contoso.example")
	require.NoError(t, f.dir.AddApplicationOwner(t.Context(), f.a.ID, id, owner.ID))

	res := f.call(t, f.delegated(owner.ID, appWriter...), "POST", "/v1.0/applications/"+id+"/addPassword", map[string]any{})
	require.Equal(t, http.StatusOK, res.status, "an owner manages their app's secrets: %s", res.raw)
	e := f.requireAudited(t, audit.ActivityAddAppSecret, id)
	require.Equal(t, owner.ID, e.ActorID)
	res = f.call(t, f.delegated(owner.ID, appWriter...), "POST", "/v1.0/applications/"+id+"/removePassword",
		map[string]any{"keyId": res.body["keyId"]})
	require.Equal(t, http.StatusNoContent, res.status, res.raw)

	for _, c := range []struct {
		name         string
		p            *api.Principal
		method, path string
		body         any
	}{
		{"another member", f.delegated(other.ID, appWriter...), "POST", "/addPassword", map[string]any{}},
		{"owner without the scope", f.delegated(owner.ID, "User.ReadWrite.All"), "POST", "/addPassword", map[string]any{}},
		{"owner changing anything else", f.delegated(owner.ID, appWriter...), "PATCH", "", map[string]any{"apiPermissions": []string{"User.ReadWrite.All"}}},
		{"owner deleting", f.delegated(owner.ID, appWriter...), "DELETE", "", nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			f.requireError(t, f.call(t, c.p, c.method, "/v1.0/applications/"+id+c.path, c.body), http.StatusForbidden, "Authorization_RequestDenied")
		})
	}
	secrets, err := f.dir.ClientSecrets(t.Context(), f.a.ID, id)
	require.NoError(t, err)
	require.Empty(t, secrets)
	app, err := f.dir.Application(t.Context(), f.a.ID, id)
	require.NoError(t, err)
	require.Empty(t, app.APIPermissions)
}

func testApplicationOwners(t *testing.T, f *fixture) {
	id := f.newApp(t, map[string]any{"displayName": "Portal"})["id"].(string)
	ada := f.member(t, f.a.ID, "ada@contoso.example")
	stranger := f.member(t, f.b.ID, "sam@fabrikam.example")
	p := f.app(appWriter...)
	ref := func(userID string) map[string]any {
		return map[string]any{"@odata.id": "https://graph.microsoft.com/v1.0/directoryObjects/" + userID}
	}
	res := f.call(t, p, "POST", "/v1.0/applications/"+id+"/owners/$ref", ref(ada.ID))
	require.Equal(t, http.StatusNoContent, res.status, res.raw)
	f.requireAudited(t, audit.ActivityAddAppOwner, id)
	f.requireError(t, f.call(t, p, "POST", "/v1.0/applications/"+id+"/owners/$ref", ref(ada.ID)),
		http.StatusBadRequest, "Request_BadRequest", "'owners'")
	f.requireError(t, f.call(t, p, "POST", "/v1.0/applications/"+id+"/owners/$ref", ref(stranger.ID)),
		http.StatusNotFound, "Request_ResourceNotFound")
	f.requireError(t, f.call(t, p, "POST", "/v1.0/applications/"+id+"/owners/$ref", map[string]any{"@odata.id": "x"}),
		http.StatusBadRequest, "Request_BadRequest", "Invalid object identifier")
	f.requireError(t, f.call(t, f.app("User.ReadWrite.All"), "POST", "/v1.0/applications/"+id+"/owners/$ref", ref(ada.ID)),
		http.StatusForbidden, "Authorization_RequestDenied")

	owners := values(t, f.call(t, p, "GET", "/v1.0/applications/"+id+"/owners", nil))
	require.Equal(t, []string{ada.ID}, ids(owners))
	require.Equal(t, "#microsoft.graph.user", owners[0]["@odata.type"])
	refs := values(t, f.call(t, p, "GET", "/v1.0/applications/"+id+"/owners/$ref", nil))
	require.Equal(t, []map[string]any{{"@odata.id": "https://foyer.example/v1.0/directoryObjects/" + ada.ID}}, refs)

	f.requireError(t, f.call(t, p, "DELETE", "/v1.0/applications/"+id+"/owners/"+stranger.ID+"/$ref", nil),
		http.StatusNotFound, "Request_ResourceNotFound")
	res = f.call(t, p, "DELETE", "/v1.0/applications/"+id+"/owners/"+ada.ID+"/$ref", nil)
	require.Equal(t, http.StatusNoContent, res.status, res.raw)
	f.requireAudited(t, audit.ActivityRemoveAppOwner, id)
	require.Empty(t, values(t, f.call(t, p, "GET", "/v1.0/applications/"+id+"/owners", nil)))
}

func testApplicationAssignments(t *testing.T, f *fixture) {
	id := f.newApp(t, map[string]any{"displayName": "Portal", "appRoleAssignmentRequired": true})["id"].(string)
	ada := f.member(t, f.a.ID, "ada@contoso.example")
	staff := f.group(t, f.a.ID, "Staff")
	stranger := f.member(t, f.b.ID, "sam@fabrikam.example")
	p := f.app(appWriter...)
	path := "/v1.0/applications/" + id + "/appRoleAssignedTo"

	res := f.call(t, p, "POST", path, map[string]any{"principalId": ada.ID, "resourceId": id, "appRoleId": "00000000-0000-0000-0000-000000000000"})
	require.Equal(t, http.StatusCreated, res.status, res.raw)
	require.Equal(t, "User", res.body["principalType"])
	require.Equal(t, ada.DisplayName, res.body["principalDisplayName"])
	require.Equal(t, "Portal", res.body["resourceDisplayName"])
	f.requireAudited(t, audit.ActivityAddAppAssignment, id)
	res = f.call(t, p, "POST", path, map[string]any{"principalId": staff.ID})
	require.Equal(t, http.StatusCreated, res.status, res.raw)
	require.Equal(t, "Group", res.body["principalType"])
	ok, err := f.dir.MayUse(t.Context(), store.Application{TenantID: f.a.ID, ID: id, AssignmentRequired: true}, ada.ID)
	require.NoError(t, err)
	require.True(t, ok, "the assignment lets ada sign in")

	for _, c := range []struct {
		name   string
		body   map[string]any
		status int
		code   string
		part   string
	}{
		{"principal required", map[string]any{}, http.StatusBadRequest, "Request_BadRequest", "'principalId'"},
		{"another tenant's user", map[string]any{"principalId": stranger.ID}, http.StatusNotFound, "Request_ResourceNotFound", stranger.ID},
		{"another app", map[string]any{"principalId": ada.ID, "resourceId": "other"}, http.StatusBadRequest, "Request_BadRequest", "'resourceId'"},
		{"an app role Foyer has not", map[string]any{"principalId": ada.ID, "appRoleId": "1"}, http.StatusBadRequest, "Request_BadRequest", "'appRoleId'"},
		{"twice", map[string]any{"principalId": ada.ID}, http.StatusBadRequest, "ObjectConflict", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			f.requireError(t, f.call(t, p, "POST", path, c.body), c.status, c.code, c.part)
		})
	}
	f.requireError(t, f.call(t, f.app("User.ReadWrite.All"), "POST", path, map[string]any{"principalId": ada.ID}),
		http.StatusForbidden, "Authorization_RequestDenied")

	list := values(t, f.call(t, p, "GET", path, nil))
	require.ElementsMatch(t, []string{ada.ID, staff.ID}, ids(list))
	res = f.call(t, p, "DELETE", path+"/"+ada.ID, nil)
	require.Equal(t, http.StatusNoContent, res.status, res.raw)
	f.requireAudited(t, audit.ActivityRemoveAppAssignment, id)
	f.requireError(t, f.call(t, p, "DELETE", path+"/"+ada.ID, nil), http.StatusNotFound, "Request_ResourceNotFound")
	require.Equal(t, []string{staff.ID}, ids(values(t, f.call(t, p, "GET", path, nil))))
}
