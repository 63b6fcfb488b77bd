package federation_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/federation"
	"github.com/foyer-idp/foyer/federation/fedtest"
	"github.com/foyer-idp/foyer/internal/store"
	"github.com/foyer-idp/foyer/internal/testclock"
)

// TestRegistryCachesDiscovery: many sign-ins, one discovery; a changed
// provider or an expired entry discovers again.
func TestRegistryCachesDiscovery(t *testing.T) {
	t.Parallel()
	f := fedtest.NewOIDC(t, ada)
	clock := testclock.New(time.Now())
	reg := newRegistry(t, func(c *federation.RegistryConfig) { c.Now = clock.Now })
	p := oidcProvider(f)

	for range 5 {
		c, err := reg.Connector(t.Context(), p, f.ClientSecret, fedtest.RedirectURI)
		require.NoError(t, err)
		_, err = signIn(t, c)
		require.NoError(t, err)
	}
	require.Equal(t, 1, f.DiscoveryCount(), "one discovery for five sign-ins")

	p.UpdatedAt = p.UpdatedAt.Add(time.Second)
	_, err := reg.Connector(t.Context(), p, f.ClientSecret, fedtest.RedirectURI)
	require.NoError(t, err)
	require.Equal(t, 2, f.DiscoveryCount(), "an updated provider is discovered again")

	const other = "https://foyer.test/other-callback"
	f.AllowRedirectURI(other)
	c, err := reg.Connector(t.Context(), p, f.ClientSecret, other)
	require.NoError(t, err)
	require.Equal(t, 3, f.DiscoveryCount(), "another redirect URL is another connector")
	_, err = signIn(t, c)
	require.NoError(t, err, "the fake learnt the new redirect URI")

	clock.Advance(11 * time.Minute)
	_, err = reg.Connector(t.Context(), p, f.ClientSecret, fedtest.RedirectURI)
	require.NoError(t, err)
	require.Equal(t, 4, f.DiscoveryCount(), "an expired entry is discovered again")
}

func TestRegistryRefusesUnknownType(t *testing.T) {
	t.Parallel()
	_, err := newRegistry(t).Connector(t.Context(), store.IdentityProvider{ID: "x", Type: "SAML"}, "", fedtest.RedirectURI)
	require.ErrorContains(t, err, "unknown type")
}

func TestNewRegistryChecksConfig(t *testing.T) {
	t.Parallel()
	_, err := federation.NewRegistry(federation.RegistryConfig{TrustedPrefixes: []string{"not a url"}})
	require.ErrorContains(t, err, "Now is required")
	require.ErrorContains(t, err, "trusted prefix")
}

// TestFoyerPartnerOnLoopback: another Foyer tenant on this server's own
// (loopback) URL is reached through a trusted prefix while private
// networks stay closed; any other loopback provider is refused.
func TestFoyerPartnerOnLoopback(t *testing.T) {
	t.Parallel()
	partner := fedtest.NewOIDC(t, ada)
	stranger := fedtest.NewOIDC(t, ada)
	reg := newRegistry(t, func(c *federation.RegistryConfig) {
		c.AllowPrivateNetworks = false
		c.TrustedPrefixes = []string{partner.URL}
	})
	p := oidcProvider(partner)
	p.Type = store.IdPFoyer
	p.PartnerTenantID = "fabrikam"
	c, err := reg.Connector(t.Context(), p, partner.ClientSecret, fedtest.RedirectURI)
	require.NoError(t, err)
	id, err := signIn(t, c)
	require.NoError(t, err)
	require.Equal(t, "ada-sub-1", id.Subject)

	s := oidcProvider(stranger)
	s.ID = "stranger"
	_, err = reg.Connector(t.Context(), s, stranger.ClientSecret, fedtest.RedirectURI)
	require.ErrorContains(t, err, "must use https")
}
