package provider

import (
	"bytes"
	"net/http"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/foyer-idp/foyer/idp/tenancy"
)

// unavailable answers a store or key failure on a protocol endpoint: 503
// server_error, never a client error such as invalid_grant that would make
// a client throw away a good token. The cause stays in the parent, for the
// log only.
func unavailable(err error) error {
	return op.NewStatusError(oidc.ErrServerError().WithDescription("temporarily unavailable, try again later").WithParent(err),
		http.StatusServiceUnavailable)
}

// invalidClient answers failed client authentication: 401, which the
// token endpoint's middleware pairs with WWW-Authenticate (RFC 6749 §5.2).
func invalidClient(description string) error {
	return op.NewStatusError(oidc.ErrInvalidClient().WithDescription("%s", description), http.StatusUnauthorized)
}

// invalidToken answers a bad access token at userinfo (RFC 6750 §3.1).
func invalidToken(description string) error {
	return op.NewStatusError(&oidc.Error{ErrorType: "invalid_token", Description: description}, http.StatusUnauthorized)
}

func invalidGrant(description string) error {
	return oidc.ErrInvalidGrant().WithDescription("%s", description)
}

func invalidRequest(description string) error {
	return oidc.ErrInvalidRequest().WithDescription("%s", description)
}

// The values noStore sets, shared by every response: headers are only
// read, or replaced whole, after it (see httpx.SetSecurityHeaders).
var (
	valueNoStore = []string{"no-store"}
	valueNoCache = []string{"no-cache"}
)

// noStore marks every answer of next uncachable (RFC 6749 §5.1): set
// before next writes, so errors carry it too.
func noStore(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h["Cache-Control"] = valueNoStore
		h["Pragma"] = valueNoCache
		next.ServeHTTP(w, r)
	})
}

// A challenge answers the WWW-Authenticate value of a 401 to r.
type challengeFunc func(r *http.Request, issuer string) string

// basicChallenge is the client-authentication challenge of the token,
// introspection and revocation endpoints.
func basicChallenge(_ *http.Request, issuer string) string {
	return `Basic realm="` + issuer + `"`
}

// bearerChallenge is userinfo's (RFC 6750 §3): a request that sent a
// token learns it was invalid; one that sent none only that it needs one.
func bearerChallenge(r *http.Request, issuer string) string {
	// A POST may carry the token in its body, which op has read by now.
	if r.Header.Get("Authorization") != "" || r.URL.Query().Has("access_token") || r.Method == http.MethodPost {
		return `Bearer realm="` + issuer + `", error="invalid_token"`
	}
	return `Bearer realm="` + issuer + `"`
}

// challenge adds WWW-Authenticate to every 401 next answers. op answers
// some client-authentication failures (an unauthenticated introspection, a
// malformed Authorization header) with 400 invalid_client; RFC 6749 §5.2
// and RFC 7662 §2.3 make those 401 too, so the status is held back until
// the first byte of the body shows which error it is.
func (p *Provider) challenge(next http.Handler, c challengeFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t, _ := tenancy.From(r.Context())
		cw := &challengeWriter{ResponseWriter: w, value: c(r, p.issuer(t))}
		next.ServeHTTP(cw, r)
		cw.flush(nil)
	})
}

type challengeWriter struct {
	http.ResponseWriter
	value string
	code  int
	sent  bool
}

func (w *challengeWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
}

// flush sends the held status, now that the body's start is known.
func (w *challengeWriter) flush(body []byte) {
	if w.sent {
		return
	}
	w.sent = true
	if w.code == 0 {
		w.code = http.StatusOK
	}
	if w.code == http.StatusBadRequest && bytes.Contains(body, []byte(`"error":"invalid_client"`)) {
		w.code = http.StatusUnauthorized
	}
	if w.code == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", w.value)
	}
	w.ResponseWriter.WriteHeader(w.code)
}

func (w *challengeWriter) Write(b []byte) (int, error) {
	w.flush(b)
	return w.ResponseWriter.Write(b)
}

func (w *challengeWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
