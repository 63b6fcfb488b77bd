package directory_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/internal/audit"
	"github.com/foyer-idp/foyer/internal/directory"
	"github.com/foyer-idp/foyer/internal/secret"
	"github.com/foyer-idp/foyer/internal/store"
	"github.com/foyer-idp/foyer/internal/store/sqlstore/sqltest"
)

// TestFederation runs the federation tests on each storage back end.
func TestFederation(t *testing.T) {
	tests := []sqltest.Case[*fixture]{
		{Name: "DomainBelongsToOneTenant", Fn: testDomainOneTenant},
		{Name: "DomainRefusals", Fn: testDomainRefusals},
		{Name: "CreateIdentityProviderPresets", Fn: testProviderPresets},
		{Name: "ProviderRefusalsNameFieldsAndWriteNothing", Fn: testProviderRefusals},
		{Name: "ProviderSecretSealedAtRest", Fn: testProviderSecretSealed},
		{Name: "CheckURLRefusalIsAnIssuerFieldError", Fn: testProviderCheckURL},
		{Name: "UpdateAndDeleteProvider", Fn: testUpdateDeleteProvider},
		{Name: "ProviderDomainsServedOnce", Fn: testProviderDomainsServedOnce},
		{Name: "PartnerProviderBothSides", Fn: testPartnerProvider},
		{Name: "PartnerProviderRaceMakesOne", Fn: testPartnerProviderRace},
		{Name: "PartnerProviderRefusals", Fn: testPartnerProviderRefusals},
		{Name: "PartnerProviderAfterDeleteRenewsSecret", Fn: testPartnerProviderRenews},
		{Name: "SetRedemptionPolicy", Fn: testSetRedemptionPolicy},
		{Name: "RefreshGuestProfile", Fn: testRefreshGuestProfile},
		{Name: "RefreshGuestMailRules", Fn: testRefreshGuestMail},
	}
	sqltest.RunSuite(t, tests, func(t *testing.T, b sqltest.Backend) *fixture { return newFixture(t, b) })
}

func TestFederationNotConfigured(t *testing.T) {
	b := sqltest.Backends()[0] // SQLite: the answer does not depend on the store
	st := b.OpenMigrated(t)
	master := secret.GenerateMasterKey()
	d, err := directory.New(directory.Config{Store: st, SecretHasher: master.Hasher("client-secrets"),
		Passwords: secret.NewPasswordHasher(testArgon2, 1)})
	require.NoError(t, err)
	_, err = d.CreateIdentityProvider(t.Context(), "any", googleInput())
	require.ErrorIs(t, err, directory.ErrFederationNotConfigured)
	_, err = d.PartnerProvider(t.Context(), "a", "b")
	require.ErrorIs(t, err, directory.ErrFederationNotConfigured)
}

func googleInput() directory.IdentityProviderInput {
	return directory.IdentityProviderInput{Type: store.IdPGoogle, ClientID: "123-abc.apps.googleusercontent.com",
		ClientSecret: "GOCSPX-google-secret"}
}

func oidcInput(name string) directory.IdentityProviderInput {
	return directory.IdentityProviderInput{
		Type: store.IdPOpenIDConnect, DisplayName: name, ClientID: name + "-client",
		ClientSecret: "secret-of-" + name, Issuer: "https://login." + name + ".example",
		Domains: []string{name + ".example"},
	}
}

func (f *fixture) providers(t *testing.T, tenantID string) []store.IdentityProvider {
	t.Helper()
	list, err := f.store.ListIdentityProviders(t.Context(), tenantID)
	require.NoError(t, err)
	return list
}

func (f *fixture) events(t *testing.T, tenantID, activity string) []store.AuditEvent {
	t.Helper()
	list, err := f.store.ListAudit(t.Context(), store.AuditFilter{TenantID: tenantID, Activity: activity})
	require.NoError(t, err)
	return list
}

func testDomainOneTenant(t *testing.T, f *fixture) {
	ctx := t.Context()
	fabrikam := f.tenant(t, "fabrikam")
	contoso := f.tenant(t, "contoso")

	d, err := f.dir.AddDomain(ctx, fabrikam.ID, " Fabrikam.TEST ")
	require.NoError(t, err)
	require.Equal(t, store.Domain{TenantID: fabrikam.ID, Name: "fabrikam.test", CreatedAt: f.now}, d)
	require.Contains(t, f.auditActivities(t, fabrikam.ID), audit.ActivityAddVerifiedDomain+"/success")

	_, err = f.dir.AddDomain(ctx, contoso.ID, "fabrikam.test")
	requireFields(t, err, store.ErrConflict, "id")
	_, err = f.dir.AddDomain(ctx, fabrikam.ID, "FABRIKAM.test")
	requireFields(t, err, store.ErrConflict, "id")
	require.Contains(t, f.auditActivities(t, contoso.ID), audit.ActivityAddVerifiedDomain+"/failure")
	list, err := f.dir.Domains(ctx, contoso.ID)
	require.NoError(t, err)
	require.Empty(t, list)

	got, ok, err := f.dir.DomainTenant(ctx, "Sam@Fabrikam.Test")
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, fabrikam.ID, got.ID)
	for _, email := range []string{"sam@sub.fabrikam.test", "sam@contoso.test", "no-at-sign", "sam@"} {
		_, ok, err = f.dir.DomainTenant(ctx, email)
		require.NoError(t, err)
		require.False(t, ok, email)
	}

	require.ErrorIs(t, f.dir.RemoveDomain(ctx, contoso.ID, "fabrikam.test"), store.ErrNotFound, "another tenant's domain")
	require.NoError(t, f.dir.RemoveDomain(ctx, fabrikam.ID, "fabrikam.test"))
	require.Contains(t, f.auditActivities(t, fabrikam.ID), audit.ActivityRemoveVerifiedDomain+"/success")
	_, ok, err = f.dir.DomainTenant(ctx, "sam@fabrikam.test")
	require.NoError(t, err)
	require.False(t, ok)
	// Released, the domain may go to another tenant.
	_, err = f.dir.AddDomain(ctx, contoso.ID, "fabrikam.test")
	require.NoError(t, err)
}

func testDomainRefusals(t *testing.T, f *fixture) {
	ctx := t.Context()
	tn := f.tenant(t, "fabrikam")
	for _, bad := range []string{"", "localhost", "*.fabrikam.test", "fab rikam.test", "-x.test", "a..test", "sam@fabrikam.test"} {
		_, err := f.dir.AddDomain(ctx, tn.ID, bad)
		requireFields(t, err, directory.ErrInvalid, "id")
	}
	list, err := f.dir.Domains(ctx, tn.ID)
	require.NoError(t, err)
	require.Empty(t, list)
	_, err = f.dir.AddDomain(ctx, "no-such-tenant", "x.test")
	require.ErrorIs(t, err, store.ErrNotFound)
}

func testProviderPresets(t *testing.T, f *fixture) {
	ctx := t.Context()
	tn := f.tenant(t, "woodgrove")

	g, err := f.dir.CreateIdentityProvider(ctx, tn.ID, googleInput())
	require.NoError(t, err)
	require.Equal(t, directory.GoogleIssuer, g.Issuer)
	require.Equal(t, "Google", g.DisplayName)
	require.Equal(t, []string{"openid", "profile", "email"}, g.Scopes)
	require.True(t, g.Enabled, "enabled by default")
	require.False(t, g.MFATrusted)
	require.Equal(t, f.now, g.CreatedAt)

	ms := directory.IdentityProviderInput{Type: store.IdPMicrosoft, ClientID: "0000-1111", ClientSecret: "ms-secret",
		Issuer: directory.MicrosoftIssuer + "/", Enabled: new(false), MFATrusted: new(true)}
	m, err := f.dir.CreateIdentityProvider(ctx, tn.ID, ms)
	require.NoError(t, err)
	require.Equal(t, "https://login.microsoftonline.com/common/v2.0", m.Issuer)
	require.False(t, m.Enabled)
	require.True(t, m.MFATrusted)

	gh, err := f.dir.CreateIdentityProvider(ctx, tn.ID, directory.IdentityProviderInput{
		Type: store.IdPGitHub, ClientID: "Iv1.0123456789abcdef", ClientSecret: "gh-secret"})
	require.NoError(t, err)
	require.Empty(t, gh.Issuer, "GitHub has none")
	require.Equal(t, "GitHub", gh.DisplayName)

	got, err := f.dir.IdentityProvider(ctx, tn.ID, g.ID)
	require.NoError(t, err)
	require.Equal(t, g, got)
	list, err := f.dir.IdentityProviders(ctx, tn.ID)
	require.NoError(t, err)
	require.Len(t, list, 3)
	require.Len(t, f.events(t, tn.ID, audit.ActivityAddIdentityProvider), 3)
}

func testProviderRefusals(t *testing.T, f *fixture) {
	ctx := t.Context()
	tn := f.tenant(t, "woodgrove")
	for _, c := range []struct {
		name   string
		in     func(in *directory.IdentityProviderInput)
		fields []string
	}{
		{"unknown type", func(in *directory.IdentityProviderInput) { in.Type = "SAML" }, []string{"identityProviderType"}},
		{"Foyer type", func(in *directory.IdentityProviderInput) { in.Type = store.IdPFoyer }, []string{"identityProviderType"}},
		{"everything missing", func(in *directory.IdentityProviderInput) {
			*in = directory.IdentityProviderInput{Type: store.IdPOpenIDConnect}
		}, []string{"displayName", "clientId", "clientSecret", "issuer"}},
		{"bad values", func(in *directory.IdentityProviderInput) {
			in.DisplayName = "a\nb"
			in.ClientID = "has space"
			in.ClientSecret = "with\ttab"
			in.Issuer = "http://login.northwind.example"
			in.Scopes = []string{"profile", "bad\"scope"}
			in.Domains = []string{"*.northwind.example"}
			in.ClaimsMapping.Email = "not a claim"
		}, []string{"displayName", "clientId", "clientSecret", "issuer", "scopes", "domains", "claimsMapping.email"}},
		{"issuer with fragment", func(in *directory.IdentityProviderInput) { in.Issuer = "https://x.example/#a" }, []string{"issuer"}},
		{"issuer with query", func(in *directory.IdentityProviderInput) { in.Issuer = "https://x.example/?tenant=1" }, []string{"issuer"}},
		{"Google's issuer is fixed", func(in *directory.IdentityProviderInput) {
			in.Type, in.Issuer = store.IdPGoogle, "https://evil.example"
		}, []string{"issuer"}},
		{"GitHub has no issuer", func(in *directory.IdentityProviderInput) { in.Type = store.IdPGitHub }, []string{"issuer"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			in := oidcInput("northwind")
			c.in(&in)
			_, err := f.dir.CreateIdentityProvider(ctx, tn.ID, in)
			requireFields(t, err, directory.ErrInvalid, c.fields...)
			require.NotContains(t, err.Error(), "secret-of-northwind", "a secret is never quoted")
		})
	}
	require.Empty(t, f.providers(t, tn.ID), "nothing written")
	for _, e := range f.events(t, tn.ID, audit.ActivityAddIdentityProvider) {
		require.Equal(t, store.ResultFailure, e.Result)
	}
}

func testProviderSecretSealed(t *testing.T, f *fixture) {
	ctx := t.Context()
	tn := f.tenant(t, "woodgrove")
	other := f.tenant(t, "contoso")
	const plain = "very-secret-upstream-value"
	in := oidcInput("northwind")
	in.ClientSecret = plain
	p, err := f.dir.CreateIdentityProvider(ctx, tn.ID, in)
	require.NoError(t, err)

	row, err := f.store.GetIdentityProvider(ctx, tn.ID, p.ID)
	require.NoError(t, err)
	require.NotEmpty(t, row.SealedClientSecret)
	require.False(t, bytes.Contains(row.SealedClientSecret, []byte(plain)), "sealed, not stored")
	require.NotContains(t, fmt.Sprintf("%+v", row), plain, "no column holds it")
	opened, err := f.dir.ClientSecret(row)
	require.NoError(t, err)
	require.Equal(t, plain, opened)

	// A sealed secret opens in its own row only.
	twin, err := f.dir.CreateIdentityProvider(ctx, tn.ID, oidcInput("contoso"))
	require.NoError(t, err)
	moved := twin
	moved.SealedClientSecret = row.SealedClientSecret
	_, err = f.dir.ClientSecret(moved)
	require.ErrorIs(t, err, secret.ErrUnseal, "another provider's row")
	moved = row
	moved.TenantID = other.ID
	_, err = f.dir.ClientSecret(moved)
	require.ErrorIs(t, err, secret.ErrUnseal, "another tenant's row")

	// A new secret replaces the old, sealed afresh.
	next := "rotated-upstream-value"
	_, err = f.dir.UpdateIdentityProvider(ctx, tn.ID, p.ID, directory.IdentityProviderPatch{ClientSecret: &next})
	require.NoError(t, err)
	row, err = f.store.GetIdentityProvider(ctx, tn.ID, p.ID)
	require.NoError(t, err)
	require.False(t, bytes.Contains(row.SealedClientSecret, []byte(next)))
	opened, err = f.dir.ClientSecret(row)
	require.NoError(t, err)
	require.Equal(t, next, opened)
	for _, e := range f.events(t, tn.ID, "") {
		require.NotContains(t, fmt.Sprintf("%+v", e), plain)
		require.NotContains(t, fmt.Sprintf("%+v", e), next)
	}
}

func testProviderCheckURL(t *testing.T, f *fixture) {
	ctx := t.Context()
	tn := f.tenant(t, "woodgrove")
	var checked []string
	f.checkURL = func(_ context.Context, rawURL string) error {
		checked = append(checked, rawURL)
		if strings.Contains(rawURL, "internal") {
			return errors.New("resolves to a private address")
		}
		return nil
	}
	in := oidcInput("northwind")
	in.Issuer = "https://idp.internal.example"
	_, err := f.dir.CreateIdentityProvider(ctx, tn.ID, in)
	requireFields(t, err, directory.ErrInvalid, "issuer")
	require.ErrorContains(t, err, "resolves to a private address")
	require.Equal(t, []string{"https://idp.internal.example"}, checked)
	require.Empty(t, f.providers(t, tn.ID))

	p, err := f.dir.CreateIdentityProvider(ctx, tn.ID, oidcInput("northwind"))
	require.NoError(t, err)
	require.Equal(t, "https://login.northwind.example", checked[len(checked)-1])

	bad := "https://sso.internal.example"
	_, err = f.dir.UpdateIdentityProvider(ctx, tn.ID, p.ID, directory.IdentityProviderPatch{Issuer: &bad})
	requireFields(t, err, directory.ErrInvalid, "issuer")
	got, err := f.dir.IdentityProvider(ctx, tn.ID, p.ID)
	require.NoError(t, err)
	require.Equal(t, p.Issuer, got.Issuer, "a refused update changes nothing")
	require.Contains(t, f.auditActivities(t, tn.ID), audit.ActivityUpdateIdentityProvider+"/failure")

	// Presets fix their issuers: nothing of the admin's to check.
	n := len(checked)
	_, err = f.dir.CreateIdentityProvider(ctx, tn.ID, googleInput())
	require.NoError(t, err)
	require.Len(t, checked, n)
}

func testUpdateDeleteProvider(t *testing.T, f *fixture) {
	ctx := t.Context()
	tn := f.tenant(t, "woodgrove")
	p, err := f.dir.CreateIdentityProvider(ctx, tn.ID, oidcInput("northwind"))
	require.NoError(t, err)

	f.now = f.now.Add(time.Hour)
	name, issuer := "Northwind SSO", "https://sso.northwind.example/v2"
	mapping := store.ClaimsMapping{UserID: "oid", Email: "upn"}
	got, err := f.dir.UpdateIdentityProvider(ctx, tn.ID, p.ID, directory.IdentityProviderPatch{
		DisplayName: &name, Issuer: &issuer, ClaimsMapping: &mapping, Domains: &[]string{"NW.example", "nw.example"},
		Enabled: new(false), MFATrusted: new(true),
	})
	require.NoError(t, err)
	require.Equal(t, name, got.DisplayName)
	require.Equal(t, issuer, got.Issuer)
	require.Equal(t, mapping, got.ClaimsMapping)
	require.Equal(t, []string{"nw.example"}, got.Domains)
	require.False(t, got.Enabled)
	require.True(t, got.MFATrusted)
	require.Equal(t, f.now, got.UpdatedAt)
	require.Equal(t, p.CreatedAt, got.CreatedAt)
	require.Equal(t, p.SealedClientSecret, got.SealedClientSecret, "the secret stays")
	stored, err := f.dir.IdentityProvider(ctx, tn.ID, p.ID)
	require.NoError(t, err)
	require.Equal(t, got, stored)

	empty := ""
	_, err = f.dir.UpdateIdentityProvider(ctx, tn.ID, p.ID, directory.IdentityProviderPatch{ClientSecret: &empty, DisplayName: &empty})
	requireFields(t, err, directory.ErrInvalid, "clientSecret", "displayName")

	_, err = f.dir.UpdateIdentityProvider(ctx, tn.ID, "nope", directory.IdentityProviderPatch{DisplayName: &name})
	require.ErrorIs(t, err, store.ErrNotFound)

	require.NoError(t, f.dir.DeleteIdentityProvider(ctx, tn.ID, p.ID))
	require.ErrorIs(t, f.dir.DeleteIdentityProvider(ctx, tn.ID, p.ID), store.ErrNotFound)
	require.Empty(t, f.providers(t, tn.ID))
	activities := f.auditActivities(t, tn.ID)
	require.Contains(t, activities, audit.ActivityUpdateIdentityProvider+"/success")
	require.Contains(t, activities, audit.ActivityDeleteIdentityProvider+"/success")
	require.Contains(t, activities, audit.ActivityDeleteIdentityProvider+"/failure")
}

func testProviderDomainsServedOnce(t *testing.T, f *fixture) {
	ctx := t.Context()
	tn := f.tenant(t, "woodgrove")
	other := f.tenant(t, "contoso")
	_, err := f.dir.CreateIdentityProvider(ctx, tn.ID, oidcInput("northwind"))
	require.NoError(t, err)
	in := oidcInput("tailspin")
	in.Domains = []string{"tailspin.example", "northwind.example"}
	_, err = f.dir.CreateIdentityProvider(ctx, tn.ID, in)
	requireFields(t, err, store.ErrConflict, "domains")
	require.Len(t, f.providers(t, tn.ID), 1)

	// Another tenant's providers are its own business.
	_, err = f.dir.CreateIdentityProvider(ctx, other.ID, in)
	require.NoError(t, err)

	in.Domains = nil
	p, err := f.dir.CreateIdentityProvider(ctx, tn.ID, in)
	require.NoError(t, err)
	_, err = f.dir.UpdateIdentityProvider(ctx, tn.ID, p.ID, directory.IdentityProviderPatch{Domains: &[]string{"northwind.example"}})
	requireFields(t, err, store.ErrConflict, "domains")
}

func testPartnerProvider(t *testing.T, f *fixture) {
	ctx := t.Context()
	contoso := f.tenant(t, "contoso")
	fabrikam := f.tenant(t, "fabrikam")

	p, err := f.dir.PartnerProvider(ctx, contoso.ID, fabrikam.ID)
	require.NoError(t, err)
	require.Equal(t, store.IdPFoyer, p.Type)
	require.Equal(t, fabrikam.ID, p.PartnerTenantID)
	require.Equal(t, "https://foyer.localhost/t/fabrikam", p.Issuer)
	require.Equal(t, "foyer-partner-contoso", p.ClientID)
	require.True(t, p.Enabled)

	app, err := f.dir.Application(ctx, fabrikam.ID, "foyer-partner-contoso")
	require.NoError(t, err)
	require.Equal(t, "CONTOSO (guest access)", app.DisplayName)
	require.Equal(t, store.ClientConfidential, app.ClientType)
	require.Equal(t, []string{"https://foyer.localhost/t/contoso/federation/callback"}, app.RedirectURIs)
	require.Equal(t, []string{directory.GrantAuthorizationCode}, app.GrantTypes)
	require.False(t, app.FirstParty)

	// The sealed secret is the partner's client's secret.
	value, err := f.dir.ClientSecret(p)
	require.NoError(t, err)
	require.NotEmpty(t, value)
	_, err = f.dir.VerifyClientSecret(ctx, fabrikam.ID, app.ClientID, value)
	require.NoError(t, err)
	row, err := f.store.GetIdentityProvider(ctx, contoso.ID, p.ID)
	require.NoError(t, err)
	require.False(t, bytes.Contains(row.SealedClientSecret, []byte(value)))

	// Both audit logs tell.
	require.Contains(t, f.auditActivities(t, contoso.ID), audit.ActivityAddIdentityProvider+"/success")
	require.Contains(t, f.auditActivities(t, fabrikam.ID), audit.ActivityAddApplication+"/success")

	// The second call answers the same provider and writes nothing.
	before := len(f.events(t, "", ""))
	again, err := f.dir.PartnerProvider(ctx, contoso.ID, fabrikam.ID)
	require.NoError(t, err)
	require.Equal(t, p, again)
	require.Len(t, f.events(t, "", ""), before)

	// The other direction is another pair.
	back, err := f.dir.PartnerProvider(ctx, fabrikam.ID, contoso.ID)
	require.NoError(t, err)
	require.NotEqual(t, p.ID, back.ID)
	require.Equal(t, "foyer-partner-fabrikam", back.ClientID)
	_, err = f.dir.Application(ctx, contoso.ID, "foyer-partner-fabrikam")
	require.NoError(t, err)

	// Foyer manages the connection; the name and switches are the admin's.
	issuer := "https://evil.example"
	_, err = f.dir.UpdateIdentityProvider(ctx, contoso.ID, p.ID, directory.IdentityProviderPatch{Issuer: &issuer, ClientID: &issuer})
	requireFields(t, err, directory.ErrInvalid, "issuer", "clientId")
	_, err = f.dir.UpdateIdentityProvider(ctx, contoso.ID, p.ID, directory.IdentityProviderPatch{MFATrusted: new(true)})
	require.NoError(t, err)
}

func testPartnerProviderRace(t *testing.T, f *fixture) {
	ctx := t.Context()
	contoso := f.tenant(t, "contoso")
	fabrikam := f.tenant(t, "fabrikam")
	const n = 8
	got := make([]store.IdentityProvider, n)
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			got[i], errs[i] = f.dir.PartnerProvider(ctx, contoso.ID, fabrikam.ID)
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		require.NoError(t, err, "call %d", i)
		require.Equal(t, got[0].ID, got[i].ID, "call %d answers the one provider", i)
	}
	require.Len(t, f.providers(t, contoso.ID), 1)
	apps, err := f.dir.Applications(ctx, fabrikam.ID)
	require.NoError(t, err)
	require.Len(t, apps, 1, "one client in the partner")
	secrets, err := f.dir.ClientSecrets(ctx, fabrikam.ID, apps[0].ID)
	require.NoError(t, err)
	require.Len(t, secrets, 1)
	value, err := f.dir.ClientSecret(got[0])
	require.NoError(t, err)
	_, err = f.dir.VerifyClientSecret(ctx, fabrikam.ID, apps[0].ClientID, value)
	require.NoError(t, err, "the provider holds the surviving client's secret")
	require.Len(t, f.events(t, contoso.ID, audit.ActivityAddIdentityProvider), 1)
	require.Len(t, f.events(t, fabrikam.ID, audit.ActivityAddApplication), 1)
}

func testPartnerProviderRefusals(t *testing.T, f *fixture) {
	ctx := t.Context()
	contoso := f.tenant(t, "contoso")
	_, err := f.dir.PartnerProvider(ctx, contoso.ID, contoso.ID)
	requireFields(t, err, directory.ErrInvalid, "partnerTenantId")
	_, err = f.dir.PartnerProvider(ctx, contoso.ID, "no-such-tenant")
	requireFields(t, err, store.ErrNotFound, "partnerTenantId")
	require.Empty(t, f.providers(t, contoso.ID))
	apps, err := f.dir.Applications(ctx, contoso.ID)
	require.NoError(t, err)
	require.Empty(t, apps)

	// A client id taken by a client that cannot hold a secret is refused,
	// not taken over.
	fabrikam := f.tenant(t, "fabrikam")
	_, _, err = f.dir.CreateApplication(ctx, fabrikam.ID, directory.NewApplication{
		DisplayName: "Squatter", ClientID: "foyer-partner-contoso", ClientType: store.ClientPublic,
		RedirectURIs: []string{"https://squat.example/cb"}, GrantTypes: []string{directory.GrantAuthorizationCode},
	})
	require.NoError(t, err)
	_, err = f.dir.PartnerProvider(ctx, contoso.ID, fabrikam.ID)
	requireFields(t, err, store.ErrConflict, "partnerTenantId")
	require.Empty(t, f.providers(t, contoso.ID))
}

func testPartnerProviderRenews(t *testing.T, f *fixture) {
	ctx := t.Context()
	contoso := f.tenant(t, "contoso")
	fabrikam := f.tenant(t, "fabrikam")
	p, err := f.dir.PartnerProvider(ctx, contoso.ID, fabrikam.ID)
	require.NoError(t, err)
	old, err := f.dir.ClientSecret(p)
	require.NoError(t, err)
	require.NoError(t, f.dir.DeleteIdentityProvider(ctx, contoso.ID, p.ID))

	p2, err := f.dir.PartnerProvider(ctx, contoso.ID, fabrikam.ID)
	require.NoError(t, err)
	require.NotEqual(t, p.ID, p2.ID)
	value, err := f.dir.ClientSecret(p2)
	require.NoError(t, err)
	apps, err := f.dir.Applications(ctx, fabrikam.ID)
	require.NoError(t, err)
	require.Len(t, apps, 1, "the client is reused")
	_, err = f.dir.VerifyClientSecret(ctx, fabrikam.ID, apps[0].ClientID, value)
	require.NoError(t, err)
	_, err = f.dir.VerifyClientSecret(ctx, fabrikam.ID, apps[0].ClientID, old)
	require.ErrorIs(t, err, directory.ErrBadCredentials, "the secret nobody holds any more is gone")
}

func testSetRedemptionPolicy(t *testing.T, f *fixture) {
	ctx := t.Context()
	tn := f.tenant(t, "woodgrove")
	require.Equal(t, store.DefaultRedemptionOrder, directory.RedemptionOrder(tn.Invitations))

	order := []string{store.RedeemEmailPasscode, store.RedeemPartnerTenant}
	got, err := f.dir.SetRedemptionPolicy(ctx, tn.ID, order, true)
	require.NoError(t, err)
	require.Equal(t, order, got.Invitations.RedemptionOrder)
	require.True(t, got.Invitations.RedeemWithAnyAccount)
	stored, err := f.dir.Tenant(ctx, tn.ID)
	require.NoError(t, err)
	require.Equal(t, order, stored.Invitations.RedemptionOrder)
	require.True(t, stored.Invitations.RedeemWithAnyAccount)
	require.Equal(t, order, directory.RedemptionOrder(stored.Invitations))
	require.Len(t, f.events(t, tn.ID, audit.ActivityUpdatePolicy), 1)

	for _, bad := range [][]string{{"carrierPigeon"}, {store.RedeemEmailPasscode, store.RedeemEmailPasscode}} {
		_, err = f.dir.SetRedemptionPolicy(ctx, tn.ID, bad, false)
		requireFields(t, err, directory.ErrInvalid, "redemptionOrder")
	}
	stored, err = f.dir.Tenant(ctx, tn.ID)
	require.NoError(t, err)
	require.Equal(t, order, stored.Invitations.RedemptionOrder, "refusals change nothing")
	require.True(t, stored.Invitations.RedeemWithAnyAccount)

	// The invitation policy keeps the redemption policy.
	p := stored.Invitations
	p.AllowInvitesFrom = store.InvitesFromEveryone
	stored, err = f.dir.SetInvitationPolicy(ctx, tn.ID, p)
	require.NoError(t, err)
	require.Equal(t, order, stored.Invitations.RedemptionOrder)

	// Empty is the default again.
	got, err = f.dir.SetRedemptionPolicy(ctx, tn.ID, nil, false)
	require.NoError(t, err)
	require.Empty(t, got.Invitations.RedemptionOrder)
	require.Equal(t, store.DefaultRedemptionOrder, directory.RedemptionOrder(got.Invitations))
}

func testRefreshGuestProfile(t *testing.T, f *fixture) {
	ctx := t.Context()
	tn := f.inviteTenant(t, "woodgrove")
	in := guestInput("bo@fabrikam.example")
	in.DisplayName = "Bo"
	inv, _, err := f.dir.Invite(ctx, tn.ID, in)
	require.NoError(t, err)
	guest, err := f.store.GetUser(ctx, tn.ID, inv.User.ID)
	require.NoError(t, err)
	updates := func() []store.AuditEvent { return f.events(t, tn.ID, audit.ActivityUpdateUser) }

	// What the guest has already: nothing written, nothing audited.
	f.now = f.now.Add(time.Hour)
	require.NoError(t, f.dir.RefreshGuestProfile(ctx, tn.ID, guest.ID, directory.UpstreamProfile{
		Email: "BO@fabrikam.example", DisplayName: "Bo"}))
	got, err := f.store.GetUser(ctx, tn.ID, guest.ID)
	require.NoError(t, err)
	require.Equal(t, guest, got)
	require.Empty(t, updates())

	// A change is written once, with the guest as actor.
	profile := directory.UpstreamProfile{Email: "bo@fabrikam.example", DisplayName: "Bo Smith", GivenName: "Bo", Surname: "Smith"}
	require.NoError(t, f.dir.RefreshGuestProfile(ctx, tn.ID, guest.ID, profile))
	got, err = f.store.GetUser(ctx, tn.ID, guest.ID)
	require.NoError(t, err)
	require.Equal(t, "Bo Smith", got.DisplayName)
	require.Equal(t, "Bo", got.GivenName)
	require.Equal(t, "Smith", got.Surname)
	require.Equal(t, f.now, got.UpdatedAt)
	events := updates()
	require.Len(t, events, 1)
	require.Equal(t, guest.ID, events[0].ActorID)
	require.Equal(t, store.ActorUser, events[0].ActorType)
	require.Equal(t, guest.ID, events[0].TargetID)

	// The same again is no change; empty and invalid values keep what is.
	require.NoError(t, f.dir.RefreshGuestProfile(ctx, tn.ID, guest.ID, profile))
	require.NoError(t, f.dir.RefreshGuestProfile(ctx, tn.ID, guest.ID, directory.UpstreamProfile{
		DisplayName: strings.Repeat("x", 300), Email: "not an address"}))
	require.Len(t, updates(), 1)

	// The mail follows only a verified address of a served domain
	// (testRefreshGuestMail has every rule); a refusal keeps the mail and
	// is audited as a failure.
	prov, err := f.dir.CreateIdentityProvider(ctx, tn.ID, oidcInput("fabrikam"))
	require.NoError(t, err)
	member := f.member(t, tn.ID, "sam@woodgrove.example")
	require.NoError(t, f.dir.RefreshGuestProfile(ctx, tn.ID, guest.ID, directory.UpstreamProfile{
		Email: member.Mail, EmailVerified: true, ProviderID: prov.ID}))
	got, err = f.store.GetUser(ctx, tn.ID, guest.ID)
	require.NoError(t, err)
	require.Equal(t, "bo@fabrikam.example", got.Mail)
	events = updates()
	require.Len(t, events, 2)
	require.Equal(t, store.ResultFailure, events[0].Result, "newest first")

	require.NoError(t, f.dir.RefreshGuestProfile(ctx, tn.ID, guest.ID, directory.UpstreamProfile{
		Email: "Bo.Smith@Fabrikam.example", EmailVerified: true, ProviderID: prov.ID}))
	got, err = f.store.GetUser(ctx, tn.ID, guest.ID)
	require.NoError(t, err)
	require.Equal(t, "bo.smith@fabrikam.example", got.Mail)
	require.True(t, got.MailVerified, "an address the serving upstream verified")
	require.Len(t, updates(), 3)

	// Members' profiles are the directory's.
	err = f.dir.RefreshGuestProfile(ctx, tn.ID, member.ID, profile)
	require.ErrorIs(t, err, directory.ErrInvalid)
	require.ErrorIs(t, f.dir.RefreshGuestProfile(ctx, tn.ID, "nope", profile), store.ErrNotFound)
}

// testRefreshGuestMail tries every way an upstream could re-address its
// guest. Each refused address keeps the mail (and its verification) and
// is audited as a failed "Update user" naming the reason.
func testRefreshGuestMail(t *testing.T, f *fixture) {
	ctx := t.Context()
	tn := f.inviteTenant(t, "woodgrove")
	_, err := f.dir.AddDomain(ctx, tn.ID, "woodgrove.example")
	require.NoError(t, err)
	other := f.tenant(t, "contoso")
	_, err = f.dir.AddDomain(ctx, other.ID, "contoso.example")
	require.NoError(t, err)
	partner := f.tenant(t, "fabrikam")
	_, err = f.dir.AddDomain(ctx, partner.ID, "fabrikam.example")
	require.NoError(t, err)
	served, err := f.dir.CreateIdentityProvider(ctx, tn.ID, oidcInput("partner"))
	require.NoError(t, err)
	noDomains := oidcInput("social")
	noDomains.Domains = nil
	unscoped, err := f.dir.CreateIdentityProvider(ctx, tn.ID, noDomains)
	require.NoError(t, err)
	fabrikam, err := f.dir.PartnerProvider(ctx, tn.ID, partner.ID)
	require.NoError(t, err)
	f.member(t, tn.ID, "sam@partner.example")
	_, _, err = f.dir.Invite(ctx, tn.ID, guestInput("lee@partner.example"))
	require.NoError(t, err)

	// An accepted guest, invited as kim@partner.example, who proved it.
	inv, token, err := f.dir.Invite(ctx, tn.ID, guestInput("kim@partner.example"))
	require.NoError(t, err)
	_, _, err = f.dir.Redeem(ctx, tn, f.dir.RedeemTokenHash(token), directory.ProvenIdentity{
		Identity: store.Identity{SignInType: store.SignInTypeFederated, Issuer: "https://login.partner.example", IssuerAssignedID: "kim-1"},
		Email:    "kim@partner.example", EmailVerified: true})
	require.NoError(t, err)
	guest, err := f.store.GetUser(ctx, tn.ID, inv.User.ID)
	require.NoError(t, err)
	require.True(t, guest.MailVerified, "the invited address, proven at redemption")

	for _, tc := range []struct {
		name, email, provider string
		unverified            bool
		reason                string
	}{
		{"Unverified", "kim.new@partner.example", served.ID, true, "did not verify"},
		{"NoProvider", "kim.new@partner.example", "", false, "no identity provider"},
		{"UnknownProvider", "kim.new@partner.example", "nope", false, "no identity provider"},
		{"InvitingTenantsDomain", "cfo@woodgrove.example", served.ID, false, "verified domain of this organisation"},
		{"InvitingTenantsDomainNoDomains", "cfo@woodgrove.example", unscoped.ID, false, "verified domain of this organisation"},
		{"OtherTenantsDomain", "ceo@contoso.example", unscoped.ID, false, "another organisation verified"},
		{"PartnerDomainThroughOtherProvider", "sam@fabrikam.example", served.ID, false, "another organisation verified"},
		{"NotServed", "kim@gmail.example", served.ID, false, "not in a domain the identity provider serves"},
		{"NotTheInvitedDomain", "kim@gmail.example", unscoped.ID, false, "not in a domain the identity provider serves"},
		{"PartnerOutsideItsDomains", "kim@partner.example.evil", fabrikam.ID, false, "not in a domain"},
		{"HeldByAnotherUser", "sam@partner.example", served.ID, false, "another user of the organisation holds it"},
		{"HeldByPendingGuest", "lee@partner.example", served.ID, false, "another user of the organisation holds it"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f.now = f.now.Add(time.Minute)
			before := len(f.events(t, tn.ID, audit.ActivityUpdateUser))
			require.NoError(t, f.dir.RefreshGuestProfile(ctx, tn.ID, guest.ID, directory.UpstreamProfile{
				Email: tc.email, EmailVerified: !tc.unverified, ProviderID: tc.provider}))
			got, err := f.store.GetUser(ctx, tn.ID, guest.ID)
			require.NoError(t, err)
			require.Equal(t, "kim@partner.example", got.Mail)
			require.True(t, got.MailVerified)
			events := f.events(t, tn.ID, audit.ActivityUpdateUser)
			require.Len(t, events, before+1)
			last := events[0] // newest first
			require.Equal(t, store.ResultFailure, last.Result)
			require.Contains(t, last.Reason, tc.reason)
			require.Contains(t, last.Reason, tc.email)
			require.Equal(t, guest.ID, last.TargetID)
		})
	}

	t.Run("PendingInvitation", func(t *testing.T) {
		f.now = f.now.Add(time.Minute)
		// An invitation whose guest's mail was changed since: the address
		// is still promised to it.
		pend, _, err := f.dir.Invite(ctx, tn.ID, guestInput("ada@partner.example"))
		require.NoError(t, err)
		renamed := "ada.renamed@partner.example"
		_, err = f.dir.UpdateUser(ctx, tn.ID, pend.User.ID, directory.UserPatch{Mail: &renamed})
		require.NoError(t, err)
		require.NoError(t, f.dir.RefreshGuestProfile(ctx, tn.ID, guest.ID, directory.UpstreamProfile{
			Email: "ada@partner.example", EmailVerified: true, ProviderID: served.ID}))
		got, err := f.store.GetUser(ctx, tn.ID, guest.ID)
		require.NoError(t, err)
		require.Equal(t, "kim@partner.example", got.Mail)
		events := f.events(t, tn.ID, audit.ActivityUpdateUser)
		require.Contains(t, events[0].Reason, "an invitation to it is pending")
	})

	t.Run("ServedDomainFollows", func(t *testing.T) {
		require.NoError(t, f.dir.RefreshGuestProfile(ctx, tn.ID, guest.ID, directory.UpstreamProfile{
			Email: "kim.akers@partner.example", EmailVerified: true, ProviderID: served.ID}))
		got, err := f.store.GetUser(ctx, tn.ID, guest.ID)
		require.NoError(t, err)
		require.Equal(t, "kim.akers@partner.example", got.Mail)
		require.True(t, got.MailVerified)
		// Without configured domains, the invited address's domain is
		// served.
		require.NoError(t, f.dir.RefreshGuestProfile(ctx, tn.ID, guest.ID, directory.UpstreamProfile{
			Email: "kim@partner.example", EmailVerified: true, ProviderID: unscoped.ID}))
		got, err = f.store.GetUser(ctx, tn.ID, guest.ID)
		require.NoError(t, err)
		require.Equal(t, "kim@partner.example", got.Mail)
	})

	t.Run("PartnerServesItsDomains", func(t *testing.T) {
		require.NoError(t, f.dir.RefreshGuestProfile(ctx, tn.ID, guest.ID, directory.UpstreamProfile{
			Email: "kim@fabrikam.example", EmailVerified: true, ProviderID: fabrikam.ID}))
		got, err := f.store.GetUser(ctx, tn.ID, guest.ID)
		require.NoError(t, err)
		require.Equal(t, "kim@fabrikam.example", got.Mail)
	})

	t.Run("SameAddressIsVerifiedAgain", func(t *testing.T) {
		f.now = f.now.Add(time.Minute)
		// An admin re-addresses the guest: unverified. The upstream's
		// verified word for the address, in a domain it serves, verifies
		// it; its unverified word does not, and neither is a failure.
		addr := "kim@partner.example"
		_, err := f.dir.UpdateUser(ctx, tn.ID, guest.ID, directory.UserPatch{Mail: &addr})
		require.NoError(t, err)
		got, err := f.store.GetUser(ctx, tn.ID, guest.ID)
		require.NoError(t, err)
		require.False(t, got.MailVerified, "an admin's word is not verification")
		before := len(f.events(t, tn.ID, audit.ActivityUpdateUser))
		require.NoError(t, f.dir.RefreshGuestProfile(ctx, tn.ID, guest.ID, directory.UpstreamProfile{
			Email: addr, ProviderID: served.ID}))
		require.Len(t, f.events(t, tn.ID, audit.ActivityUpdateUser), before)
		f.now = f.now.Add(time.Minute)
		require.NoError(t, f.dir.RefreshGuestProfile(ctx, tn.ID, guest.ID, directory.UpstreamProfile{
			Email: addr, EmailVerified: true, ProviderID: served.ID}))
		got, err = f.store.GetUser(ctx, tn.ID, guest.ID)
		require.NoError(t, err)
		require.True(t, got.MailVerified)
		events := f.events(t, tn.ID, audit.ActivityUpdateUser)
		require.Len(t, events, before+1)
		require.Equal(t, store.ResultSuccess, events[0].Result)
	})
}
