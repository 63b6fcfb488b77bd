package redeem

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/foyer-idp/foyer/federation/passcode"
	"github.com/foyer-idp/foyer/idp/signin"
	"github.com/foyer-idp/foyer/idp/tenancy"
	"github.com/foyer-idp/foyer/internal/directory"
	"github.com/foyer-idp/foyer/internal/mfa"
	"github.com/foyer-idp/foyer/internal/secret"
	"github.com/foyer-idp/foyer/internal/store"
)

// Redeeming an invitation, as a guest sees it:
//
//	GET  /redeem?token=…         who invited you, and the ways to sign in
//	POST /redeem                 begin: a transaction bound to this browser, a code by email
//	GET  /redeem/verify?id=…     type the code (or ask for another)
//	POST /redeem/verify
//	GET  /redeem/consent?id=…    review what the tenant will see of you
//	POST /redeem/consent         accept: the guest is in; land on inviteRedirectUrl
//	GET  /redeem/block?token=…   block future invitations (confirmed by POST)
//
// Nothing is written by a GET: mail scanners open links too.

// Redeemer is what redemption needs of the directory, which keeps the
// redemption transactions and decides their binding rules;
// *directory.Directory is one.
type Redeemer interface {
	RedeemTokenHash(token string) string
	OpenInvitation(ctx context.Context, t store.Tenant, hash string) (directory.Redeemable, error)
	BlockInvitations(ctx context.Context, t store.Tenant, hash string) (string, error)
	BeginRedemption(ctx context.Context, open directory.Redeemable, hash, binding string, lifetime time.Duration) (store.Redemption, error)
	Redemption(ctx context.Context, tenantID, id string) (store.Redemption, error)
	Prove(ctx context.Context, t store.Tenant, red store.Redemption, inv store.Invitation, p directory.Proof) error
	Accept(ctx context.Context, t store.Tenant, red store.Redemption) (store.User, string, error)
	EndRedemption(ctx context.Context, tenantID, id string) error
	RefuseRedemption(ctx context.Context, t store.Tenant, inv store.Invitation, reason string) error
}

// Federation is what the redeem page needs to offer upstream ways;
// *directory.Directory is one.
type Federation interface {
	IdentityProviders(ctx context.Context, tenantID string) ([]store.IdentityProvider, error)
	IdentityProvider(ctx context.Context, tenantID, id string) (store.IdentityProvider, error)
	PartnerProvider(ctx context.Context, tenantID, partnerTenantID string) (store.IdentityProvider, error)
	DomainTenant(ctx context.Context, email string) (store.Tenant, bool, error)
}

// Upstream sends the browser to an upstream identity provider, to come
// back to Proven; *signin.Upstream is one.
type Upstream interface {
	GoUpstream(w http.ResponseWriter, r *http.Request, trip signin.UpstreamTrip)
}

var _ Upstream = (*signin.Upstream)(nil)

// Config is what a Handler needs.
type Config struct {
	// Core draws the pages and binds them to the browser and its session.
	Core *signin.Core
	// Upstream takes the guest to the identity provider they chose; it
	// goes with Federation.
	Upstream  Upstream
	Directory Redeemer
	// Passcodes sends and checks the codes that prove the invited address.
	Passcodes signin.Passcodes
	// Federation offers the upstream ways to redeem; without it only
	// passcodes are.
	Federation Federation
	Logger     *slog.Logger
}

// Handler serves the redemption pages.
type Handler struct {
	core       *signin.Core
	upstream   Upstream
	dir        Redeemer
	passcodes  signin.Passcodes
	federation Federation
	logger     *slog.Logger
}

// New checks cfg, reporting every problem at once.
func New(cfg Config) (*Handler, error) {
	var errs []error
	if cfg.Core == nil {
		errs = append(errs, errors.New("redeem: Core is required"))
	}
	if (cfg.Upstream == nil) != (cfg.Federation == nil) {
		errs = append(errs, errors.New("redeem: Upstream and Federation go together"))
	}
	if cfg.Directory == nil {
		errs = append(errs, errors.New("redeem: Directory is required"))
	}
	if cfg.Passcodes == nil {
		errs = append(errs, errors.New("redeem: Passcodes is required"))
	}
	if cfg.Logger == nil {
		errs = append(errs, errors.New("redeem: Logger is required"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return &Handler{core: cfg.Core, upstream: cfg.Upstream, dir: cfg.Directory, passcodes: cfg.Passcodes, federation: cfg.Federation, logger: cfg.Logger}, nil
}

// Mount registers the redemption pages on mux behind wrap, which must put
// the tenant in the request context (tenancy.Gate).
func (h *Handler) Mount(mux *http.ServeMux, wrap func(http.Handler) http.Handler) {
	post := func(f http.HandlerFunc) http.Handler { return wrap(h.core.Protect(f)) }
	mux.Handle("GET /t/{tenant}/redeem", wrap(http.HandlerFunc(h.redeemPage)))
	mux.Handle("POST /t/{tenant}/redeem", post(h.redeemBegin))
	mux.Handle("GET /t/{tenant}/redeem/verify", wrap(http.HandlerFunc(h.redeemVerifyPage)))
	mux.Handle("POST /t/{tenant}/redeem/verify", post(h.redeemVerify))
	mux.Handle("GET /t/{tenant}/redeem/consent", wrap(http.HandlerFunc(h.redeemConsentPage)))
	mux.Handle("POST /t/{tenant}/redeem/consent", post(h.redeemConsent))
	mux.Handle("GET /t/{tenant}/redeem/block", wrap(http.HandlerFunc(h.blockPage)))
	mux.Handle("POST /t/{tenant}/redeem/block", post(h.block))
}

const methodPasscode = "passcode"

// redeemWays answers the ways the invited address may redeem, in the
// tenant's redemption order; the first is the one the page suggests.
func (h *Handler) redeemWays(ctx context.Context, t store.Tenant, email string) ([]signin.Way, error) {
	order := t.Invitations.RedemptionOrder
	if len(order) == 0 {
		order = store.DefaultRedemptionOrder
	}
	_, domain, _ := strings.Cut(email, "@")
	var providers []store.IdentityProvider
	if h.federation != nil {
		var err error
		if providers, err = h.federation.IdentityProviders(ctx, t.ID); err != nil {
			return nil, err
		}
	}
	var ways []signin.Way
	for _, step := range order {
		switch step {
		case store.RedeemPartnerTenant:
			if h.federation == nil {
				continue
			}
			owner, ok, err := h.federation.DomainTenant(ctx, email)
			if err != nil {
				return nil, err
			}
			if ok && owner.ID != t.ID {
				ways = append(ways, signin.Way{Method: "partner:" + owner.ID, Label: "Sign in with your " + owner.DisplayName + " account"})
			}
		case store.RedeemIdentityProvider, store.RedeemSocialProvider:
			social := step == store.RedeemSocialProvider
			for _, p := range providers {
				if !p.Enabled || p.Type == store.IdPFoyer || isSocial(p.Type) != social {
					continue
				}
				if slices.Contains(p.Domains, domain) || (social && len(p.Domains) == 0) {
					ways = append(ways, signin.Way{Method: "provider:" + p.ID, Label: "Sign in with " + p.DisplayName})
				}
			}
		case store.RedeemEmailPasscode:
			ways = append(ways, signin.Way{Method: methodPasscode, Label: "Send a code to my email"})
		}
	}
	return ways, nil
}

func isSocial(typ string) bool {
	return typ == store.IdPGoogle || typ == store.IdPMicrosoft || typ == store.IdPGitHub
}

// provider answers the enabled provider behind a redeem page's method.
func (h *Handler) provider(ctx context.Context, t store.Tenant, method string) (store.IdentityProvider, error) {
	if id, ok := strings.CutPrefix(method, "partner:"); ok {
		return h.federation.PartnerProvider(ctx, t.ID, id)
	}
	id, _ := strings.CutPrefix(method, "provider:")
	return h.federation.IdentityProvider(ctx, t.ID, id)
}

func invitationSubject(invitationID string) string { return "invitation:" + invitationID }

// redemption is a redemption transaction loaded for a page, with the
// invitation it redeems.
type redemption struct {
	tenant  store.Tenant
	r       store.Redemption
	open    directory.Redeemable
	browser string
}

// redeemCSRF is the form token of a redemption page: bound to what the
// page acts on and to the browser cookie.
func (h *Handler) redeemCSRF(subject, browser string) string {
	return h.core.CSRFToken("redeem\x00"+subject, browser)
}

// postedLink reads a form posted from a page that a redeem link served:
// the tenant, the link's token hash and the browser's binding value, once
// the form token matches this browser and the page (purpose keeps the
// block page's tokens apart). On failure it has answered.
func (h *Handler) postedLink(w http.ResponseWriter, r *http.Request, purpose string) (t store.Tenant, hash, browser string, ok bool) {
	t, _ = tenancy.From(r.Context())
	if !h.core.ParseForm(w, r) {
		return t, "", "", false
	}
	hash = h.dir.RedeemTokenHash(r.PostFormValue("token"))
	browser, ok = h.core.BrowserValue(r)
	if !ok || !secret.EqualHashes(r.PostFormValue("csrf_token"), h.redeemCSRF(purpose+hash, browser)) {
		h.core.RefusedCSRF(w, r, t)
		return t, "", "", false
	}
	return t, hash, browser, true
}

// openInvitation answers the open invitation a redeem token names. On
// failure it has answered with the reason.
func (h *Handler) openInvitation(w http.ResponseWriter, r *http.Request, t store.Tenant, hash string) (directory.Redeemable, bool) {
	open, err := h.dir.OpenInvitation(r.Context(), t, hash)
	if err != nil {
		h.redeemFailed(w, r, t, "open invitation", err)
		return directory.Redeemable{}, false
	}
	return open, true
}

// redeemFailed shows why redemption cannot go on.
func (h *Handler) redeemFailed(w http.ResponseWriter, r *http.Request, t store.Tenant, doing string, err error) {
	var re *directory.RedeemError
	if !errors.As(err, &re) {
		h.core.Unavailable(w, r, t, doing, err)
		return
	}
	title, status := "Invitation not available", http.StatusBadRequest
	switch {
	case errors.Is(err, directory.ErrInvitationExpired):
		title, status = "Invitation expired", http.StatusGone
	case errors.Is(err, directory.ErrInvitationRedeemed):
		title, status = "Invitation already accepted", http.StatusConflict
	case errors.Is(err, directory.ErrRedeemRefused):
		title, status = "Invitation cannot be accepted", http.StatusForbidden
	}
	var next *signin.NextStep
	if re.SignInURL != "" {
		next = &signin.NextStep{URL: re.SignInURL, Text: "Sign in to the application"}
	}
	h.core.ErrorPageNext(w, r, t, status, title, re.Reason, next)
}

// refusedIdentity shows why the directory refused the identity proven for
// inv, or, for any other error, why redemption cannot go on.
func (h *Handler) refusedIdentity(w http.ResponseWriter, r *http.Request, t store.Tenant, inv store.Invitation, doing string, err error) {
	switch {
	case errors.Is(err, directory.ErrNotInvitedAccount):
		h.core.ErrorPage(w, r, t, http.StatusForbidden, "Not the invited account",
			"You signed in with an account that does not prove "+maskEmail(inv.Email)+
				", the address this invitation was sent to. Sign in with that account, or choose another way on the invitation page.")
	case errors.Is(err, directory.ErrIdentityInUse):
		h.core.ErrorPage(w, r, t, http.StatusConflict, "Account already in use",
			"This account already signs in another user of "+t.DisplayName+".")
	default:
		h.redeemFailed(w, r, t, doing, err)
	}
}

// redeemRefused records a failed redemption step (a wrong code, a dead
// link posted). Best effort, like sign-in events.
func (h *Handler) redeemRefused(ctx context.Context, t store.Tenant, inv store.Invitation, reason string) {
	if err := h.dir.RefuseRedemption(ctx, t, inv, reason); err != nil {
		h.logger.WarnContext(ctx, "record redemption event", "tenant", t.Slug, "err", err)
	}
}

func (h *Handler) redeemView(t store.Tenant, title string, open directory.Redeemable) signin.View {
	v := signin.Branded(t, title)
	v.Inviter = open.InviterName
	v.Email = maskEmail(open.Invitation.Email)
	return v
}

// redeemPage serves GET /t/{tenant}/redeem?token=….
func (h *Handler) redeemPage(w http.ResponseWriter, r *http.Request) {
	t, _ := tenancy.From(r.Context())
	hash := h.dir.RedeemTokenHash(r.URL.Query().Get("token"))
	open, ok := h.openInvitation(w, r, t, hash)
	if !ok {
		return
	}
	ways, err := h.redeemWays(r.Context(), t, open.Invitation.Email)
	if err != nil {
		h.core.Unavailable(w, r, t, "list ways to redeem", err)
		return
	}
	browser, _ := h.core.Browser(w, r)
	v := h.redeemView(t, "Accept invitation", open)
	v.Ways = ways
	v.Action = h.core.TenantURL(t, "/redeem")
	v.Hidden = map[string]string{"token": r.URL.Query().Get("token")}
	v.CSRF = h.redeemCSRF(hash, browser)
	h.core.Render(w, r, http.StatusOK, "redeem", v)
}

// redeemBegin serves POST /t/{tenant}/redeem: the guest chose the email
// passcode. It starts a transaction bound to this browser and sends a
// code to the invited address, never to one the browser names.
func (h *Handler) redeemBegin(w http.ResponseWriter, r *http.Request) {
	t, hash, browser, ok := h.postedLink(w, r, "")
	if !ok {
		return
	}
	open, err := h.dir.OpenInvitation(r.Context(), t, hash)
	if err != nil {
		if re := (*directory.RedeemError)(nil); errors.As(err, &re) {
			h.redeemRefused(r.Context(), t, store.Invitation{}, re.Reason)
		}
		h.redeemFailed(w, r, t, "open invitation", err)
		return
	}
	method := r.PostFormValue("method")
	ways, err := h.redeemWays(r.Context(), t, open.Invitation.Email)
	if err != nil {
		h.core.Unavailable(w, r, t, "list ways to redeem", err)
		return
	}
	if !slices.ContainsFunc(ways, func(w signin.Way) bool { return w.Method == method }) {
		h.core.ErrorPage(w, r, t, http.StatusBadRequest, "Sign-in method unavailable",
			"This way to accept the invitation is not offered. Open the invitation link again and choose one of its buttons.")
		return
	}
	red, err := h.dir.BeginRedemption(r.Context(), open, hash, h.core.Binding(browser), h.core.LoginLifetime())
	if err != nil {
		h.core.Unavailable(w, r, t, "create redemption", err)
		return
	}
	if method != methodPasscode {
		p, err := h.provider(r.Context(), t, method)
		if err != nil {
			h.core.Unavailable(w, r, t, "load identity provider", err)
			return
		}
		h.upstream.GoUpstream(w, r, signin.UpstreamTrip{Tenant: t, Provider: p, Binding: red.BrowserBinding, RedemptionID: red.ID,
			LoginHint: open.Invitation.Email})
		return
	}
	if !h.sendRedeemCode(w, r, t, red, open) {
		return
	}
	h.core.SeeOther(w, r, h.core.TenantURL(t, "/redeem/verify?id="+red.ID))
}

// sendRedeemCode sends a code for the invitation to its address; on
// failure it has answered.
func (h *Handler) sendRedeemCode(w http.ResponseWriter, r *http.Request, t store.Tenant, red store.Redemption, open directory.Redeemable) bool {
	err := h.passcodes.Send(r.Context(), passcode.Request{Tenant: t, Subject: invitationSubject(red.InvitationID),
		Email: open.Invitation.Email, Binding: red.BrowserBinding, Language: open.Invitation.MessageLanguage})
	if errors.Is(err, passcode.ErrTooManySends) {
		w.Header().Set("Retry-After", "3600")
		h.core.ErrorPage(w, r, t, http.StatusTooManyRequests, "Too many codes",
			"Too many codes were sent for this invitation. Use the last one you received, or try again in an hour.")
		return false
	}
	if err != nil {
		h.core.Unavailable(w, r, t, "send passcode", err)
		return false
	}
	return true
}

// loadRedemption answers the redemption a page names, checking that this
// Browser began it and that its invitation is still open with the same
// link. On failure it has answered.
func (h *Handler) loadRedemption(w http.ResponseWriter, r *http.Request) (redemption, bool) {
	t, _ := tenancy.From(r.Context())
	red, ok := h.redemption(w, r, t, r.FormValue("id"))
	if !ok {
		return redemption{}, false
	}
	browser, ok := h.core.BrowserValue(r)
	if !ok || !secret.EqualHashes(h.core.Binding(browser), red.BrowserBinding) {
		h.core.ErrorPage(w, r, t, http.StatusBadRequest, "Started in another browser",
			"Finish accepting the invitation in the browser where you opened it, or open the invitation link here.")
		return redemption{}, false
	}
	open, ok := h.openInvitation(w, r, t, red.TokenHash)
	if !ok {
		return redemption{}, false
	}
	return redemption{tenant: t, r: red, open: open, browser: browser}, true
}

// redemption answers the live redemption id; on failure it has answered.
func (h *Handler) redemption(w http.ResponseWriter, r *http.Request, t store.Tenant, id string) (store.Redemption, bool) {
	red, err := h.dir.Redemption(r.Context(), t.ID, id)
	if errors.Is(err, store.ErrNotFound) {
		h.core.ErrorPage(w, r, t, http.StatusBadRequest, "Invitation page expired",
			"This page has expired. Open the invitation link from your email again.")
		return store.Redemption{}, false
	}
	if err != nil {
		h.core.Unavailable(w, r, t, "load redemption", err)
		return store.Redemption{}, false
	}
	return red, true
}

func (h *Handler) verifyView(x redemption, message string) signin.View {
	v := h.redeemView(x.tenant, "Enter code", x.open)
	v.Action = h.core.TenantURL(x.tenant, "/redeem/verify")
	v.RequestID = x.r.ID
	v.CSRF = h.redeemCSRF(x.r.ID, x.browser)
	v.Error = message
	return v
}

// redeemVerifyPage serves GET /t/{tenant}/redeem/verify?id=….
func (h *Handler) redeemVerifyPage(w http.ResponseWriter, r *http.Request) {
	x, ok := h.loadRedemption(w, r)
	if !ok {
		return
	}
	h.core.Render(w, r, http.StatusOK, "passcode", h.verifyView(x, ""))
}

// postedRedemption reads a form posted on a redemption's page: the
// redemption as load finds it, once the form token matches it and this
// browser. On failure it has answered.
func (h *Handler) postedRedemption(w http.ResponseWriter, r *http.Request, load func(http.ResponseWriter, *http.Request) (redemption, bool)) (redemption, bool) {
	if !h.core.ParseForm(w, r) {
		return redemption{}, false
	}
	x, ok := load(w, r)
	if !ok {
		return x, false
	}
	if !secret.EqualHashes(r.PostFormValue("csrf_token"), h.redeemCSRF(x.r.ID, x.browser)) {
		h.core.RefusedCSRF(w, r, x.tenant)
		return x, false
	}
	return x, true
}

// redeemVerify serves POST /t/{tenant}/redeem/verify: check the code, or
// send another.
func (h *Handler) redeemVerify(w http.ResponseWriter, r *http.Request) {
	x, ok := h.postedRedemption(w, r, h.loadRedemption)
	if !ok {
		return
	}
	if r.PostFormValue("action") == "resend" {
		if h.sendRedeemCode(w, r, x.tenant, x.r, x.open) {
			h.core.Render(w, r, http.StatusOK, "passcode", h.verifyView(x, signin.MsgResent))
		}
		return
	}
	err := h.passcodes.Verify(r.Context(), x.tenant.ID, invitationSubject(x.r.InvitationID), r.PostFormValue("code"), x.r.BrowserBinding)
	switch {
	case errors.Is(err, passcode.ErrWrongCode):
		h.redeemRefused(r.Context(), x.tenant, x.open.Invitation, "wrong one-time passcode")
		h.core.Render(w, r, http.StatusUnauthorized, "passcode", h.verifyView(x, signin.MsgWrongCode))
		return
	case errors.Is(err, passcode.ErrNoCode):
		h.redeemRefused(r.Context(), x.tenant, x.open.Invitation, "no live one-time passcode (expired, used or voided)")
		h.core.Render(w, r, http.StatusUnauthorized, "passcode", h.verifyView(x, signin.MsgNoCode))
		return
	case err != nil:
		h.core.Unavailable(w, r, x.tenant, "verify passcode", err)
		return
	}
	inv := x.open.Invitation
	if err := h.dir.Prove(r.Context(), x.tenant, x.r, inv, directory.Proof{AMR: []string{mfa.AMRPasscode},
		ProvenIdentity: directory.ProvenIdentity{Email: inv.Email, EmailVerified: true, // the code reached it
			Identity: store.Identity{SignInType: store.SignInTypeEmail, Issuer: directory.IssuerMail, IssuerAssignedID: inv.Email}}}); err != nil {
		h.refusedIdentity(w, r, x.tenant, inv, "record proven identity", err)
		return
	}
	h.core.SeeOther(w, r, h.core.TenantURL(x.tenant, "/redeem/consent?id="+x.r.ID))
}

// provenRedemption is loadRedemption for the consent step: the guest must
// have proven an identity in this transaction first.
func (h *Handler) provenRedemption(w http.ResponseWriter, r *http.Request) (redemption, bool) {
	x, ok := h.loadRedemption(w, r)
	if ok && x.r.Identity.IssuerAssignedID == "" {
		h.core.ErrorPage(w, r, x.tenant, http.StatusBadRequest, "Verify your email first",
			"Open the invitation link again and confirm your email address before accepting.")
		return redemption{}, false
	}
	return x, ok
}

func (h *Handler) redeemConsentView(x redemption) signin.View {
	v := h.redeemView(x.tenant, "Review permissions", x.open)
	v.Action = h.core.TenantURL(x.tenant, "/redeem/consent")
	v.RequestID = x.r.ID
	v.CSRF = h.redeemCSRF(x.r.ID, x.browser)
	v.Email = x.r.IdentityEmail
	return v
}

// redeemConsentPage serves GET /t/{tenant}/redeem/consent?id=….
func (h *Handler) redeemConsentPage(w http.ResponseWriter, r *http.Request) {
	x, ok := h.provenRedemption(w, r)
	if !ok {
		return
	}
	h.core.Render(w, r, http.StatusOK, "redeemconsent", h.redeemConsentView(x))
}

// redeemConsent serves POST /t/{tenant}/redeem/consent. Accepting redeems
// the invitation (one browser wins a race), signs the guest in at the
// tenant and sends them to the invitation's redirect URL.
func (h *Handler) redeemConsent(w http.ResponseWriter, r *http.Request) {
	x, ok := h.postedRedemption(w, r, h.provenRedemption)
	if !ok {
		return
	}
	ctx := r.Context()
	switch r.PostFormValue("decision") {
	case "accept":
	case "decline":
		if err := h.dir.EndRedemption(ctx, x.tenant.ID, x.r.ID); err != nil {
			h.core.Unavailable(w, r, x.tenant, "delete redemption", err)
			return
		}
		h.core.Message(w, r, x.tenant, "Invitation not accepted",
			"You did not accept the invitation. You can accept it later from the same email while it is valid.")
		return
	default:
		h.core.Render(w, r, http.StatusBadRequest, "redeemconsent", h.redeemConsentView(x))
		return
	}
	guest, redirect, err := h.dir.Accept(ctx, x.tenant, x.r)
	if err != nil {
		h.refusedIdentity(w, r, x.tenant, x.open.Invitation, "redeem invitation", err)
		return
	}
	if _, err := h.core.StartSession(w, r, x.tenant, guest, x.r.AMR, x.r.Upstream); err != nil {
		h.core.Unavailable(w, r, x.tenant, "start session", err)
		return
	}
	if mfa.NeedsMFA(x.tenant, store.Application{}, guest, x.r.AMR, nil) {
		// Redeemed; the landing waits for the second factor.
		h.core.SeeOther(w, r, h.core.TenantURL(x.tenant, "/mfa?redemption="+x.r.ID))
		return
	}
	h.core.RecordRedeemed(ctx, x.tenant, guest, x.r.AMR, x.r.Upstream)
	if err := h.dir.EndRedemption(ctx, x.tenant.ID, x.r.ID); err != nil {
		h.logger.WarnContext(ctx, "delete redemption", "tenant", x.tenant.Slug, "err", err)
	}
	if redirect == "" {
		redirect = h.core.TenantURL(x.tenant, signin.SecurityInfoPath)
	}
	h.core.SeeOther(w, r, redirect)
}

// blockPage serves GET /t/{tenant}/redeem/block?token=…: a confirmation,
// because a scanner following the link must not block anything.
func (h *Handler) blockPage(w http.ResponseWriter, r *http.Request) {
	t, _ := tenancy.From(r.Context())
	token := r.URL.Query().Get("token")
	browser, _ := h.core.Browser(w, r)
	v := signin.Branded(t, "Block invitations")
	v.Action = h.core.TenantURL(t, "/redeem/block")
	v.Hidden = map[string]string{"token": token}
	v.CSRF = h.redeemCSRF("block\x00"+h.dir.RedeemTokenHash(token), browser)
	h.core.Render(w, r, http.StatusOK, "block", v)
}

// block serves POST /t/{tenant}/redeem/block.
func (h *Handler) block(w http.ResponseWriter, r *http.Request) {
	t, hash, _, ok := h.postedLink(w, r, "block\x00")
	if !ok {
		return
	}
	if _, err := h.dir.BlockInvitations(r.Context(), t, hash); err != nil {
		h.redeemFailed(w, r, t, "block invitations", err)
		return
	}
	h.core.Message(w, r, t, "Invitations blocked", "You will not receive more invitations from "+t.DisplayName+".")
}

// maskEmail shows enough of an address for its owner to recognise it, and
// at most its first character to anyone else holding the link:
// b***@fabrikam.example. The domain is the part after the last '@'; the
// first character is a whole rune, never half of one.
func maskEmail(email string) string {
	at := strings.LastIndexByte(email, '@')
	if at < 0 {
		return ""
	}
	first := ""
	if r, size := utf8.DecodeRuneInString(email[:at]); r != utf8.RuneError {
		first = email[:size]
	}
	return first + "***@" + email[at+1:]
}

// Proven goes on from a redemption's trip upstream: it records what the
// guest proved there, if the directory's binding rules admit it, and
// sends the browser to the review page.
func (h *Handler) Proven(w http.ResponseWriter, r *http.Request, t store.Tenant, redemptionID string, proof directory.Proof) {
	red, ok := h.redemption(w, r, t, redemptionID)
	if !ok {
		return
	}
	open, ok := h.openInvitation(w, r, t, red.TokenHash)
	if !ok {
		return
	}
	if err := h.dir.Prove(r.Context(), t, red, open.Invitation, proof); err != nil {
		h.refusedIdentity(w, r, t, open.Invitation, "record proven identity", err)
		return
	}
	h.core.SeeOther(w, r, h.core.TenantURL(t, "/redeem/consent?id="+red.ID))
}
