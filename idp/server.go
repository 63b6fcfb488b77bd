package idp

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/foyer-idp/foyer/idp/provider"
	"github.com/foyer-idp/foyer/idp/redeem"
	"github.com/foyer-idp/foyer/idp/signin"
	"github.com/foyer-idp/foyer/idp/tenancy"
	"github.com/foyer-idp/foyer/internal/config"
	"github.com/foyer-idp/foyer/internal/httpx"
	"github.com/foyer-idp/foyer/internal/secret"
)

// Tenants resolves the {tenant} path segment. An unknown slug is
// store.ErrNotFound. The store itself satisfies it.
type Tenants = tenancy.Tenants

// KeySets answers a tenant's published signing keys as a JWKS document
// with its strong ETag, rebuilt only when the keys change; *keys.Manager
// satisfies it.
type KeySets interface {
	JWKSDocument(ctx context.Context, tenantID string) (body []byte, etag string, err error)
}

// Check is one readiness condition: Func answers nil when the dependency
// called Name can serve.
type Check struct {
	Name string
	Func func(ctx context.Context) error
	// Reason is what /readyz says when Func fails; empty is
	// "<Name> not ready".
	Reason string
}

// tenantCacheFor is how long a node serves a tenant's record from memory;
// see tenancy.Cache.
const tenantCacheFor = 5 * time.Second

// DefaultReadyTimeout bounds each readiness check, so a hung database makes
// /readyz answer 503 quickly rather than time out at the load balancer.
const DefaultReadyTimeout = 2 * time.Second

// Config is what a Server needs.
type Config struct {
	Tenants Tenants
	// TenantCacheFor is how long a tenant's record is served from memory
	// (ForgetTenant ends it sooner); zero: 5 s.
	TenantCacheFor time.Duration
	Keys           KeySets
	// Ready are the checks /readyz runs, in order.
	Ready []Check
	// Registry collects this server's metrics and is what /metrics
	// exposes; the caller may add process collectors to it.
	Registry *prometheus.Registry
	Logger   *slog.Logger
	// ExternalURL is where clients reach Foyer: issuers are
	// {ExternalURL}/t/{slug}. https also turns on HSTS and Secure,
	// __Host- cookies.
	ExternalURL string
	// MetricsElsewhere leaves /metrics off this server: the caller serves
	// Registry on a listener of its own (serve's metricsAddr).
	MetricsElsewhere bool
	// ReadyTimeout bounds each readiness check; DefaultReadyTimeout when 0.
	ReadyTimeout time.Duration
	// TrustedProxies are the reverse proxies whose Forwarded and
	// X-Forwarded-For headers give the client address for throttling,
	// audit and the access log; nil trusts none.
	TrustedProxies []netip.Prefix
	// AccessSample logs one in AccessSample successful requests to the
	// token endpoint, JWKS and discovery; errors are always logged. 0 and
	// 1 log every request.
	AccessSample int
	// OIDC, when set, serves the OpenID provider and its sign-in pages
	// under /t/{tenant}. Without it the server answers health, metrics
	// and JWKS only.
	OIDC *OIDC
}

// Store is everything the provider and the sign-in pages read and write;
// the store itself satisfies it.
type Store interface {
	provider.Store
	signin.Store
}

// Directory checks passwords and client secrets and decides assignment;
// *directory.Directory satisfies it.
type Directory interface {
	provider.Directory
	provider.Clients
	signin.PasswordChecker
	signin.Landings
	redeem.Redeemer
}

// OIDC is what the OpenID provider needs.
type OIDC struct {
	Store     Store
	Directory Directory
	// Clients authenticates token requests' clients; nil means Directory,
	// uncached. serve passes a short-lived directory.ClientCache.
	Clients provider.Clients
	Keys    provider.Keys
	// Hasher keys the hashes of codes, tokens, cookies and CSRF tokens
	// (the master key's "tokens" hasher).
	Hasher *secret.Hasher
	// Passcodes sends and checks email one-time passcodes for redemption
	// and guests' sign-ins.
	Passcodes signin.Passcodes
	// Federation and Upstreams, together, let guests use upstream identity
	// providers; nil: passcodes only.
	Federation signin.Federation
	Upstreams  signin.Upstreams
	// MFA enrols and checks second factors.
	MFA       signin.MFA
	Lifetimes config.Tokens
	// Throttle limits failed sign-ins; zero fields take signin's defaults.
	Throttle signin.Throttle
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

// Server holds the handlers of Foyer's HTTP face.
type Server struct {
	tenants      *tenancy.Cache
	keys         KeySets
	ready        []Check
	registry     *prometheus.Registry
	noMetrics    bool
	metrics      *httpx.Metrics
	logger       *slog.Logger
	security     httpx.Security
	readyTimeout time.Duration
	accessSample int
	provider     *provider.Provider
	pages        *signinPages
	extra        []mount
}

type mount struct {
	pattern string
	handler http.Handler
}

// New checks cfg, reporting every missing dependency at once, registers
// the metrics with cfg.Registry and builds the OpenID provider.
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
	s := &Server{
		tenants:      tenancy.NewCache(cfg.Tenants, cmp.Or(cfg.TenantCacheFor, tenantCacheFor), nil),
		keys:         cfg.Keys,
		ready:        cfg.Ready,
		registry:     cfg.Registry,
		noMetrics:    cfg.MetricsElsewhere,
		metrics:      metrics,
		logger:       cfg.Logger,
		security:     httpx.Security{HSTS: strings.HasPrefix(cfg.ExternalURL, "https://"), TrustedProxies: cfg.TrustedProxies},
		readyTimeout: cfg.ReadyTimeout,
		accessSample: cfg.AccessSample,
	}
	if cfg.OIDC != nil {
		if err := s.buildOIDC(cfg); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// buildOIDC makes the sign-in flow and the provider, with their metrics.
func (s *Server) buildOIDC(cfg Config) error {
	o := cfg.OIDC
	issued := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "foyer_tokens_issued_total",
		Help: "Token responses issued, by tenant and grant type.",
	}, []string{"tenant", "grant_type"})
	signIns := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "foyer_signins_total",
		Help: "Sign-in attempts, by tenant, result (success, failure, throttled) and the methods used (password, email_otp, federated, then totp or recovery_code; none when unknown).",
	}, []string{"tenant", "result", "method"})
	if err := errors.Join(cfg.Registry.Register(issued), cfg.Registry.Register(signIns)); err != nil {
		return fmt.Errorf("idp: %w", err)
	}
	pages, err := newSigninPages(cfg, signIns)
	if err != nil {
		return err
	}
	clients := o.Clients
	if clients == nil {
		clients = o.Directory
	}
	p, err := provider.New(provider.Config{
		ExternalURL: cfg.ExternalURL, Store: o.Store, Directory: o.Directory, Clients: clients, Keys: o.Keys, Hasher: o.Hasher,
		Flow: pages.core, TokensIssued: issued, Now: o.Now, Logger: cfg.Logger,
		Lifetimes: provider.Lifetimes{
			AccessToken: o.Lifetimes.AccessTokenLifetime, IDToken: o.Lifetimes.IDTokenLifetime,
			RefreshToken: o.Lifetimes.RefreshTokenLifetime, AuthCode: o.Lifetimes.AuthCodeLifetime,
			RefreshReuseGrace: o.Lifetimes.RefreshReuseGrace,
		},
	})
	if err != nil {
		return err
	}
	s.pages, s.provider = pages, p
	return nil
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
	if c.AccessSample < 0 {
		errs = append(errs, fmt.Errorf("idp: AccessSample %d is negative", c.AccessSample))
	}
	if c.ReadyTimeout < 0 {
		errs = append(errs, fmt.Errorf("idp: ReadyTimeout %v is negative", c.ReadyTimeout))
	}
	for i, check := range c.Ready {
		if check.Name == "" || check.Func == nil {
			errs = append(errs, fmt.Errorf("idp: Ready[%d] needs a Name and a Func", i))
		}
	}
	if o := c.OIDC; o != nil {
		if o.Store == nil || o.Directory == nil || o.Keys == nil || o.Hasher == nil || o.Passcodes == nil || o.MFA == nil {
			errs = append(errs, errors.New("idp: OIDC needs Store, Directory, Keys, Hasher, Passcodes and MFA"))
		}
		if c.ExternalURL == "" {
			errs = append(errs, errors.New("idp: OIDC needs ExternalURL: it names the issuers"))
		}
	}
	return errors.Join(errs...)
}

// Mount adds a handler for pattern (http.ServeMux syntax) beside Foyer's
// own routes, behind the same middleware: request ids, access log,
// metrics, security headers and panic recovery. Call it before Handler or
// Routes; a pattern that conflicts with Foyer's panics there, as
// http.ServeMux does.
func (s *Server) Mount(pattern string, h http.Handler) {
	s.extra = append(s.extra, mount{pattern: pattern, handler: h})
}

// ForgetTenant drops the tenant with this id (every tenant when id is
// empty) from the node's memory: its next request reads it again.
func (s *Server) ForgetTenant(id string) { s.tenants.Forget(id) }

// Handler answers the whole HTTP face wrapped in the shared middleware.
func (s *Server) Handler() http.Handler {
	return httpx.Stack(s.Routes(), s.logger, s.metrics, s.security, httpx.AccessSampling{Every: s.accessSample, Routes: sampledRoutes})
}

// Route patterns, as Routes registers them.
const (
	tenantRoutes   = tenancy.PathPrefix + "/{tenant}"
	routeJWKS      = "GET " + tenantRoutes + provider.PathKeys
	routeToken     = "POST " + tenantRoutes + provider.PathToken
	routeDiscovery = "GET " + tenantRoutes + provider.PathDiscovery
)

// sampledRoutes are the routes whose successful access-log lines
// Config.AccessSample thins: many, alike, and cheap to lose.
var sampledRoutes = []string{routeToken, routeJWKS, routeDiscovery}

// Routes answers the bare ServeMux, for callers that bring their own
// middleware.
func (s *Server) Routes() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.HandleFunc("GET /readyz", s.readyz)
	if !s.noMetrics {
		mux.Handle("GET /metrics", s.MetricsHandler())
	}
	gate := tenancy.Gate(s.tenants, s.logger)
	mux.Handle(routeJWKS, gate(http.HandlerFunc(s.jwks)))
	if s.provider != nil {
		s.provider.Mount(mux, gate)
		s.pages.mount(mux, gate)
	}
	for _, m := range s.extra {
		mux.Handle(m.pattern, m.handler)
	}
	return mux
}

// MetricsHandler answers the Prometheus exposition of the registry.
func (s *Server) MetricsHandler() http.Handler {
	return promhttp.HandlerFor(s.registry, promhttp.HandlerOpts{ErrorLog: slog.NewLogLogger(s.logger.Handler(), slog.LevelError)})
}
