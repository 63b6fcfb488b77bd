package demo_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/internal/demo"
	"github.com/foyer-idp/foyer/internal/webclient"
)

// fakeOP is the least of an OpenID provider the demo needs: discovery,
// JWKS, an authorization endpoint that signs in at once and a token
// endpoint checking PKCE. Knobs make it misbehave.
type fakeOP struct {
	t         *testing.T
	ec        *ecdsa.PrivateKey
	rsa       *rsa.PrivateKey
	issuer    string
	discovery atomic.Int32

	mu        sync.Mutex
	requests  map[string]url.Values // by code
	session   bool                  // the browser signed in here: prompt=none succeeds
	silent    int                   // prompt=none requests seen
	badNonce  bool
	signRS256 bool
	noIss     bool
}

func newFakeOP(t *testing.T, mux *http.ServeMux, issuer string) *fakeOP {
	t.Helper()
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	op := &fakeOP{t: t, ec: ec, rsa: rk, issuer: issuer, requests: map[string]url.Values{}}
	mux.HandleFunc("GET /t/woodgrove/.well-known/openid-configuration", op.serveDiscovery)
	mux.HandleFunc("GET /t/woodgrove/keys", op.serveKeys)
	mux.HandleFunc("GET /t/woodgrove/authorize", op.serveAuthorize)
	mux.HandleFunc("POST /t/woodgrove/token", op.serveToken)
	return op
}

func (op *fakeOP) serveDiscovery(w http.ResponseWriter, _ *http.Request) {
	op.discovery.Add(1)
	writeJSON(w, map[string]any{
		"issuer":                                         op.issuer,
		"authorization_endpoint":                         op.issuer + "/authorize",
		"token_endpoint":                                 op.issuer + "/token",
		"jwks_uri":                                       op.issuer + "/keys",
		"end_session_endpoint":                           op.issuer + "/end_session",
		"id_token_signing_alg_values_supported":          []string{"ES256"},
		"code_challenge_methods_supported":               []string{"S256"},
		"response_types_supported":                       []string{"code"},
		"subject_types_supported":                        []string{"public"},
		"authorization_response_iss_parameter_supported": true,
	})
}

func (op *fakeOP) serveKeys(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, jose.JSONWebKeySet{Keys: []jose.JSONWebKey{
		{Key: &op.ec.PublicKey, KeyID: "ec", Algorithm: "ES256", Use: "sig"},
		{Key: &op.rsa.PublicKey, KeyID: "rsa", Algorithm: "RS256", Use: "sig"},
	}})
}

func (op *fakeOP) serveAuthorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	code := "code-" + q.Get("state")[:8]
	op.mu.Lock()
	if q.Get("prompt") == "none" {
		op.silent++
		if !op.session {
			op.mu.Unlock()
			back := url.Values{"error": {"login_required"}, "state": {q.Get("state")}, "iss": {op.issuer}}
			http.Redirect(w, r, q.Get("redirect_uri")+"?"+back.Encode(), http.StatusFound)
			return
		}
	}
	op.session = true
	op.requests[code] = q
	noIss := op.noIss
	op.mu.Unlock()
	back := url.Values{"code": {code}, "state": {q.Get("state")}}
	if !noIss {
		back.Set("iss", op.issuer)
	}
	http.Redirect(w, r, q.Get("redirect_uri")+"?"+back.Encode(), http.StatusFound)
}

func (op *fakeOP) serveToken(w http.ResponseWriter, r *http.Request) {
	require.NoError(op.t, r.ParseForm())
	op.mu.Lock()
	req, ok := op.requests[r.PostForm.Get("code")]
	delete(op.requests, r.PostForm.Get("code"))
	badNonce, signRS256 := op.badNonce, op.signRS256
	op.mu.Unlock()
	sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
	switch {
	case !ok || r.PostForm.Get("grant_type") != "authorization_code" || r.PostForm.Get("client_id") != "foyer-demo":
		writeError(w, "unknown code")
		return
	case req.Get("code_challenge_method") != "S256" || req.Get("code_challenge") != base64.RawURLEncoding.EncodeToString(sum[:]):
		writeError(w, "PKCE verification failed")
		return
	}
	nonce := req.Get("nonce")
	if badNonce {
		nonce = "someone-elses-nonce"
	}
	now := time.Now()
	claims := map[string]any{
		"iss": op.issuer, "sub": "user-1", "aud": "foyer-demo", "exp": now.Add(time.Hour).Unix(), "iat": now.Unix(),
		"nonce": nonce, "email": "admin@woodgrove.test", "tid": "tenant-1", "name": `<script>alert("x")</script>`,
	}
	key := jose.SigningKey{Algorithm: jose.ES256, Key: op.ec}
	kid := "ec"
	if signRS256 {
		key, kid = jose.SigningKey{Algorithm: jose.RS256, Key: op.rsa}, "rsa"
	}
	signer, err := jose.NewSigner(key, (&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", kid))
	require.NoError(op.t, err)
	payload, err := json.Marshal(claims)
	require.NoError(op.t, err)
	jws, err := signer.Sign(payload)
	require.NoError(op.t, err)
	idToken, err := jws.CompactSerialize()
	require.NoError(op.t, err)
	writeJSON(w, map[string]any{"access_token": "at", "token_type": "Bearer", "expires_in": 3600, "id_token": idToken})
}

func (op *fakeOP) silentTries() int {
	op.mu.Lock()
	defer op.mu.Unlock()
	return op.silent
}

// endSession ends the browser's session at the provider, as its
// end_session_endpoint would.
func (op *fakeOP) endSession() {
	op.mu.Lock()
	defer op.mu.Unlock()
	op.session = false
}

func writeError(w http.ResponseWriter, description string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusBadRequest)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": "invalid_grant", "error_description": description})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

type env struct {
	srv *httptest.Server
	op  *fakeOP
	h   http.Handler
}

func newEnv(t *testing.T) *env {
	t.Helper()
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	op := newFakeOP(t, mux, srv.URL+"/t/woodgrove")
	h, err := demo.New(demo.Config{
		Issuer: srv.URL + "/t/woodgrove", ClientID: "foyer-demo",
		RedirectURL: srv.URL + "/demo/callback", PostLogoutURL: srv.URL + "/demo",
		HTTPClient: srv.Client(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	require.NoError(t, err)
	mux.Handle("/demo", h)
	mux.Handle("/demo/", h)
	return &env{srv: srv, op: op, h: h}
}

func (e *env) browser() *webclient.Client {
	return webclient.New(webclient.Config{StopAt: []string{e.op.issuer + "/end_session"}})
}

func TestSignInShowsClaimsAndSignsOut(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	require.Zero(t, e.op.discovery.Load(), "New makes no request: the server is not listening yet")
	b := e.browser()

	// The home page tries a silent sign-in; without a session at the
	// provider it lands signed out, after one try.
	page, err := b.Get(t.Context(), e.srv.URL+"/demo")
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, page.Status)
	require.Equal(t, "/demo", page.URL.Path)
	require.Contains(t, page.Text(), "Sign in")
	require.NotContains(t, page.Text(), "Signed in to")
	require.Equal(t, 1, e.op.silentTries(), "one silent try, no loop")
	require.NotContains(t, page.Text(), "Development mode", "no dev hint unless configured")

	page, err = b.Get(t.Context(), e.srv.URL+"/demo/login")
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, page.Status, page.Text())
	require.Equal(t, "/demo", page.URL.Path, "the callback redirects home")
	require.Contains(t, page.Text(), "Signed in to "+e.op.issuer+" as admin@woodgrove.test")
	require.Contains(t, page.Text(), "tid tenant-1")
	require.Contains(t, string(page.Body), "&lt;script&gt;", "claims are escaped")
	require.NotContains(t, string(page.Body), `<script>alert`)
	demoURL, err := url.Parse(e.srv.URL + "/demo")
	require.NoError(t, err)
	for _, c := range b.Cookies(demoURL) {
		require.NotEqual(t, "foyer_demo_flow", c.Name, "the flow cookie is spent")
	}

	page, err = b.Get(t.Context(), e.srv.URL+"/demo/login")
	require.NoError(t, err)
	require.Contains(t, page.Text(), "Signed in")
	require.EqualValues(t, 1, e.op.discovery.Load(), "discovery is cached")

	page, err = b.Get(t.Context(), e.srv.URL+"/demo/logout")
	require.NoError(t, err)
	require.True(t, page.Stopped(), "RP-initiated logout goes to the end_session_endpoint")
	q := page.Query()
	require.Equal(t, e.srv.URL+"/demo", q.Get("post_logout_redirect_uri"))
	require.Equal(t, "foyer-demo", q.Get("client_id"))
	require.NotEmpty(t, q.Get("id_token_hint"))
	require.NotEmpty(t, q.Get("state"))

	e.op.endSession()
	page, err = b.Get(t.Context(), e.srv.URL+"/demo")
	require.NoError(t, err)
	require.NotContains(t, page.Text(), "Signed in to", "the demo forgot the token")
}

// TestSilentSignIn: a browser with a session at the provider lands signed
// in at the demo's home without pressing Sign in; one without lands
// signed out, every visit trying once more and never looping.
func TestSilentSignIn(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	b := e.browser()
	for i := 1; i <= 3; i++ {
		page, err := b.Get(t.Context(), e.srv.URL+"/demo")
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, page.Status)
		require.Contains(t, page.Text(), "Sign in")
		require.NotContains(t, page.Text(), "Signed in to")
		require.Equal(t, i, e.op.silentTries(), "one silent try per visit")
	}

	// Signed in at the provider elsewhere (as a guest who just redeemed
	// is): the demo's home signs in without a click.
	e.op.mu.Lock()
	e.op.session = true
	e.op.mu.Unlock()
	page, err := b.Get(t.Context(), e.srv.URL+"/demo")
	require.NoError(t, err)
	require.Equal(t, "/demo", page.URL.Path)
	require.Contains(t, page.Text(), "Signed in to "+e.op.issuer+" as admin@woodgrove.test")
	demoURL, err := url.Parse(e.srv.URL + "/demo")
	require.NoError(t, err)
	for _, c := range b.Cookies(demoURL) {
		require.NotEqual(t, "foyer_demo_silent", c.Name, "the marker is spent")
	}

	// Other refusals of a silent sign-in are shown, not retried.
	e2 := newEnv(t)
	b2 := webclient.New(webclient.Config{StopAt: []string{e2.op.issuer + "/authorize"}})
	for range 2 {
		page, err = b2.Get(t.Context(), e2.srv.URL+"/demo")
		require.NoError(t, err)
		require.True(t, page.Stopped())
		require.Equal(t, "none", page.Query().Get("prompt"))
		cb := e2.srv.URL + "/demo/callback?error=access_denied&state=" + page.Query().Get("state")
		page, err = b2.Get(t.Context(), cb)
		require.NoError(t, err)
		require.Equal(t, http.StatusBadRequest, page.Status)
		require.Contains(t, page.Text(), "access_denied")
	}
}

// TestDevHint: the development credentials show only when configured,
// in a box marked as development mode.
func TestDevHint(t *testing.T) {
	t.Parallel()
	for _, dev := range []bool{false, true} {
		cfg := demo.Config{
			Issuer: "http://localhost:8080/t/woodgrove", ClientID: "foyer-demo",
			RedirectURL: "http://localhost:8080/demo/callback", PostLogoutURL: "http://localhost:8080/demo",
			Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		}
		if dev {
			cfg.DevUser, cfg.DevPassword = "admin@woodgrove.test", "foyer-dev"
		}
		h, err := demo.New(cfg)
		require.NoError(t, err)
		rec := httptest.NewRecorder()
		req := httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/demo", nil)
		req.AddCookie(&http.Cookie{Name: "foyer_demo_silent", Value: "1"}) // the silent try is over
		h.ServeHTTP(rec, req)
		require.Equal(t, http.StatusOK, rec.Code)
		body := rec.Body.String()
		if dev {
			require.Regexp(t, `(?s)<aside class="dev" id="dev-hint"><strong>Development mode.</strong>.*admin@woodgrove.test.*foyer-dev`, body)
		} else {
			require.NotContains(t, body, "foyer-dev")
			require.NotContains(t, body, "admin@woodgrove.test")
		}
	}
}

func TestCallbackRefusals(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	// started answers a browser with a sign-in in flight and its state.
	started := func(t *testing.T) (*http.Client, string) {
		t.Helper()
		b := webclient.New(webclient.Config{StopAt: []string{e.srv.URL + "/demo/callback"}})
		page, err := b.Get(t.Context(), e.srv.URL+"/demo/login")
		require.NoError(t, err)
		require.True(t, page.Stopped())
		return b.HTTPClient(), page.Query().Get("state")
	}
	get := func(t *testing.T, c *http.Client, query string) (int, string) {
		t.Helper()
		resp, err := c.Get(e.srv.URL + "/demo/callback?" + query)
		require.NoError(t, err)
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		require.Equal(t, "text/html; charset=utf-8", resp.Header.Get("Content-Type"))
		return resp.StatusCode, string(body)
	}

	t.Run("wrong state", func(t *testing.T) {
		c, _ := started(t)
		code, body := get(t, c, "code=x&state=not-the-state&iss="+url.QueryEscape(e.op.issuer))
		require.Equal(t, http.StatusBadRequest, code)
		require.Contains(t, body, "does not match the sign-in this browser started")
	})
	t.Run("missing cookie", func(t *testing.T) {
		_, state := started(t)
		code, body := get(t, http.DefaultClient, "code=x&state="+state)
		require.Equal(t, http.StatusBadRequest, code)
		require.Contains(t, body, "No sign-in in progress")
	})
	t.Run("error parameter", func(t *testing.T) {
		c, state := started(t)
		code, body := get(t, c, "error=access_denied&error_description="+url.QueryEscape(`<b>no</b>`)+"&state="+state)
		require.Equal(t, http.StatusBadRequest, code)
		require.Contains(t, body, "access_denied")
		require.Contains(t, body, "&lt;b&gt;no&lt;/b&gt;", "the description is escaped")
	})
	t.Run("replayed callback", func(t *testing.T) {
		c, state := started(t)
		code, _ := get(t, c, "error=access_denied&state="+state)
		require.Equal(t, http.StatusBadRequest, code)
		code, body := get(t, c, "code=x&state="+state)
		require.Equal(t, http.StatusBadRequest, code)
		require.Contains(t, body, "No sign-in in progress", "a flow is used once")
	})
	t.Run("no code", func(t *testing.T) {
		c, state := started(t)
		code, body := get(t, c, "state="+state)
		require.Equal(t, http.StatusBadRequest, code)
		require.Contains(t, body, "no authorization code")
	})
	t.Run("another issuer", func(t *testing.T) {
		c, state := started(t)
		code, body := get(t, c, "code=x&state="+state+"&iss="+url.QueryEscape("https://evil.example/t/woodgrove"))
		require.Equal(t, http.StatusBadRequest, code)
		require.Contains(t, body, "does not name the issuer")
	})
	t.Run("missing iss where discovery promises it", func(t *testing.T) {
		c, state := started(t)
		code, body := get(t, c, "code=x&state="+state)
		require.Equal(t, http.StatusBadRequest, code)
		require.Contains(t, body, "does not name the issuer")
	})
	t.Run("unknown code", func(t *testing.T) {
		c, state := started(t)
		code, body := get(t, c, "code=forged&state="+state+"&iss="+url.QueryEscape(e.op.issuer))
		require.Equal(t, http.StatusBadRequest, code)
		require.Contains(t, body, "invalid_grant")
	})
	t.Run("garbage cookie", func(t *testing.T) {
		_, state := started(t)
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, e.srv.URL+"/demo/callback?code=x&state="+state, nil)
		require.NoError(t, err)
		req.AddCookie(&http.Cookie{Name: "foyer_demo_flow", Value: "a.b"})
		rec := httptest.NewRecorder()
		e.h.ServeHTTP(rec, req)
		require.Equal(t, http.StatusBadRequest, rec.Code)
		require.Contains(t, rec.Body.String(), "No sign-in in progress")
	})
}

func TestIDTokenChecks(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		set  func(*fakeOP)
		want string
	}{
		"nonce of another sign-in":          {func(op *fakeOP) { op.badNonce = true }, "nonce"},
		"algorithm the tenant does not use": {func(op *fakeOP) { op.signRS256 = true }, "unexpected signature algorithm"},
	} {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			e.op.mu.Lock()
			tc.set(e.op)
			e.op.mu.Unlock()
			page, err := e.browser().Get(t.Context(), e.srv.URL+"/demo/login")
			require.NoError(t, err)
			require.Equal(t, http.StatusBadRequest, page.Status)
			require.Contains(t, page.Text(), tc.want)
			require.NotContains(t, page.Text(), "Signed in to")
		})
	}
}

func TestProviderUnavailable(t *testing.T) {
	t.Parallel()
	hang := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		select { // hang until the test ends or the client gives up
		case <-hang:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(hang) // before Close, which waits for the handler
	h, err := demo.New(demo.Config{
		Issuer: srv.URL + "/t/woodgrove", ClientID: "foyer-demo",
		RedirectURL: "http://localhost:8080/demo/callback", PostLogoutURL: "http://localhost:8080/demo",
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), DiscoveryTimeout: 100 * time.Millisecond,
	})
	require.NoError(t, err)
	start := time.Now()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/demo/login", nil))
	require.Less(t, time.Since(start), 5*time.Second, "discovery is bounded")
	require.Equal(t, http.StatusServiceUnavailable, rec.Code)
	require.Contains(t, rec.Body.String(), "could not reach")
}

func TestPagesAndHeaders(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	// home without a session tries a silent sign-in; after it, it is the
	// signed-out page.
	get := func(path string, silentTried bool) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		req := httptest.NewRequestWithContext(t.Context(), http.MethodGet, path, nil)
		if silentTried {
			req.AddCookie(&http.Cookie{Name: "foyer_demo_silent", Value: "1"})
		}
		e.h.ServeHTTP(rec, req)
		return rec
	}
	for path, want := range map[string]int{"/demo": 302, "/demo/": 302, "/demo/nothing": 404} {
		require.Equal(t, want, get(path, false).Code, path)
		if want == 302 {
			require.Equal(t, 200, get(path, true).Code, path)
		}
	}
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, httptest.NewRequestWithContext(t.Context(), http.MethodPost, "/demo/login", nil))
	require.Equal(t, http.StatusMethodNotAllowed, rec.Code)

	rec = get("/demo", true)
	require.Equal(t, "no-store", rec.Header().Get("Cache-Control"))
	style := regexp.MustCompile(`(?s)<style>(.*?)</style>`).FindStringSubmatch(rec.Body.String())
	require.Len(t, style, 2)
	sum := sha256.Sum256([]byte(style[1]))
	require.Contains(t, rec.Header().Get("Content-Security-Policy"), "style-src 'sha256-"+base64.StdEncoding.EncodeToString(sum[:])+"'",
		"the CSP admits exactly the page's style")
	require.True(t, strings.HasPrefix(rec.Header().Get("Content-Security-Policy"), "default-src 'none'"))
}

func TestNewReportsEveryProblem(t *testing.T) {
	t.Parallel()
	_, err := demo.New(demo.Config{RedirectURL: "http://localhost/elsewhere/callback", PostLogoutURL: "http://localhost/demo"})
	for _, want := range []string{"Issuer", "ClientID", "Logger", "must be below PostLogoutURL"} {
		require.ErrorContains(t, err, want)
	}
}
