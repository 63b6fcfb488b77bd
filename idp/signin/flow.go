package signin

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/foyer-idp/foyer/idp/tenancy"
	"github.com/foyer-idp/foyer/internal/directory"
	"github.com/foyer-idp/foyer/internal/mfa"
	"github.com/foyer-idp/foyer/internal/secret"
	"github.com/foyer-idp/foyer/internal/store"
)

// Store is the storage the sign-in flow needs.
type Store interface {
	GetUser(ctx context.Context, tenantID, id string) (store.User, error)
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
}

// Directory checks passwords and ends the redemptions whose landing
// waited for a second factor; *directory.Directory satisfies it.
type Directory interface {
	VerifyPassword(ctx context.Context, tenantID, email, password string) (store.User, error)
	Redemption(ctx context.Context, tenantID, id string) (store.Redemption, error)
	EndRedemption(ctx context.Context, tenantID, id string) error
	// InvitationRedirect answers an accepted invitation's redirect while
	// it still belongs to one of the tenant's apps, else "".
	InvitationRedirect(ctx context.Context, t store.Tenant, invitationID string) (string, error)
}

// Redemptions takes over an upstream callback that ends a redemption's
// trip, with what the guest proved there; *redeem.Handler is one.
type Redemptions interface {
	Proven(w http.ResponseWriter, r *http.Request, t store.Tenant, redemptionID string, p directory.Proof)
}

// Config is what a Flow needs.
type Config struct {
	// ExternalURL is where browsers reach Foyer, without a trailing slash.
	// An https URL makes the cookies Secure and __Host- prefixed.
	ExternalURL string
	Store       Store
	Directory   Directory
	// Passcodes sends the email one-time passcodes of redemption and of
	// guests' sign-ins.
	Passcodes Passcodes
	// Federation and Upstreams let guests redeem and sign in through
	// upstream identity providers; without them only passcodes are
	// offered.
	Federation Federation
	Upstreams  Upstreams
	// MFA enrols and checks the second factor policy asks for.
	MFA MFA
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
	// SignIns counts sign-in outcomes by tenant and result; nil counts
	// nothing.
	SignIns *prometheus.CounterVec
	Now     func() time.Time
	Logger  *slog.Logger
}

// Flow runs sign-in transactions and serves their pages: the
// capabilities (login and home-realm discovery, passcodes, upstream
// sign-in, the second factor, security info, consent, sign-out) over
// the shared Core.
type Flow struct {
	*Core
	dir        Directory
	passcodes  Passcodes
	federation Federation
	upstreams  Upstreams
	security   *securityInfo
	second     *mfaPages
	consent    consentPages
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

// New checks cfg, reporting every problem at once.
func New(cfg Config) (*Flow, error) {
	var errs []error
	if cfg.ExternalURL == "" {
		errs = append(errs, errors.New("signin: ExternalURL is required"))
	}
	if cfg.Store == nil {
		errs = append(errs, errors.New("signin: Store is required"))
	}
	if cfg.Directory == nil {
		errs = append(errs, errors.New("signin: Directory is required"))
	}
	if cfg.Hasher == nil {
		errs = append(errs, errors.New("signin: Hasher is required"))
	}
	if cfg.Passcodes == nil {
		errs = append(errs, errors.New("signin: Passcodes is required"))
	}
	if cfg.MFA == nil {
		errs = append(errs, errors.New("signin: MFA is required"))
	}
	if (cfg.Federation == nil) != (cfg.Upstreams == nil) {
		errs = append(errs, errors.New("signin: Federation and Upstreams go together"))
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
	cfg.Throttle = cfg.Throttle.withDefaults()
	c := &Core{
		external:           strings.TrimRight(cfg.ExternalURL, "/"),
		secure:             strings.HasPrefix(cfg.ExternalURL, "https://"),
		store:              cfg.Store,
		hasher:             cfg.Hasher,
		loginLifetime:      cfg.LoginLifetime,
		sessionLifetime:    cfg.SessionLifetime,
		sessionIdleTimeout: cfg.SessionIdleTimeout,
		throttle:           cfg.Throttle,
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
	return &Flow{Core: c, dir: cfg.Directory, passcodes: cfg.Passcodes, federation: cfg.Federation,
		upstreams: cfg.Upstreams, security: &securityInfo{Core: c, mfa: cfg.MFA},
		second: &mfaPages{Core: c, mfa: cfg.MFA, dir: cfg.Directory}, consent: consentPages{c}}, nil
}

// Outcome is what Begin did with a request.
type Outcome int

const (
	// Shown: the browser was sent to a sign-in page; the transaction is
	// stored and ends at the provider's callback.
	Shown Outcome = iota + 1
	// Finished: the browser's session and a remembered consent cover the
	// request, whose user fields Begin filled in. Nothing was stored; the
	// caller issues the response now.
	Finished
)

// Errors Begin answers for prompt=none when it cannot finish silently.
var (
	ErrLoginRequired   = errors.New("the user must sign in")
	ErrConsentRequired = errors.New("the user must consent")
	// ErrInteractionRequired: the session lacks the second factor policy
	// asks for.
	ErrInteractionRequired = errors.New("the user must prove a second factor")
)

// Start is a validated authorization request about to be served.
type Start struct {
	Tenant  store.Tenant
	App     store.Application
	Request *store.AuthRequest
}

// Begin serves a validated authorization request: it finishes at once when
// the browser's session and a remembered consent cover it (prompt,
// max_age and id_token_hint permitting), otherwise it binds the
// transaction to this browser, stores it and sends the browser to the
// login, second-factor or consent page. For prompt=none it never shows a
// page: it answers ErrLoginRequired, ErrInteractionRequired or
// ErrConsentRequired instead. Any other error means
// the store failed and nothing was written to w.
func (f *Flow) Begin(w http.ResponseWriter, r *http.Request, s Start) (Outcome, error) {
	ctx := r.Context()
	req := s.Request
	now := f.clock()
	sess, user, signedIn, err := f.currentSession(r, s.Tenant)
	if err != nil {
		return 0, err
	}
	needLogin := !signedIn || slices.Contains(req.Prompt, "login") ||
		(req.MaxAge != nil && now.Sub(sess.AuthTime) >= time.Duration(*req.MaxAge)*time.Second) ||
		(req.IDTokenHintSubject != "" && req.IDTokenHintSubject != user.ID)
	none := slices.Contains(req.Prompt, "none")
	if none && needLogin {
		return 0, ErrLoginRequired
	}
	needMFA := !needLogin && mfa.NeedsMFA(s.Tenant, s.App, user, sess.AMR, req.ACRValues)
	if none && needMFA {
		return 0, ErrInteractionRequired
	}
	if !needLogin {
		req.UserID, req.SessionID, req.AMR = user.ID, sess.ID, sess.AMR
		authTime := sess.AuthTime
		req.AuthTime = &authTime
	}
	if !needLogin && !needMFA {
		needConsent, err := f.needsConsent(ctx, s.App, user.ID, req.Scopes, slices.Contains(req.Prompt, "consent"))
		if err != nil {
			return 0, err
		}
		if !needConsent {
			req.ConsentGiven, req.Done = true, true
			return Finished, nil
		}
		if none {
			return 0, ErrConsentRequired
		}
	}
	req.BrowserBinding = f.bind(w, r)
	if err := f.store.CreateAuthRequest(ctx, *req); err != nil {
		return 0, fmt.Errorf("store login transaction: %w", err)
	}
	page := "login"
	switch {
	case needMFA:
		page = "mfa"
	case !needLogin:
		page = "consent"
	}
	f.redirect(w, r, s.Tenant, page, req.ID)
	return Shown, nil
}

// CallbackPath is where a finished transaction goes: the provider's
// authorization callback, under the tenant's issuer.
const CallbackPath = "/authorize/callback"

// Mount registers the sign-in pages on mux behind wrap, which must put
// the tenant in the request context (tenancy.Gate); upstream callbacks of
// redemptions go on to redemptions.
func (f *Flow) Mount(mux *http.ServeMux, wrap func(http.Handler) http.Handler, redemptions Redemptions) {
	mux.Handle("GET /t/{tenant}/login", wrap(http.HandlerFunc(f.loginPage)))
	mux.Handle("POST /t/{tenant}/login", wrap(f.csrf.Handler(http.HandlerFunc(f.login))))
	mux.Handle("GET /t/{tenant}/consent", wrap(http.HandlerFunc(f.consent.consentPage)))
	mux.Handle("POST /t/{tenant}/consent", wrap(f.csrf.Handler(http.HandlerFunc(f.consent.consent))))
	mux.Handle("POST /t/{tenant}/login/code", wrap(f.csrf.Handler(http.HandlerFunc(f.loginCode))))

	mux.Handle("GET /t/{tenant}"+FederationCallbackPath, wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.federationCallback(w, r, redemptions)
	})))
	mux.Handle("GET /t/{tenant}/mfa", wrap(http.HandlerFunc(f.second.mfaPage)))
	mux.Handle("POST /t/{tenant}/mfa", wrap(f.csrf.Handler(http.HandlerFunc(f.second.mfaSubmit))))
	mux.Handle("GET /t/{tenant}"+SecurityInfoPath, wrap(http.HandlerFunc(f.security.securityInfoPage)))
	mux.Handle("POST /t/{tenant}"+SecurityInfoPath, wrap(f.csrf.Handler(http.HandlerFunc(f.security.securityInfo))))
}
