package httpx

import (
	"log/slog"
	"net/http"
)

// Stack wraps a ServeMux in the shared middleware, in the one order that
// works: RequestID outermost (finding the client address behind
// sec.TrustedProxies) (it replaces the request), then the access
// log and metrics (which read the matched pattern off the request the mux
// was given), security headers, and Recover innermost so the 500 it writes
// is logged and counted. sampling thins the access log of busy routes.
func Stack(mux http.Handler, logger *slog.Logger, metrics *Metrics, sec Security, sampling AccessSampling) http.Handler {
	h := Recover(logger)(mux)
	h = SecurityHeaders(sec)(h)
	h = metrics.Middleware(h)
	h = SampledAccessLog(logger, sampling)(h)
	return RequestIDBehind(sec.TrustedProxies)(h)
}
