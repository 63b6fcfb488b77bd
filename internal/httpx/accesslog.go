package httpx

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/foyer-idp/foyer/internal/audit"
)

// AccessLog logs one line per request, with the client address RequestID
// found. It logs the path without the query
// string: authorization codes, states and tokens travel in queries. A
// request whose client hung up is logged with status 499
// (StatusClientClosed), at INFO like every other.
func AccessLog(logger *slog.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			sw := track(w)
			next.ServeHTTP(sw, r)
			status := reportedStatus(sw, r)
			logger.LogAttrs(r.Context(), slog.LevelInfo, "http request",
				slog.String("method", r.Method),
				slog.String("path", r.URL.Path),
				slog.String("route", r.Pattern),
				slog.Int("status", status),
				slog.Int64("bytes", sw.bytes),
				slog.Duration("duration", time.Since(start)),
				slog.String("request_id", RequestIDFrom(r.Context())),
				slog.String("client_ip", audit.RequestFrom(r.Context()).ClientIP),
			)
		})
	}
}
