package cli

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/spf13/cobra"

	"github.com/foyer-idp/foyer/federation/passcode"
	"github.com/foyer-idp/foyer/idp"
	"github.com/foyer-idp/foyer/internal/bootstrap"
	"github.com/foyer-idp/foyer/internal/config"
	"github.com/foyer-idp/foyer/internal/store"
	"github.com/foyer-idp/foyer/internal/store/sqlstore"
	"github.com/foyer-idp/foyer/internal/telemetry"
)

// HTTP server limits. Headers must arrive quickly (slowloris); bodies are
// small forms and JSON.
const (
	readHeaderTimeout = 10 * time.Second
	readTimeout       = 30 * time.Second
	writeTimeout      = 60 * time.Second
	idleTimeout       = 120 * time.Second
	maxHeaderBytes    = 64 << 10
)

func newServeCmd(d deps) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the identity provider",
		Long: "serve migrates the database, makes sure every tenant has signing keys, rotates them " +
			"when due and answers HTTP until SIGINT or SIGTERM, then drains requests in flight.",
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			dev, _ := cmd.Flags().GetBool(flagDev)
			_, a, err := openApp(cmd, d)
			if err != nil {
				return err
			}
			defer a.Close()
			slog.SetDefault(a.logger)
			a.tracing = tracingConfig(d.lookupEnv)
			if dev {
				if err := startDev(cmd.Context(), a); err != nil {
					return err
				}
			}
			return serve(cmd.Context(), a, d.listening)
		},
	}
	addConfigFlags(cmd.Flags(), "addr", "metrics-addr", "external-url", "smtp-url", "trusted-proxies", "debug-addr")
	cmd.Flags().Bool(flagDev, false, "development mode: seed the woodgrove and fabrikam tenants and serve the /demo relying party, on localhost only")
	return cmd
}

// devAddr is where serve --dev listens unless told otherwise: loopback
// only, because the seed's passwords and secret are public.
const devAddr = "127.0.0.1:8080"

// clientCacheFor is how long serve authenticates a client from memory;
// see directory.ClientCache.
const clientCacheFor = 5 * time.Second

// errDevInProduction refuses serve --dev where Foyer runs for real.
var errDevInProduction = errors.New("--dev seeds well-known passwords and secrets: refused in production")

// confineDev keeps serve --dev on loopback, before anything is built from
// the configuration. It refuses production. The default --addr becomes
// devAddr; any other host than a loopback address (none, as in :8081,
// 0.0.0.0, ::, another IP or name) is refused, naming the --addr to use,
// because dev mode's passwords and client secret are public and its
// mailbox shows every passcode. When --addr listens on another port than
// the external URL names, the default external URL follows it; one set by
// the operator is refused, naming the --external-url to use.
func confineDev(a *app) error {
	if a.cfg.IsProduction() {
		return errDevInProduction
	}
	if a.cfg.Addr == config.Default().Addr {
		a.cfg.Addr = devAddr
	}
	host, port, err := net.SplitHostPort(a.cfg.Addr)
	if err != nil {
		return fmt.Errorf("--addr %q: %w", a.cfg.Addr, err)
	}
	if !isLoopbackHost(host) {
		return fmt.Errorf("serve --dev listens on loopback only, as its passwords and mailbox are public: use --addr %s",
			net.JoinHostPort("127.0.0.1", port))
	}
	ext, err := url.Parse(a.cfg.ExternalURL)
	if err != nil {
		return fmt.Errorf("--external-url %q: %w", a.cfg.ExternalURL, err)
	}
	extPort := ext.Port()
	if extPort == "" {
		extPort = map[string]string{"http": "80", "https": "443"}[ext.Scheme]
	}
	if port == "0" || port == extPort {
		return nil
	}
	matching := *ext
	matching.Host = net.JoinHostPort(ext.Hostname(), port)
	if a.cfg.ExternalURL != config.Default().ExternalURL {
		return fmt.Errorf("serve --dev: --external-url %s names port %s, but --addr listens on port %s: add --external-url %s",
			a.cfg.ExternalURL, extPort, port, matching.String())
	}
	a.cfg.ExternalURL = matching.String()
	a.logger.Info("--dev: the external URL follows --addr", "addr", a.cfg.Addr, "external_url", a.cfg.ExternalURL)
	return nil
}

// isLoopbackHost reports whether a listener on host stays on this machine:
// localhost or a loopback IP.
func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// startDev prepares serve --dev (confineDev ran in openApp): it applies
// the development seed (idempotently) and marks the app so the /demo
// relying party is mounted.
func startDev(ctx context.Context, a *app) error {
	if a.cfg.IsProduction() {
		return errDevInProduction
	}
	report, err := seedDev(ctx, a)
	if err != nil {
		return err
	}
	a.devSeeded = report.Count(bootstrap.Created) + report.Count(bootstrap.Updated)
	return nil
}

// logDevMode says where to go in development mode. serve calls it once
// the port is bound, so it never points at a server that failed to start.
func logDevMode(ctx context.Context, a *app) {
	base := strings.TrimRight(a.cfg.ExternalURL, "/")
	a.logger.InfoContext(ctx, "development mode",
		"seeded", a.devSeeded,
		"discovery", base+"/t/woodgrove/.well-known/openid-configuration",
		"demo", base+"/demo",
		"mailbox", base+devMailPath,
		"sign_in_as", bootstrap.DevAdmin+" / "+bootstrap.DevPassword)
}

// serve answers HTTP until ctx ends. It listens first, so /healthz answers
// at once, and reports ready once every tenant has signing keys.
func serve(ctx context.Context, a *app, listening func(net.Addr)) error {
	var life lifecycle
	h, err := newHandlers(a, &life)
	if err != nil {
		return err
	}
	handler := h.public
	stopChanges := startChangeWatch(ctx, a, h.caches)
	defer stopChanges()
	stopMetrics, err := startMetrics(ctx, a, h.metrics)
	if err != nil {
		return err
	}
	defer stopMetrics()
	stopWatch := startDBWatch(ctx, a)
	defer stopWatch()
	tracing, err := telemetry.NewTracing(ctx, a.tracing)
	if err != nil {
		return err
	}
	defer flushTraces(ctx, a, tracing)
	if tracing.Enabled() {
		a.store.SetTracer(tracing.Tracer("github.com/foyer-idp/foyer/internal/store/sqlstore"))
	}
	handler = tracing.Middleware(handler)
	ln, err := net.Listen("tcp", a.cfg.Addr)
	if err != nil {
		return listenError(a.cfg.Addr, err)
	}
	stopDebug, err := startDebug(ctx, a)
	if err != nil {
		_ = ln.Close()
		return err
	}
	defer stopDebug()
	srv := newHTTPServer(handler, a.logger)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	a.logger.InfoContext(ctx, "listening", "addr", ln.Addr().String(), "external_url", a.cfg.ExternalURL, "database", databaseName(a.cfg))
	if a.dev {
		logDevMode(ctx, a)
	}
	if listening != nil {
		listening(ln.Addr())
	}

	tenants, err := ensureAllKeys(ctx, a)
	if err != nil {
		return errors.Join(err, shutdown(ctx, a, srv, served, nil))
	}
	if tenants == 0 {
		a.logger.WarnContext(ctx, "no tenants yet: nobody can sign in until there is one. Create one with "+
			"'foyer tenants create --slug SLUG --name NAME' or 'foyer bootstrap --file FILE', "+
			"or start with 'foyer serve --dev' for a seeded demo on this machine")
	}
	life.keysReady.Store(true)
	stopRotation := startRotation(ctx, a)
	defer stopRotation()
	stopPurge := startPurge(ctx, a)
	defer stopPurge()
	stopMail := startMail(ctx, a)
	defer stopMail()

	select {
	case err := <-served:
		return fmt.Errorf("http server: %w", err)
	case <-ctx.Done():
		return shutdown(ctx, a, srv, served, &life)
	}
}

// storeReady is /readyz's database check: not ready while the watchdog
// finds it not answering (without waiting on it again), degraded while it
// answers slowly, else a ping.
func storeReady(st *sqlstore.Store) func(context.Context) error {
	return func(ctx context.Context) error {
		switch err := st.Health(); {
		case errors.Is(err, sqlstore.ErrStalled):
			return err
		case errors.Is(err, sqlstore.ErrSlow):
			return fmt.Errorf("%w: %w", idp.ErrDegraded, err)
		}
		return st.Ping(ctx)
	}
}

// Every node watches its database: a ping every dbWatchEvery, slower than
// databaseStallTimeout marks it not answering, slower than dbSlowAfter slow.
const (
	dbWatchEvery = 250 * time.Millisecond
	dbSlowAfter  = 200 * time.Millisecond
)

// startDBWatch runs the store's watchdog until the function it answers is
// called — not when ctx ends: requests still draining after a signal keep
// failing fast if the database stalls.
func startDBWatch(ctx context.Context, a *app) (stop func()) {
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	wg.Go(func() { a.store.Watch(ctx, dbWatchEvery, a.cfg.DatabaseStallTimeout, dbSlowAfter) })
	return func() { cancel(); wg.Wait() }
}

// lifecycle is what /readyz knows of serve's own progress: ready once
// every tenant has signing keys, not ready again once told to stop.
type lifecycle struct {
	keysReady atomic.Bool
	stopping  atomic.Bool
}

// checks are serve's own readiness checks, after the store's.
func (l *lifecycle) checks() []idp.Check {
	return []idp.Check{
		{Name: "keys", Func: func(context.Context) error {
			if !l.keysReady.Load() {
				return errors.New("signing keys are not in place yet")
			}
			return nil
		}},
		{Name: "shutdown", Reason: "shutting down", Func: func(context.Context) error {
			if l.stopping.Load() {
				return errors.New("serve was told to stop")
			}
			return nil
		}},
	}
}

// newHandler builds the HTTP face: health, metrics, JWKS, the OpenID
// provider and its sign-in pages. /readyz needs the store to answer and
// the signing keys to be in place.
func newHandler(a *app, life *lifecycle) (http.Handler, error) {
	h, err := newHandlers(a, life)
	return h.public, err
}

// handlers are serve's HTTP faces and the caches behind them.
type handlers struct {
	// public is the handler on addr; metrics, the one on metricsAddr
	// (with metricsAddr set, public has no /metrics).
	public, metrics http.Handler
	caches          nodeCaches
}

// newHandlers builds the public handler, the metrics handler and the
// caches the change watch keeps true.
func newHandlers(a *app, life *lifecycle) (handlers, error) {
	registry := prometheus.NewRegistry()
	registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if err := registerServeMetrics(registry, a); err != nil {
		return handlers{}, err
	}
	codes, err := passcode.New(passcode.Config{Store: a.store, Mailer: a.outbox, Hasher: a.master.Hasher(passcodesPurpose)})
	if err != nil {
		return handlers{}, err
	}
	forgotten, err := newForgottenCounter(registry)
	if err != nil {
		return handlers{}, err
	}
	clients := a.dir.NewClientCache(cmp.Or(a.cacheFor, clientCacheFor))
	srv, err := idp.New(idp.Config{
		Tenants:        a.store,
		TenantCacheFor: a.cacheFor,
		Keys:           a.keys,
		Registry:       registry,
		Logger:         a.logger,
		ExternalURL:    a.cfg.ExternalURL,
		// /metrics on its own listener keeps it off the public port.
		MetricsElsewhere: a.cfg.MetricsAddr != "",
		// Validated by loadConfig.
		TrustedProxies: a.cfg.TrustedProxyPrefixes(),
		AccessSample:   a.cfg.Log.AccessSample,
		Ready:          append([]idp.Check{{Name: "store", Func: storeReady(a.store)}}, life.checks()...),
		OIDC: &idp.OIDC{
			Store:      a.store,
			Directory:  a.dir,
			Clients:    clients,
			Keys:       a.keys,
			Hasher:     a.master.Hasher(tokensPurpose),
			Passcodes:  codes,
			Federation: a.dir,
			Upstreams:  a.upstreams,
			MFA:        a.mfa,
			Lifetimes:  a.cfg.Tokens,
		},
	})
	if err != nil {
		return handlers{}, err
	}
	extra, err := extraHandlers(a)
	if err != nil {
		return handlers{}, err
	}
	for pattern, h := range extra {
		srv.Mount(pattern, h)
	}
	return handlers{public: srv.Handler(), metrics: srv.MetricsHandler(),
		caches: nodeCaches{tenants: srv, clients: clients, keys: a.keys, forgotten: forgotten}}, nil
}

// extraHandlers are mounted beside Foyer's own routes, behind the same
// middleware: the admin API, and in development mode the /demo relying
// party and the /dev/mail mailbox. Patterns use http.ServeMux syntax and
// must not overlap Foyer's.
func extraHandlers(a *app) (map[string]http.Handler, error) {
	routes, err := apiRoutes(a)
	if err != nil || !a.dev {
		return routes, err
	}
	demo, err := demoRoutes(a)
	if err != nil {
		return nil, err
	}
	maps.Copy(routes, demo)
	maps.Copy(routes, devMailRoutes(a))
	return routes, nil
}

func newHTTPServer(h http.Handler, logger *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
}

// listenError explains a listen failure; a taken port names the setting
// that picks another.
func listenError(addr string, err error) error {
	if errors.Is(err, syscall.EADDRINUSE) {
		return fmt.Errorf("listen: %s is already in use, perhaps by another foyer serve: stop it, or choose another "+
			"address with --addr (FOYER_ADDR) and give --external-url the same port", addr)
	}
	return fmt.Errorf("listen on %s (set with --addr or FOYER_ADDR): %w", addr, err)
}

// ensureAllKeys gives every tenant its signing keys before Foyer reports
// ready, so no token request waits for key generation. It answers how many
// tenants there are.
func ensureAllKeys(ctx context.Context, a *app) (int, error) {
	tenants, err := a.store.ListTenants(ctx)
	if err != nil {
		return 0, fmt.Errorf("list tenants: %w", err)
	}
	var errs []error
	for _, t := range tenants {
		if err := a.keys.Ensure(ctx, t.ID); err != nil {
			errs = append(errs, fmt.Errorf("signing keys of tenant %q: %w", t.Slug, err))
		}
	}
	return len(tenants), errors.Join(errs...)
}

// startRotation runs automatic key rotation in the background and answers
// a function that stops it and waits for it to finish.
func startRotation(ctx context.Context, a *app) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := a.keys.Run(ctx, rotationCheckEvery(a.cfg.Keys.RotationPeriod), a.tenantIDs); err != nil {
			a.logger.ErrorContext(ctx, "signing key rotation stopped", "err", err)
		}
	})
	return func() { cancel(); wg.Wait() }
}

// Every purgeEvery, what expired more than purgeGrace ago is deleted (a
// token presented just after its end still meets its row and is refused
// as expired), spent single-use tokens once codeReplayGrace has passed
// (long enough that a code replayed after its expiry is still recognised
// as a replay), and mail and audit events past their retention, in
// batches of purgeBatch rows.
const (
	purgeEvery      = time.Minute
	purgeGrace      = time.Minute
	codeReplayGrace = 24 * time.Hour
	purgeBatch      = 1000
)

// retentionAt is what a purge at now deletes under cfg's retention
// settings (0 keeps mail or audit events forever).
func retentionAt(cfg config.Config, now time.Time) store.Retention {
	r := store.Retention{ExpiredBefore: now.Add(-purgeGrace), SingleUseBefore: now.Add(-codeReplayGrace)}
	if cfg.MailRetention > 0 {
		r.MailBefore = now.Add(-cfg.MailRetention)
	}
	if cfg.AuditRetention > 0 {
		r.AuditBefore = now.Add(-cfg.AuditRetention)
	}
	if cfg.SignInRetention > 0 {
		r.SignInBefore = now.Add(-cfg.SignInRetention)
	}
	return r
}

// startPurge deletes expired state and what outlived its retention in the
// background, and answers a function that stops it and waits for it to
// finish. Every node may run it: the deletes are idempotent.
func startPurge(ctx context.Context, a *app) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() {
		ticker := time.NewTicker(purgeEvery)
		defer ticker.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-ticker.C:
				gone, err := a.store.Purge(ctx, retentionAt(a.cfg, time.Now()), purgeBatch, false)
				if err != nil && ctx.Err() == nil {
					a.logger.WarnContext(ctx, "purge", "err", err)
				}
				for table, n := range gone {
					a.logger.DebugContext(ctx, "purged", "table", table, "rows", n)
					if a.purged != nil {
						a.purged.WithLabelValues(table).Add(float64(n))
					}
				}
			}
		}
	})
	return func() { cancel(); wg.Wait() }
}

// rotationCheckEvery is how often to look for keys due for rotation: often
// enough that a key is never much older than its period, rarely enough to
// cost nothing.
func rotationCheckEvery(period time.Duration) time.Duration {
	return min(10*time.Minute, max(period/10, time.Second))
}

// shutdown hands the node over: with life, /readyz answers 503 for
// ShutdownDelay while requests are still served, so a load balancer stops
// sending new ones before connections close (not in development mode,
// which has no balancer). Then it stops accepting connections and waits up
// to ShutdownTimeout for requests in flight.
func shutdown(ctx context.Context, a *app, srv *http.Server, served <-chan error, life *lifecycle) error {
	if life != nil && a.cfg.ShutdownDelay > 0 && !a.dev {
		life.stopping.Store(true)
		a.logger.InfoContext(ctx, "not ready: serving until the load balancer has seen it", "delay", a.cfg.ShutdownDelay)
		select {
		case <-time.After(a.cfg.ShutdownDelay):
		case err := <-served:
			return fmt.Errorf("http server: %w", err)
		}
	}
	a.logger.InfoContext(ctx, "shutting down", "timeout", a.cfg.ShutdownTimeout)
	// ctx is already cancelled by the signal; the drain gets its own clock.
	drainCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), a.cfg.ShutdownTimeout)
	defer cancel()
	err := srv.Shutdown(drainCtx)
	if serveErr := <-served; !errors.Is(serveErr, http.ErrServerClosed) {
		err = errors.Join(err, serveErr)
	}
	if err != nil {
		return fmt.Errorf("shut down: %w", err)
	}
	a.logger.InfoContext(ctx, "stopped")
	return nil
}

// tracingConfig reads OpenTelemetry's standard variables: traces are
// exported over OTLP/HTTP when OTEL_EXPORTER_OTLP_ENDPOINT (or
// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) is set, and not made otherwise.
func tracingConfig(lookupEnv func(string) (string, bool)) telemetry.TracingConfig {
	endpoint, _ := lookupEnv("OTEL_EXPORTER_OTLP_ENDPOINT")
	traces, _ := lookupEnv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
	return telemetry.TracingConfig{Endpoint: endpoint, TracesEndpoint: traces, ServiceVersion: version}
}

// flushTraces exports the spans still queued when serve stops, for a few
// seconds at most.
func flushTraces(ctx context.Context, a *app, t *telemetry.Tracing) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := t.Shutdown(ctx); err != nil {
		a.logger.WarnContext(ctx, "flush traces", "err", err)
	}
}

// startMetrics serves /metrics on metricsAddr, when it is set, until the
// function it answers is called.
func startMetrics(ctx context.Context, a *app, metrics http.Handler) (stop func(), err error) {
	if a.cfg.MetricsAddr == "" {
		return func() {}, nil
	}
	ln, err := net.Listen("tcp", a.cfg.MetricsAddr)
	if err != nil {
		return nil, fmt.Errorf("listen on metricsAddr %s (FOYER_METRICS_ADDR, --metrics-addr): %w", a.cfg.MetricsAddr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", metrics)
	srv := newHTTPServer(mux, a.logger)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	a.logger.InfoContext(ctx, "metrics listening", "addr", ln.Addr().String(), "path", "/metrics")
	return func() {
		drainCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(drainCtx)
		if err := <-served; !errors.Is(err, http.ErrServerClosed) {
			a.logger.WarnContext(ctx, "metrics listener", "err", err)
		}
	}, nil
}
