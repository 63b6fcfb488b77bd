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

// BenchmarkPublishedDocuments measures the JWKS and the discovery
// document through the real handler stack, as relying parties fetch them
// (no If-None-Match).
func BenchmarkPublishedDocuments(b *testing.B) {
	e := newEnv(b, sqltest.Backends()[0])
	e.tenant(b, "bench", "ES256")
	h := e.srv.Config.Handler
	for name, path := range map[string]string{"jwks": "/keys", "discovery": "/.well-known/openid-configuration"} {
		b.Run(name, func(b *testing.B) {
			target := e.issuer("bench") + path
			request := func() *httptest.ResponseRecorder {
				w := httptest.NewRecorder()
				h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, target, nil))
				return w
			}
			if w := request(); w.Code != http.StatusOK {
				b.Fatalf("%s answered %d: %s", path, w.Code, w.Body)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if w := request(); w.Code != http.StatusOK {
					b.Fatalf("%s answered %d: %s", path, w.Code, w.Body)
				}
			}
		})
	}
}
