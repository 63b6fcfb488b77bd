package federation

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/foyer-idp/foyer/internal/store"
)

// Production endpoints of the presets.
const (
	GoogleIssuer       = "https://accounts.google.com"
	MicrosoftAuthority = "https://login.microsoftonline.com/common/v2.0"
)

// RegistryConfig configures a Registry.
type RegistryConfig struct {
	// HTTPClient is the base for the guarded client (timeout, TLS roots);
	// optional.
	HTTPClient *http.Client
	// AllowPrivateNetworks lets providers live on loopback, private and
	// link-local addresses (development, tests).
	AllowPrivateNetworks bool
	// TrustedPrefixes are URL prefixes always allowed, e.g. Foyer's own
	// external URL so a tenant can federate with another on localhost.
	TrustedPrefixes []string
	Now             func() time.Time
	Logger          *slog.Logger
	// CacheTTL bounds how long a built connector (its discovery document
	// and keys) is reused; 10 minutes when zero.
	CacheTTL time.Duration
	// CacheSize bounds how many connectors are kept; 512 when zero.
	CacheSize int

	// The presets' endpoints, overridable for tests: GoogleIssuer,
	// MicrosoftAuthority (multi-tenant discovery base), and GitHub's web
	// and API bases. Empty means production.
	GoogleIssuer       string
	MicrosoftAuthority string
	GitHubURL          string
	GitHubAPIURL       string
}

// Registry builds the connector for a tenant's identity provider and
// keeps it for a while, so discovery is not done per sign-in.
type Registry struct {
	guard  *Guard
	now    func() time.Time
	logger *slog.Logger
	ttl    time.Duration
	size   int
	google string
	msft   string
	ghWeb  string
	ghAPI  string

	mu    sync.Mutex
	cache map[cacheKey]cached
}

type cacheKey struct {
	tenantID, id string
	updatedAt    int64
	redirectURL  string
	secret       [sha256.Size]byte
}

type cached struct {
	conn    Connector
	expires time.Time
}

// NewRegistry checks cfg and builds the registry and its SSRF guard.
func NewRegistry(cfg RegistryConfig) (*Registry, error) {
	var errs []error
	if cfg.Now == nil {
		errs = append(errs, errors.New("registry: Now is required"))
	}
	if cfg.CacheTTL < 0 || cfg.CacheSize < 0 {
		errs = append(errs, errors.New("registry: cache TTL and size must not be negative"))
	}
	guard, err := NewGuard(GuardConfig{
		AllowPrivateNetworks: cfg.AllowPrivateNetworks,
		TrustedPrefixes:      cfg.TrustedPrefixes,
		Base:                 cfg.HTTPClient,
	})
	if err != nil {
		errs = append(errs, fmt.Errorf("registry: %w", err))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	r := &Registry{
		guard:  guard,
		now:    cfg.Now,
		logger: cfg.Logger,
		ttl:    cfg.CacheTTL,
		size:   cfg.CacheSize,
		google: orDefault(cfg.GoogleIssuer, GoogleIssuer),
		msft:   orDefault(cfg.MicrosoftAuthority, MicrosoftAuthority),
		ghWeb:  cfg.GitHubURL,
		ghAPI:  cfg.GitHubAPIURL,
		cache:  map[cacheKey]cached{},
	}
	if r.logger == nil {
		r.logger = slog.New(slog.DiscardHandler)
	}
	if r.ttl == 0 {
		r.ttl = 10 * time.Minute
	}
	if r.size == 0 {
		r.size = 512
	}
	return r, nil
}

// Guard answers the registry's SSRF guard, e.g. to check a provider's
// issuer when an admin saves it.
func (r *Registry) Guard() *Guard { return r.guard }

// Connector answers the connector for p with its (unsealed) client secret
// and Foyer's callback URL, built on first use and cached per tenant,
// provider, UpdatedAt, redirect URL and secret for the cache TTL.
func (r *Registry) Connector(ctx context.Context, p store.IdentityProvider, clientSecret, redirectURL string) (Connector, error) {
	key := cacheKey{
		tenantID:    p.TenantID,
		id:          p.ID,
		updatedAt:   p.UpdatedAt.UnixNano(),
		redirectURL: redirectURL,
		secret:      sha256.Sum256([]byte(clientSecret)),
	}
	now := r.now()
	r.mu.Lock()
	if c, ok := r.cache[key]; ok && now.Before(c.expires) {
		r.mu.Unlock()
		return c.conn, nil
	}
	r.mu.Unlock()

	conn, err := r.build(ctx, p, clientSecret, redirectURL)
	if err != nil {
		r.logger.WarnContext(ctx, "identity provider unavailable",
			"tenant", p.TenantID, "provider", p.ID, "type", p.Type, "err", err)
		return nil, err
	}

	r.mu.Lock()
	defer r.mu.Unlock()
	r.evict(now)
	r.cache[key] = cached{conn: conn, expires: now.Add(r.ttl)}
	return conn, nil
}

// evict drops expired entries and, when the cache is still full, the
// one closest to expiry. Called with mu held.
func (r *Registry) evict(now time.Time) {
	for k, c := range r.cache {
		if !now.Before(c.expires) {
			delete(r.cache, k)
		}
	}
	for len(r.cache) >= r.size {
		var oldest cacheKey
		var at time.Time
		first := true
		for k, c := range r.cache {
			if first || c.expires.Before(at) {
				oldest, at, first = k, c.expires, false
			}
		}
		delete(r.cache, oldest)
	}
}

func (r *Registry) build(ctx context.Context, p store.IdentityProvider, secret, redirectURL string) (Connector, error) {
	client := r.guard.Client()
	oidcCfg := OIDCConfig{
		Issuer:        p.Issuer,
		ClientID:      p.ClientID,
		ClientSecret:  secret,
		RedirectURL:   redirectURL,
		Scopes:        p.Scopes,
		ClaimsMapping: p.ClaimsMapping,
		HTTPClient:    client,
		Logger:        r.logger,
	}
	switch p.Type {
	case store.IdPOpenIDConnect, store.IdPFoyer:
	case store.IdPGoogle:
		oidcCfg.Issuer = r.google
		if len(oidcCfg.Scopes) == 0 {
			oidcCfg.Scopes = []string{"openid", "email", "profile"}
		}
		if len(p.Domains) == 1 {
			oidcCfg.HostedDomain = p.Domains[0]
		}
	case store.IdPMicrosoft:
		oidcCfg.Issuer = r.msft
		oidcCfg.TenantIssuerTemplate = true
	case store.IdPGitHub:
		return NewGitHubConnector(GitHubConfig{
			ClientID:     p.ClientID,
			ClientSecret: secret,
			RedirectURL:  redirectURL,
			Scopes:       p.Scopes,
			BaseURL:      r.ghWeb,
			APIBaseURL:   r.ghAPI,
			HTTPClient:   client,
		})
	default:
		return nil, fmt.Errorf("identity provider %q: unknown type %q", p.ID, p.Type)
	}
	if err := r.guard.CheckURL(ctx, oidcCfg.Issuer); err != nil {
		return nil, fmt.Errorf("identity provider %q: %w", p.ID, err)
	}
	return NewOIDCConnector(ctx, oidcCfg)
}

// CallbackError answers the refusal a provider's callback carries
// (error=access_denied and the like) as an *UpstreamError, or nil when
// the query has no error. The provider's error_description is not
// trusted for display and is left out of the reason.
func CallbackError(query url.Values) error {
	code := query.Get("error")
	if code == "" {
		return nil
	}
	code = safeCode(code)
	reason := "the provider answered " + code
	if code == "access_denied" {
		reason = "the provider denied access (access_denied)"
	}
	return &UpstreamError{Reason: reason, Err: errors.New(strings.TrimSpace(code))}
}
