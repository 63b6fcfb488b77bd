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

// SetSecurityHeaders sets the headers every Foyer response carries. The CSP
// is the strictest there is, right for JSON; a handler serving HTML sets its
// own before writing.
func SetSecurityHeaders(h http.Header, s Security) {
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	// Codes and states ride in URLs; never leak them to another site.
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'; base-uri 'none'")
	if s.HSTS {
		h.Set("Strict-Transport-Security", "max-age=31536000")
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
