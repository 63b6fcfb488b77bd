package idp_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/internal/store/sqlstore/sqltest"
)

// TestSignInFirstLinksToSignIn: the security info page without a session
// is no dead end: it links to an app of the tenant to sign in at (the dev
// seed's first-party demo).
func TestSignInFirstLinksToSignIn(t *testing.T) {
	t.Parallel()
	sqltest.Run(t, func(t *testing.T, b sqltest.Backend) {
		e := newMFAEnv(t, b)
		p := mustPage(t)(e.browser().Get(t.Context(), e.d.URL+"/t/woodgrove/security-info"))
		require.Equal(t, http.StatusUnauthorized, p.Status)
		require.Contains(t, p.Text(), "Sign in first")
		require.Contains(t, p.Text(), "Sign in to Foyer demo in this browser, then open this page again.")
		require.Equal(t, e.d.URL+"/demo", nextLink(t, p), p.Summary())
		require.Contains(t, p.Text(), "Sign in to Foyer demo")

		// A tenant without an app that has a home page says so in words.
		p = mustPage(t)(e.browser().Get(t.Context(), e.d.URL+"/t/fabrikam/security-info"))
		require.Equal(t, http.StatusUnauthorized, p.Status)
		require.Contains(t, p.Text(), "Sign in to an application of Fabrikam")
		require.Empty(t, nextLink(t, p))
	})
}
