package provider

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/cors"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/foyer-idp/foyer/idp/signin"
	"github.com/foyer-idp/foyer/idp/tenancy"
	"github.com/foyer-idp/foyer/internal/secret"
	"github.com/foyer-idp/foyer/internal/store"
	"github.com/foyer-idp/foyer/keys"
)

// Flow is the browser side the provider hands sign-ins to and renders
// pages with; *signin.Core satisfies it.
type Flow interface {
	// Begin starts or resumes the sign-in of an authorization request.
	Begin(w http.ResponseWriter, r *http.Request, s signin.Start) (signin.Outcome, error)
	// Bound reports whether the login transaction belongs to r's browser.
	Bound(r *http.Request, req store.AuthRequest) bool
	// LoginLifetime is how long a login transaction lives.
	LoginLifetime() time.Duration
	// SID answers the sid claim of a browser session.
	SID(sessionID string) string
	// SignOut ends the browser's session at the tenant (RP-initiated logout).
	SignOut(w http.ResponseWriter, r *http.Request, t store.Tenant, so signin.SignOut)
	// Message shows a branded page that is not an error.
	Message(w http.ResponseWriter, r *http.Request, t store.Tenant, title, message string)
	// RecordDenied logs a sign-in refused at the end, as the failure of
	// the login transaction attemptKey (one row per attempt).
	RecordDenied(ctx context.Context, t store.Tenant, app store.Application, userID, attemptKey string, code int, reason string)
	ErrorPage(w http.ResponseWriter, r *http.Request, t store.Tenant, status int, title, message string)
	Unavailable(w http.ResponseWriter, r *http.Request, t store.Tenant, doing string, err error)
}

var _ Flow = (*signin.Core)(nil)

// Store is the storage the provider needs. Every call names the tenant.
type Store interface {
	GetUserCore(ctx context.Context, tenantID, id string) (store.User, error)
	GetApplicationByClientID(ctx context.Context, tenantID, clientID string) (store.Application, error)
	GetAuthRequest(ctx context.Context, tenantID, id string, now time.Time) (store.AuthRequest, error)
	DeleteAuthRequest(ctx context.Context, tenantID, id string) error
	CreateToken(ctx context.Context, t store.Token) error
	ConsumeToken(ctx context.Context, tenantID, kind, hash string, at time.Time) (store.Token, error)
	store.RefreshTokens
	store.AccessTokens
	store.DeviceAuthorizations
	// InTx commits the tokens of one response together.
	InTx(ctx context.Context, fn func(tx store.Store) error) error
}

// Directory authenticates clients and decides who may use an app;
// *directory.Directory satisfies it.
type Directory interface {
	VerifyClientSecret(ctx context.Context, tenantID, clientID, value string) (store.Application, error)
	MayUse(ctx context.Context, a store.Application, userID string) (bool, error)
}

// Clients authenticates the clients of token requests; *directory.Directory
// satisfies it, and so does the short-lived *directory.ClientCache that
// serve puts in front of it.
type Clients interface {
	VerifyClientSecret(ctx context.Context, tenantID, clientID, value string) (store.Application, error)
	Application(ctx context.Context, tenantID, clientID string) (store.Application, error)
}

// Keys answers tenants' signing keys; *keys.Manager satisfies it.
type Keys interface {
	Signer(ctx context.Context, tenantID string) (*keys.SigningKey, error)
	PublicKeys(ctx context.Context, tenantID string) ([]*keys.PublicKey, error)
	// KeySet answers the published keys as one value, which stays the
	// same while the keys do.
	KeySet(ctx context.Context, tenantID string) (*keys.KeySet, error)
}

// Lifetimes of what the provider issues.
type Lifetimes struct {
	AccessToken  time.Duration
	IDToken      time.Duration
	RefreshToken time.Duration // absolute, per family
	AuthCode     time.Duration
	// RefreshReuseGrace is how long after a rotation the same client may
	// present the old refresh token again and get the same new one back
	// (a retry after a lost response); 0 switches the grace off.
	RefreshReuseGrace time.Duration
}

// Config is what a Provider needs.
type Config struct {
	// ExternalURL is where clients reach Foyer, without a trailing slash.
	ExternalURL string
	Store       Store
	Directory   Directory
	Clients     Clients
	Keys        Keys
	// Hasher keys the stored hashes of codes, refresh tokens and opaque
	// access tokens.
	Hasher    *secret.Hasher
	Flow      Flow
	Lifetimes Lifetimes
	// TokensIssued counts token responses by tenant and grant type; nil
	// counts nothing.
	TokensIssued *prometheus.CounterVec
	Now          func() time.Time
	Logger       *slog.Logger
}

// Provider serves the tenants' OpenID provider endpoints.
type Provider struct {
	*tokens
	dir     Directory
	clients Clients
	flow    Flow
	issued  *prometheus.CounterVec
	logger  *slog.Logger

	// handler is op's router over server: the token-side endpoints and
	// CORS preflights.
	handler http.Handler
	// cors answers browsers' cross-origin requests as handler does, for
	// the endpoints Foyer serves without op (discovery).
	cors func(http.Handler) http.Handler
	docs discoveryDocs
}

// Endpoint paths under a tenant's issuer.
const (
	PathDiscovery  = "/.well-known/openid-configuration"
	PathAuthorize  = "/authorize"
	PathCallback   = signin.CallbackPath
	PathToken      = "/oauth/token"
	PathIntrospect = "/oauth/introspect"
	PathUserinfo   = "/userinfo"
	PathRevoke     = "/oauth/revoke"
	PathEndSession = "/end_session"
	PathKeys       = "/keys"
	// PathDeviceAuthorization is RFC 8628's device authorization
	// endpoint; its verification URI is signin.DevicePath.
	PathDeviceAuthorization = "/oauth/device_authorization"
)

// New checks cfg, reporting every problem at once, and builds the op
// provider and server.
func New(cfg Config) (*Provider, error) {
	var errs []error
	for _, missing := range []struct {
		name string
		nil  bool
	}{
		{"ExternalURL", cfg.ExternalURL == ""}, {"Store", cfg.Store == nil}, {"Directory", cfg.Directory == nil}, {"Clients", cfg.Clients == nil},
		{"Keys", cfg.Keys == nil}, {"Hasher", cfg.Hasher == nil}, {"Flow", cfg.Flow == nil}, {"Logger", cfg.Logger == nil},
	} {
		if missing.nil {
			errs = append(errs, fmt.Errorf("provider: %s is required", missing.name))
		}
	}
	l := cfg.Lifetimes
	if l.AccessToken <= 0 || l.IDToken <= 0 || l.RefreshToken <= 0 || l.AuthCode <= 0 {
		errs = append(errs, errors.New("provider: every lifetime must be positive"))
	}
	if l.RefreshReuseGrace < 0 {
		errs = append(errs, errors.New("provider: RefreshReuseGrace must not be negative"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	tk := &tokens{
		external: strings.TrimRight(cfg.ExternalURL, "/"), store: cfg.Store, keys: cfg.Keys, hasher: cfg.Hasher,
		lifetimes: cfg.Lifetimes, now: cfg.Now,
	}
	p := &Provider{tokens: tk, dir: cfg.Directory, clients: cfg.Clients, flow: cfg.Flow, issued: cfg.TokensIssued, logger: cfg.Logger}
	p.handler = op.RegisterServer(&server{
		p: p, code: codeExchange{tokens: tk, logger: cfg.Logger}, refresh: refreshGrant{tokens: tk, dir: cfg.Directory, logger: cfg.Logger},
		clientCredentials: clientCredentials{tk}, device: deviceGrant{tokens: tk, logger: cfg.Logger},
	}, op.Endpoints{
		Token:               op.NewEndpoint(strings.TrimPrefix(PathToken, "/")),
		Introspection:       op.NewEndpoint(strings.TrimPrefix(PathIntrospect, "/")),
		Userinfo:            op.NewEndpoint(strings.TrimPrefix(PathUserinfo, "/")),
		Revocation:          op.NewEndpoint(strings.TrimPrefix(PathRevoke, "/")),
		DeviceAuthorization: op.NewEndpoint(strings.TrimPrefix(PathDeviceAuthorization, "/")),
	},
		op.WithTenantPrefix(tenancy.PathPrefix),
		op.WithServerCORSOptions(corsOptions()),
	)
	p.cors = cors.New(*corsOptions()).Handler
	return p, nil
}

// corsOptions are the cross-origin rules of the protocol endpoints:
// browser apps may read discovery and call the token, userinfo and
// revocation endpoints; they never need cookies there.
func corsOptions() *cors.Options {
	return &cors.Options{
		AllowOriginFunc:  func(string) bool { return true },
		AllowedMethods:   []string{http.MethodGet, http.MethodPost},
		AllowedHeaders:   []string{"Authorization", "Content-Type", "Accept"},
		AllowCredentials: false,
		MaxAge:           600,
	}
}

// Mount registers the provider's endpoints on mux behind wrap, which must
// put the tenant in the request context (tenancy.Gate). The tenant's JWKS
// ({issuer}/keys) is the caller's to serve.
func (p *Provider) Mount(mux *http.ServeMux, wrap func(http.Handler) http.Handler) {
	const t = tenancy.PathPrefix + "/{tenant}"
	tokenish := wrap(noStore(p.challenge(keepRequestSpan(p.handler), basicChallenge)))
	mux.Handle("GET "+t+PathDiscovery, wrap(p.cors(http.HandlerFunc(p.serveDiscovery))))
	mux.Handle("OPTIONS "+t+PathDiscovery, wrap(p.handler))
	for _, path := range []string{PathToken, PathIntrospect, PathRevoke, PathDeviceAuthorization} {
		mux.Handle("POST "+t+path, tokenish)
		mux.Handle("OPTIONS "+t+path, wrap(p.handler))
	}
	userinfo := wrap(noStore(p.challenge(p.handler, bearerChallenge)))
	mux.Handle("GET "+t+PathUserinfo, userinfo)
	mux.Handle("POST "+t+PathUserinfo, userinfo)
	mux.Handle("OPTIONS "+t+PathUserinfo, wrap(p.handler))
	authorize := wrap(http.HandlerFunc(p.authorize))
	mux.Handle("GET "+t+PathAuthorize, authorize)
	mux.Handle("POST "+t+PathAuthorize, authorize)
	mux.Handle("GET "+t+PathCallback, wrap(http.HandlerFunc(p.callback)))
	endSession := wrap(http.HandlerFunc(p.endSession))
	mux.Handle("GET "+t+PathEndSession, endSession)
	mux.Handle("POST "+t+PathEndSession, endSession)
}
