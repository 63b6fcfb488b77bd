package idp

import (
	"context"
	"net/http"

	"github.com/foyer-idp/foyer/internal/httpx"
)

// healthz answers while the process can answer at all: liveness must not
// depend on the database, or a database outage restarts every node.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write([]byte("ok"))
}

// readiness is /readyz's answer.
type readiness struct {
	Status string `json:"status"`
	// Reason names the first failing check, never its error: driver
	// messages stay in the log.
	Reason string `json:"reason,omitempty"`
}

// readyz answers 200 when every check passes within the timeout, else 503
// naming the first that failed.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	for _, check := range s.ready {
		if err := s.runCheck(r.Context(), check); err != nil {
			s.logger.WarnContext(r.Context(), "not ready", "check", check.Name, "err", err)
			reason := check.Reason
			if reason == "" {
				reason = check.Name + " not ready"
			}
			httpx.WriteJSON(w, http.StatusServiceUnavailable, readiness{Status: "unavailable", Reason: reason})
			return
		}
	}
	httpx.WriteJSON(w, http.StatusOK, readiness{Status: "ok"})
}

func (s *Server) runCheck(ctx context.Context, check Check) error {
	ctx, cancel := context.WithTimeout(ctx, s.readyTimeout)
	defer cancel()
	return check.Func(ctx)
}
