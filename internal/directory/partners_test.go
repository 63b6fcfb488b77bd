package directory_test

import (
	"bytes"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/internal/audit"
	"github.com/foyer-idp/foyer/internal/directory"
	"github.com/foyer-idp/foyer/internal/store"
)

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
