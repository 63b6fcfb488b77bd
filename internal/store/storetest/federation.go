package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/internal/store"
)

func domainCases() []testCase {
	return []testCase{
		{"AddGetListRemove", domainLifecycle},
		{"OneTenantPerDomain", domainUniqueAcrossTenants},
		{"UnknownTenant", domainUnknownTenant},
		{"TenantIsolation", domainIsolation},
	}
}

func identityProviderCases() []testCase {
	return []testCase{
		{"CreateGetListUpdateDelete", identityProviderLifecycle},
		{"DuplicateID", identityProviderDuplicateID},
		{"OneFoyerProviderPerPartner", identityProviderOnePerPartner},
		{"UnknownTenantOrPartner", identityProviderUnknownTenant},
		{"GoesWithEitherTenant", identityProviderPartnerCascade},
		{"TenantIsolation", identityProviderIsolation},
	}
}

func federationLoginCases() []testCase {
	return []testCase{
		{"ConsumeOnce", federationLoginConsumeOnce},
		{"Expired", federationLoginExpired},
		{"TenantIsolation", federationLoginIsolation},
		{"DeletedWithTenant", federationDeletedWithTenant},
	}
}

func domainFixture(tenantID, name string) store.Domain {
	return store.Domain{TenantID: tenantID, Name: name, CreatedAt: at(0)}
}

func oidcProviderFixture(tenantID, name string) store.IdentityProvider {
	return store.IdentityProvider{
		TenantID:           tenantID,
		ID:                 newID(),
		Type:               store.IdPOpenIDConnect,
		DisplayName:        name,
		ClientID:           name + "-client",
		SealedClientSecret: []byte("sealed:" + name),
		Issuer:             "https://login." + name + ".example",
		Scopes:             []string{"openid", "profile", "email"},
		ClaimsMapping:      store.ClaimsMapping{UserID: "oid", Email: "upn"},
		Domains:            []string{name + ".example"},
		Enabled:            true,
		MFATrusted:         false,
		CreatedAt:          at(0),
		UpdatedAt:          at(time.Second),
	}
}

func partnerProviderFixture(tenantID, partnerID string) store.IdentityProvider {
	p := oidcProviderFixture(tenantID, "partner")
	p.Type = store.IdPFoyer
	p.PartnerTenantID = partnerID
	p.ClaimsMapping = store.ClaimsMapping{}
	p.Domains = nil
	return p
}

func createIdentityProvider(t *testing.T, s store.Store, p store.IdentityProvider) store.IdentityProvider {
	t.Helper()
	require.NoError(t, s.CreateIdentityProvider(t.Context(), p))
	return p
}

func federationLoginFixture(tenantID, providerID string) store.FederationLogin {
	return store.FederationLogin{
		TenantID: tenantID, StateHash: "state:" + newID(), ProviderID: providerID, Nonce: "nonce-" + newID(),
		CodeVerifier: "verifier-" + newID(), BrowserBinding: "binding-" + newID(), RedemptionID: newID(),
		CreatedAt: at(0), ExpiresAt: at(10 * time.Minute),
	}
}

func createFederationLogin(t *testing.T, s store.Store, l store.FederationLogin) store.FederationLogin {
	t.Helper()
	require.NoError(t, s.CreateFederationLogin(t.Context(), l))
	return l
}

func domainLifecycle(t *testing.T, s store.Store) {
	ctx := t.Context()
	tid := createTenant(t, s, "contoso").ID
	b := domainFixture(tid, "contoso.example")
	a := domainFixture(tid, "a.contoso.example")
	a.CreatedAt = at(time.Hour)
	require.NoError(t, s.AddDomain(ctx, b))
	require.NoError(t, s.AddDomain(ctx, a))
	require.ErrorIs(t, s.AddDomain(ctx, b), store.ErrConflict)

	got, err := s.GetDomain(ctx, "contoso.example")
	require.NoError(t, err)
	require.Equal(t, b, got)
	list, err := s.ListDomains(ctx, tid)
	require.NoError(t, err)
	require.Equal(t, []store.Domain{a, b}, list, "by name")

	require.NoError(t, s.RemoveDomain(ctx, tid, b.Name))
	require.ErrorIs(t, s.RemoveDomain(ctx, tid, b.Name), store.ErrNotFound)
	_, err = s.GetDomain(ctx, b.Name)
	require.ErrorIs(t, err, store.ErrNotFound)
	list, err = s.ListDomains(ctx, tid)
	require.NoError(t, err)
	require.Equal(t, []store.Domain{a}, list)
	requireEmpty(t, func() (any, error) { return s.ListDomains(ctx, createTenant(t, s, "empty").ID) })
}

func domainUniqueAcrossTenants(t *testing.T, s store.Store) {
	ctx := t.Context()
	contoso := createTenant(t, s, "contoso").ID
	fabrikam := createTenant(t, s, "fabrikam").ID
	require.NoError(t, s.AddDomain(ctx, domainFixture(contoso, "shared.example")))
	require.ErrorIs(t, s.AddDomain(ctx, domainFixture(fabrikam, "shared.example")), store.ErrConflict)
	got, err := s.GetDomain(ctx, "shared.example")
	require.NoError(t, err)
	require.Equal(t, contoso, got.TenantID)

	// Released, another tenant may verify it.
	require.NoError(t, s.RemoveDomain(ctx, contoso, "shared.example"))
	require.NoError(t, s.AddDomain(ctx, domainFixture(fabrikam, "shared.example")))
	got, err = s.GetDomain(ctx, "shared.example")
	require.NoError(t, err)
	require.Equal(t, fabrikam, got.TenantID)
}

func domainUnknownTenant(t *testing.T, s store.Store) {
	require.ErrorIs(t, s.AddDomain(t.Context(), domainFixture(newID(), "ghost.example")), store.ErrNotFound)
}

func domainIsolation(t *testing.T, s store.Store) {
	ctx := t.Context()
	contoso := createTenant(t, s, "contoso").ID
	woodgrove := createTenant(t, s, "woodgrove").ID
	d := domainFixture(contoso, "contoso.example")
	require.NoError(t, s.AddDomain(ctx, d))
	require.ErrorIs(t, s.RemoveDomain(ctx, woodgrove, d.Name), store.ErrNotFound)
	requireEmpty(t, func() (any, error) { return s.ListDomains(ctx, woodgrove) })
	list, err := s.ListDomains(ctx, contoso)
	require.NoError(t, err)
	require.Equal(t, []store.Domain{d}, list)
}

func identityProviderLifecycle(t *testing.T, s store.Store) {
	ctx := t.Context()
	tid := createTenant(t, s, "contoso").ID
	partner := createTenant(t, s, "fabrikam").ID
	oidc := createIdentityProvider(t, s, oidcProviderFixture(tid, "northwind"))
	github := oidcProviderFixture(tid, "github")
	github.Type, github.Issuer, github.SealedClientSecret = store.IdPGitHub, "", nil
	github.Scopes, github.Domains, github.ClaimsMapping = nil, nil, store.ClaimsMapping{}
	github.CreatedAt = at(time.Hour)
	createIdentityProvider(t, s, github)
	foyer := partnerProviderFixture(tid, partner)
	foyer.CreatedAt = at(2 * time.Hour)
	createIdentityProvider(t, s, foyer)

	for _, want := range []store.IdentityProvider{oidc, github, foyer} {
		got, err := s.GetIdentityProvider(ctx, tid, want.ID)
		require.NoError(t, err)
		require.Equal(t, want, got)
	}
	list, err := s.ListIdentityProviders(ctx, tid)
	require.NoError(t, err)
	require.Equal(t, []store.IdentityProvider{oidc, github, foyer}, list, "oldest first")

	changed := oidc
	changed.DisplayName = "Northwind SSO"
	changed.ClientID = "other-client"
	changed.SealedClientSecret = []byte("sealed:rotated")
	changed.Issuer = "https://sso.northwind.example"
	changed.Scopes = []string{"openid"}
	changed.ClaimsMapping = store.ClaimsMapping{DisplayName: "name", GivenName: "given", Surname: "family"}
	changed.Domains = []string{"northwind.example", "nw.example"}
	changed.Enabled = false
	changed.MFATrusted = true
	changed.UpdatedAt = at(time.Hour)
	want := changed
	// Immutable: ignored by UpdateIdentityProvider.
	changed.Type = store.IdPGoogle
	changed.PartnerTenantID = partner
	changed.CreatedAt = at(time.Minute)
	require.NoError(t, s.UpdateIdentityProvider(ctx, changed))
	got, err := s.GetIdentityProvider(ctx, tid, oidc.ID)
	require.NoError(t, err)
	require.Equal(t, want, got)

	// A secret can be removed.
	want.SealedClientSecret = nil
	require.NoError(t, s.UpdateIdentityProvider(ctx, want))
	got, err = s.GetIdentityProvider(ctx, tid, oidc.ID)
	require.NoError(t, err)
	require.Equal(t, want, got)

	require.NoError(t, s.DeleteIdentityProvider(ctx, tid, oidc.ID))
	require.ErrorIs(t, s.DeleteIdentityProvider(ctx, tid, oidc.ID), store.ErrNotFound)
	require.ErrorIs(t, s.UpdateIdentityProvider(ctx, want), store.ErrNotFound)
	_, err = s.GetIdentityProvider(ctx, tid, oidc.ID)
	require.ErrorIs(t, err, store.ErrNotFound)
	list, err = s.ListIdentityProviders(ctx, tid)
	require.NoError(t, err)
	require.Equal(t, []store.IdentityProvider{github, foyer}, list)
}

func identityProviderDuplicateID(t *testing.T, s store.Store) {
	ctx := t.Context()
	tid := createTenant(t, s, "contoso").ID
	p := createIdentityProvider(t, s, oidcProviderFixture(tid, "northwind"))
	again := oidcProviderFixture(tid, "other")
	again.ID = p.ID
	require.ErrorIs(t, s.CreateIdentityProvider(ctx, again), store.ErrConflict)
	// The same id in another tenant is another provider.
	other := createTenant(t, s, "woodgrove").ID
	again.TenantID = other
	require.NoError(t, s.CreateIdentityProvider(ctx, again))
}

func identityProviderOnePerPartner(t *testing.T, s store.Store) {
	ctx := t.Context()
	contoso := createTenant(t, s, "contoso").ID
	fabrikam := createTenant(t, s, "fabrikam").ID
	woodgrove := createTenant(t, s, "woodgrove").ID
	createIdentityProvider(t, s, partnerProviderFixture(contoso, fabrikam))
	require.ErrorIs(t, s.CreateIdentityProvider(ctx, partnerProviderFixture(contoso, fabrikam)), store.ErrConflict)
	// Another partner, the other direction, and other types are fine.
	createIdentityProvider(t, s, partnerProviderFixture(contoso, woodgrove))
	createIdentityProvider(t, s, partnerProviderFixture(fabrikam, contoso))
	createIdentityProvider(t, s, oidcProviderFixture(contoso, "a"))
	createIdentityProvider(t, s, oidcProviderFixture(contoso, "b"))
	list, err := s.ListIdentityProviders(ctx, contoso)
	require.NoError(t, err)
	require.Len(t, list, 4)
}

func identityProviderUnknownTenant(t *testing.T, s store.Store) {
	ctx := t.Context()
	require.ErrorIs(t, s.CreateIdentityProvider(ctx, oidcProviderFixture(newID(), "ghost")), store.ErrNotFound)
	tid := createTenant(t, s, "contoso").ID
	require.ErrorIs(t, s.CreateIdentityProvider(ctx, partnerProviderFixture(tid, newID())), store.ErrNotFound,
		"a partner that is not a tenant")
}

func identityProviderPartnerCascade(t *testing.T, s store.Store) {
	ctx := t.Context()
	contoso := createTenant(t, s, "contoso").ID
	fabrikam := createTenant(t, s, "fabrikam").ID
	woodgrove := createTenant(t, s, "woodgrove").ID
	toFabrikam := createIdentityProvider(t, s, partnerProviderFixture(contoso, fabrikam))
	toWoodgrove := createIdentityProvider(t, s, partnerProviderFixture(contoso, woodgrove))
	fromFabrikam := createIdentityProvider(t, s, partnerProviderFixture(fabrikam, contoso))
	kept := createIdentityProvider(t, s, oidcProviderFixture(fabrikam, "northwind"))

	require.NoError(t, s.DeleteTenant(ctx, contoso))
	// Contoso's own providers went with it, and so did the one that made
	// contoso a partner of fabrikam.
	for _, p := range []store.IdentityProvider{toFabrikam, toWoodgrove, fromFabrikam} {
		_, err := s.GetIdentityProvider(ctx, p.TenantID, p.ID)
		require.ErrorIs(t, err, store.ErrNotFound)
	}
	list, err := s.ListIdentityProviders(ctx, fabrikam)
	require.NoError(t, err)
	require.Equal(t, []store.IdentityProvider{kept}, list)
}

func identityProviderIsolation(t *testing.T, s store.Store) {
	ctx := t.Context()
	contoso := createTenant(t, s, "contoso").ID
	woodgrove := createTenant(t, s, "woodgrove").ID
	p := createIdentityProvider(t, s, oidcProviderFixture(contoso, "northwind"))

	_, err := s.GetIdentityProvider(ctx, woodgrove, p.ID)
	require.ErrorIs(t, err, store.ErrNotFound)
	requireEmpty(t, func() (any, error) { return s.ListIdentityProviders(ctx, woodgrove) })
	hijack := p
	hijack.TenantID = woodgrove
	hijack.Issuer = "https://evil.example"
	require.ErrorIs(t, s.UpdateIdentityProvider(ctx, hijack), store.ErrNotFound)
	require.ErrorIs(t, s.DeleteIdentityProvider(ctx, woodgrove, p.ID), store.ErrNotFound)
	got, err := s.GetIdentityProvider(ctx, contoso, p.ID)
	require.NoError(t, err)
	require.Equal(t, p, got)
}

func federationLoginConsumeOnce(t *testing.T, s store.Store) {
	ctx := t.Context()
	tid := createTenant(t, s, "contoso").ID
	l := createFederationLogin(t, s, federationLoginFixture(tid, newID()))
	require.ErrorIs(t, s.CreateFederationLogin(ctx, l), store.ErrConflict)
	signIn := federationLoginFixture(tid, newID())
	signIn.RedemptionID, signIn.AuthRequestID = "", newID()
	createFederationLogin(t, s, signIn)

	got, err := s.ConsumeFederationLogin(ctx, tid, l.StateHash, at(time.Minute))
	require.NoError(t, err)
	require.Equal(t, l, got)
	_, err = s.ConsumeFederationLogin(ctx, tid, l.StateHash, at(time.Minute))
	require.ErrorIs(t, err, store.ErrNotFound, "used")
	_, err = s.ConsumeFederationLogin(ctx, tid, "state:unknown", at(time.Minute))
	require.ErrorIs(t, err, store.ErrNotFound)

	got, err = s.ConsumeFederationLogin(ctx, tid, signIn.StateHash, at(time.Minute))
	require.NoError(t, err)
	require.Equal(t, signIn, got)
}

func federationLoginExpired(t *testing.T, s store.Store) {
	ctx := t.Context()
	tid := createTenant(t, s, "contoso").ID
	l := createFederationLogin(t, s, federationLoginFixture(tid, newID()))
	_, err := s.ConsumeFederationLogin(ctx, tid, l.StateHash, l.ExpiresAt)
	require.ErrorIs(t, err, store.ErrNotFound, "expiry is exclusive")
	_, err = s.ConsumeFederationLogin(ctx, tid, l.StateHash, l.ExpiresAt.Add(-time.Microsecond))
	require.NoError(t, err, "an expired try does not use it up")
}

func federationLoginIsolation(t *testing.T, s store.Store) {
	ctx := t.Context()
	contoso := createTenant(t, s, "contoso").ID
	woodgrove := createTenant(t, s, "woodgrove").ID
	l := createFederationLogin(t, s, federationLoginFixture(contoso, newID()))
	_, err := s.ConsumeFederationLogin(ctx, woodgrove, l.StateHash, at(time.Minute))
	require.ErrorIs(t, err, store.ErrNotFound)
	// The same state in another tenant is another login.
	same := l
	same.TenantID = woodgrove
	require.NoError(t, s.CreateFederationLogin(ctx, same))
	got, err := s.ConsumeFederationLogin(ctx, contoso, l.StateHash, at(time.Minute))
	require.NoError(t, err)
	require.Equal(t, l, got)
	got, err = s.ConsumeFederationLogin(ctx, woodgrove, l.StateHash, at(time.Minute))
	require.NoError(t, err)
	require.Equal(t, same, got)
}

// federationDeletedWithTenant: a tenant's domains, providers and logins go
// with it; its neighbour's stay, and its domain is free again.
func federationDeletedWithTenant(t *testing.T, s store.Store) {
	ctx := t.Context()
	doomed := createTenant(t, s, "contoso").ID
	kept := createTenant(t, s, "fabrikam").ID
	var logins []store.FederationLogin
	for _, tid := range []string{doomed, kept} {
		require.NoError(t, s.AddDomain(ctx, domainFixture(tid, map[string]string{doomed: "contoso.example", kept: "fabrikam.example"}[tid])))
		p := createIdentityProvider(t, s, oidcProviderFixture(tid, "northwind"))
		logins = append(logins, createFederationLogin(t, s, federationLoginFixture(tid, p.ID)))
	}

	require.NoError(t, s.DeleteTenant(ctx, doomed))
	requireEmpty(t, func() (any, error) { return s.ListDomains(ctx, doomed) })
	requireEmpty(t, func() (any, error) { return s.ListIdentityProviders(ctx, doomed) })
	_, err := s.ConsumeFederationLogin(ctx, doomed, logins[0].StateHash, at(0))
	require.ErrorIs(t, err, store.ErrNotFound)

	require.NoError(t, s.AddDomain(ctx, domainFixture(kept, "contoso.example")), "the domain is free again")
	list, err := s.ListDomains(ctx, kept)
	require.NoError(t, err)
	require.Len(t, list, 2)
	providers, err := s.ListIdentityProviders(ctx, kept)
	require.NoError(t, err)
	require.Len(t, providers, 1)
	_, err = s.ConsumeFederationLogin(ctx, kept, logins[1].StateHash, at(0))
	require.NoError(t, err)
}
