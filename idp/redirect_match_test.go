package idp_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/internal/store"
)

// TestNativeLoopbackRedirectDiffersOnlyInPort: RFC 8252 lets a native
// app's loopback redirect URI differ from the registered one in the port
// only; a URI that differs in any other byte (scheme or host case, an
// empty query) is refused on Foyer's own page, never redirected to.
func TestNativeLoopbackRedirectDiffersOnlyInPort(t *testing.T) {
	t.Parallel()
	runWoodgrove(t, func(t *testing.T, w woodgrove) {
		native := w.app(t, w.tn, "native-app", func(in *directoryApp) {
			in.ClientType = store.ClientNative
			in.RedirectURIs = []string{"http://127.0.0.1/callback", "http://localhost/cb"}
		})
		for _, redirect := range []string{
			"HTTP://127.0.0.1:4000/callback", "Http://localhost:4000/cb", "http://LOCALHOST:4000/cb",
			"http://127.0.0.1:4000/callback?", "http://localhost:4000/cb?", "http://127.0.0.1:/callback?",
		} {
			t.Run(redirect, func(t *testing.T) {
				r := w.get(t, native.authURL(url.Values{"redirect_uri": {redirect}}).url)
				require.Equal(t, http.StatusBadRequest, r.status)
				assert.Empty(t, r.header.Get("Location"), "never redirected")
				assert.Contains(t, r.body, "Invalid redirect URI")
			})
		}
		for _, redirect := range []string{"http://127.0.0.1:4000/callback", "http://127.0.0.1:/callback", "http://localhost:65535/cb"} {
			r := w.get(t, native.authURL(url.Values{"redirect_uri": {redirect}}).url)
			require.Equal(t, http.StatusFound, r.status, redirect)
		}
	})
}
