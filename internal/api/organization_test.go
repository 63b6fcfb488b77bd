package api_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/internal/audit"
	"github.com/foyer-idp/foyer/internal/directory"
	"github.com/foyer-idp/foyer/internal/store/sqlstore/sqltest"
)

// TestOrganization: the caller's tenant as Graph's organization, and its
// branding, on each back end.
func TestOrganization(t *testing.T) {
	t.Parallel()
	sqltest.RunSuite(t, []sqltest.Case[*fixture]{
		{Name: "Organization", Fn: testOrganization},
		{Name: "Branding", Fn: testBranding},
	}, newFixture)
}

var orgWriter = []string{"Organization.ReadWrite.All"}

func testOrganization(t *testing.T, f *fixture) {
	_, err := f.dir.AddDomain(t.Context(), f.a.ID, "contoso.example")
	require.NoError(t, err)
	_, err = f.dir.AddDomain(t.Context(), f.b.ID, "fabrikam.example")
	require.NoError(t, err)
	p := f.app(orgWriter...)
	list := values(t, f.call(t, p, "GET", "/v1.0/organization", nil))
	require.Len(t, list, 1, "a collection of one: the caller's tenant")
	org := list[0]
	require.Equal(t, f.a.ID, org["id"], "the id is the tokens' tid")
	require.Equal(t, "CONTOSO", org["displayName"])
	require.Equal(t, []any{map[string]any{"name": "contoso.example", "type": "Managed", "capabilities": "Email",
		"isDefault": false, "isInitial": false}}, org["verifiedDomains"])

	one := f.call(t, p, "GET", "/v1.0/organization/"+f.a.ID+"?$select=displayName", nil)
	require.Equal(t, http.StatusOK, one.status, one.raw)
	require.Equal(t, "CONTOSO", one.body["displayName"])
	require.NotContains(t, one.body, "verifiedDomains")

	f.requireError(t, f.call(t, p, "GET", "/v1.0/organization/"+f.b.ID, nil), http.StatusNotFound, "Request_ResourceNotFound")
	f.requireError(t, f.call(t, p, "GET", "/v1.0/organization?$select=colour", nil), http.StatusBadRequest, "Request_BadRequest", "'colour'")
	f.requireError(t, f.call(t, f.app("User.ReadWrite.All"), "GET", "/v1.0/organization", nil), http.StatusForbidden, "Authorization_RequestDenied")
	member := f.member(t, f.a.ID, "ada@contoso.example")
	f.requireError(t, f.call(t, f.delegated(member.ID, orgWriter...), "GET", "/v1.0/organization", nil),
		http.StatusForbidden, "Authorization_RequestDenied")
	admin := f.memberWithRole(t, f.a.ID, "admin@contoso.example", directory.RoleTenantAdministrator)
	require.Len(t, values(t, f.call(t, f.delegated(admin.ID, orgWriter...), "GET", "/v1.0/organization", nil)), 1)
}

func testBranding(t *testing.T, f *fixture) {
	p := f.app(orgWriter...)
	path := "/v1.0/organization/" + f.a.ID + "/branding"
	res := f.call(t, p, "PATCH", path, map[string]any{"logoUrl": "https://cdn.contoso.example/logo.png",
		"accentColor": "#0055aa", "senderName": "Contoso IT"})
	require.Equal(t, http.StatusNoContent, res.status, res.raw)
	got := f.call(t, p, "GET", path, nil)
	require.Equal(t, http.StatusOK, got.status, got.raw)
	require.Equal(t, "0", got.body["id"])
	require.Equal(t, "https://cdn.contoso.example/logo.png", got.body["logoUrl"])
	require.Equal(t, "#0055aa", got.body["accentColor"])
	require.Equal(t, "Contoso IT", got.body["senderName"])
	tn, err := f.dir.Tenant(t.Context(), f.a.ID)
	require.NoError(t, err)
	require.Equal(t, "Contoso IT", tn.Branding.SenderName)
	f.requireAudited(t, audit.ActivityUpdateTenant, f.a.ID)

	// Only what is sent changes; "" clears.
	res = f.call(t, p, "PATCH", path, map[string]any{"senderName": ""})
	require.Equal(t, http.StatusNoContent, res.status, res.raw)
	tn, err = f.dir.Tenant(t.Context(), f.a.ID)
	require.NoError(t, err)
	require.Empty(t, tn.Branding.SenderName)
	require.Equal(t, "#0055aa", tn.Branding.AccentColor)

	for _, c := range []struct {
		name  string
		body  map[string]any
		parts []string
	}{
		{"colour", map[string]any{"accentColor": "blue"}, []string{"'accentColor'"}},
		{"logo", map[string]any{"logoUrl": "javascript:alert(1)"}, []string{"'logoUrl'"}},
		{"unknown", map[string]any{"backgroundColor": "#fff"}, []string{"Property 'backgroundColor' does not exist"}},
		{"read-only", map[string]any{"id": "1"}, []string{"'id' is read-only"}},
		{"type", map[string]any{"senderName": 5}, []string{"'senderName'"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			f.requireError(t, f.call(t, p, "PATCH", path, c.body), http.StatusBadRequest, "Request_BadRequest", c.parts...)
		})
	}
	f.requireError(t, f.call(t, p, "PATCH", "/v1.0/organization/"+f.b.ID+"/branding", map[string]any{"senderName": "Mine"}),
		http.StatusNotFound, "Request_ResourceNotFound")
	theirs, err := f.dir.Tenant(t.Context(), f.b.ID)
	require.NoError(t, err)
	require.Empty(t, theirs.Branding.SenderName, "another tenant's branding is not changed")
	member := f.member(t, f.a.ID, "ada@contoso.example")
	f.requireError(t, f.call(t, f.delegated(member.ID, orgWriter...), "PATCH", path, map[string]any{"senderName": "Ada"}),
		http.StatusForbidden, "Authorization_RequestDenied")
	f.requireError(t, f.call(t, f.app("Application.ReadWrite.All"), "PATCH", path, map[string]any{"senderName": "App"}),
		http.StatusForbidden, "Authorization_RequestDenied")
	tn, err = f.dir.Tenant(t.Context(), f.a.ID)
	require.NoError(t, err)
	require.Empty(t, tn.Branding.SenderName)
}
