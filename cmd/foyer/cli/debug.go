package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"time"
)

// debugHandler answers net/http/pprof's pages on a mux of its own (never
// http.DefaultServeMux, where the package also registers them).
func debugHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}

// startDebug serves the profiles on the debugAddr setting (validated as
// loopback by loadConfig), on a listener of its own; nothing when it is
// empty. stop closes it at once: a profile in progress is cut short.
func startDebug(ctx context.Context, a *app) (stop func(), err error) {
	if a.cfg.DebugAddr == "" {
		return func() {}, nil
	}
	ln, err := net.Listen("tcp", a.cfg.DebugAddr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s (set with --debug-addr or FOYER_DEBUG_ADDR): %w", a.cfg.DebugAddr, err)
	}
	// No write timeout: a CPU profile or trace streams for as long as
	// its seconds parameter asks.
	srv := &http.Server{Handler: debugHandler(), ReadHeaderTimeout: readHeaderTimeout, MaxHeaderBytes: maxHeaderBytes}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			a.logger.ErrorContext(ctx, "debug listener stopped", "err", err)
		}
	}()
	a.logger.InfoContext(ctx, "profiles on the debug listener", "url", "http://"+ln.Addr().String()+"/debug/pprof/")
	return func() {
		_ = srv.Close()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
		}
	}, nil
}
