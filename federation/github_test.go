package federation_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/federation"
	"github.com/foyer-idp/foyer/federation/fedtest"
	"github.com/foyer-idp/foyer/internal/store"
)

func gitHubConnector(t *testing.T, g *fedtest.GitHub) federation.Connector {
	t.Helper()
	reg := newRegistry(t, func(c *federation.RegistryConfig) { c.GitHubURL, c.GitHubAPIURL = g.URL, g.APIURL })
	p := store.IdentityProvider{TenantID: "contoso", ID: "gh", Type: store.IdPGitHub, ClientID: g.ClientID, UpdatedAt: updated}
	c, err := reg.Connector(t.Context(), p, g.ClientSecret, fedtest.RedirectURI)
	require.NoError(t, err)
	return c
}

// TestGitHubEmail: the email is taken only from a primary, verified row
// of /user/emails.
func TestGitHubEmail(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name         string
		emails       []fedtest.GitHubEmail
		wantEmail    string
		wantVerified bool
	}{
		{"PrimaryVerified", []fedtest.GitHubEmail{
			{Email: "octo@other.test", Primary: false, Verified: true},
			{Email: "Octo@GitHub.test", Primary: true, Verified: true},
		}, "octo@github.test", true},
		{"PrimaryUnverified", []fedtest.GitHubEmail{
			{Email: "octo@github.test", Primary: true, Verified: false},
			{Email: "octo@other.test", Primary: false, Verified: true},
		}, "", false},
		{"VerifiedNotPrimary", []fedtest.GitHubEmail{{Email: "octo@other.test", Verified: true}}, "", false},
		{"NoEmails", nil, "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := fedtest.NewGitHub(t, fedtest.GitHubUser{ID: 583231, Login: "octocat", Name: "The Octocat", Emails: tc.emails})
			id, err := signIn(t, gitHubConnector(t, g))
			require.NoError(t, err)
			require.Equal(t, federation.Identity{
				Issuer:        "https://github.com",
				Subject:       "583231",
				Email:         tc.wantEmail,
				EmailVerified: tc.wantVerified,
				DisplayName:   "The Octocat",
			}, id)
		})
	}
}

func TestGitHubRefuses(t *testing.T) {
	t.Parallel()
	g := fedtest.NewGitHub(t, fedtest.GitHubUser{ID: 1, Login: "octocat"})
	c := gitHubConnector(t, g)

	t.Run("WrongVerifier", func(t *testing.T) {
		tr := newTrip(t)
		q := authorize(t, c, tr)
		_, err := c.Exchange(t.Context(), q.Get("code"), newTrip(t).verifier, "")
		requireRefused(t, err, "the provider refused the code: bad_verification_code")
	})
	t.Run("ReusedCode", func(t *testing.T) {
		tr := newTrip(t)
		q := authorize(t, c, tr)
		id, err := c.Exchange(t.Context(), q.Get("code"), tr.verifier, "")
		require.NoError(t, err)
		require.Equal(t, "octocat", id.DisplayName, "login stands in for a missing name")
		_, err = c.Exchange(t.Context(), q.Get("code"), tr.verifier, "")
		requireRefused(t, err, "the provider refused the code: bad_verification_code")
	})
	t.Run("AccessDenied", func(t *testing.T) {
		g.Misbehave(fedtest.Deny)
		defer g.Misbehave()
		_, err := signIn(t, c)
		requireRefused(t, err, "the provider denied access (access_denied)")
	})
}
