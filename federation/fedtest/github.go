package fedtest

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
)

// GitHubUser is the account the GitHub fake signs in.
type GitHubUser struct {
	ID     int64
	Login  string
	Name   string
	Emails []GitHubEmail
}

// GitHubEmail is one row of GET /user/emails.
type GitHubEmail struct {
	Email    string `json:"email"`
	Primary  bool   `json:"primary"`
	Verified bool   `json:"verified"`
}

// GitHub is a fake of GitHub's OAuth 2.0 and the two API calls the
// connector makes. Its authorize endpoint redirects straight back with a
// code bound to the PKCE challenge; the token endpoint answers GitHub's
// way (200 with an error field on failure).
type GitHub struct {
	// URL serves /login/oauth/authorize and /login/oauth/access_token.
	URL string
	// APIURL serves /user and /user/emails.
	APIURL       string
	ClientID     string
	ClientSecret string

	switches
	user   GitHubUser
	codes  map[string]gitHubCode
	tokens map[string]bool
}

type gitHubCode struct {
	challenge   string
	redirectURI string
}

// NewGitHub starts a GitHub fake that signs u in. Of the misbehaviours it
// knows Deny.
func NewGitHub(t testing.TB, u GitHubUser) *GitHub {
	t.Helper()
	g := &GitHub{
		ClientID:     clientID,
		ClientSecret: clientSecret,
		switches:     newSwitches([]string{RedirectURI}),
		user:         u,
		codes:        map[string]gitHubCode{},
		tokens:       map[string]bool{},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /login/oauth/authorize", g.authorize)
	mux.HandleFunc("POST /login/oauth/access_token", g.token)
	mux.HandleFunc("GET /api/user", g.authed(g.getUser))
	mux.HandleFunc("GET /api/user/emails", g.authed(g.getEmails))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	g.URL = srv.URL
	g.APIURL = srv.URL + "/api"
	return g
}

func (g *GitHub) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	redirect := q.Get("redirect_uri")
	g.mu.Lock()
	known := slices.Contains(g.redirects, redirect)
	g.mu.Unlock()
	if q.Get("client_id") != g.ClientID || !known {
		http.Error(w, "unknown client or redirect_uri", http.StatusBadRequest)
		return
	}
	back := url.Values{"state": {q.Get("state")}}
	g.mu.Lock()
	deny := g.misbehave[Deny]
	g.mu.Unlock()
	switch {
	case deny:
		back.Set("error", "access_denied")
	case q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "":
		back.Set("error", "invalid_request")
	default:
		code := random()
		g.mu.Lock()
		g.codes[code] = gitHubCode{challenge: q.Get("code_challenge"), redirectURI: redirect}
		g.mu.Unlock()
		back.Set("code", code)
	}
	http.Redirect(w, r, redirect+"?"+back.Encode(), http.StatusFound)
}

func (g *GitHub) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	answer := func(v map[string]string) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(v)
	}
	if r.PostForm.Get("client_id") != g.ClientID ||
		subtle.ConstantTimeCompare([]byte(r.PostForm.Get("client_secret")), []byte(g.ClientSecret)) != 1 {
		answer(map[string]string{"error": "incorrect_client_credentials"})
		return
	}
	g.mu.Lock()
	c, ok := g.codes[r.PostForm.Get("code")]
	delete(g.codes, r.PostForm.Get("code"))
	g.mu.Unlock()
	sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
	switch {
	case !ok:
		answer(map[string]string{"error": "bad_verification_code"})
		return
	case base64.RawURLEncoding.EncodeToString(sum[:]) != c.challenge:
		answer(map[string]string{"error": "bad_verification_code", "error_description": "PKCE verification failed"})
		return
	case r.PostForm.Get("redirect_uri") != "" && r.PostForm.Get("redirect_uri") != c.redirectURI:
		answer(map[string]string{"error": "redirect_uri_mismatch"})
		return
	}
	tok := random()
	g.mu.Lock()
	g.tokens[tok] = true
	g.mu.Unlock()
	answer(map[string]string{"access_token": tok, "token_type": "bearer", "scope": "read:user,user:email"})
}

func (g *GitHub) authed(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		auth := r.Header.Get("Authorization")
		_, tok, _ := strings.Cut(auth, " ")
		g.mu.Lock()
		ok := g.tokens[tok]
		g.mu.Unlock()
		if !ok {
			http.Error(w, `{"message":"Bad credentials"}`, http.StatusUnauthorized)
			return
		}
		h(w, r)
	}
}

func (g *GitHub) getUser(w http.ResponseWriter, _ *http.Request) {
	g.mu.Lock()
	u := g.user
	g.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"id": u.ID, "login": u.Login, "name": u.Name})
}

func (g *GitHub) getEmails(w http.ResponseWriter, _ *http.Request) {
	g.mu.Lock()
	emails := slices.Clone(g.user.Emails)
	g.mu.Unlock()
	if emails == nil {
		emails = []GitHubEmail{}
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(emails)
}

func random() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
