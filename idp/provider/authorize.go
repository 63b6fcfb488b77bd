package provider

import (
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/zitadel/oidc/v3/pkg/oidc"

	"github.com/foyer-idp/foyer/idp/signin"
	"github.com/foyer-idp/foyer/idp/tenancy"
	"github.com/foyer-idp/foyer/internal/directory"
	"github.com/foyer-idp/foyer/internal/mfa"
	"github.com/foyer-idp/foyer/internal/secret"
	"github.com/foyer-idp/foyer/internal/store"
)

// Foyer serves the authorization endpoint itself rather than through op:
// op builds error redirects where no context reaches, so they cannot carry
// the issuer (RFC 9207), it accepts plain PKCE and normalises nothing the
// way Foyer must refuse. op's validators would add little to the checks
// below, which follow RFC 6749 §4.1, RFC 7636 and OIDC Core §3.1.2.

// maxParamLen bounds the free-text parameters a transaction stores.
const maxParamLen = 2048

// scopesSupported are the scopes Foyer grants users; others are dropped.
var scopesSupported = []string{oidc.ScopeOpenID, oidc.ScopeProfile, oidc.ScopeEmail, oidc.ScopeOfflineAccess}

// s256Challenge is a base64url SHA-256 digest, as RFC 7636 §4.2 makes it.
var s256Challenge = regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`)

// authParams are the request parameters Foyer reads; any other is ignored
// (OIDC Core §3.1.2.1). Sending one of these twice is an error (RFC 6749
// §3.1).
var authParams = []string{
	"client_id", "redirect_uri", "response_type", "response_mode", "scope", "state", "nonce",
	"code_challenge", "code_challenge_method", "prompt", "max_age", "login_hint", "id_token_hint",
	"ui_locales", "acr_values", "request", "request_uri",
}

// authError is an error to send back to the client's redirect URI.
type authError struct {
	code        string
	description string
}

// authorize serves GET and POST {issuer}/authorize.
func (p *Provider) authorize(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	t, _ := tenancy.From(ctx)
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		p.flow.ErrorPage(w, r, t, http.StatusBadRequest, "Invalid sign-in request", "The request could not be read.")
		return
	}
	form := r.Form
	// Until the client and its redirect URI are known good, nothing may
	// be sent to the redirect URI: errors go to Foyer's own page.
	for _, name := range []string{"client_id", "redirect_uri"} {
		if len(form[name]) != 1 || form.Get(name) == "" {
			p.flow.ErrorPage(w, r, t, http.StatusBadRequest, "Invalid sign-in request",
				"The application's request must name it (client_id) and where to return (redirect_uri) exactly once.")
			return
		}
	}
	app, err := p.store.GetApplicationByClientID(ctx, t.ID, form.Get("client_id"))
	if errors.Is(err, store.ErrNotFound) {
		p.flow.ErrorPage(w, r, t, http.StatusBadRequest, "Unknown application",
			"The application is not registered with "+t.DisplayName+".")
		return
	}
	if err != nil {
		p.flow.Unavailable(w, r, t, "load application", err)
		return
	}
	redirectURI := form.Get("redirect_uri")
	if !redirectRegistered(app, redirectURI) {
		p.flow.ErrorPage(w, r, t, http.StatusBadRequest, "Invalid redirect URI",
			"The address the application asked to return to is not registered for it, so Foyer will not send you there.")
		return
	}
	state := form.Get("state")
	req, aerr := p.validate(form, t, app)
	if aerr == nil {
		aerr = p.checkIDTokenHint(r, t, form.Get("id_token_hint"), &req)
	}
	if aerr != nil {
		p.redirectError(w, r, t, redirectURI, state, *aerr)
		return
	}
	outcome, err := p.flow.Begin(w, r, signin.Start{Tenant: t, App: app, Request: &req})
	switch {
	case errors.Is(err, signin.ErrLoginRequired):
		p.redirectError(w, r, t, redirectURI, state, authError{"login_required", "the user must sign in"})
	case errors.Is(err, signin.ErrConsentRequired):
		p.redirectError(w, r, t, redirectURI, state, authError{"consent_required", "the user must consent"})
	case errors.Is(err, signin.ErrInteractionRequired):
		p.redirectError(w, r, t, redirectURI, state, authError{"interaction_required", "the user must prove a second factor"})
	case err != nil:
		p.flow.Unavailable(w, r, t, "begin sign-in", err)
	case outcome == signin.Finished:
		p.finish(w, r, t, app, req, false)
	}
}

// validate checks everything after the redirect URI and answers the login
// transaction to store, or the error for the client.
func (p *Provider) validate(form url.Values, t store.Tenant, app store.Application) (store.AuthRequest, *authError) {
	for _, name := range authParams {
		if len(form[name]) > 1 {
			return store.AuthRequest{}, &authError{"invalid_request", name + " is repeated"}
		}
	}
	if form.Get("request") != "" {
		return store.AuthRequest{}, &authError{"request_not_supported", "request objects are not supported"}
	}
	if form.Get("request_uri") != "" {
		return store.AuthRequest{}, &authError{"request_uri_not_supported", "request_uri is not supported"}
	}
	switch rt := form.Get("response_type"); {
	case rt == "":
		return store.AuthRequest{}, &authError{"invalid_request", "response_type is required"}
	case rt != "code":
		// Implicit and hybrid flows leak tokens through the browser.
		return store.AuthRequest{}, &authError{"unsupported_response_type", "only response_type=code is supported"}
	}
	if rm := form.Get("response_mode"); rm != "" && rm != "query" {
		return store.AuthRequest{}, &authError{"invalid_request", "only response_mode=query is supported"}
	}
	if !slices.Contains(app.GrantTypes, directory.GrantAuthorizationCode) {
		return store.AuthRequest{}, &authError{"unauthorized_client", "the client may not use the authorization code flow"}
	}
	requested := strings.Fields(form.Get("scope"))
	if !slices.Contains(requested, oidc.ScopeOpenID) {
		return store.AuthRequest{}, &authError{"invalid_scope", "the openid scope is required"}
	}
	scopes, aerr := p.grantableScopes(app, requested)
	if aerr != nil {
		return store.AuthRequest{}, aerr
	}
	challenge, method := form.Get("code_challenge"), form.Get("code_challenge_method")
	switch {
	case challenge == "" && method != "":
		return store.AuthRequest{}, &authError{"invalid_request", "code_challenge_method without code_challenge"}
	case challenge == "" && app.ClientType != store.ClientConfidential:
		return store.AuthRequest{}, &authError{"invalid_request", "PKCE (code_challenge with S256) is required for public clients"}
	case challenge != "" && method != "S256":
		return store.AuthRequest{}, &authError{"invalid_request", "code_challenge_method must be S256"}
	case challenge != "" && !s256Challenge.MatchString(challenge):
		return store.AuthRequest{}, &authError{"invalid_request", "code_challenge is not an S256 challenge"}
	}
	prompt := strings.Fields(form.Get("prompt"))
	if slices.Contains(prompt, "none") && len(prompt) > 1 {
		return store.AuthRequest{}, &authError{"invalid_request", "prompt=none must stand alone"}
	}
	var maxAge *int64
	if v := form.Get("max_age"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return store.AuthRequest{}, &authError{"invalid_request", "max_age must be a non-negative number of seconds"}
		}
		maxAge = &n
	}
	for _, name := range []string{"state", "nonce", "login_hint", "ui_locales", "acr_values"} {
		if len(form.Get(name)) > maxParamLen {
			return store.AuthRequest{}, &authError{"invalid_request", name + " is too long"}
		}
	}
	now := p.clock()
	return store.AuthRequest{
		TenantID: t.ID, ID: secret.NewID(), ClientID: app.ClientID, RedirectURI: form.Get("redirect_uri"),
		Scopes: scopes, State: form.Get("state"), Nonce: form.Get("nonce"), ResponseType: "code",
		ResponseMode: form.Get("response_mode"), CodeChallenge: challenge, CodeChallengeMethod: method,
		Prompt: prompt, MaxAge: maxAge, LoginHint: form.Get("login_hint"),
		UILocales: strings.Fields(form.Get("ui_locales")), ACRValues: strings.Fields(form.Get("acr_values")),
		CreatedAt: now, ExpiresAt: now.Add(p.flow.LoginLifetime()),
	}, nil
}

// grantableScopes answers the requested scopes a user may grant app:
// the supported OIDC scopes (offline_access only with the refresh grant),
// others dropped, and delegated admin-API permissions, where a name the
// API does not know (.default included) is an error, not dropped.
func (p *Provider) grantableScopes(app store.Application, requested []string) ([]string, *authError) {
	var scopes []string
	for _, s := range requested {
		if perm, ok := p.apiPermission(s); ok {
			if !slices.Contains(directory.APIPermissions, perm) {
				return nil, &authError{"invalid_scope", s + " is not a delegated permission of the admin API"}
			}
			if !slices.Contains(scopes, s) {
				scopes = append(scopes, s)
			}
			continue
		}
		if !slices.Contains(scopesSupported, s) || slices.Contains(scopes, s) {
			continue
		}
		if s == oidc.ScopeOfflineAccess && !slices.Contains(app.GrantTypes, directory.GrantRefreshToken) {
			continue
		}
		scopes = append(scopes, s)
	}
	return scopes, nil
}

// checkIDTokenHint verifies an id_token_hint and records its subject. An
// expired hint is fine (OIDC Core §3.1.2.1); a forged one is not.
func (p *Provider) checkIDTokenHint(r *http.Request, t store.Tenant, hint string, req *store.AuthRequest) *authError {
	if hint == "" {
		return nil
	}
	c, err := p.verifyIDToken(r.Context(), t, hint)
	if err != nil {
		if !errors.Is(err, errBadToken) {
			p.logger.ErrorContext(r.Context(), "verify id_token_hint", "tenant", t.Slug, "err", err)
			return &authError{"temporarily_unavailable", "try again later"}
		}
		return &authError{"invalid_request", "id_token_hint is not a valid ID token of this issuer"}
	}
	req.IDTokenHintSubject = c.Subject
	return nil
}

// callback serves {issuer}/authorize/callback?id=…, where the sign-in
// pages send the browser when a transaction is done.
func (p *Provider) callback(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	t, _ := tenancy.From(ctx)
	req, err := p.store.GetAuthRequest(ctx, t.ID, r.URL.Query().Get("id"), p.clock())
	if errors.Is(err, store.ErrNotFound) {
		p.flow.ErrorPage(w, r, t, http.StatusBadRequest, "Sign-in expired", "This sign-in has expired or is already complete.")
		return
	}
	if err != nil {
		p.flow.Unavailable(w, r, t, "load login transaction", err)
		return
	}
	if !p.flow.Bound(r, req) {
		p.flow.ErrorPage(w, r, t, http.StatusBadRequest, "Sign-in started elsewhere",
			"Finish signing in in the browser where you started, or start again from the application.")
		return
	}
	app, err := p.store.GetApplicationByClientID(ctx, t.ID, req.ClientID)
	if errors.Is(err, store.ErrNotFound) {
		p.flow.ErrorPage(w, r, t, http.StatusBadRequest, "Unknown application", "The application is no longer registered.")
		return
	}
	if err != nil {
		p.flow.Unavailable(w, r, t, "load application", err)
		return
	}
	if req.DeviceID != "" {
		// A device's transaction has no redirect URI: it ends on a page.
		p.finishDevice(w, r, t, app, req)
		return
	}
	switch {
	case !req.Done:
		p.redirectError(w, r, t, req.RedirectURI, req.State, authError{"interaction_required", "the sign-in is not complete"})
	case !req.ConsentGiven:
		p.deleteRequest(r, t, req.ID)
		p.redirectError(w, r, t, req.RedirectURI, req.State, authError{"access_denied", "the user declined"})
	default:
		p.finish(w, r, t, app, req, true)
	}
}

// finish answers a signed-in, consented request: access_denied when the
// user may not use the app, otherwise a code.
func (p *Provider) finish(w http.ResponseWriter, r *http.Request, t store.Tenant, app store.Application, req store.AuthRequest, stored bool) {
	ctx := r.Context()
	if stored {
		// The transaction ends here, whatever the answer.
		defer p.deleteRequest(r, t, req.ID)
	}
	if refusal, ok := p.admitted(w, r, t, app, req); !ok {
		if refusal != nil {
			p.redirectError(w, r, t, req.RedirectURI, req.State, *refusal)
		}
		return
	}
	code := secret.NewToken(tokenBytes)
	grant := codeGrant{
		RequestID: req.ID, ClientID: req.ClientID, RedirectURI: req.RedirectURI, Scopes: req.Scopes,
		Nonce: req.Nonce, CodeChallenge: req.CodeChallenge, UserID: req.UserID, AMR: req.AMR,
		SID: p.flow.SID(req.SessionID),
	}
	if req.AuthTime != nil {
		grant.AuthTime = *req.AuthTime
	}
	payload, err := json.Marshal(grant)
	if err != nil {
		p.flow.Unavailable(w, r, t, "encode code", err)
		return
	}
	now := p.clock()
	if err := p.store.CreateToken(ctx, store.Token{
		TenantID: t.ID, Kind: kindAuthCode, Hash: p.hasher.Hash(code), SubjectID: req.UserID,
		Payload: payload, CreatedAt: now, ExpiresAt: now.Add(p.lifetimes.AuthCode),
	}); err != nil {
		p.flow.Unavailable(w, r, t, "store code", err)
		return
	}
	p.redirect(w, r, t, req.RedirectURI, url.Values{"code": {code}}, req.State)
}

// admitted checks that the signed-in user of a finished transaction may
// have what it asks for: the app is theirs to use, and the second factor
// policy asks for is proven. The sign-in flow marks a transaction done
// only after the second factor; this is the last line should anything
// reach here without. A refusal is audited and answered for the client;
// a failure of the store has been answered (refusal nil).
func (p *Provider) admitted(w http.ResponseWriter, r *http.Request, t store.Tenant, app store.Application, req store.AuthRequest) (*authError, bool) {
	ctx := r.Context()
	mayUse, err := p.dir.MayUse(ctx, app, req.UserID)
	if err != nil {
		p.flow.Unavailable(w, r, t, "check assignment", err)
		return nil, false
	}
	if !mayUse {
		p.flow.RecordDenied(ctx, t, app, req.UserID, req.ID, signin.CodeNotAssigned, "The user is not assigned to the application.")
		return &authError{"access_denied", "the user is not assigned to this application"}, false
	}
	user, err := p.store.GetUserCore(ctx, t.ID, req.UserID)
	if err != nil {
		p.flow.Unavailable(w, r, t, "load user", err)
		return nil, false
	}
	if mfa.NeedsMFA(t, app, user, req.AMR, req.ACRValues) {
		p.flow.RecordDenied(ctx, t, app, req.UserID, req.ID, signin.CodeMFARequired, "A second factor is required and was not proven.")
		return &authError{"interaction_required", "the user must prove a second factor"}, false
	}
	return nil, true
}

func (p *Provider) deleteRequest(r *http.Request, t store.Tenant, id string) {
	if err := p.store.DeleteAuthRequest(r.Context(), t.ID, id); err != nil && !errors.Is(err, store.ErrNotFound) {
		p.logger.WarnContext(r.Context(), "delete login transaction", "tenant", t.Slug, "err", err)
	}
}

// redirectError sends an error to the client's registered redirect URI.
func (p *Provider) redirectError(w http.ResponseWriter, r *http.Request, t store.Tenant, redirectURI, state string, e authError) {
	v := url.Values{"error": {e.code}}
	if e.description != "" {
		v.Set("error_description", e.description)
	}
	p.redirect(w, r, t, redirectURI, v, state)
}

// redirect sends an authorization response to the redirect URI, keeping
// its own query, with the state and the issuer (RFC 9207) added.
func (p *Provider) redirect(w http.ResponseWriter, r *http.Request, t store.Tenant, redirectURI string, params url.Values, state string) {
	u, err := url.Parse(redirectURI)
	if err != nil {
		p.flow.ErrorPage(w, r, t, http.StatusBadRequest, "Invalid redirect URI", "The application's redirect URI cannot be used.")
		return
	}
	q := u.Query()
	for k, vs := range params {
		q[k] = vs
	}
	if state != "" {
		q.Set("state", state)
	}
	q.Set("iss", p.issuer(t))
	u.RawQuery = q.Encode()
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, u.String(), http.StatusFound)
}

// redirectRegistered reports whether uri is one of the app's redirect URIs,
// compared exactly: no normalisation of case, trailing slashes, encoding
// or query. The one exception is RFC 8252 §7.3: a native app's loopback
// redirect URI matches on any port, since the app picks a free one at run
// time — only for native apps, only on loopback IP literals and localhost,
// and only the port's digits may differ: every other byte is compared.
func redirectRegistered(app store.Application, uri string) bool {
	if slices.Contains(app.RedirectURIs, uri) {
		return true
	}
	if app.ClientType != store.ClientNative {
		return false
	}
	got, ok := loopbackWithoutPort(uri)
	if !ok {
		return false
	}
	for _, registered := range app.RedirectURIs {
		if want, ok := loopbackWithoutPort(registered); ok && want == got {
			return true
		}
	}
	return false
}

// loopbackWithoutPort answers uri with the port cut out of its
// authority, when uri is http://host[:port][/path][?query] exactly so
// spelt (lower-case scheme, no userinfo, no fragment), host being
// localhost or a loopback IP literal, and the port only digits.
func loopbackWithoutPort(uri string) (string, bool) {
	rest, ok := strings.CutPrefix(uri, "http://")
	if !ok || strings.Contains(rest, "#") {
		return "", false
	}
	if _, err := url.Parse(uri); err != nil {
		return "", false
	}
	end := strings.IndexAny(rest, "/?")
	if end < 0 {
		end = len(rest)
	}
	host, tail := rest[:end], rest[end:]
	if i := strings.LastIndexByte(host, ':'); i >= 0 && !strings.HasSuffix(host, "]") {
		if strings.Trim(host[i+1:], "0123456789") != "" {
			return "", false
		}
		host = host[:i]
	}
	if host != "localhost" {
		ip := net.ParseIP(strings.TrimSuffix(strings.TrimPrefix(host, "["), "]"))
		if ip == nil || !ip.IsLoopback() || strings.Contains(host, ":") != strings.HasPrefix(host, "[") {
			return "", false
		}
	}
	return "http://" + host + tail, true
}
