package api_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/internal/directory"
	"github.com/foyer-idp/foyer/internal/store/sqlstore/sqltest"
)

// TestMe: /me and its memberOf and ownedObjects for delegated tokens, on
// each back end.
func TestMe(t *testing.T) {
	t.Parallel()
	sqltest.RunSuite(t, []sqltest.Case[*fixture]{
		{Name: "Me", Fn: testMe},
		{Name: "MeRefusesAppTokens", Fn: testMeRefusesApps},
	}, newFixture)
}

func testMe(t *testing.T, f *fixture) {
	ada := f.memberWithRole(t, f.a.ID, "ada@contoso.example", directory.RoleGuestInviter)
	f.member(t, f.a.ID, "bob@contoso.example")
	staff, owned := f.group(t, f.a.ID, "Staff"), f.group(t, f.a.ID, "Owned")
	f.group(t, f.a.ID, "Other")
	require.NoError(t, f.dir.AddGroupMember(t.Context(), f.a.ID, staff.ID, ada.ID))
	require.NoError(t, f.dir.AddGroupOwner(t.Context(), f.a.ID, owned.ID, ada.ID))
	app := f.newApp(t, map[string]any{"displayName": "Ada's app"})
	f.newApp(t, map[string]any{"displayName": "Not Ada's"})
	require.NoError(t, f.dir.AddApplicationOwner(t.Context(), f.a.ID, app["id"].(string), ada.ID))
	// Any signed-in user reads their own, with whatever scope.
	p := f.delegated(ada.ID, "User.Invite.All")

	me := f.call(t, p, "GET", "/v1.0/me", nil)
	require.Equal(t, http.StatusOK, me.status, me.raw)
	require.Equal(t, ada.ID, me.body["id"])
	require.Equal(t, "ada@contoso.example", me.body["mail"])
	require.Equal(t, "https://foyer.example/v1.0/$metadata#users/$entity", me.body["@odata.context"])
	require.NotContains(t, me.raw, "argon2")
	sel := f.call(t, p, "GET", "/v1.0/me?$select=displayName", nil)
	require.Equal(t, []string{"@odata.context", "displayName"}, keys(sel.body))

	memberOf := values(t, f.call(t, p, "GET", "/v1.0/me/memberOf", nil))
	require.Len(t, memberOf, 2)
	byType := map[string]map[string]any{}
	for _, it := range memberOf {
		byType[it["@odata.type"].(string)] = it
	}
	require.Equal(t, staff.ID, byType["#microsoft.graph.group"]["id"])
	require.Equal(t, "Staff", byType["#microsoft.graph.group"]["displayName"])
	require.Equal(t, "Guest Inviter", byType["#microsoft.graph.directoryRole"]["displayName"])
	require.Equal(t, "95e79109-95c0-4d8e-aee3-d01accf2d47b", byType["#microsoft.graph.directoryRole"]["roleTemplateId"])

	owns := values(t, f.call(t, p, "GET", "/v1.0/me/ownedObjects", nil))
	require.ElementsMatch(t, []string{owned.ID, app["id"].(string)}, ids(owns))
	for _, it := range owns {
		if it["id"] == owned.ID {
			require.Equal(t, "#microsoft.graph.group", it["@odata.type"])
		} else {
			require.Equal(t, "#microsoft.graph.application", it["@odata.type"])
			require.Equal(t, "Ada's app", it["displayName"])
		}
	}

	// Paging: one at a time, the same two, then no more.
	first := f.call(t, p, "GET", "/v1.0/me/ownedObjects?$top=1", nil)
	next, ok := first.body["@odata.nextLink"].(string)
	require.True(t, ok, first.raw)
	second := f.call(t, p, "GET", next, nil)
	require.ElementsMatch(t, ids(owns), append(ids(values(t, first)), ids(values(t, second))...))
	require.NotContains(t, second.body, "@odata.nextLink")

	f.requireError(t, f.call(t, p, "GET", "/v1.0/me/memberOf?$select=id", nil), http.StatusBadRequest, "Request_UnsupportedQuery")
	f.requireError(t, f.call(t, p, "GET", "/v1.0/me/memberOf?$filter=id%20eq%20'x'", nil), http.StatusBadRequest, "Request_UnsupportedQuery")
}

func testMeRefusesApps(t *testing.T, f *fixture) {
	for _, path := range []string{"/v1.0/me", "/v1.0/me/memberOf", "/v1.0/me/ownedObjects"} {
		t.Run(path, func(t *testing.T) {
			f.requireError(t, f.call(t, f.app(admin...), "GET", path, nil), http.StatusBadRequest, "Request_BadRequest",
				"/me request is only valid with delegated authentication flow.")
			f.requireError(t, f.call(t, nil, "GET", path, nil), http.StatusUnauthorized, "InvalidAuthenticationToken")
		})
	}
	// Another tenant's user id in a token of this tenant finds nobody.
	sam := f.member(t, f.b.ID, "sam@fabrikam.example")
	f.requireError(t, f.call(t, f.delegated(sam.ID, "User.ReadWrite.All"), "GET", "/v1.0/me", nil),
		http.StatusNotFound, "Request_ResourceNotFound")
}
