package httpx

import (
	"net/http"
	"net/netip"
)

// Security says which optional security headers to send, and which
// proxies to believe about the client's address.
type Security struct {
	// HSTS sends Strict-Transport-Security; only right when every client
	// reaches Foyer over https (the external URL is https).
	HSTS bool
	// TrustedProxies are the reverse proxies whose Forwarded and
	// X-Forwarded-For headers give the client address (see ClientAddr).
	// Empty: nobody's; the TCP peer is the client.
	TrustedProxies []netip.Prefix
}

// The security headers' values, one slice each shared by every response
// rather than one allocated per header per request. net/http only reads
// them; Set replaces a slice and Add appends to a full one (a copy), so
// none is ever changed in place.
var (
	valueNoSniff = []string{"nosniff"}
	valueDeny    = []string{"DENY"}
	valueNoRef   = []string{"no-referrer"}
	valueCSP     = []string{"default-src 'none'; frame-ancestors 'none'; base-uri 'none'"}
	valueHSTS    = []string{"max-age=31536000"}
)

// SetSecurityHeaders sets the headers every Foyer response carries. The CSP
// is the strictest there is, right for JSON; a handler serving HTML sets its
// own before writing.
func SetSecurityHeaders(h http.Header, s Security) {
	// Keys in canonical form, as Set would make them.
	h["X-Content-Type-Options"] = valueNoSniff
	h["X-Frame-Options"] = valueDeny
	// Codes and states ride in URLs; never leak them to another site.
	h["Referrer-Policy"] = valueNoRef
	h["Content-Security-Policy"] = valueCSP
	if s.HSTS {
		h["Strict-Transport-Security"] = valueHSTS
	}
}

// SecurityHeaders is SetSecurityHeaders as middleware.
func SecurityHeaders(s Security) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			SetSecurityHeaders(w.Header(), s)
			next.ServeHTTP(w, r)
		})
	}
}
