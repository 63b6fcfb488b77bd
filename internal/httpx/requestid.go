package httpx

import (
	"context"
	"net/http"
	"net/netip"

	"github.com/foyer-idp/foyer/internal/audit"
	"github.com/foyer-idp/foyer/internal/secret"
)

// HeaderRequestID carries the request id in both directions.
const HeaderRequestID = "X-Request-Id"

const (
	maxRequestIDLen = 64
	// maxUserAgentLen bounds what one request can put in an audit row.
	maxUserAgentLen = 256
)

type requestIDKey struct{}

// RequestIDFrom answers the request id that RequestID put in ctx.
func RequestIDFrom(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// RequestID takes a well-formed incoming X-Request-Id (so a load balancer's
// id joins the logs up) or makes one, echoes it, and puts it in the
// context together with the audit request details. It replaces the request,
// so it must be the outermost middleware: the ServeMux records the matched
// pattern on the request it is given, and outer middleware must see it.
// The client address is the TCP peer's; see RequestIDBehind.
func RequestID(next http.Handler) http.Handler { return RequestIDBehind(nil)(next) }

// RequestIDBehind is RequestID for a server behind the trusted proxies: a
// request from one of them has its client address from the Forwarded or
// X-Forwarded-For header (see ClientAddr). Nil trusts nobody.
func RequestIDBehind(trusted []netip.Prefix) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			id := r.Header.Get(HeaderRequestID)
			if !validRequestID(id) {
				id = secret.NewToken(16)
			}
			w.Header().Set(HeaderRequestID, id)
			ctx := context.WithValue(r.Context(), requestIDKey{}, id)
			ctx = audit.WithRequest(ctx, audit.Request{
				ClientIP:      clientIP(r, trusted),
				UserAgent:     truncate(r.UserAgent(), maxUserAgentLen),
				CorrelationID: id,
			})
			next.ServeHTTP(w, r.WithContext(ctx))
		})
	}
}

// validRequestID admits ids that are safe to echo in a header and to write
// into logs unquoted.
func validRequestID(id string) bool {
	if id == "" || len(id) > maxRequestIDLen {
		return false
	}
	for _, c := range []byte(id) {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			c == '-' || c == '_' || c == '.' || c == ':'
		if !ok {
			return false
		}
	}
	return true
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
