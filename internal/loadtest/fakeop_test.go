package loadtest_test

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeOP is a tiny OpenID provider: discovery, JWKS, a sign-in form with a
// session cookie, and a token endpoint with client credentials, codes with
// PKCE and rotating refresh tokens. It counts what it serves.
type fakeOP struct {
	srv    *httptest.Server
	issuer string
	// tokenDelay slows the token endpoint, so latencies are measurable.
	tokenDelay time.Duration

	hits     sync.Map // endpoint → *atomic.Int64
	mu       sync.Mutex
	pending  map[string]url.Values // auth requests by id
	codes    map[string]url.Values // auth requests by code
	sessions map[string]bool
	refresh  map[string]bool // live refresh tokens
}

const (
	confidentialID = "app"
	clientSecret   = "s3cret"
	publicID       = "spa"
	redirectURI    = "http://127.0.0.1:5556/callback"
	username       = "admin@woodgrove.test"
	password       = "foyer-dev"
)

func newFakeOP(t *testing.T, host string) *fakeOP {
	t.Helper()
	op := &fakeOP{pending: map[string]url.Values{}, codes: map[string]url.Values{}, sessions: map[string]bool{}, refresh: map[string]bool{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /t/w/.well-known/openid-configuration", op.count("discovery", op.discovery))
	mux.HandleFunc("GET /t/w/keys", op.count("jwks", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"keys": []map[string]string{{"kty": "oct", "kid": "k"}}})
	}))
	mux.HandleFunc("GET /t/w/authorize", op.count("authorize", op.authorize))
	mux.HandleFunc("POST /t/w/login", op.count("login", op.login))
	mux.HandleFunc("POST /t/w/token", op.count("token", op.token))
	op.srv = httptest.NewServer(mux)
	t.Cleanup(op.srv.Close)
	u, _ := url.Parse(op.srv.URL)
	op.issuer = "http://" + host + ":" + u.Port() + "/t/w"
	return op
}

func (op *fakeOP) count(name string, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		n, _ := op.hits.LoadOrStore(name, new(atomic.Int64))
		n.(*atomic.Int64).Add(1)
		h(w, r)
	}
}

func (op *fakeOP) hitsOf(name string) int64 {
	n, ok := op.hits.Load(name)
	if !ok {
		return 0
	}
	return n.(*atomic.Int64).Load()
}

func (op *fakeOP) discovery(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer": op.issuer, "authorization_endpoint": op.issuer + "/authorize", "token_endpoint": op.issuer + "/token",
		"jwks_uri": op.issuer + "/keys", "code_challenge_methods_supported": []string{"S256"},
	})
}

func (op *fakeOP) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("redirect_uri") != redirectURI || q.Get("code_challenge_method") != "S256" || q.Get("response_type") != "code" {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	if c, err := r.Cookie("sid"); err == nil && op.hasSession(c.Value) {
		op.issueCode(w, r, q)
		return
	}
	id := token()
	op.mu.Lock()
	op.pending[id] = q
	op.mu.Unlock()
	w.Header().Set("Content-Type", "text/html")
	fmt.Fprintf(w, `<!doctype html><title>Sign in</title><form method="post" action="login">
		<input type="hidden" name="req" value="%s"><input name="u" autocomplete="username">
		<input type="password" name="p" autocomplete="current-password"><button>Sign in</button></form>`, html.EscapeString(id))
}

func (op *fakeOP) hasSession(sid string) bool {
	op.mu.Lock()
	defer op.mu.Unlock()
	return op.sessions[sid]
}

func (op *fakeOP) login(w http.ResponseWriter, r *http.Request) {
	op.mu.Lock()
	q, ok := op.pending[r.FormValue("req")]
	delete(op.pending, r.FormValue("req"))
	op.mu.Unlock()
	if !ok || r.FormValue("u") != username || r.FormValue("p") != password {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, `<p>Wrong password</p><form method="post" action="login"><input type="password" name="p"><button>Sign in</button></form>`)
		return
	}
	sid := token()
	op.mu.Lock()
	op.sessions[sid] = true
	op.mu.Unlock()
	http.SetCookie(w, &http.Cookie{Name: "sid", Value: sid, Path: "/t/w", HttpOnly: true})
	op.issueCode(w, r, q)
}

func (op *fakeOP) issueCode(w http.ResponseWriter, r *http.Request, q url.Values) {
	code := token()
	op.mu.Lock()
	op.codes[code] = q
	op.mu.Unlock()
	back := url.Values{"code": {code}, "state": {q.Get("state")}, "iss": {op.issuer}}
	http.Redirect(w, r, redirectURI+"?"+back.Encode(), http.StatusFound)
}

func (op *fakeOP) token(w http.ResponseWriter, r *http.Request) {
	time.Sleep(op.tokenDelay)
	if err := r.ParseForm(); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_request"})
		return
	}
	client := r.PostForm.Get("client_id")
	if id, secret, ok := r.BasicAuth(); ok {
		if id != confidentialID || secret != clientSecret {
			writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_client"})
			return
		}
		client = id
	} else if client != publicID {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_client"})
		return
	}
	grantErr := func() { writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_grant"}) }
	resp := map[string]any{"access_token": token(), "token_type": "Bearer", "expires_in": 3600}
	op.mu.Lock()
	defer op.mu.Unlock()
	switch r.PostForm.Get("grant_type") {
	case "client_credentials":
		if client != confidentialID {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "unauthorized_client"})
			return
		}
	case "authorization_code":
		q, ok := op.codes[r.PostForm.Get("code")]
		delete(op.codes, r.PostForm.Get("code"))
		sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
		if !ok || q.Get("client_id") != client || q.Get("code_challenge") != base64.RawURLEncoding.EncodeToString(sum[:]) ||
			r.PostForm.Get("redirect_uri") != redirectURI {
			grantErr()
			return
		}
		resp["id_token"] = "header.payload.signature"
		if containsScope(q.Get("scope"), "offline_access") {
			rt := token()
			op.refresh[rt] = true
			resp["refresh_token"] = rt
		}
	case "refresh_token":
		rt := r.PostForm.Get("refresh_token")
		if !op.refresh[rt] {
			grantErr()
			return
		}
		delete(op.refresh, rt) // rotation: each refresh token works once
		next := token()
		op.refresh[next] = true
		resp["refresh_token"] = next
	default:
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "unsupported_grant_type"})
		return
	}
	writeJSON(w, http.StatusOK, resp)
}

func containsScope(scopes, want string) bool {
	for _, s := range splitSpaces(scopes) {
		if s == want {
			return true
		}
	}
	return false
}

func splitSpaces(s string) []string {
	var out []string
	start := -1
	for i, c := range s + " " {
		if c == ' ' {
			if start >= 0 {
				out = append(out, s[start:i])
			}
			start = -1
		} else if start < 0 {
			start = i
		}
	}
	return out
}

func token() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
