package httpx

import (
	"log/slog"
	"net/http"
	"runtime/debug"
)

// Recover turns a panicking handler into a plain 500 and an error log with
// the stack. The client never sees the panic value or the stack.
func Recover(logger *slog.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			sw := track(w)
			defer func() {
				p := recover()
				if p == nil {
					return
				}
				if p == http.ErrAbortHandler {
					panic(p) // net/http's way to abort a response on purpose
				}
				logger.ErrorContext(r.Context(), "panic serving request",
					"method", r.Method, "path", r.URL.Path, "request_id", RequestIDFrom(r.Context()),
					"panic", p, "stack", string(debug.Stack()))
				if !sw.wroteHeader() {
					http.Error(sw, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
				}
			}()
			next.ServeHTTP(sw, r)
		})
	}
}
