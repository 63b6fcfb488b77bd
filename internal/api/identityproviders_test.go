package api_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/internal/api"
	"github.com/foyer-idp/foyer/internal/directory"
	"github.com/foyer-idp/foyer/internal/secret"
	"github.com/foyer-idp/foyer/internal/store"
	"github.com/foyer-idp/foyer/internal/store/sqlstore/sqltest"
)

// TestFederationAPI: identity providers, verified domains and the
// redemption policy.
func TestFederationAPI(t *testing.T) {
	t.Parallel()
	tests := []sqltest.Case[*fixture]{
		{Name: "IdPContract", Fn: testIdPContract},
		{Name: "IdPRefuses", Fn: testIdPRefuses},
		{Name: "IdPFoyerProvidersAreReadOnly", Fn: testIdPFoyerReadOnly},
		{Name: "IdPPermissions", Fn: testIdPPermissions},
		{Name: "IdPOtherTenant", Fn: testIdPOtherTenant},
		{Name: "Domains", Fn: testDomains},
		{Name: "DomainsPermissions", Fn: testDomainsPermissions},
		{Name: "RedemptionPolicy", Fn: testRedemptionPolicy},
		{Name: "RedemptionPolicyRefuses", Fn: testRedemptionPolicyRefuses},
	}
	sqltest.RunSuite(t, tests, newFixture)
}

const idpPath = "/v1.0/identity/identityProviders"

var idpWriter = []string{"IdentityProvider.ReadWrite.All"}

// upstreamSecret is a client secret no answer, log or audit event may hold.
const upstreamSecret = "upstream-Secret-7f3c9a1e2b"

func oidcBody() map[string]any {
	return map[string]any{
		"@odata.type":          "#microsoft.graph.openIdConnectIdentityProvider",
		"displayName":          "Fabrikam Login",
		"identityProviderType": "OpenIDConnect",
		"clientId":             "foyer-at-fabrikam",
		"clientSecret":         upstreamSecret,
		"metadataUrl":          "https://login.fabrikam.example/.well-known/openid-configuration",
		"scope":                "openid profile  email",
		"claimsMapping":        map[string]any{"userId": "sub", "email": "upn"},
		"domains":              []string{"fabrikam.example"},
		"isMfaAccepted":        true,
	}
}

// requireNoSecret asserts the secret is in no answer so far, no log line
// and no audit event.
func (f *fixture) requireNoSecret(t *testing.T, raws ...string) {
	t.Helper()
	for _, raw := range raws {
		require.NotContains(t, raw, "new-"+upstreamSecret)
	}
	f.requireNotLeaked(t, upstreamSecret, raws...)
}

// requireNotLeaked asserts value is in none of raws, no log line and no
// audit event of either tenant.
func (f *fixture) requireNotLeaked(t *testing.T, value string, raws ...string) {
	t.Helper()
	for _, raw := range raws {
		require.NotContains(t, raw, value)
	}
	require.NotContains(t, f.logs.String(), value)
	for _, tn := range []string{f.a.ID, f.b.ID} {
		events, err := f.store.ListAudit(t.Context(), store.AuditFilter{TenantID: tn})
		require.NoError(t, err)
		raw, err := json.Marshal(events)
		require.NoError(t, err)
		require.NotContains(t, string(raw), value)
	}
}

func testIdPContract(t *testing.T, f *fixture) {
	ctx := t.Context()
	p := f.app(idpWriter...)
	res := f.call(t, p, "POST", idpPath, oidcBody())
	require.Equal(t, http.StatusCreated, res.status, res.raw)
	id, _ := res.body["id"].(string)
	require.NotEmpty(t, id)
	require.Equal(t, map[string]any{
		"@odata.context":       "https://foyer.example/v1.0/$metadata#identity/identityProviders/$entity",
		"@odata.type":          "#microsoft.graph.openIdConnectIdentityProvider",
		"id":                   id,
		"displayName":          "Fabrikam Login",
		"identityProviderType": "OpenIDConnect",
		"clientId":             "foyer-at-fabrikam",
		"clientSecret":         "******",
		"metadataUrl":          "https://login.fabrikam.example/.well-known/openid-configuration",
		"scope":                "openid profile email",
		"claimsMapping": map[string]any{"userId": "sub", "displayName": nil, "givenName": nil,
			"surname": nil, "email": "upn"},
		"domains":              []any{"fabrikam.example"},
		"enabled":              true,
		"isMfaAccepted":        true,
		"issuer":               "https://login.fabrikam.example",
		"partnerTenantId":      nil,
		"createdDateTime":      "2026-11-27T09:00:00Z",
		"lastModifiedDateTime": "2026-11-27T09:00:00Z",
	}, res.body)
	require.Equal(t, "no-store", res.header.Get("Cache-Control"))
	created := res.raw

	// Stored: the issuer without the discovery path, the secret sealed.
	stored, err := f.dir.IdentityProvider(ctx, f.a.ID, id)
	require.NoError(t, err)
	require.Equal(t, "https://login.fabrikam.example", stored.Issuer)
	require.Equal(t, []string{"openid", "profile", "email"}, stored.Scopes)
	require.NotContains(t, string(stored.SealedClientSecret), upstreamSecret)
	got, err := f.dir.ClientSecret(stored)
	require.NoError(t, err)
	require.Equal(t, upstreamSecret, got)

	// GET answers the same, $select picks.
	res = f.call(t, p, "GET", idpPath+"/"+id, nil)
	require.Equal(t, http.StatusOK, res.status, res.raw)
	require.Equal(t, "******", res.body["clientSecret"])
	require.Equal(t, "#microsoft.graph.openIdConnectIdentityProvider", res.body["@odata.type"])
	one := res.raw
	res = f.call(t, p, "GET", idpPath+"/"+id+"?$select=displayName,domains", nil)
	require.Equal(t, http.StatusOK, res.status, res.raw)
	require.Equal(t, []string{"@odata.context", "@odata.type", "displayName", "domains"}, keys(res.body))

	// A social provider: the issuer form of metadataUrl is not needed.
	res = f.call(t, p, "POST", idpPath, map[string]any{"@odata.type": "#microsoft.graph.socialIdentityProvider",
		"displayName": "GitHub", "identityProviderType": "GitHub", "clientId": "gh-client", "clientSecret": upstreamSecret,
		"enabled": false})
	require.Equal(t, http.StatusCreated, res.status, res.raw)
	require.Equal(t, "#microsoft.graph.socialIdentityProvider", res.body["@odata.type"])
	require.Equal(t, "GitHub", res.body["identityProviderType"])
	require.Equal(t, false, res.body["enabled"])
	require.Equal(t, "******", res.body["clientSecret"])
	github := res.body["id"].(string)
	social := res.raw

	list := f.call(t, p, "GET", idpPath, nil)
	items := values(t, list)
	require.ElementsMatch(t, []string{id, github}, ids(items))
	for _, it := range items {
		require.Equal(t, "******", it["clientSecret"])
		require.Contains(t, it, "@odata.type")
	}

	// PATCH: the issuer form of metadataUrl, a new secret, a new mapping;
	// an hour later, so lastModifiedDateTime moves and createdDateTime not.
	f.now = f.now.Add(time.Hour)
	res = f.call(t, p, "PATCH", idpPath+"/"+id, map[string]any{
		"@odata.type": "#microsoft.graph.openIdConnectIdentityProvider",
		"displayName": "Fabrikam", "metadataUrl": "https://login2.fabrikam.example", "clientSecret": "new-" + upstreamSecret,
		"claimsMapping": map[string]any{"userId": "oid"}, "domains": []string{}, "isMfaAccepted": false, "scope": "openid"})
	require.Equal(t, http.StatusNoContent, res.status, res.raw)
	require.Empty(t, res.raw)
	stored, err = f.dir.IdentityProvider(ctx, f.a.ID, id)
	require.NoError(t, err)
	require.Equal(t, "Fabrikam", stored.DisplayName)
	require.Equal(t, "https://login2.fabrikam.example", stored.Issuer)
	require.Equal(t, store.ClaimsMapping{UserID: "oid"}, stored.ClaimsMapping)
	require.Empty(t, stored.Domains)
	require.False(t, stored.MFATrusted)
	require.Equal(t, "foyer-at-fabrikam", stored.ClientID, "what the body leaves out stays")
	got, err = f.dir.ClientSecret(stored)
	require.NoError(t, err)
	require.Equal(t, "new-"+upstreamSecret, got)
	res = f.call(t, p, "GET", idpPath+"/"+id, nil)
	require.Equal(t, "https://login2.fabrikam.example/.well-known/openid-configuration", res.body["metadataUrl"])
	require.Equal(t, "openid", res.body["scope"])
	require.Equal(t, "2026-11-27T09:00:00Z", res.body["createdDateTime"])
	require.Equal(t, "2026-11-27T10:00:00Z", res.body["lastModifiedDateTime"])
	f.now = f.now.Add(-time.Hour) // error bodies carry the fixture's date
	patched := res.raw

	// Foyer's issuer extension keeps what metadataUrl cannot say: a
	// trailing slash, which the upstream's ID tokens carry as is.
	res = f.call(t, p, "PATCH", idpPath+"/"+id, map[string]any{"issuer": "https://tenant.auth.example/"})
	require.Equal(t, http.StatusNoContent, res.status, res.raw)
	stored, err = f.dir.IdentityProvider(ctx, f.a.ID, id)
	require.NoError(t, err)
	require.Equal(t, "https://tenant.auth.example/", stored.Issuer)
	res = f.call(t, p, "GET", idpPath+"/"+id+"?$select=issuer,metadataUrl", nil)
	require.Equal(t, "https://tenant.auth.example/", res.body["issuer"])
	require.Equal(t, "https://tenant.auth.example/.well-known/openid-configuration", res.body["metadataUrl"])
	res = f.call(t, p, "PATCH", idpPath+"/"+id, map[string]any{"issuer": "https://login2.fabrikam.example",
		"metadataUrl": "https://login2.fabrikam.example/.well-known/openid-configuration"})
	require.Equal(t, http.StatusNoContent, res.status, "issuer and metadataUrl may both come when they agree: %s", res.raw)

	// DELETE.
	res = f.call(t, p, "DELETE", idpPath+"/"+github, nil)
	require.Equal(t, http.StatusNoContent, res.status, res.raw)
	f.requireError(t, f.call(t, p, "GET", idpPath+"/"+github, nil), http.StatusNotFound, "Request_ResourceNotFound", github)
	f.requireError(t, f.call(t, p, "DELETE", idpPath+"/"+github, nil), http.StatusNotFound, "Request_ResourceNotFound")
	require.Equal(t, []string{id}, ids(values(t, f.call(t, p, "GET", idpPath, nil))))

	f.requireNoSecret(t, created, one, social, list.raw, patched)
}

func testIdPRefuses(t *testing.T, f *fixture) {
	p := f.app(idpWriter...)
	with := func(changes map[string]any) map[string]any {
		b := oidcBody()
		for k, v := range changes {
			if v == nil {
				delete(b, k)
				continue
			}
			b[k] = v
		}
		return b
	}
	var raws []string
	for _, c := range []struct {
		name  string
		body  any
		parts []string
	}{
		{"unknown", with(map[string]any{"responseType": "code", "domainHint": "x"}),
			[]string{"Property 'domainHint' does not exist", "Property 'responseType' does not exist"}},
		{"read-only id", with(map[string]any{"id": "mine"}), []string{"'id' is read-only"}},
		{"bad type", with(map[string]any{"identityProviderType": "Facebook", "@odata.type": nil}), []string{"'identityProviderType'"}},
		{"foyer type", with(map[string]any{"identityProviderType": "Foyer"}), []string{"'identityProviderType'", "managed by Foyer"}},
		{"no type", map[string]any{"displayName": "x", "clientId": "y", "@odata.type": "#microsoft.graph.socialIdentityProvider"},
			[]string{"'identityProviderType'", "required"}},
		{"type and odata type disagree", with(map[string]any{"identityProviderType": "Google"}), []string{"'@odata.type'"}},
		{"unknown odata type", with(map[string]any{"@odata.type": "#microsoft.graph.samlOrWsFedProvider"}), []string{"'@odata.type'"}},
		{"claims", with(map[string]any{"claimsMapping": map[string]any{"userId": "sub", "phone": "tel"}}),
			[]string{"'claimsMapping'", "phone"}},
		{"types", with(map[string]any{"domains": "fabrikam.example", "isMfaAccepted": "yes", "scope": []string{"openid"}}),
			[]string{"'domains'", "'isMfaAccepted'", "'scope'"}},
		{"not json", "[1]", []string{"JSON object"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			res := f.call(t, p, "POST", idpPath, c.body)
			f.requireError(t, res, http.StatusBadRequest, "Request_BadRequest", c.parts...)
			raws = append(raws, res.raw)
		})
	}
	require.Empty(t, values(t, f.call(t, p, "GET", idpPath, nil)), "nothing was created")

	// The type of a provider never changes.
	res := f.call(t, p, "POST", idpPath, oidcBody())
	require.Equal(t, http.StatusCreated, res.status, res.raw)
	id := res.body["id"].(string)
	for _, c := range []struct {
		name  string
		body  any
		parts []string
	}{
		{"type", map[string]any{"identityProviderType": "Google"}, []string{"'identityProviderType' is read-only"}},
		{"odata type", map[string]any{"@odata.type": "#microsoft.graph.socialIdentityProvider"}, []string{"'@odata.type'"}},
		{"unknown", map[string]any{"clientSecret": "x", "secret": "y"}, []string{"Property 'secret' does not exist"}},
		{"null bool", map[string]any{"enabled": nil}, []string{"'enabled'"}},
		{"issuer and metadataUrl disagree", map[string]any{"issuer": "https://a.example",
			"metadataUrl": "https://b.example/.well-known/openid-configuration"}, []string{"'issuer'", "metadataUrl"}},
		{"bad issuer named as sent", map[string]any{"issuer": "http://login.example"}, []string{"'issuer'", "https"}},
		{"read-only extensions", map[string]any{"partnerTenantId": "x", "createdDateTime": "2026-01-01T00:00:00Z",
			"lastModifiedDateTime": "2026-01-01T00:00:00Z"},
			[]string{"'partnerTenantId' is read-only", "'createdDateTime' is read-only", "'lastModifiedDateTime' is read-only"}},
	} {
		t.Run("patch "+c.name, func(t *testing.T) {
			res := f.call(t, p, "PATCH", idpPath+"/"+id, c.body)
			f.requireError(t, res, http.StatusBadRequest, "Request_BadRequest", c.parts...)
			raws = append(raws, res.raw)
		})
	}
	stored, err := f.dir.IdentityProvider(t.Context(), f.a.ID, id)
	require.NoError(t, err)
	require.Equal(t, store.IdPOpenIDConnect, stored.Type)
	got, err := f.dir.ClientSecret(stored)
	require.NoError(t, err)
	require.Equal(t, upstreamSecret, got, "no refused PATCH changed the secret")
	f.requireError(t, f.call(t, p, "GET", idpPath+"?$select=nope", nil), http.StatusBadRequest, "Request_BadRequest")
	f.requireNoSecret(t, raws...)
}

// foyerProvider stores a partner provider straight into the store, as
// the directory makes one on a redemption.
func (f *fixture) foyerProvider(t *testing.T) store.IdentityProvider {
	t.Helper()
	p := store.IdentityProvider{TenantID: f.a.ID, ID: secret.NewID(), Type: store.IdPFoyer, DisplayName: "FABRIKAM",
		ClientID: "partner-client", SealedClientSecret: []byte("sealed"), Issuer: "https://foyer.example/t/fabrikam",
		PartnerTenantID: f.b.ID, Scopes: []string{"openid", "email"}, Enabled: true,
		CreatedAt: f.now.Truncate(time.Microsecond), UpdatedAt: f.now.Truncate(time.Microsecond)}
	require.NoError(t, f.store.CreateIdentityProvider(t.Context(), p))
	return p
}

func testIdPFoyerReadOnly(t *testing.T, f *fixture) {
	partner := f.foyerProvider(t)
	p := f.app(idpWriter...)
	items := values(t, f.call(t, p, "GET", idpPath, nil))
	require.Len(t, items, 1)
	require.Equal(t, partner.ID, items[0]["id"])
	require.Equal(t, "Foyer", items[0]["identityProviderType"])
	require.Equal(t, "#microsoft.graph.openIdConnectIdentityProvider", items[0]["@odata.type"])
	require.Equal(t, "******", items[0]["clientSecret"])
	require.Equal(t, "https://foyer.example/t/fabrikam/.well-known/openid-configuration", items[0]["metadataUrl"])
	require.Equal(t, f.b.ID, items[0]["partnerTenantId"])

	f.requireError(t, f.call(t, p, "PATCH", idpPath+"/"+partner.ID, map[string]any{"displayName": "Mine"}),
		http.StatusBadRequest, "Request_BadRequest", "managed by Foyer")
	f.requireError(t, f.call(t, p, "PATCH", idpPath+"/"+partner.ID, map[string]any{"enabled": false}),
		http.StatusBadRequest, "Request_BadRequest", "managed by Foyer")
	f.requireError(t, f.call(t, p, "DELETE", idpPath+"/"+partner.ID, nil),
		http.StatusBadRequest, "Request_BadRequest", "managed by Foyer")
	stored, err := f.dir.IdentityProvider(t.Context(), f.a.ID, partner.ID)
	require.NoError(t, err)
	require.Equal(t, "FABRIKAM", stored.DisplayName)
	require.True(t, stored.Enabled)
}

func testIdPPermissions(t *testing.T, f *fixture) {
	ctx := t.Context()
	tenantAdmin := f.memberWithRole(t, f.a.ID, "admin@contoso.example", directory.RoleTenantAdministrator)
	userAdmin := f.memberWithRole(t, f.a.ID, "useradmin@contoso.example", directory.RoleUserAdministrator)
	member := f.member(t, f.a.ID, "sam@contoso.example")
	res := f.call(t, f.app(idpWriter...), "POST", idpPath, oidcBody())
	require.Equal(t, http.StatusCreated, res.status, res.raw)
	id := res.body["id"].(string)
	for _, c := range []struct {
		name string
		p    *api.Principal
		ok   bool
	}{
		{"app with the permission", f.app(idpWriter...), true},
		{"tenant admin with the scope", f.delegated(tenantAdmin.ID, idpWriter...), true},
		{"app with everything else", f.app(append(admin, "User.Invite.All", "Policy.ReadWrite.Authorization", "Domain.ReadWrite.All")...), false},
		{"app with the scope as a role name", f.app("IdentityProvider.Read.All"), false},
		{"scope without a user", &api.Principal{TenantID: f.a.ID, ClientID: "x", Scp: idpWriter}, false},
		{"tenant admin without the scope", f.delegated(tenantAdmin.ID, admin...), false},
		{"user admin with the scope", f.delegated(userAdmin.ID, idpWriter...), false},
		{"member with the scope", f.delegated(member.ID, idpWriter...), false},
	} {
		t.Run(c.name, func(t *testing.T) {
			calls := []response{
				f.call(t, c.p, "GET", idpPath, nil),
				f.call(t, c.p, "GET", idpPath+"/"+id, nil),
				f.call(t, c.p, "PATCH", idpPath+"/"+id, map[string]any{"displayName": "Changed by " + c.name}),
			}
			if c.ok {
				require.Equal(t, http.StatusOK, calls[0].status, calls[0].raw)
				require.Equal(t, http.StatusOK, calls[1].status, calls[1].raw)
				require.Equal(t, http.StatusNoContent, calls[2].status, calls[2].raw)
				return
			}
			for _, res := range calls {
				f.requireError(t, res, http.StatusForbidden, "Authorization_RequestDenied")
			}
			f.requireError(t, f.call(t, c.p, "POST", idpPath, oidcBody()), http.StatusForbidden, "Authorization_RequestDenied")
			f.requireError(t, f.call(t, c.p, "DELETE", idpPath+"/"+id, nil), http.StatusForbidden, "Authorization_RequestDenied")
			stored, err := f.dir.IdentityProvider(ctx, f.a.ID, id)
			require.NoError(t, err)
			require.NotContains(t, stored.DisplayName, c.name)
		})
	}
	list, err := f.dir.IdentityProviders(ctx, f.a.ID)
	require.NoError(t, err)
	require.Len(t, list, 1, "no refused POST created one")
	f.requireError(t, f.call(t, nil, "GET", idpPath, nil), http.StatusUnauthorized, "InvalidAuthenticationToken")
}

func testIdPOtherTenant(t *testing.T, f *fixture) {
	ctx := t.Context()
	theirs, err := f.dir.CreateIdentityProvider(ctx, f.b.ID, directory.IdentityProviderInput{Type: store.IdPGoogle,
		DisplayName: "Their Google", ClientID: "their-client", ClientSecret: upstreamSecret})
	require.NoError(t, err)
	p := f.app(idpWriter...)
	for _, c := range []struct {
		method string
		body   any
	}{{"GET", nil}, {"PATCH", map[string]any{"displayName": "Pwned"}}, {"DELETE", nil}} {
		res := f.call(t, p, c.method, idpPath+"/"+theirs.ID, c.body)
		f.requireError(t, res, http.StatusNotFound, "Request_ResourceNotFound")
		f.requireNoSecret(t, res.raw)
	}
	require.Empty(t, values(t, f.call(t, p, "GET", idpPath, nil)))
	got, err := f.dir.IdentityProvider(ctx, f.b.ID, theirs.ID)
	require.NoError(t, err)
	require.Equal(t, "Their Google", got.DisplayName)
}

const domainsPath = "/v1.0/domains"

var domainWriter = []string{"Domain.ReadWrite.All"}

func testDomains(t *testing.T, f *fixture) {
	ctx := t.Context()
	p := f.app(domainWriter...)
	require.Empty(t, values(t, f.call(t, p, "GET", domainsPath, nil)))
	res := f.call(t, p, "POST", domainsPath, map[string]any{"id": "Contoso.Example"})
	require.Equal(t, http.StatusCreated, res.status, res.raw)
	require.Equal(t, map[string]any{
		"@odata.context":     "https://foyer.example/v1.0/$metadata#domains/$entity",
		"id":                 "contoso.example",
		"authenticationType": "Managed",
		"isDefault":          false,
		"isInitial":          false,
		"isVerified":         true,
		"createdDateTime":    "2026-11-27T09:00:00Z",
	}, res.body)
	res = f.call(t, p, "POST", domainsPath, map[string]any{"id": "sales.contoso.example"})
	require.Equal(t, http.StatusCreated, res.status, res.raw)
	require.Equal(t, []string{"contoso.example", "sales.contoso.example"}, ids(values(t, f.call(t, p, "GET", domainsPath, nil))))
	res = f.call(t, p, "GET", domainsPath+"/contoso.example?$select=id,isVerified", nil)
	require.Equal(t, http.StatusOK, res.status, res.raw)
	require.Equal(t, true, res.body["isVerified"])

	// Taken, by this tenant or another: the same answer, naming no tenant.
	again := f.call(t, p, "POST", domainsPath, map[string]any{"id": "contoso.example"})
	f.requireError(t, again, http.StatusBadRequest, "ObjectConflict", "property id")
	theirs := f.call(t, &api.Principal{TenantID: f.b.ID, ClientID: "their-script", Roles: domainWriter},
		"POST", domainsPath, map[string]any{"id": "CONTOSO.example"})
	f.requireError(t, theirs, http.StatusBadRequest, "ObjectConflict", "property id")
	require.Equal(t, again.body["error"].(map[string]any)["message"], theirs.body["error"].(map[string]any)["message"])
	for _, leak := range []string{f.a.ID, f.a.Slug, f.a.DisplayName} {
		require.NotContains(t, theirs.raw, leak)
	}
	other, err := f.dir.Domains(ctx, f.b.ID)
	require.NoError(t, err)
	require.Empty(t, other)

	for _, c := range []struct {
		name  string
		body  any
		parts []string
	}{
		{"one label", map[string]any{"id": "localhost"}, []string{"'id'"}},
		{"not a name", map[string]any{"id": "not a domain"}, []string{"'id'"}},
		{"missing", map[string]any{}, []string{"'id'", "required"}},
		{"read-only", map[string]any{"id": "x.example", "isVerified": true}, []string{"'isVerified' is read-only"}},
		{"unknown", map[string]any{"id": "x.example", "supportedServices": []string{"Email"}}, []string{"'supportedServices' does not exist"}},
		{"type", map[string]any{"id": 7}, []string{"'id'"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			f.requireError(t, f.call(t, p, "POST", domainsPath, c.body), http.StatusBadRequest, "Request_BadRequest", c.parts...)
		})
	}
	require.Len(t, values(t, f.call(t, p, "GET", domainsPath, nil)), 2)

	res = f.call(t, p, "DELETE", domainsPath+"/Sales.Contoso.Example", nil)
	require.Equal(t, http.StatusNoContent, res.status, res.raw)
	f.requireError(t, f.call(t, p, "DELETE", domainsPath+"/sales.contoso.example", nil), http.StatusNotFound, "Request_ResourceNotFound")
	f.requireError(t, f.call(t, p, "GET", domainsPath+"/sales.contoso.example", nil), http.StatusNotFound, "Request_ResourceNotFound")
	require.Equal(t, []string{"contoso.example"}, ids(values(t, f.call(t, p, "GET", domainsPath, nil))))

	// Another tenant's domain is not ours to see or remove.
	_, err = f.dir.AddDomain(ctx, f.b.ID, "fabrikam.example")
	require.NoError(t, err)
	f.requireError(t, f.call(t, p, "DELETE", domainsPath+"/fabrikam.example", nil), http.StatusNotFound, "Request_ResourceNotFound")
	f.requireError(t, f.call(t, p, "GET", domainsPath+"/fabrikam.example", nil), http.StatusNotFound, "Request_ResourceNotFound")
	other, err = f.dir.Domains(ctx, f.b.ID)
	require.NoError(t, err)
	require.Len(t, other, 1)
}

func testDomainsPermissions(t *testing.T, f *fixture) {
	ctx := t.Context()
	tenantAdmin := f.memberWithRole(t, f.a.ID, "admin@contoso.example", directory.RoleTenantAdministrator)
	userAdmin := f.memberWithRole(t, f.a.ID, "useradmin@contoso.example", directory.RoleUserAdministrator)
	for i, c := range []struct {
		name string
		p    *api.Principal
		ok   bool
	}{
		{"app with the permission", f.app(domainWriter...), true},
		{"tenant admin with the scope", f.delegated(tenantAdmin.ID, domainWriter...), true},
		{"app with everything else", f.app(append(admin, "IdentityProvider.ReadWrite.All", "Policy.ReadWrite.Authorization")...), false},
		{"user admin with the scope", f.delegated(userAdmin.ID, domainWriter...), false},
		{"tenant admin without the scope", f.delegated(tenantAdmin.ID, idpWriter...), false},
	} {
		t.Run(c.name, func(t *testing.T) {
			name := strings.Repeat("x", i+1) + ".contoso.example"
			post := f.call(t, c.p, "POST", domainsPath, map[string]any{"id": name})
			list := f.call(t, c.p, "GET", domainsPath, nil)
			if c.ok {
				require.Equal(t, http.StatusCreated, post.status, post.raw)
				require.Equal(t, http.StatusOK, list.status, list.raw)
				res := f.call(t, c.p, "DELETE", domainsPath+"/"+name, nil)
				require.Equal(t, http.StatusNoContent, res.status, res.raw)
				return
			}
			f.requireError(t, post, http.StatusForbidden, "Authorization_RequestDenied")
			f.requireError(t, list, http.StatusForbidden, "Authorization_RequestDenied")
			domains, err := f.dir.Domains(ctx, f.a.ID)
			require.NoError(t, err)
			require.Empty(t, domains)
		})
	}
	_, err := f.dir.AddDomain(ctx, f.a.ID, "kept.example")
	require.NoError(t, err)
	f.requireError(t, f.call(t, f.delegated(userAdmin.ID, domainWriter...), "DELETE", domainsPath+"/kept.example", nil),
		http.StatusForbidden, "Authorization_RequestDenied")
	domains, err := f.dir.Domains(ctx, f.a.ID)
	require.NoError(t, err)
	require.Len(t, domains, 1)
}

func testRedemptionPolicy(t *testing.T, f *fixture) {
	ctx := t.Context()
	p := f.app(policyWriter...)
	res := f.call(t, p, "GET", policyPath+"?$select=redemptionOrder,redeemWithAnyAccount", nil)
	require.Equal(t, http.StatusOK, res.status, res.raw)
	require.Equal(t, []any{"partnerTenant", "identityProvider", "socialProvider", "emailPasscode"}, res.body["redemptionOrder"])
	require.Equal(t, false, res.body["redeemWithAnyAccount"])

	res = f.call(t, p, "PATCH", policyPath, map[string]any{"redemptionOrder": []string{"emailPasscode", "partnerTenant"}})
	require.Equal(t, http.StatusNoContent, res.status, res.raw)
	tn, err := f.dir.Tenant(ctx, f.a.ID)
	require.NoError(t, err)
	require.Equal(t, []string{"emailPasscode", "partnerTenant"}, tn.Invitations.RedemptionOrder)
	require.False(t, tn.Invitations.RedeemWithAnyAccount)
	require.Equal(t, directory.DefaultAllowInvitesFrom, directory.AllowInvitesFrom(tn.Invitations))

	// Both setters in one PATCH; what the body leaves out stays.
	res = f.call(t, p, "PATCH", policyPath, map[string]any{"allowInvitesFrom": "everyone", "redeemWithAnyAccount": true})
	require.Equal(t, http.StatusNoContent, res.status, res.raw)
	res = f.call(t, p, "GET", policyPath, nil)
	require.Equal(t, http.StatusOK, res.status, res.raw)
	require.Equal(t, "everyone", res.body["allowInvitesFrom"])
	require.Equal(t, []any{"emailPasscode", "partnerTenant"}, res.body["redemptionOrder"])
	require.Equal(t, true, res.body["redeemWithAnyAccount"])

	// An invitation change keeps the redemption settings.
	res = f.call(t, p, "PATCH", policyPath, map[string]any{"invitationDomainRule": "deny", "invitationDomains": []string{"rival.example"}})
	require.Equal(t, http.StatusNoContent, res.status, res.raw)
	tn, err = f.dir.Tenant(ctx, f.a.ID)
	require.NoError(t, err)
	require.Equal(t, []string{"emailPasscode", "partnerTenant"}, tn.Invitations.RedemptionOrder)
	require.True(t, tn.Invitations.RedeemWithAnyAccount)

	// An empty order restores the default.
	res = f.call(t, p, "PATCH", policyPath, map[string]any{"redemptionOrder": []string{}, "redeemWithAnyAccount": false})
	require.Equal(t, http.StatusNoContent, res.status, res.raw)
	res = f.call(t, p, "GET", policyPath, nil)
	require.Equal(t, []any{"partnerTenant", "identityProvider", "socialProvider", "emailPasscode"}, res.body["redemptionOrder"])
	require.Equal(t, false, res.body["redeemWithAnyAccount"])
	require.Equal(t, "deny", res.body["invitationDomainRule"])

	other, err := f.dir.Tenant(ctx, f.b.ID)
	require.NoError(t, err)
	require.Empty(t, other.Invitations.RedemptionOrder)
	require.False(t, other.Invitations.RedeemWithAnyAccount)
}

func testRedemptionPolicyRefuses(t *testing.T, f *fixture) {
	ctx := t.Context()
	p := f.app(policyWriter...)
	for _, c := range []struct {
		name  string
		body  any
		parts []string
	}{
		{"unknown way", map[string]any{"redemptionOrder": []string{"emailPasscode", "smsPasscode"}}, []string{"'redemptionOrder'", `"smsPasscode"`}},
		{"twice", map[string]any{"redemptionOrder": []string{"emailPasscode", "emailPasscode"}}, []string{"'redemptionOrder'"}},
		{"null", map[string]any{"redemptionOrder": nil}, []string{"'redemptionOrder'"}},
		{"string", map[string]any{"redemptionOrder": "emailPasscode"}, []string{"'redemptionOrder'"}},
		{"bad bool", map[string]any{"redeemWithAnyAccount": "yes"}, []string{"'redeemWithAnyAccount'"}},
		// Refused as a whole: the valid part is not written either.
		{"with a valid level", map[string]any{"allowInvitesFrom": "none", "redemptionOrder": []string{"sms"}}, []string{"'redemptionOrder'"}},
		{"with a bad level", map[string]any{"allowInvitesFrom": "admins", "redemptionOrder": []string{"emailPasscode"}}, []string{"'allowInvitesFrom'"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			f.requireError(t, f.call(t, p, "PATCH", policyPath, c.body), http.StatusBadRequest, "Request_BadRequest", c.parts...)
		})
	}
	tn, err := f.dir.Tenant(ctx, f.a.ID)
	require.NoError(t, err)
	require.Empty(t, tn.Invitations.RedemptionOrder, "nothing changed")
	require.Equal(t, directory.DefaultAllowInvitesFrom, directory.AllowInvitesFrom(tn.Invitations))
	// A delegated user administrator may not change it.
	userAdmin := f.memberWithRole(t, f.a.ID, "useradmin@contoso.example", directory.RoleUserAdministrator)
	f.requireError(t, f.call(t, f.delegated(userAdmin.ID, policyWriter...), "PATCH", policyPath,
		map[string]any{"redeemWithAnyAccount": true}), http.StatusForbidden, "Authorization_RequestDenied")
	tn, err = f.dir.Tenant(ctx, f.a.ID)
	require.NoError(t, err)
	require.False(t, tn.Invitations.RedeemWithAnyAccount)
}
