package telemetry

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/foyer-idp/foyer/internal/httpx"
)

// Defaults of LogConfig: five lines of one error message per ten seconds.
const (
	DefaultErrorEvery = 10 * time.Second
	DefaultErrorBurst = 5
)

// LogConfig tunes NewLogHandler.
type LogConfig struct {
	// ErrorEvery and ErrorBurst: of the records at ERROR level with one
	// message, at most ErrorBurst are written per ErrorEvery; the first
	// written after a quiet spell says how many were dropped
	// (suppressed=N). Defaults DefaultErrorEvery, DefaultErrorBurst.
	ErrorEvery time.Duration
	ErrorBurst int
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

// NewLogHandler wraps next with two rules for operators reading logs
// during an incident:
//
//   - A warning or error logged in the context of a request whose client
//     has gone (the request's context is cancelled) is not the server's
//     fault: it is written at INFO with client_gone=true.
//   - Repeated ERROR lines are rate-limited per message (a database
//     outage makes every request log the same line).
func NewLogHandler(next slog.Handler, cfg LogConfig) slog.Handler {
	if cfg.ErrorEvery <= 0 {
		cfg.ErrorEvery = DefaultErrorEvery
	}
	if cfg.ErrorBurst <= 0 {
		cfg.ErrorBurst = DefaultErrorBurst
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &logHandler{next: next, limit: &limiter{cfg: cfg, windows: map[string]*window{}}}
}

type logHandler struct {
	next  slog.Handler
	limit *limiter // shared by the handlers WithAttrs and WithGroup derive
}

// Enabled defers to next; Handle asks again for a record it demotes.
func (h *logHandler) Enabled(ctx context.Context, level slog.Level) bool {
	return h.next.Enabled(ctx, level)
}

func (h *logHandler) Handle(ctx context.Context, r slog.Record) error {
	if r.Level >= slog.LevelWarn && clientGone(ctx) {
		if !h.next.Enabled(ctx, slog.LevelInfo) {
			return nil
		}
		demoted := slog.NewRecord(r.Time, slog.LevelInfo, r.Message, r.PC)
		r.Attrs(func(a slog.Attr) bool { demoted.AddAttrs(a); return true })
		demoted.AddAttrs(slog.Bool("client_gone", true))
		return h.next.Handle(ctx, demoted)
	}
	if r.Level >= slog.LevelError {
		write, suppressed := h.limit.allow(r.Message)
		if !write {
			return nil
		}
		if suppressed > 0 {
			r = r.Clone()
			r.AddAttrs(slog.Int("suppressed", suppressed))
		}
	}
	return h.next.Handle(ctx, r)
}

func (h *logHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &logHandler{next: h.next.WithAttrs(attrs), limit: h.limit}
}

func (h *logHandler) WithGroup(name string) slog.Handler {
	return &logHandler{next: h.next.WithGroup(name), limit: h.limit}
}

// clientGone reports whether ctx is a request's whose client hung up:
// net/http cancels a request's context when its connection closes. A
// deadline that passed is the server's business and stays an error.
func clientGone(ctx context.Context) bool {
	return ctx != nil && errors.Is(ctx.Err(), context.Canceled) && httpx.RequestIDFrom(ctx) != ""
}

// limiter counts ERROR records per message in fixed windows.
type limiter struct {
	cfg     LogConfig
	mu      sync.Mutex
	windows map[string]*window
}

type window struct {
	start      time.Time
	written    int
	suppressed int
}

// maxMessages bounds the limiter's memory: error messages are constants
// in the code, so more than this means something writes variable text as
// the message, and starting afresh is the cheap answer.
const maxMessages = 1024

// allow says whether to write a record with message msg, and how many
// records of it were dropped since the last one written.
func (l *limiter) allow(msg string) (write bool, suppressedBefore int) {
	now := l.cfg.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	w, ok := l.windows[msg]
	if !ok {
		if len(l.windows) >= maxMessages {
			clear(l.windows)
		}
		w = &window{start: now}
		l.windows[msg] = w
	}
	if now.Sub(w.start) >= l.cfg.ErrorEvery {
		suppressedBefore = w.suppressed
		*w = window{start: now}
	}
	if w.written >= l.cfg.ErrorBurst {
		w.suppressed++
		return false, 0
	}
	w.written++
	return true, suppressedBefore
}
