package idp_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/foyer-idp/foyer/internal/store/sqlstore/sqltest"
	"github.com/foyer-idp/foyer/internal/webclient"
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

// signedInForBench makes the bench tenant on be with member
// ada@bench.test, a first-party app and a browser for her.
func signedInForBench(b *testing.B, be sqltest.Backend) (*env, *client, *webclient.Client) {
	b.Helper()
	be.Require(b)
	e := newEnv(b, be)
	tn := e.tenant(b, "bench", "ES256")
	e.member(b, tn, "ada@bench.test")
	return e, e.app(b, tn, "web", firstParty), e.browser()
}

// dbGrowth answers a function that, called once the benchmark's loop is
// done, reports how many bytes the database grew per operation
// ("db-B/op"): what a million of them cost in storage, before any purge.
func dbGrowth(b *testing.B, e *env) func() {
	b.Helper()
	sized, ok := e.raw.(interface {
		Size(ctx context.Context) (int64, error)
	})
	if !ok {
		b.Fatalf("%T cannot tell its size", e.raw)
	}
	size := func() int64 {
		n, err := sized.Size(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		return n
	}
	before := size()
	return func() { b.ReportMetric(float64(size()-before)/float64(b.N), "db-B/op") }
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

// BenchmarkRefresh measures one refresh-token rotation through the real
// handler stack on each back end: the client keeps the new refresh token
// for the next round, as a real client does.
func BenchmarkRefresh(b *testing.B) {
	for _, be := range sqltest.Backends() {
		b.Run(be.Name, func(b *testing.B) {
			e, c, browser := signedInForBench(b, be)
			tok, _ := c.tokens(b, browser, "ada@bench.test")
			h := e.srv.Config.Handler
			target := e.issuer("bench") + "/oauth/token"
			refresh := tok.RefreshToken
			rotate := func() {
				w := postToken(h, target, c, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh}})
				if w.Code != http.StatusOK {
					b.Fatalf("refresh answered %d: %s", w.Code, w.Body)
				}
				var out struct {
					RefreshToken string `json:"refresh_token"`
				}
				if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil || out.RefreshToken == "" {
					b.Fatalf("refresh answered no refresh token: %v %s", err, w.Body)
				}
				refresh = out.RefreshToken
			}
			rotate()
			reportGrowth := dbGrowth(b, e)
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				rotate()
			}
			reportGrowth()
		})
	}
}

// BenchmarkSessionSignIn measures a sign-in by a browser that already has
// a session, on each back end: the authorization request answered with a
// code at once, and the code exchanged for tokens (with a refresh token),
// as foyer bench's session-flow does.
func BenchmarkSessionSignIn(b *testing.B) {
	for _, be := range sqltest.Backends() {
		b.Run(be.Name, func(b *testing.B) {
			e, c, browser := signedInForBench(b, be)
			c.tokens(b, browser, "ada@bench.test")
			h := e.srv.Config.Handler
			target := e.issuer("bench") + "/oauth/token"
			signIn := func() {
				ar := c.authURL(nil)
				r := httptest.NewRequest(http.MethodGet, ar.url, nil)
				for _, ck := range browser.Cookies(r.URL) {
					r.AddCookie(ck)
				}
				w := httptest.NewRecorder()
				h.ServeHTTP(w, r)
				loc, err := url.Parse(w.Header().Get("Location"))
				if w.Code != http.StatusFound || err != nil || loc.Query().Get("code") == "" {
					b.Fatalf("authorize answered %d to %q: %s", w.Code, w.Header().Get("Location"), w.Body)
				}
				w = postToken(h, target, c, url.Values{"grant_type": {"authorization_code"}, "code": {loc.Query().Get("code")},
					"redirect_uri": {rpCallback}, "code_verifier": {ar.verifier}})
				if w.Code != http.StatusOK {
					b.Fatalf("code exchange answered %d: %s", w.Code, w.Body)
				}
			}
			signIn()
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				signIn()
			}
		})
	}
}

// postToken sends form to the token endpoint as client c, through h.
func postToken(h http.Handler, target string, c *client, form url.Values) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodPost, target, strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.SetBasicAuth(c.app.ClientID, c.secret)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}
