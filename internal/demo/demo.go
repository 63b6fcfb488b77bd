package demo

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/foyer-idp/foyer/internal/secret"
)

// Defaults for the zero values of Config.
const (
	// DefaultDiscoveryTimeout bounds fetching the discovery document.
	DefaultDiscoveryTimeout = 5 * time.Second
	// DefaultDiscoveryTTL is how long a fetched discovery document is used.
	DefaultDiscoveryTTL = 10 * time.Minute
	// DefaultHTTPTimeout bounds each request of the default HTTP client.
	DefaultHTTPTimeout = 10 * time.Second
	// FlowLifetime is how long a started sign-in may take.
	FlowLifetime = 10 * time.Minute
)

// Cookie names, scoped to the demo's path.
const (
	flowCookie  = "foyer_demo_flow"
	tokenCookie = "foyer_demo_id"
	// silentCookie marks a silent sign-in (prompt=none) in flight. The
	// home page consumes it: after a failed silent sign-in it shows the
	// signed-out page once instead of trying again, so there is no loop.
	silentCookie = "foyer_demo_silent"
)

// silentFallbacks are the provider's answers to prompt=none that mean
// "not without the user": the demo then shows its signed-out page.
var silentFallbacks = map[string]bool{
	"login_required": true, "interaction_required": true,
	"consent_required": true, "account_selection_required": true,
}

// Config is what the demo needs.
type Config struct {
	// Issuer is the tenant's issuer, e.g. http://localhost:8080/t/woodgrove.
	Issuer string
	// ClientID is the public client the demo signs in as (foyer-demo).
	ClientID string
	// RedirectURL is the registered redirect URI, {external}/demo/callback.
	// Its path is where the handler answers the callback.
	RedirectURL string
	// PostLogoutURL is the registered post-logout redirect URI,
	// {external}/demo: the demo's home page, whose path the handler
	// serves; sign-in and sign-out live under it.
	PostLogoutURL string
	// HTTPClient reaches the provider (discovery, token endpoint, JWKS);
	// one with DefaultHTTPTimeout when nil.
	HTTPClient *http.Client
	Logger     *slog.Logger
	// DiscoveryTimeout bounds the discovery request; DefaultDiscoveryTimeout
	// when 0.
	DiscoveryTimeout time.Duration
	// DiscoveryTTL is how long discovery is cached; DefaultDiscoveryTTL
	// when 0.
	DiscoveryTTL time.Duration
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// DevUser and DevPassword, when set, are shown on the signed-out page
	// in a box marked as development mode: serve --dev's public seed.
	DevUser, DevPassword string
}

// Handler serves the demo's pages. Mount it at the home path and below
// (/demo and /demo/).
type Handler struct {
	issuer, clientID    string
	redirectURL         string
	postLogoutURL       string
	home, login, logout string
	callback            string
	client              *http.Client
	logger              *slog.Logger
	discoveryTimeout    time.Duration
	discoveryTTL        time.Duration
	now                 func() time.Time
	secure              bool
	devUser, devPass    string

	mu   sync.Mutex
	disc *discovery
}

// discovery is what the demo learnt from the provider.
type discovery struct {
	fetched     time.Time
	provider    *oidc.Provider
	verifier    *oidc.IDTokenVerifier
	oauth       oauth2.Config
	endSession  string
	issResponse bool
}

// New checks cfg, reporting every problem at once, and answers the demo's
// handler. It makes no request: discovery happens on first use, so the
// handler can be built before the server listens.
func New(cfg Config) (http.Handler, error) {
	return newHandler(cfg)
}

func newHandler(cfg Config) (*Handler, error) {
	var errs []error
	issuer, err := absolute("Issuer", cfg.Issuer)
	errs = append(errs, err)
	redirect, err := absolute("RedirectURL", cfg.RedirectURL)
	errs = append(errs, err)
	home, err := absolute("PostLogoutURL", cfg.PostLogoutURL)
	errs = append(errs, err)
	if cfg.ClientID == "" {
		errs = append(errs, errors.New("demo: ClientID is required"))
	}
	if cfg.Logger == nil {
		errs = append(errs, errors.New("demo: Logger is required"))
	}
	if cfg.DiscoveryTimeout < 0 || cfg.DiscoveryTTL < 0 {
		errs = append(errs, errors.New("demo: DiscoveryTimeout and DiscoveryTTL must not be negative"))
	}
	if redirect != nil && home != nil {
		homePath := strings.TrimRight(home.Path, "/")
		if homePath == "" || !strings.HasPrefix(redirect.Path, homePath+"/") || redirect.Host != home.Host {
			errs = append(errs, fmt.Errorf("demo: RedirectURL %q must be below PostLogoutURL %q, the demo's home", cfg.RedirectURL, cfg.PostLogoutURL))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: DefaultHTTPTimeout}
	}
	if cfg.DiscoveryTimeout == 0 {
		cfg.DiscoveryTimeout = DefaultDiscoveryTimeout
	}
	if cfg.DiscoveryTTL == 0 {
		cfg.DiscoveryTTL = DefaultDiscoveryTTL
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	homePath := strings.TrimRight(home.Path, "/")
	return &Handler{
		issuer: issuer.String(), clientID: cfg.ClientID, redirectURL: cfg.RedirectURL, postLogoutURL: cfg.PostLogoutURL,
		home: homePath, login: homePath + "/login", logout: homePath + "/logout", callback: redirect.Path,
		client: cfg.HTTPClient, logger: cfg.Logger, discoveryTimeout: cfg.DiscoveryTimeout,
		discoveryTTL: cfg.DiscoveryTTL, now: cfg.Now, secure: redirect.Scheme == "https",
		devUser: cfg.DevUser, devPass: cfg.DevPassword,
	}, nil
}

func absolute(name, raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if raw == "" || err != nil || !u.IsAbs() || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("demo: %s must be an absolute http(s) URL, got %q", name, raw)
	}
	return u, nil
}

// ServeHTTP routes the demo's four paths.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	setHeaders(w.Header())
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		h.page(w, http.StatusMethodNotAllowed, errorPage("Method not allowed", "The demo answers GET only."))
		return
	}
	switch strings.TrimRight(r.URL.Path, "/") {
	case h.home:
		h.serveHome(w, r)
	case h.login:
		h.serveLogin(w, r)
	case h.callback:
		h.serveCallback(w, r)
	case h.logout:
		h.serveLogout(w, r)
	default:
		h.page(w, http.StatusNotFound, errorPage("Not found", "The demo has no such page."))
	}
}

// provider answers the cached discovery, fetching it when missing or
// stale. Requests wait for one fetch at a time, each bounded by the
// discovery timeout.
func (h *Handler) provider(ctx context.Context) (*discovery, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.disc != nil && h.now().Sub(h.disc.fetched) < h.discoveryTTL {
		return h.disc, nil
	}
	ctx, cancel := context.WithTimeout(oidc.ClientContext(ctx, h.client), h.discoveryTimeout)
	defer cancel()
	p, err := oidc.NewProvider(ctx, h.issuer)
	if err != nil {
		return nil, fmt.Errorf("discover %s: %w", h.issuer, err)
	}
	var extra struct {
		EndSession     string   `json:"end_session_endpoint"`
		Algorithms     []string `json:"id_token_signing_alg_values_supported"`
		PKCEMethods    []string `json:"code_challenge_methods_supported"`
		ISSParamInResp bool     `json:"authorization_response_iss_parameter_supported"`
	}
	if err := p.Claims(&extra); err != nil {
		return nil, fmt.Errorf("discover %s: %w", h.issuer, err)
	}
	if len(extra.PKCEMethods) > 0 && !contains(extra.PKCEMethods, "S256") {
		return nil, fmt.Errorf("discover %s: the provider does not offer PKCE with S256", h.issuer)
	}
	d := &discovery{
		fetched:  h.now(),
		provider: p,
		// The tenant's own algorithms: a token signed otherwise is refused.
		verifier: p.Verifier(&oidc.Config{ClientID: h.clientID, SupportedSigningAlgs: extra.Algorithms, Now: h.now}),
		oauth: oauth2.Config{
			ClientID: h.clientID, RedirectURL: h.redirectURL, Endpoint: p.Endpoint(),
			Scopes: []string{oidc.ScopeOpenID, "profile", "email"},
		},
		endSession:  extra.EndSession,
		issResponse: extra.ISSParamInResp,
	}
	// A public client authenticates with its client id in the body only.
	d.oauth.Endpoint.AuthStyle = oauth2.AuthStyleInParams
	h.disc = d
	return d, nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func (h *Handler) serveLogin(w http.ResponseWriter, r *http.Request) {
	h.startSignIn(w, r, false)
}

// startSignIn sends the browser to the provider. A silent sign-in asks
// with prompt=none: it succeeds only when the browser already has a
// session there (a guest who just redeemed an invitation has one).
func (h *Handler) startSignIn(w http.ResponseWriter, r *http.Request, silent bool) {
	d, err := h.provider(r.Context())
	if err != nil {
		h.unavailable(w, r, err)
		return
	}
	f := flow{State: secret.NewToken(24), Nonce: secret.NewToken(24), Verifier: oauth2.GenerateVerifier()}
	http.SetCookie(w, h.cookie(flowCookie, f.encode(), FlowLifetime))
	opts := []oauth2.AuthCodeOption{oidc.Nonce(f.Nonce), oauth2.S256ChallengeOption(f.Verifier)}
	switch {
	case silent:
		http.SetCookie(w, h.cookie(silentCookie, "1", FlowLifetime))
		opts = append(opts, oauth2.SetAuthURLParam("prompt", "none"))
	default:
		http.SetCookie(w, h.cookie(silentCookie, "", -1))
		if hint := r.URL.Query().Get("login_hint"); hint != "" && len(hint) <= 256 {
			opts = append(opts, oauth2.SetAuthURLParam("login_hint", hint))
		}
		if r.URL.Query().Get("prompt") == "login" {
			opts = append(opts, oauth2.SetAuthURLParam("prompt", "login"))
		}
	}
	http.Redirect(w, r, d.oauth.AuthCodeURL(f.State, opts...), http.StatusFound)
}

func (h *Handler) serveCallback(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f, haveFlow := h.flowFrom(r)
	// The flow is single-use whatever happens next.
	http.SetCookie(w, h.cookie(flowCookie, "", -1))
	_, silentErr := r.Cookie(silentCookie)
	silent := silentErr == nil
	if e := q.Get("error"); e != "" {
		if silent && silentFallbacks[e] {
			// Not signed in at the provider: home shows the signed-out
			// page and consumes the marker.
			http.Redirect(w, r, h.home, http.StatusSeeOther)
			return
		}
		http.SetCookie(w, h.cookie(silentCookie, "", -1))
		h.logger.InfoContext(r.Context(), "demo: the provider answered an error", "error", e)
		h.page(w, http.StatusBadRequest, errorPage("Sign-in did not complete",
			fmt.Sprintf("The provider answered %q: %s", e, q.Get("error_description"))))
		return
	}
	switch {
	case !haveFlow:
		h.page(w, http.StatusBadRequest, errorPage("No sign-in in progress",
			"This browser has no sign-in to complete: it expired after 10 minutes, cookies are off, or it started in another browser."))
		return
	case subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(f.State)) != 1:
		h.page(w, http.StatusBadRequest, errorPage("Sign-in refused",
			"The state returned does not match the sign-in this browser started. Nothing was signed in."))
		return
	case q.Get("code") == "":
		h.page(w, http.StatusBadRequest, errorPage("Sign-in refused", "The provider's answer has no authorization code."))
		return
	}
	d, err := h.provider(r.Context())
	if err != nil {
		h.unavailable(w, r, err)
		return
	}
	// RFC 9207: the answer must come from the issuer the flow went to.
	if iss := q.Get("iss"); iss != "" && iss != h.issuer || iss == "" && d.issResponse {
		h.page(w, http.StatusBadRequest, errorPage("Sign-in refused",
			"The answer does not name the issuer this sign-in went to (iss). Nothing was signed in."))
		return
	}
	ctx := context.WithValue(r.Context(), oauth2.HTTPClient, h.client)
	tok, err := d.oauth.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(f.Verifier))
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) {
			why := strings.TrimSpace(re.ErrorCode + " " + re.ErrorDescription)
			if why == "" && re.Response != nil {
				why = re.Response.Status
			}
			h.page(w, http.StatusBadRequest, errorPage("Sign-in refused", "The token endpoint refused the code: "+why))
			return
		}
		h.unavailable(w, r, err)
		return
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		h.page(w, http.StatusBadGateway, errorPage("Sign-in failed", "The token response has no ID token."))
		return
	}
	idt, err := d.verifier.Verify(r.Context(), raw)
	if err != nil {
		h.logger.WarnContext(r.Context(), "demo: ID token refused", "err", err)
		h.page(w, http.StatusBadRequest, errorPage("Sign-in refused", "The ID token did not verify: "+err.Error()))
		return
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(f.Nonce)) != 1 {
		h.page(w, http.StatusBadRequest, errorPage("Sign-in refused", "The ID token's nonce is not this sign-in's."))
		return
	}
	http.SetCookie(w, h.cookie(tokenCookie, raw, idt.Expiry.Sub(h.now())))
	if silent {
		http.SetCookie(w, h.cookie(silentCookie, "", -1))
	}
	http.Redirect(w, r, h.home, http.StatusSeeOther)
}

// homePage is the signed-out page.
func (h *Handler) homePage(note string) homePage {
	return homePage{Issuer: h.issuer, LoginURL: h.login, Note: note, DevUser: h.devUser, DevPassword: h.devPass}
}

func (h *Handler) serveHome(w http.ResponseWriter, r *http.Request) {
	c, err := r.Cookie(tokenCookie)
	if err != nil || c.Value == "" {
		if _, err := r.Cookie(silentCookie); err == nil {
			// A silent sign-in was just tried and failed: show the
			// signed-out page, once; the next visit tries again.
			http.SetCookie(w, h.cookie(silentCookie, "", -1))
			h.page(w, http.StatusOK, h.homePage(""))
			return
		}
		h.startSignIn(w, r, true)
		return
	}
	d, err := h.provider(r.Context())
	if err != nil {
		h.unavailable(w, r, err)
		return
	}
	idt, err := d.verifier.Verify(r.Context(), c.Value)
	if err != nil {
		http.SetCookie(w, h.cookie(tokenCookie, "", -1))
		h.page(w, http.StatusOK, h.homePage("Your sign-in has ended: "+err.Error()))
		return
	}
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		h.page(w, http.StatusBadGateway, errorPage("Unreadable token", "The ID token's claims are not JSON."))
		return
	}
	h.page(w, http.StatusOK, newClaimsPage(h.issuer, h.logout, claims))
}

func (h *Handler) serveLogout(w http.ResponseWriter, r *http.Request) {
	c, err := r.Cookie(tokenCookie)
	http.SetCookie(w, h.cookie(tokenCookie, "", -1))
	if err != nil || c.Value == "" {
		http.Redirect(w, r, h.home, http.StatusSeeOther)
		return
	}
	d, err := h.provider(r.Context())
	if err != nil || d.endSession == "" {
		// Signed out here; the provider's session stays.
		http.Redirect(w, r, h.home, http.StatusSeeOther)
		return
	}
	u, err := url.Parse(d.endSession)
	if err != nil {
		http.Redirect(w, r, h.home, http.StatusSeeOther)
		return
	}
	q := u.Query()
	q.Set("id_token_hint", c.Value)
	q.Set("post_logout_redirect_uri", h.postLogoutURL)
	q.Set("client_id", h.clientID)
	q.Set("state", secret.NewToken(16))
	u.RawQuery = q.Encode()
	http.Redirect(w, r, u.String(), http.StatusFound)
}

func (h *Handler) unavailable(w http.ResponseWriter, r *http.Request, err error) {
	h.logger.WarnContext(r.Context(), "demo: provider unavailable", "err", err)
	h.page(w, http.StatusServiceUnavailable, errorPage("Provider unavailable",
		"The demo could not reach "+h.issuer+". Is the server up, and its external URL reachable from itself?"))
}

// cookie answers a cookie of the demo's path; maxAge < 0 deletes it.
func (h *Handler) cookie(name, value string, maxAge time.Duration) *http.Cookie {
	c := &http.Cookie{
		Name: name, Value: value, Path: h.home, HttpOnly: true, Secure: h.secure,
		// Lax: the provider's redirect back is a top-level GET from another
		// site, which must carry the flow cookie.
		SameSite: http.SameSiteLaxMode,
	}
	if maxAge < 0 {
		c.MaxAge = -1
	} else {
		c.MaxAge = max(1, int(maxAge.Seconds()))
	}
	return c
}

// flow is a started sign-in, kept in the browser for FlowLifetime.
type flow struct{ State, Nonce, Verifier string }

func (f flow) encode() string { return f.State + "." + f.Nonce + "." + f.Verifier }

func (h *Handler) flowFrom(r *http.Request) (flow, bool) {
	c, err := r.Cookie(flowCookie)
	if err != nil {
		return flow{}, false
	}
	parts := strings.Split(c.Value, ".")
	if len(parts) != 3 {
		return flow{}, false
	}
	for _, p := range parts {
		if len(p) < 16 || len(p) > 128 {
			return flow{}, false
		}
		if _, err := base64.RawURLEncoding.DecodeString(p); err != nil {
			return flow{}, false
		}
	}
	return flow{State: parts[0], Nonce: parts[1], Verifier: parts[2]}, true
}

// styleHash admits the pages' one inline style block and nothing else.
var styleHash = func() string {
	sum := sha256.Sum256([]byte(style))
	return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
}()

func setHeaders(h http.Header) {
	h.Set("Content-Security-Policy", "default-src 'none'; style-src "+styleHash+"; frame-ancestors 'none'; base-uri 'none'; form-action 'none'")
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
}
