package httpx

import (
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/foyer-idp/foyer/internal/audit"
)

// AccessSampling thins the access log of busy routes whose successful
// lines say little (the token endpoint, JWKS, discovery). Errors (status
// 400 and up) are always logged.
type AccessSampling struct {
	// Every logs one in Every successful requests to Routes; 0 and 1 log
	// every one.
	Every int
	// Routes are the sampled patterns, as the ServeMux registered them
	// ("POST /t/{tenant}/oauth/token").
	Routes []string
}

// AccessLog logs one line per request, with the client address RequestID
// found. It logs the path without the query
// string: authorization codes, states and tokens travel in queries. A
// request whose client hung up is logged with status 499
// (StatusClientClosed), at INFO like every other.
func AccessLog(logger *slog.Logger) func(http.Handler) http.Handler {
	return SampledAccessLog(logger, AccessSampling{})
}

// SampledAccessLog is AccessLog thinned by s: each sampled route logs the
// first of every s.Every successful requests, with the rate in "sample".
// Lines are structured attributes, built only when the logger takes info.
func SampledAccessLog(logger *slog.Logger, s AccessSampling) func(http.Handler) http.Handler {
	// One counter per route, made up front: the map is only read after.
	counters := map[string]*atomic.Uint64{}
	if s.Every > 1 {
		for _, route := range s.Routes {
			counters[route] = new(atomic.Uint64)
		}
	}
	every := uint64(max(s.Every, 1))
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			sw := track(w)
			next.ServeHTTP(sw, r)
			status := reportedStatus(sw, r)
			sample := int64(1)
			if n, ok := counters[r.Pattern]; ok && status < http.StatusBadRequest {
				if (n.Add(1)-1)%every != 0 {
					return
				}
				sample = int64(every)
			}
			ctx := r.Context()
			if !logger.Enabled(ctx, slog.LevelInfo) {
				return
			}
			var attrs [9]slog.Attr
			n := copy(attrs[:], []slog.Attr{
				slog.String("method", r.Method),
				slog.String("path", r.URL.Path),
				slog.String("route", r.Pattern),
				slog.Int("status", status),
				slog.Int64("bytes", sw.bytes),
				slog.Duration("duration", time.Since(start)),
				slog.String("request_id", RequestIDFrom(ctx)),
				slog.String("client_ip", audit.RequestFrom(ctx).ClientIP),
			})
			if sample > 1 {
				attrs[n] = slog.Int64("sample", sample)
				n++
			}
			logger.LogAttrs(ctx, slog.LevelInfo, "http request", attrs[:n]...)
		})
	}
}
