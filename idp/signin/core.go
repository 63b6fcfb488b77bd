package signin

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/foyer-idp/foyer/idp/tenancy"
	"github.com/foyer-idp/foyer/internal/secret"
	"github.com/foyer-idp/foyer/internal/store"
)

// Store is the storage the sign-in flow needs.
type Store interface {
	GetUser(ctx context.Context, tenantID, id string) (store.User, error)
	GetUserCore(ctx context.Context, tenantID, id string) (store.User, error)
	GetUserByEmail(ctx context.Context, tenantID, email string) (store.User, error)
	GetApplicationByClientID(ctx context.Context, tenantID, clientID string) (store.Application, error)
	ListApplications(ctx context.Context, tenantID string) ([]store.Application, error)
	store.AuthRequests
	store.Sessions
	store.Consents
	store.Counters
	store.FederationLogins
	GetUserByIdentity(ctx context.Context, tenantID, issuer, subject string) (store.User, error)
	GetInvitation(ctx context.Context, tenantID, id string) (store.Invitation, error)
	AppendAudit(ctx context.Context, e store.AuditEvent) error
	AppendSignIn(ctx context.Context, s store.SignIn) error
	FailSignIn(ctx context.Context, s store.SignIn) error
	GetIdentityProvider(ctx context.Context, tenantID, id string) (store.IdentityProvider, error)
}

// CoreConfig is what the shared core needs.
type CoreConfig struct {
	// ExternalURL is where browsers reach Foyer, without a trailing slash.
	// An https URL makes the cookies Secure and __Host- prefixed.
	ExternalURL string
	Store       Store
	// Hasher keys the hashes of cookie secrets, browser bindings, CSRF
	// tokens and throttle keys.
	Hasher *secret.Hasher
	// LoginLifetime bounds a login transaction; SessionLifetime a session,
	// from the sign-in. SessionIdleTimeout ends a session unused for that
	// long; each use extends it.
	LoginLifetime      time.Duration
	SessionLifetime    time.Duration
	SessionIdleTimeout time.Duration
	Throttle           Throttle
	// SignIns counts sign-in outcomes by tenant, result and method; nil counts
	// nothing.
	SignIns *prometheus.CounterVec
	Now     func() time.Time
	Logger  *slog.Logger
}

// Core is what every sign-in page shares: the branded pages and their
// layout, the browser cookie and its binding, sessions, form tokens and
// cross-origin protection, and the throttle gate.
type Core struct {
	external           string
	secure             bool
	store              Store
	hasher             *secret.Hasher
	loginLifetime      time.Duration
	sessionLifetime    time.Duration
	sessionIdleTimeout time.Duration
	throttle           Throttle
	signIns            *prometheus.CounterVec
	now                func() time.Time
	logger             *slog.Logger
	pages              pages
	csrf               *http.CrossOriginProtection
}

// NewCore checks cfg, reporting every problem at once.
func NewCore(cfg CoreConfig) (*Core, error) {
	var errs []error
	if cfg.ExternalURL == "" {
		errs = append(errs, errors.New("signin: ExternalURL is required"))
	}
	if cfg.Store == nil {
		errs = append(errs, errors.New("signin: Store is required"))
	}
	if cfg.Hasher == nil {
		errs = append(errs, errors.New("signin: Hasher is required"))
	}
	if cfg.LoginLifetime <= 0 || cfg.SessionLifetime <= 0 || cfg.SessionIdleTimeout <= 0 {
		errs = append(errs, errors.New("signin: LoginLifetime, SessionLifetime and SessionIdleTimeout must be positive"))
	}
	if cfg.Logger == nil {
		errs = append(errs, errors.New("signin: Logger is required"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	c := &Core{
		external:           strings.TrimRight(cfg.ExternalURL, "/"),
		secure:             strings.HasPrefix(cfg.ExternalURL, "https://"),
		store:              cfg.Store,
		hasher:             cfg.Hasher,
		loginLifetime:      cfg.LoginLifetime,
		sessionLifetime:    cfg.SessionLifetime,
		sessionIdleTimeout: cfg.SessionIdleTimeout,
		throttle:           cfg.Throttle.withDefaults(),
		signIns:            cfg.SignIns,
		now:                cfg.Now,
		logger:             cfg.Logger,
		pages:              parsePages(),
		csrf:               http.NewCrossOriginProtection(),
	}
	c.csrf.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t, _ := tenancy.From(r.Context())
		c.ErrorPage(w, r, t, http.StatusForbidden, "Request refused",
			"This form was sent from another site, so Foyer did not accept it.")
	}))
	return c, nil
}

func (c *Core) clock() time.Time { return c.now().UTC().Truncate(time.Microsecond) }

// Bound reports whether r comes from the browser that started req.
func (c *Core) Bound(r *http.Request, req store.AuthRequest) bool {
	value, ok := c.BrowserValue(r)
	return ok && req.BrowserBinding != "" && secret.EqualHashes(c.Binding(value), req.BrowserBinding)
}

// TenantURL answers the absolute URL of a path under the tenant.
func (c *Core) TenantURL(t store.Tenant, path string) string {
	return tenancy.Issuer(c.external, t.Slug) + path
}

// redirect sends the browser to a page of the transaction.
func (c *Core) redirect(w http.ResponseWriter, r *http.Request, t store.Tenant, page, requestID string) {
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, c.TenantURL(t, "/"+page+"?id="+requestID), http.StatusFound)
}

func (c *Core) toCallback(w http.ResponseWriter, r *http.Request, t store.Tenant, requestID string) {
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, c.TenantURL(t, CallbackPath+"?id="+requestID), http.StatusFound)
}

// Protect refuses a form posted from another site (Go's cross-origin
// protection), with the branded page.
func (c *Core) Protect(h http.Handler) http.Handler { return c.csrf.Handler(h) }

// LoginLifetime is how long a login transaction may take.
func (c *Core) LoginLifetime() time.Duration { return c.loginLifetime }
