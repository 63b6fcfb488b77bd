package idp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/foyer-idp/foyer/internal/httpx"
	"github.com/foyer-idp/foyer/internal/store"
)

// Tenants resolves the {tenant} path segment. An unknown slug is
// store.ErrNotFound. The store itself satisfies it.
type Tenants interface {
	GetTenantBySlug(ctx context.Context, slug string) (store.Tenant, error)
}

// KeySets answers a tenant's published signing keys; *keys.Manager
// satisfies it.
type KeySets interface {
	JWKS(ctx context.Context, tenantID string) (jose.JSONWebKeySet, error)
}

// Check is one readiness condition: Func answers nil when the dependency
// called Name can serve.
type Check struct {
	Name string
	Func func(ctx context.Context) error
}

// DefaultReadyTimeout bounds each readiness check, so a hung database makes
// /readyz answer 503 quickly rather than time out at the load balancer.
const DefaultReadyTimeout = 2 * time.Second

// Config is what a Server needs.
type Config struct {
	Tenants Tenants
	Keys    KeySets
	// Ready are the checks /readyz runs, in order.
	Ready []Check
	// Registry collects this server's metrics and is what /metrics
	// exposes; the caller may add process collectors to it.
	Registry *prometheus.Registry
	Logger   *slog.Logger
	// ExternalURL decides HSTS: sent only when clients arrive over https.
	ExternalURL string
	// ReadyTimeout bounds each readiness check; DefaultReadyTimeout when 0.
	ReadyTimeout time.Duration
}

// Server holds the handlers of Foyer's HTTP face.
type Server struct {
	tenants      Tenants
	keys         KeySets
	ready        []Check
	registry     *prometheus.Registry
	metrics      *httpx.Metrics
	logger       *slog.Logger
	security     httpx.Security
	readyTimeout time.Duration
}

// New checks cfg, reporting every missing dependency at once, and
// registers the HTTP metrics with cfg.Registry.
func New(cfg Config) (*Server, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	metrics, err := httpx.NewMetrics(cfg.Registry)
	if err != nil {
		return nil, fmt.Errorf("idp: %w", err)
	}
	if cfg.ReadyTimeout == 0 {
		cfg.ReadyTimeout = DefaultReadyTimeout
	}
	return &Server{
		tenants:      cfg.Tenants,
		keys:         cfg.Keys,
		ready:        cfg.Ready,
		registry:     cfg.Registry,
		metrics:      metrics,
		logger:       cfg.Logger,
		security:     httpx.Security{HSTS: strings.HasPrefix(cfg.ExternalURL, "https://")},
		readyTimeout: cfg.ReadyTimeout,
	}, nil
}

func (c Config) validate() error {
	var errs []error
	if c.Tenants == nil {
		errs = append(errs, errors.New("idp: Tenants is required"))
	}
	if c.Keys == nil {
		errs = append(errs, errors.New("idp: Keys is required"))
	}
	if c.Registry == nil {
		errs = append(errs, errors.New("idp: Registry is required"))
	}
	if c.Logger == nil {
		errs = append(errs, errors.New("idp: Logger is required"))
	}
	if c.ReadyTimeout < 0 {
		errs = append(errs, fmt.Errorf("idp: ReadyTimeout %v is negative", c.ReadyTimeout))
	}
	for i, check := range c.Ready {
		if check.Name == "" || check.Func == nil {
			errs = append(errs, fmt.Errorf("idp: Ready[%d] needs a Name and a Func", i))
		}
	}
	return errors.Join(errs...)
}

// Handler answers the whole HTTP face wrapped in the shared middleware.
func (s *Server) Handler() http.Handler {
	return httpx.Stack(s.Routes(), s.logger, s.metrics, s.security)
}

// Routes answers the bare ServeMux, for callers that bring their own
// middleware.
func (s *Server) Routes() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.HandleFunc("GET /readyz", s.readyz)
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.registry, promhttp.HandlerOpts{ErrorLog: slog.NewLogLogger(s.logger.Handler(), slog.LevelError)}))
	mux.HandleFunc("GET /t/{tenant}/keys", s.jwks)
	return mux
}
