package federation_test

import (
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/federation"
	"github.com/foyer-idp/foyer/federation/fedtest"
	"github.com/foyer-idp/foyer/internal/store"
)

var ada = fedtest.User{
	Subject:       "ada-sub-1",
	Email:         "Ada@Fabrikam.TEST",
	EmailVerified: true,
	GivenName:     "Ada",
	FamilyName:    "Lovelace",
	AMR:           []string{"pwd", "mfa"},
	ACR:           "urn:fabrikam:mfa",
}

func oidcConnector(t *testing.T, f *fedtest.OIDC) federation.Connector {
	t.Helper()
	c, err := newRegistry(t).Connector(t.Context(), oidcProvider(f), f.ClientSecret, fedtest.RedirectURI)
	require.NoError(t, err)
	return c
}

func TestOIDCAcceptsGoodLogin(t *testing.T) {
	t.Parallel()
	f := fedtest.NewOIDC(t, ada)
	id, err := signIn(t, oidcConnector(t, f))
	require.NoError(t, err)
	require.Equal(t, federation.Identity{
		Issuer:        f.Issuer,
		Subject:       "ada-sub-1",
		Email:         "ada@fabrikam.test",
		EmailVerified: true,
		DisplayName:   "Ada Lovelace",
		GivenName:     "Ada",
		Surname:       "Lovelace",
		AMR:           []string{"pwd", "mfa"},
		ACR:           "urn:fabrikam:mfa",
	}, id)
}

// TestOIDCRefuses: every misbehaviour of the upstream is refused with its
// reason.
func TestOIDCRefuses(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		m      fedtest.Misbehaviour
		reason string
	}{
		{"BadSignature", fedtest.BadSignature, "the ID token's signature is not valid"},
		{"WrongIssuer", fedtest.WrongIssuer, "the ID token is from another issuer"},
		{"WrongAudience", fedtest.WrongAudience, "the ID token is for another client"},
		{"Expired", fedtest.Expired, "expired ID token"},
		{"AlgNone", fedtest.AlgNone, "the provider used alg none"},
		{"MissingNonce", fedtest.NoNonce, "nonce mismatch"},
		{"OtherNonce", fedtest.OtherNonce, "nonce mismatch"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := fedtest.NewOIDC(t, ada)
			c := oidcConnector(t, f)
			f.Misbehave(tc.m)
			_, err := signIn(t, c)
			requireRefused(t, err, tc.reason)

			f.Misbehave()
			_, err = signIn(t, c)
			require.NoError(t, err, "the same connector accepts a well-behaved answer")
		})
	}
}

func TestOIDCRefusesAccessDenied(t *testing.T) {
	t.Parallel()
	f := fedtest.NewOIDC(t, ada)
	f.Misbehave(fedtest.Deny)
	_, err := signIn(t, oidcConnector(t, f))
	requireRefused(t, err, "the provider denied access (access_denied)")
}

// TestOIDCRefusesNonceOfAnotherTrip: the ID token carries the nonce of the
// trip it was asked for; redeeming it against another trip's nonce fails.
func TestOIDCRefusesNonceOfAnotherTrip(t *testing.T) {
	t.Parallel()
	f := fedtest.NewOIDC(t, ada)
	c := oidcConnector(t, f)
	tr := newTrip(t)
	q := authorize(t, c, tr)
	_, err := c.Exchange(t.Context(), q.Get("code"), tr.verifier, "another-trip-nonce")
	requireRefused(t, err, "nonce mismatch")
}

func TestOIDCRefusesWrongVerifierAndReusedCode(t *testing.T) {
	t.Parallel()
	f := fedtest.NewOIDC(t, ada)
	c := oidcConnector(t, f)

	tr := newTrip(t)
	q := authorize(t, c, tr)
	_, err := c.Exchange(t.Context(), q.Get("code"), newTrip(t).verifier, tr.nonce)
	requireRefused(t, err, "the provider refused the code: invalid_grant")

	tr = newTrip(t)
	q = authorize(t, c, tr)
	_, err = c.Exchange(t.Context(), q.Get("code"), tr.verifier, tr.nonce)
	require.NoError(t, err)
	_, err = c.Exchange(t.Context(), q.Get("code"), tr.verifier, tr.nonce)
	requireRefused(t, err, "the provider refused the code: invalid_grant")
}

// TestOIDCEmail: email and email_verified come from one source, the ID
// token when it has an email, else userinfo.
func TestOIDCEmail(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name         string
		ms           []fedtest.Misbehaviour
		wantEmail    string
		wantVerified bool
	}{
		{"FromIDToken", nil, "ada@fabrikam.test", true},
		{"UnverifiedInIDToken", []fedtest.Misbehaviour{fedtest.EmailUnverified}, "ada@fabrikam.test", false},
		{"OtherEmail", []fedtest.Misbehaviour{fedtest.OtherEmail}, fedtest.OtherEmailAddress, true},
		{"OnlyInUserinfo", []fedtest.Misbehaviour{fedtest.EmailOnlyInUserinfo}, "ada@fabrikam.test", true},
		{"OnlyInUserinfoUnverified", []fedtest.Misbehaviour{fedtest.EmailOnlyInUserinfo, fedtest.EmailUnverified}, "ada@fabrikam.test", false},
		// "true" as a string is not a boolean: unverified, in either source.
		{"StringTrueInIDToken", []fedtest.Misbehaviour{fedtest.EmailVerifiedString, fedtest.EmailUnverified}, "ada@fabrikam.test", false},
		{"StringTrueInUserinfo", []fedtest.Misbehaviour{fedtest.EmailVerifiedString, fedtest.EmailUnverified, fedtest.EmailOnlyInUserinfo}, "ada@fabrikam.test", false},
		{"StringTrueOverVerifiedUser", []fedtest.Misbehaviour{fedtest.EmailVerifiedString}, "ada@fabrikam.test", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := fedtest.NewOIDC(t, ada)
			f.Misbehave(tc.ms...)
			id, err := signIn(t, oidcConnector(t, f))
			require.NoError(t, err)
			require.Equal(t, tc.wantEmail, id.Email)
			require.Equal(t, tc.wantVerified, id.EmailVerified)
			require.Equal(t, "ada-sub-1", id.Subject)
		})
	}
}

func TestOIDCClaimsMapping(t *testing.T) {
	t.Parallel()
	f := fedtest.NewOIDC(t, ada)
	p := oidcProvider(f)
	p.ClaimsMapping = store.ClaimsMapping{UserID: "acr", DisplayName: "given_name", GivenName: "family_name", Surname: "name"}
	c, err := newRegistry(t).Connector(t.Context(), p, f.ClientSecret, fedtest.RedirectURI)
	require.NoError(t, err)
	id, err := signIn(t, c)
	require.NoError(t, err)
	require.Equal(t, "urn:fabrikam:mfa", id.Subject)
	require.Equal(t, "Ada", id.DisplayName)
	require.Equal(t, "Lovelace", id.GivenName)
	require.Equal(t, "Ada Lovelace", id.Surname)
}

func TestGooglePreset(t *testing.T) {
	t.Parallel()
	f := fedtest.NewOIDC(t, ada)
	reg := newRegistry(t, func(c *federation.RegistryConfig) { c.GoogleIssuer = f.Issuer })
	for _, tc := range []struct {
		name    string
		domains []string
		wantHD  string
	}{
		{"OneDomainSendsHD", []string{"fabrikam.test"}, "fabrikam.test"},
		{"TwoDomainsSendNoHD", []string{"fabrikam.test", "contoso.test"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := store.IdentityProvider{TenantID: "contoso", ID: "google-" + tc.name, Type: store.IdPGoogle,
				ClientID: f.ClientID, Domains: tc.domains, UpdatedAt: updated}
			c, err := reg.Connector(t.Context(), p, f.ClientSecret, fedtest.RedirectURI)
			require.NoError(t, err)
			raw, err := c.AuthURL(t.Context(), federation.AuthRequest{State: "s", Nonce: "n", CodeChallenge: "c"})
			require.NoError(t, err)
			u, err := url.Parse(raw)
			require.NoError(t, err)
			require.Equal(t, tc.wantHD, u.Query().Get("hd"))
			require.Equal(t, "openid email profile", u.Query().Get("scope"))
			require.Equal(t, "S256", u.Query().Get("code_challenge_method"))
			require.Equal(t, "n", u.Query().Get("nonce"))
			id, err := signIn(t, c)
			require.NoError(t, err)
			require.Equal(t, f.Issuer, id.Issuer)
		})
	}
}

func TestMicrosoftTenantIssuer(t *testing.T) {
	t.Parallel()
	const tid = "72f988bf-86f1-41af-91ab-2d7cd011db47"
	for _, tc := range []struct {
		name     string
		tenantID string
		m        fedtest.Misbehaviour
		reason   string // empty: accepted
	}{
		{"Accepted", tid, 0, ""},
		{"IssuerOfAnotherTenant", tid, fedtest.WrongTenantIssuer, "the ID token is from another issuer"},
		{"WrongIssuer", tid, fedtest.WrongIssuer, "the ID token is from another issuer"},
		{"TidThatBendsTheIssuer", "evil.test/x", 0, "the ID token has no valid tid"},
		{"BadSignature", tid, fedtest.BadSignature, "the ID token's signature is not valid"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := fedtest.NewMicrosoft(t, ada, tc.tenantID)
			reg := newRegistry(t, func(c *federation.RegistryConfig) { c.MicrosoftAuthority = f.Issuer })
			p := store.IdentityProvider{TenantID: "contoso", ID: "msa", Type: store.IdPMicrosoft, ClientID: f.ClientID, UpdatedAt: updated}
			c, err := reg.Connector(t.Context(), p, f.ClientSecret, fedtest.RedirectURI)
			require.NoError(t, err)
			f.Misbehave(tc.m)
			id, err := signIn(t, c)
			if tc.reason != "" {
				requireRefused(t, err, tc.reason)
				return
			}
			require.NoError(t, err)
			require.Equal(t, f.URL+"/"+tid+"/v2.0", id.Issuer)
			require.Equal(t, "ada-sub-1", id.Subject)
		})
	}
}

// TestMicrosoftNeedsTenantTemplate: a discovery issuer without
// {tenantid} is not the multi-tenant endpoint; nothing is built.
func TestMicrosoftNeedsTenantTemplate(t *testing.T) {
	t.Parallel()
	f := fedtest.NewOIDC(t, ada)
	reg := newRegistry(t, func(c *federation.RegistryConfig) { c.MicrosoftAuthority = f.Issuer })
	p := store.IdentityProvider{TenantID: "contoso", ID: "msa", Type: store.IdPMicrosoft, ClientID: f.ClientID, UpdatedAt: updated}
	_, err := reg.Connector(t.Context(), p, f.ClientSecret, fedtest.RedirectURI)
	requireRefused(t, err, "the provider's discovery issuer has no {tenantid}")
}

func TestOIDCRefusesDiscoveryOfAnotherIssuer(t *testing.T) {
	t.Parallel()
	f := fedtest.NewOIDC(t, ada)
	p := oidcProvider(f)
	p.Issuer = f.URL + "/"
	_, err := newRegistry(t).Connector(t.Context(), p, f.ClientSecret, fedtest.RedirectURI)
	requireRefused(t, err, "the provider's discovery names another issuer")
}
