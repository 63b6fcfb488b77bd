package signin

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/foyer-idp/foyer/federation/passcode"
	"github.com/foyer-idp/foyer/idp/tenancy"
	"github.com/foyer-idp/foyer/internal/directory"
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

// Redeemer is what redemption needs of the directory;
// *directory.Directory is one.
type Redeemer interface {
	RedeemTokenHash(token string) string
	OpenInvitation(ctx context.Context, t store.Tenant, hash string) (directory.Redeemable, error)
	Redeem(ctx context.Context, t store.Tenant, hash string, id directory.ProvenIdentity) (store.User, string, error)
	BlockInvitations(ctx context.Context, t store.Tenant, hash string) (string, error)
	// The redemption transactions, which the directory keeps and whose
	// binding rules it decides (Prove).
	BeginRedemption(ctx context.Context, open directory.Redeemable, hash, binding string, lifetime time.Duration) (store.Redemption, error)
	Redemption(ctx context.Context, tenantID, id string) (store.Redemption, error)
	Prove(ctx context.Context, t store.Tenant, red store.Redemption, inv store.Invitation, p directory.Proof) error
	Accept(ctx context.Context, t store.Tenant, red store.Redemption) (store.User, string, error)
	EndRedemption(ctx context.Context, tenantID, id string) error
	RefuseRedemption(ctx context.Context, t store.Tenant, inv store.Invitation, reason string) error
	// InvitationRedirect answers an accepted invitation's redirect while
	// it still belongs to one of the tenant's apps, else "".
	InvitationRedirect(ctx context.Context, t store.Tenant, invitationID string) (string, error)
}

// Passcodes sends and checks email one-time passcodes;
// *passcode.Service is one.
type Passcodes interface {
	Send(ctx context.Context, r passcode.Request) error
	Verify(ctx context.Context, tenantID, subject, code, binding string) error
}

// AMRPasscode is the authentication method of an email one-time passcode
// (RFC 8176 "otp", as ZITADEL names its email codes).
const AMRPasscode = "otp"

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
func (f *Flow) redeemCSRF(subject, browser string) string {
	return f.CSRFToken("redeem\x00"+subject, browser)
}

// ParseForm bounds and reads a POST body; on failure it has answered.
func (f *Flow) ParseForm(w http.ResponseWriter, r *http.Request) bool {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		t, _ := tenancy.From(r.Context())
		f.ErrorPage(w, r, t, http.StatusBadRequest, "Request refused", "The form could not be read.")
		return false
	}
	return true
}

// RefusedCSRF shows the error page for a form token that does not match.
func (f *Flow) RefusedCSRF(w http.ResponseWriter, r *http.Request, t store.Tenant) {
	f.ErrorPage(w, r, t, http.StatusForbidden, "Request refused",
		"The form had expired or did not come from this site. Open the invitation link again.")
}

// openInvitation answers the open invitation a redeem token names. On
// failure it has answered with the reason.
func (f *Flow) openInvitation(w http.ResponseWriter, r *http.Request, t store.Tenant, hash string) (directory.Redeemable, bool) {
	open, err := f.redeemer.OpenInvitation(r.Context(), t, hash)
	if err != nil {
		f.redeemFailed(w, r, t, "open invitation", err)
		return directory.Redeemable{}, false
	}
	return open, true
}

// redeemFailed shows why redemption cannot go on.
func (f *Flow) redeemFailed(w http.ResponseWriter, r *http.Request, t store.Tenant, doing string, err error) {
	var re *directory.RedeemError
	if !errors.As(err, &re) {
		f.Unavailable(w, r, t, doing, err)
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
	var next *NextStep
	if re.SignInURL != "" {
		next = &NextStep{URL: re.SignInURL, Text: "Sign in to the application"}
	}
	f.ErrorPageNext(w, r, t, status, title, re.Reason, next)
}

// refusedIdentity shows why the directory refused the identity proven for
// inv, or, for any other error, why redemption cannot go on.
func (f *Flow) refusedIdentity(w http.ResponseWriter, r *http.Request, t store.Tenant, inv store.Invitation, doing string, err error) {
	switch {
	case errors.Is(err, directory.ErrNotInvitedAccount):
		f.ErrorPage(w, r, t, http.StatusForbidden, "Not the invited account",
			"You signed in with an account that does not prove "+maskEmail(inv.Email)+
				", the address this invitation was sent to. Sign in with that account, or choose another way on the invitation page.")
	case errors.Is(err, directory.ErrIdentityInUse):
		f.ErrorPage(w, r, t, http.StatusConflict, "Account already in use",
			"This account already signs in another user of "+t.DisplayName+".")
	default:
		f.redeemFailed(w, r, t, doing, err)
	}
}

// redeemRefused records a failed redemption step (a wrong code, a dead
// link posted). Best effort, like sign-in events.
func (f *Flow) redeemRefused(ctx context.Context, t store.Tenant, inv store.Invitation, reason string) {
	if err := f.redeemer.RefuseRedemption(ctx, t, inv, reason); err != nil {
		f.logger.WarnContext(ctx, "record redemption event", "tenant", t.Slug, "err", err)
	}
}

func (f *Flow) redeemView(t store.Tenant, title string, open directory.Redeemable) View {
	v := Branded(t, title)
	v.Inviter = open.InviterName
	v.Email = maskEmail(open.Invitation.Email)
	return v
}

// redeemPage serves GET /t/{tenant}/redeem?token=….
func (f *Flow) redeemPage(w http.ResponseWriter, r *http.Request) {
	t, _ := tenancy.From(r.Context())
	hash := f.redeemer.RedeemTokenHash(r.URL.Query().Get("token"))
	open, ok := f.openInvitation(w, r, t, hash)
	if !ok {
		return
	}
	ways, err := f.redeemWays(r.Context(), t, open.Invitation.Email)
	if err != nil {
		f.Unavailable(w, r, t, "list ways to redeem", err)
		return
	}
	browser, _ := f.Browser(w, r)
	v := f.redeemView(t, "Accept invitation", open)
	v.Ways = ways
	v.Action = f.TenantURL(t, "/redeem")
	v.Hidden = map[string]string{"token": r.URL.Query().Get("token")}
	v.CSRF = f.redeemCSRF(hash, browser)
	f.Render(w, r, http.StatusOK, "redeem", v)
}

// redeemBegin serves POST /t/{tenant}/redeem: the guest chose the email
// passcode. It starts a transaction bound to this browser and sends a
// code to the invited address, never to one the browser names.
func (f *Flow) redeemBegin(w http.ResponseWriter, r *http.Request) {
	if !f.ParseForm(w, r) {
		return
	}
	t, _ := tenancy.From(r.Context())
	hash := f.redeemer.RedeemTokenHash(r.PostFormValue("token"))
	browser, ok := f.BrowserValue(r)
	if !ok || !equalStrings(r.PostFormValue("csrf_token"), f.redeemCSRF(hash, browser)) {
		f.RefusedCSRF(w, r, t)
		return
	}
	open, err := f.redeemer.OpenInvitation(r.Context(), t, hash)
	if err != nil {
		if re := (*directory.RedeemError)(nil); errors.As(err, &re) {
			f.redeemRefused(r.Context(), t, store.Invitation{}, re.Reason)
		}
		f.redeemFailed(w, r, t, "open invitation", err)
		return
	}
	method := r.PostFormValue("method")
	ways, err := f.redeemWays(r.Context(), t, open.Invitation.Email)
	if err != nil {
		f.Unavailable(w, r, t, "list ways to redeem", err)
		return
	}
	if !slices.ContainsFunc(ways, func(w Way) bool { return w.Method == method }) {
		f.ErrorPage(w, r, t, http.StatusBadRequest, "Sign-in method unavailable",
			"This way to accept the invitation is not offered. Open the invitation link again and choose one of its buttons.")
		return
	}
	red, err := f.redeemer.BeginRedemption(r.Context(), open, hash, f.Binding(browser), f.loginLifetime)
	if err != nil {
		f.Unavailable(w, r, t, "create redemption", err)
		return
	}
	if method != methodPasscode {
		p, err := f.provider(r.Context(), t, method)
		if err != nil {
			f.Unavailable(w, r, t, "load identity provider", err)
			return
		}
		f.GoUpstream(w, r, UpstreamTrip{Tenant: t, Provider: p, Binding: red.BrowserBinding, RedemptionID: red.ID,
			LoginHint: open.Invitation.Email})
		return
	}
	if !f.sendRedeemCode(w, r, t, red, open) {
		return
	}
	f.SeeOther(w, r, f.TenantURL(t, "/redeem/verify?id="+red.ID))
}

// sendRedeemCode sends a code for the invitation to its address; on
// failure it has answered.
func (f *Flow) sendRedeemCode(w http.ResponseWriter, r *http.Request, t store.Tenant, red store.Redemption, open directory.Redeemable) bool {
	err := f.passcodes.Send(r.Context(), passcode.Request{Tenant: t, Subject: invitationSubject(red.InvitationID),
		Email: open.Invitation.Email, Binding: red.BrowserBinding, Language: open.Invitation.MessageLanguage})
	if errors.Is(err, passcode.ErrTooManySends) {
		w.Header().Set("Retry-After", "3600")
		f.ErrorPage(w, r, t, http.StatusTooManyRequests, "Too many codes",
			"Too many codes were sent for this invitation. Use the last one you received, or try again in an hour.")
		return false
	}
	if err != nil {
		f.Unavailable(w, r, t, "send passcode", err)
		return false
	}
	return true
}

// loadRedemption answers the redemption a page names, checking that this
// Browser began it and that its invitation is still open with the same
// link. On failure it has answered.
func (f *Flow) loadRedemption(w http.ResponseWriter, r *http.Request) (redemption, bool) {
	t, _ := tenancy.From(r.Context())
	red, err := f.redeemer.Redemption(r.Context(), t.ID, r.FormValue("id"))
	if errors.Is(err, store.ErrNotFound) {
		f.ErrorPage(w, r, t, http.StatusBadRequest, "Invitation page expired",
			"This page has expired. Open the invitation link from your email again.")
		return redemption{}, false
	}
	if err != nil {
		f.Unavailable(w, r, t, "load redemption", err)
		return redemption{}, false
	}
	browser, ok := f.BrowserValue(r)
	if !ok || !secret.EqualHashes(f.Binding(browser), red.BrowserBinding) {
		f.ErrorPage(w, r, t, http.StatusBadRequest, "Started in another browser",
			"Finish accepting the invitation in the browser where you opened it, or open the invitation link here.")
		return redemption{}, false
	}
	open, ok := f.openInvitation(w, r, t, red.TokenHash)
	if !ok {
		return redemption{}, false
	}
	return redemption{tenant: t, r: red, open: open, browser: browser}, true
}

func (f *Flow) verifyView(x redemption, message string) View {
	v := f.redeemView(x.tenant, "Enter code", x.open)
	v.Action = f.TenantURL(x.tenant, "/redeem/verify")
	v.RequestID = x.r.ID
	v.CSRF = f.redeemCSRF(x.r.ID, x.browser)
	v.Error = message
	return v
}

// redeemVerifyPage serves GET /t/{tenant}/redeem/verify?id=….
func (f *Flow) redeemVerifyPage(w http.ResponseWriter, r *http.Request) {
	x, ok := f.loadRedemption(w, r)
	if !ok {
		return
	}
	f.Render(w, r, http.StatusOK, "passcode", f.verifyView(x, ""))
}

// Messages of the code page.
const (
	msgWrongCode = "That code is not right. Check the latest email and try again."
	msgNoCode    = "That code no longer works. Ask for a new one."
	msgResent    = "We sent a new code. Only the newest code works."
)

// redeemVerify serves POST /t/{tenant}/redeem/verify: check the code, or
// send another.
func (f *Flow) redeemVerify(w http.ResponseWriter, r *http.Request) {
	if !f.ParseForm(w, r) {
		return
	}
	x, ok := f.loadRedemption(w, r)
	if !ok {
		return
	}
	if !equalStrings(r.PostFormValue("csrf_token"), f.redeemCSRF(x.r.ID, x.browser)) {
		f.RefusedCSRF(w, r, x.tenant)
		return
	}
	if r.PostFormValue("action") == "resend" {
		if f.sendRedeemCode(w, r, x.tenant, x.r, x.open) {
			f.Render(w, r, http.StatusOK, "passcode", f.verifyView(x, msgResent))
		}
		return
	}
	err := f.passcodes.Verify(r.Context(), x.tenant.ID, invitationSubject(x.r.InvitationID), r.PostFormValue("code"), x.r.BrowserBinding)
	switch {
	case errors.Is(err, passcode.ErrWrongCode):
		f.redeemRefused(r.Context(), x.tenant, x.open.Invitation, "wrong one-time passcode")
		f.Render(w, r, http.StatusUnauthorized, "passcode", f.verifyView(x, msgWrongCode))
		return
	case errors.Is(err, passcode.ErrNoCode):
		f.redeemRefused(r.Context(), x.tenant, x.open.Invitation, "no live one-time passcode (expired, used or voided)")
		f.Render(w, r, http.StatusUnauthorized, "passcode", f.verifyView(x, msgNoCode))
		return
	case err != nil:
		f.Unavailable(w, r, x.tenant, "verify passcode", err)
		return
	}
	inv := x.open.Invitation
	if err := f.redeemer.Prove(r.Context(), x.tenant, x.r, inv, directory.Proof{AMR: []string{AMRPasscode},
		ProvenIdentity: directory.ProvenIdentity{Email: inv.Email, EmailVerified: true, // the code reached it
			Identity: store.Identity{SignInType: store.SignInTypeEmail, Issuer: directory.IssuerMail, IssuerAssignedID: inv.Email}}}); err != nil {
		f.refusedIdentity(w, r, x.tenant, inv, "record proven identity", err)
		return
	}
	f.SeeOther(w, r, f.TenantURL(x.tenant, "/redeem/consent?id="+x.r.ID))
}

// provenRedemption is loadRedemption for the consent step: the guest must
// have proven an identity in this transaction first.
func (f *Flow) provenRedemption(w http.ResponseWriter, r *http.Request) (redemption, bool) {
	x, ok := f.loadRedemption(w, r)
	if ok && x.r.Identity.IssuerAssignedID == "" {
		f.ErrorPage(w, r, x.tenant, http.StatusBadRequest, "Verify your email first",
			"Open the invitation link again and confirm your email address before accepting.")
		return redemption{}, false
	}
	return x, ok
}

func (f *Flow) redeemConsentView(x redemption) View {
	v := f.redeemView(x.tenant, "Review permissions", x.open)
	v.Action = f.TenantURL(x.tenant, "/redeem/consent")
	v.RequestID = x.r.ID
	v.CSRF = f.redeemCSRF(x.r.ID, x.browser)
	v.Email = x.r.IdentityEmail
	return v
}

// redeemConsentPage serves GET /t/{tenant}/redeem/consent?id=….
func (f *Flow) redeemConsentPage(w http.ResponseWriter, r *http.Request) {
	x, ok := f.provenRedemption(w, r)
	if !ok {
		return
	}
	f.Render(w, r, http.StatusOK, "redeemconsent", f.redeemConsentView(x))
}

// redeemConsent serves POST /t/{tenant}/redeem/consent. Accepting redeems
// the invitation (one browser wins a race), signs the guest in at the
// tenant and sends them to the invitation's redirect URL.
func (f *Flow) redeemConsent(w http.ResponseWriter, r *http.Request) {
	if !f.ParseForm(w, r) {
		return
	}
	x, ok := f.provenRedemption(w, r)
	if !ok {
		return
	}
	if !equalStrings(r.PostFormValue("csrf_token"), f.redeemCSRF(x.r.ID, x.browser)) {
		f.RefusedCSRF(w, r, x.tenant)
		return
	}
	ctx := r.Context()
	switch r.PostFormValue("decision") {
	case "accept":
	case "decline":
		if err := f.redeemer.EndRedemption(ctx, x.tenant.ID, x.r.ID); err != nil {
			f.Unavailable(w, r, x.tenant, "delete redemption", err)
			return
		}
		v := Branded(x.tenant, "Invitation not accepted")
		v.Error = "You did not accept the invitation. You can accept it later from the same email while it is valid."
		f.Render(w, r, http.StatusOK, "message", v)
		return
	default:
		f.Render(w, r, http.StatusBadRequest, "redeemconsent", f.redeemConsentView(x))
		return
	}
	guest, redirect, err := f.redeemer.Accept(ctx, x.tenant, x.r)
	if err != nil {
		f.refusedIdentity(w, r, x.tenant, x.open.Invitation, "redeem invitation", err)
		return
	}
	if _, err := f.StartSession(w, r, x.tenant, guest, x.r.AMR, x.r.Upstream); err != nil {
		f.Unavailable(w, r, x.tenant, "start session", err)
		return
	}
	if NeedsMFA(x.tenant, store.Application{}, guest, x.r.AMR, nil) {
		// Redeemed; the landing waits for the second factor.
		f.toMFA(w, r, x.tenant, "redemption="+x.r.ID)
		return
	}
	if err := f.redeemer.EndRedemption(ctx, x.tenant.ID, x.r.ID); err != nil {
		f.logger.WarnContext(ctx, "delete redemption", "tenant", x.tenant.Slug, "err", err)
	}
	if redirect == "" {
		redirect = f.TenantURL(x.tenant, SecurityInfoPath)
	}
	f.SeeOther(w, r, redirect)
}

// blockPage serves GET /t/{tenant}/redeem/block?token=…: a confirmation,
// because a scanner following the link must not block anything.
func (f *Flow) blockPage(w http.ResponseWriter, r *http.Request) {
	t, _ := tenancy.From(r.Context())
	token := r.URL.Query().Get("token")
	browser, _ := f.Browser(w, r)
	v := Branded(t, "Block invitations")
	v.Action = f.TenantURL(t, "/redeem/block")
	v.Hidden = map[string]string{"token": token}
	v.CSRF = f.redeemCSRF("block\x00"+f.redeemer.RedeemTokenHash(token), browser)
	f.Render(w, r, http.StatusOK, "block", v)
}

// block serves POST /t/{tenant}/redeem/block.
func (f *Flow) block(w http.ResponseWriter, r *http.Request) {
	if !f.ParseForm(w, r) {
		return
	}
	t, _ := tenancy.From(r.Context())
	hash := f.redeemer.RedeemTokenHash(r.PostFormValue("token"))
	browser, ok := f.BrowserValue(r)
	if !ok || !equalStrings(r.PostFormValue("csrf_token"), f.redeemCSRF("block\x00"+hash, browser)) {
		f.RefusedCSRF(w, r, t)
		return
	}
	if _, err := f.redeemer.BlockInvitations(r.Context(), t, hash); err != nil {
		f.redeemFailed(w, r, t, "block invitations", err)
		return
	}
	v := Branded(t, "Invitations blocked")
	v.Error = "You will not receive more invitations from " + t.DisplayName + "."
	f.Render(w, r, http.StatusOK, "message", v)
}

// SeeOther redirects after a POST with 303, so a reload does not post
// again.
func (f *Flow) SeeOther(w http.ResponseWriter, r *http.Request, to string) {
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, to, http.StatusSeeOther)
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
