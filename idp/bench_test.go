package idp_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/foyer-idp/foyer/internal/store/sqlstore/sqltest"
)

// BenchmarkTokenEndpoint measures client_credentials through the real
// handler stack (middleware, tenant gate, op, client authentication,
// signing) on SQLite, without a network in between.
func BenchmarkTokenEndpoint(b *testing.B) {
	for _, alg := range []string{"RS256", "ES256"} {
		b.Run("client_credentials/"+alg, func(b *testing.B) {
			e := newEnv(b, sqltest.Backends()[0])
			tn := e.tenant(b, "bench", alg)
			c := e.app(b, tn, "daemon", func(in *directoryApp) {
				in.GrantTypes = []string{"client_credentials"}
				in.RedirectURIs = nil
				in.APIPermissions = []string{"User.Invite.All"}
			})
			h := e.srv.Config.Handler
			body := url.Values{"grant_type": {"client_credentials"}, "scope": {e.base + "/.default"}}.Encode()
			target := e.issuer("bench") + "/oauth/token"
			request := func() *httptest.ResponseRecorder {
				r := httptest.NewRequest(http.MethodPost, target, strings.NewReader(body))
				r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				r.SetBasicAuth(c.app.ClientID, c.secret)
				w := httptest.NewRecorder()
				h.ServeHTTP(w, r)
				return w
			}
			if w := request(); w.Code != http.StatusOK {
				b.Fatalf("token endpoint answered %d: %s", w.Code, w.Body)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if w := request(); w.Code != http.StatusOK {
					b.Fatalf("token endpoint answered %d: %s", w.Code, w.Body)
				}
			}
		})
	}
}
