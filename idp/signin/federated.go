package signin

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/foyer-idp/foyer/federation"
	"github.com/foyer-idp/foyer/idp/tenancy"
	"github.com/foyer-idp/foyer/internal/audit"
	"github.com/foyer-idp/foyer/internal/directory"
	"github.com/foyer-idp/foyer/internal/mfa"
	"github.com/foyer-idp/foyer/internal/secret"
	"github.com/foyer-idp/foyer/internal/store"
)

// Signing in through an upstream identity provider, for redemption and
// for later sign-ins. The browser leaves with a state whose hash, with
// the nonce, the PKCE verifier and this browser's binding, waits in the
// database; the callback consumes it once, in the browser that left.

// Federation is what the pages need of the directory's federation side;
// *directory.Directory is one.
type Federation interface {
	IdentityProviders(ctx context.Context, tenantID string) ([]store.IdentityProvider, error)
	IdentityProvider(ctx context.Context, tenantID, id string) (store.IdentityProvider, error)
	ClientSecret(p store.IdentityProvider) (string, error)
	PartnerProvider(ctx context.Context, tenantID, partnerTenantID string) (store.IdentityProvider, error)
	DomainTenant(ctx context.Context, email string) (store.Tenant, bool, error)
	RefreshGuestProfile(ctx context.Context, tenantID, userID string, p directory.UpstreamProfile) error
}

// Upstreams builds connectors; *federation.Registry is one.
type Upstreams interface {
	Connector(ctx context.Context, p store.IdentityProvider, clientSecret, redirectURL string) (federation.Connector, error)
}

// FederationCallbackPath is where upstream providers send browsers back,
// under the tenant's issuer.
const FederationCallbackPath = "/federation/callback"

// Way is one way to redeem an invitation, as a button on the redeem page.
type Way struct {
	Method string // "passcode", "partner:<tenant id>" or "provider:<id>"
	Label  string
}

// UpstreamTrip is where a trip to an upstream comes back to.
type UpstreamTrip struct {
	Tenant   store.Tenant
	Provider store.IdentityProvider
	// Binding is the binding of the browser that leaves; only it may come
	// back. Exactly one of RedemptionID and AuthRequestID is set.
	Binding       string
	RedemptionID  string
	AuthRequestID string
	LoginHint     string
}

// UpstreamConfig is what upstream sign-in needs.
type UpstreamConfig struct {
	Core       *Core
	Federation Federation
	Upstreams  Upstreams
}

// Upstream takes browsers to upstream identity providers and serves their
// callback: a guest's sign-in ends here, a redemption's goes on to the
// redemption pages.
type Upstream struct {
	*Core
	federation Federation
	upstreams  Upstreams
}

// NewUpstream checks that cfg has every dependency.
func NewUpstream(cfg UpstreamConfig) (*Upstream, error) {
	if cfg.Core == nil || cfg.Federation == nil || cfg.Upstreams == nil {
		return nil, errors.New("signin: Upstream needs a Core, Federation and Upstreams")
	}
	return &Upstream{Core: cfg.Core, federation: cfg.Federation, upstreams: cfg.Upstreams}, nil
}

// Redemptions takes over an upstream callback that ends a redemption's
// trip, with what the guest proved there; *redeem.Handler is one.
type Redemptions interface {
	Proven(w http.ResponseWriter, r *http.Request, t store.Tenant, redemptionID string, p directory.Proof)
}

// Mount registers the upstream callback on mux behind wrap, which must
// put the tenant in the request context (tenancy.Gate); the callbacks of
// redemptions go on to redemptions.
func (u *Upstream) Mount(mux *http.ServeMux, wrap func(http.Handler) http.Handler, redemptions Redemptions) {
	mux.Handle("GET /t/{tenant}"+FederationCallbackPath, wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u.federationCallback(w, r, redemptions)
	})))
}

// linkedProvider answers the enabled provider a guest's federated
// identity signs in with, if any.
func (u *Upstream) linkedProvider(ctx context.Context, t store.Tenant, user store.User) (store.IdentityProvider, bool, error) {
	providers, err := u.federation.IdentityProviders(ctx, t.ID)
	if err != nil {
		return store.IdentityProvider{}, false, err
	}
	p, ok := federatedProvider(providers, user)
	return p, ok, nil
}

// GoUpstream stores the trip and sends the browser to the provider. On
// failure it has answered.
func (u *Upstream) GoUpstream(w http.ResponseWriter, r *http.Request, trip UpstreamTrip) {
	ctx := r.Context()
	t := trip.Tenant
	if !trip.Provider.Enabled {
		u.ErrorPage(w, r, t, http.StatusBadRequest, "Sign-in method unavailable",
			"This way to sign in is switched off. Choose another, or ask the administrator of "+t.DisplayName+".")
		return
	}
	conn, err := u.connector(ctx, t, trip.Provider)
	if err != nil {
		u.Unavailable(w, r, t, "build upstream connector", err)
		return
	}
	state, nonce, verifier := secret.NewToken(32), secret.NewToken(16), secret.NewToken(32)
	now := u.clock()
	login := store.FederationLogin{TenantID: t.ID, StateHash: u.stateHash(state), ProviderID: trip.Provider.ID,
		Nonce: nonce, CodeVerifier: verifier, BrowserBinding: trip.Binding, RedemptionID: trip.RedemptionID,
		AuthRequestID: trip.AuthRequestID, CreatedAt: now, ExpiresAt: now.Add(u.loginLifetime)}
	if err := u.store.CreateFederationLogin(ctx, login); err != nil {
		u.Unavailable(w, r, t, "store upstream login", err)
		return
	}
	sum := sha256.Sum256([]byte(verifier))
	to, err := conn.AuthURL(ctx, federation.AuthRequest{State: state, Nonce: nonce,
		CodeChallenge: base64.RawURLEncoding.EncodeToString(sum[:]), LoginHint: trip.LoginHint})
	if err != nil {
		u.Unavailable(w, r, t, "upstream authorization URL", err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, to, http.StatusFound)
}

func (u *Upstream) stateHash(state string) string { return u.hasher.Hash("upstream-state\x00" + state) }

func (u *Upstream) connector(ctx context.Context, t store.Tenant, p store.IdentityProvider) (federation.Connector, error) {
	clientSecret, err := u.federation.ClientSecret(p)
	if err != nil {
		return nil, err
	}
	return u.upstreams.Connector(ctx, p, clientSecret, u.TenantURL(t, FederationCallbackPath))
}

// federationCallback serves GET /t/{tenant}/federation/callback: the
// upstream's answer, for a redemption or a sign-in.
func (u *Upstream) federationCallback(w http.ResponseWriter, r *http.Request, redemptions Redemptions) {
	ctx := r.Context()
	t, _ := tenancy.From(ctx)
	q := r.URL.Query()
	login, err := u.store.ConsumeFederationLogin(ctx, t.ID, u.stateHash(q.Get("state")), u.clock())
	if errors.Is(err, store.ErrNotFound) {
		u.ErrorPage(w, r, t, http.StatusBadRequest, "Sign-in expired",
			"This sign-in has expired or was already used. Start again from the invitation or the application.")
		return
	}
	if err != nil {
		u.Unavailable(w, r, t, "consume upstream login", err)
		return
	}
	browser, ok := u.BrowserValue(r)
	if !ok || !secret.EqualHashes(u.Binding(browser), login.BrowserBinding) {
		u.ErrorPage(w, r, t, http.StatusBadRequest, "Started in another browser",
			"Finish signing in in the browser where you started.")
		return
	}
	p, err := u.federation.IdentityProvider(ctx, t.ID, login.ProviderID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		u.Unavailable(w, r, t, "load identity provider", err)
		return
	}
	id, reason := u.upstreamIdentity(ctx, t, p, err == nil, login, q)
	if reason != "" {
		u.upstreamRefused(w, r, t, login, reason)
		return
	}
	if login.RedemptionID != "" {
		redemptions.Proven(w, r, t, login.RedemptionID, directory.Proof{AMR: upstreamAMR(p, id),
			Upstream: store.Upstream{ProviderID: p.ID, AMR: id.AMR, ACR: id.ACR},
			ProvenIdentity: directory.ProvenIdentity{Email: id.Email, EmailVerified: id.EmailVerified,
				Identity:    store.Identity{SignInType: store.SignInTypeFederated, Issuer: id.Issuer, IssuerAssignedID: id.Subject},
				DisplayName: id.DisplayName, GivenName: id.GivenName, Surname: id.Surname}})
		return
	}
	u.signInWithUpstream(w, r, t, login, p, id)
}

// upstreamIdentity answers the identity of a callback, or why there is
// none.
func (u *Upstream) upstreamIdentity(ctx context.Context, t store.Tenant, p store.IdentityProvider, found bool, login store.FederationLogin, q url.Values) (federation.Identity, string) {
	if !found || !p.Enabled {
		return federation.Identity{}, "the identity provider is switched off"
	}
	if err := federation.CallbackError(q); err != nil {
		return federation.Identity{}, u.upstreamReason(ctx, t, p, err)
	}
	if q.Get("code") == "" {
		return federation.Identity{}, "the identity provider sent no code"
	}
	conn, err := u.connector(ctx, t, p)
	if err != nil {
		return federation.Identity{}, u.upstreamReason(ctx, t, p, err)
	}
	id, err := conn.Exchange(ctx, q.Get("code"), login.CodeVerifier, login.Nonce)
	if err != nil {
		return federation.Identity{}, u.upstreamReason(ctx, t, p, err)
	}
	if id.Issuer == "" || id.Subject == "" {
		return federation.Identity{}, "the identity provider did not say who signed in"
	}
	if p.Type == store.IdPFoyer && !id.EmailVerified && id.Email != "" {
		// A partner tenant of this Foyer vouches for addresses in the
		// domains it verified here (the reason it is offered at all),
		// though its own tokens call an admin-set mail unverified.
		owner, ok, err := u.federation.DomainTenant(ctx, id.Email)
		if err != nil {
			return federation.Identity{}, u.upstreamReason(ctx, t, p, err)
		}
		id.EmailVerified = ok && owner.ID == p.PartnerTenantID
	}
	return id, ""
}

// upstreamReason is what a person and the audit log are told of a failed
// upstream step: the connector's own reason, or a generic one (the cause
// goes to the log).
func (u *Upstream) upstreamReason(ctx context.Context, t store.Tenant, p store.IdentityProvider, err error) string {
	var ue *federation.UpstreamError
	if errors.As(err, &ue) {
		return ue.Reason
	}
	u.logger.WarnContext(ctx, "upstream sign-in", "tenant", t.Slug, "provider", p.ID, "err", err)
	return "the identity provider could not be reached"
}

// upstreamRefused shows and audits a refused upstream sign-in.
func (u *Upstream) upstreamRefused(w http.ResponseWriter, r *http.Request, t store.Tenant, login store.FederationLogin, reason string) {
	ctx := r.Context()
	if login.RedemptionID != "" {
		e := audit.Entry{TenantID: t.ID, Category: audit.CategoryUser, Activity: audit.ActivityRedeemExternalInvite,
			Target: audit.Target{Type: audit.TargetUser}, Err: errors.New(reason)}
		if err := audit.Record(ctx, u.store, u.clock(), e); err != nil {
			u.logger.WarnContext(ctx, "record redemption event", "tenant", t.Slug, "err", err)
		}
	} else {
		u.recordSignIn(ctx, attemptOutcome{tenant: t, methods: []string{MethodFederated}, upstream: login.ProviderID,
			code: CodeUpstreamFailed, reason: upperFirst(reason) + ".", result: resultFailure})
	}
	u.ErrorPage(w, r, t, http.StatusForbidden, "Sign-in not accepted", upperFirst(reason)+".")
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// upstreamAMR is what a session or token says of an upstream sign-in:
// fed, and mfa when the upstream shows multi-factor and the tenant trusts
// this provider's MFA (Entra's isMfaAccepted). The upstream's own methods
// stay in Upstream; they are not this tenant's to claim.
func upstreamAMR(p store.IdentityProvider, id federation.Identity) []string {
	if p.MFATrusted && mfa.InboundMFA(id.AMR) {
		return []string{mfa.AMRFederated, mfa.AMRMFA}
	}
	return []string{mfa.AMRFederated}
}

// signInWithUpstream finishes a sign-in whose first factor was an
// upstream provider: the guest is found by (issuer, subject), never by
// email, and its profile follows the upstream's.
func (u *Upstream) signInWithUpstream(w http.ResponseWriter, r *http.Request, t store.Tenant, login store.FederationLogin, p store.IdentityProvider, id federation.Identity) {
	ctx := r.Context()
	req, err := u.store.GetAuthRequest(ctx, t.ID, login.AuthRequestID, u.clock())
	if errors.Is(err, store.ErrNotFound) || (err == nil && (req.Done || !secret.EqualHashes(req.BrowserBinding, login.BrowserBinding))) {
		u.ErrorPage(w, r, t, http.StatusBadRequest, "Sign-in expired", "This sign-in has expired or is already complete.")
		return
	}
	if err != nil {
		u.Unavailable(w, r, t, "load login transaction", err)
		return
	}
	app, err := u.store.GetApplicationByClientID(ctx, t.ID, req.ClientID)
	if err != nil {
		u.Unavailable(w, r, t, "load application", err)
		return
	}
	user, err := u.store.GetUserByIdentity(ctx, t.ID, id.Issuer, id.Subject)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !user.AccountEnabled) {
		u.recordSignIn(ctx, attemptOutcome{tenant: t, app: app, typed: id.Email, methods: []string{MethodFederated},
			upstream: p.ID, code: CodeNoGuest, reason: "No enabled user is linked to the upstream account.", result: resultFailure})
		u.ErrorPage(w, r, t, http.StatusForbidden, "Account not found",
			"The account you signed in with is not a user of "+t.DisplayName+". Accept your invitation first, or ask its administrator.")
		return
	}
	if err != nil {
		u.Unavailable(w, r, t, "look up identity", err)
		return
	}
	if err := u.federation.RefreshGuestProfile(ctx, t.ID, user.ID, directory.UpstreamProfile{
		Email: id.Email, EmailVerified: id.EmailVerified, ProviderID: p.ID,
		DisplayName: id.DisplayName, GivenName: id.GivenName, Surname: id.Surname}); err != nil {
		u.logger.WarnContext(ctx, "refresh guest profile", "tenant", t.Slug, "err", err)
	}
	browser, _ := u.BrowserValue(r)
	tx := transaction{tenant: t, req: req, app: app, browser: browser}
	u.finishSignIn(w, r, tx, user, upstreamAMR(p, id), store.Upstream{ProviderID: p.ID, AMR: id.AMR, ACR: id.ACR})
}

// federatedProvider answers the enabled provider a guest's federated
// identity signs in with, if any.
func federatedProvider(providers []store.IdentityProvider, u store.User) (store.IdentityProvider, bool) {
	for _, id := range u.Identities {
		if id.SignInType != store.SignInTypeFederated {
			continue
		}
		for _, p := range providers {
			if p.Enabled && servesIssuer(p, id.Issuer) {
				return p, true
			}
		}
	}
	return store.IdentityProvider{}, false
}

// servesIssuer: multi-tenant Microsoft answers with each account's home
// tenant issuer, GitHub with its own fixed one; the rest with their own.
func servesIssuer(p store.IdentityProvider, issuer string) bool {
	switch p.Type {
	case store.IdPMicrosoft:
		return strings.HasPrefix(issuer, "https://login.microsoftonline.com/")
	case store.IdPGitHub:
		return issuer == "https://github.com"
	}
	return p.Issuer != "" && p.Issuer == issuer
}
