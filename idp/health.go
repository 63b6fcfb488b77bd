package idp

import (
	"context"
	"errors"
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

// ErrDegraded, wrapped by a check's error, reports a dependency that works
// but poorly (a slow database): /readyz still answers 200, with status
// "degraded" naming it, since every node shares it and taking them all out
// would help nobody.
var ErrDegraded = errors.New("degraded")

// readyz answers 200 when every check passes within the timeout (status
// "degraded" when one passes poorly), else 503 naming the first that
// failed.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	answer := readiness{Status: "ok"}
	for _, check := range s.ready {
		err := s.runCheck(r.Context(), check)
		if errors.Is(err, ErrDegraded) {
			if answer.Reason == "" {
				answer = readiness{Status: "degraded", Reason: check.Name + " slow"}
			}
			continue
		}
		if err != nil {
			s.logger.WarnContext(r.Context(), "not ready", "check", check.Name, "err", err)
			reason := check.Reason
			if reason == "" {
				reason = check.Name + " not ready"
			}
			httpx.WriteJSON(w, http.StatusServiceUnavailable, readiness{Status: "unavailable", Reason: reason})
			return
		}
	}
	httpx.WriteJSON(w, http.StatusOK, answer)
}

func (s *Server) runCheck(ctx context.Context, check Check) error {
	ctx, cancel := context.WithTimeout(ctx, s.readyTimeout)
	defer cancel()
	return check.Func(ctx)
}
