package signin

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"time"

	"github.com/foyer-idp/foyer/idp/tenancy"
	"github.com/foyer-idp/foyer/internal/mfa"
	"github.com/foyer-idp/foyer/internal/secret"
	"github.com/foyer-idp/foyer/internal/store"
)

// The second factor is a step of every sign-in: after the first factor
// (password, passcode, upstream) and at redemption, a user whom policy
// requires to use MFA enrols an authenticator or types its code before
// any code is issued or any landing page is reached. Only a session whose
// amr says mfa passes; the step cannot be skipped by URL because the
// transaction is marked done only here, and the provider checks again.

// MFA enrols and verifies second factors; *mfa.Service is one.
type MFA interface {
	// Enrolment answers the user's pending enrolment, making one when
	// there is none, so a page shown twice shows the same secret.
	Enrolment(ctx context.Context, t store.Tenant, u store.User) (mfa.Enrolment, error)
	ConfirmEnrolment(ctx context.Context, t store.Tenant, u store.User, code string) ([]string, error)
	Verify(ctx context.Context, t store.Tenant, userID, code string) (string, error)
	Status(ctx context.Context, tenantID, userID string) (mfa.Status, error)
	RegenerateRecoveryCodes(ctx context.Context, t store.Tenant, u store.User) ([]string, error)
}

// Landings ends the redemptions whose landing waited for a second
// factor; *directory.Directory is one.
type Landings interface {
	Redemption(ctx context.Context, tenantID, id string) (store.Redemption, error)
	EndRedemption(ctx context.Context, tenantID, id string) error
	// InvitationRedirect answers an accepted invitation's redirect while
	// it still belongs to one of the tenant's apps, else "".
	InvitationRedirect(ctx context.Context, t store.Tenant, invitationID string) (string, error)
}

// SecondFactorConfig is what the second-factor step needs.
type SecondFactorConfig struct {
	Core     *Core
	MFA      MFA
	Landings Landings
}

// SecondFactor is the second-factor step: enrol an authenticator or type
// its code, after a first factor or at a redemption's landing.
type SecondFactor struct {
	*Core
	mfa      MFA
	landings Landings
}

// NewSecondFactor checks that cfg has every dependency.
func NewSecondFactor(cfg SecondFactorConfig) (*SecondFactor, error) {
	if cfg.Core == nil || cfg.MFA == nil || cfg.Landings == nil {
		return nil, errors.New("signin: SecondFactor needs a Core, MFA and Landings")
	}
	return &SecondFactor{Core: cfg.Core, mfa: cfg.MFA, landings: cfg.Landings}, nil
}

// Mount registers the second-factor page on mux behind wrap, which must
// put the tenant in the request context (tenancy.Gate).
func (p *SecondFactor) Mount(mux *http.ServeMux, wrap func(http.Handler) http.Handler) {
	mux.Handle("GET /t/{tenant}/mfa", wrap(http.HandlerFunc(p.mfaPage)))
	mux.Handle("POST /t/{tenant}/mfa", wrap(p.Protect(http.HandlerFunc(p.mfaSubmit))))
}

// mfaStep is a second-factor page's context: the user who passed a first
// factor in this browser's session, and what to go on to — a login
// transaction, or a redemption landing on its redirect.
type mfaStep struct {
	tenant     store.Tenant
	user       store.User
	session    store.Session
	browser    string
	tx         *transaction
	redemption *store.Redemption
}

// ref answers the query naming the step's transaction.
func (s mfaStep) ref() string {
	if s.tx != nil {
		return "id=" + s.tx.req.ID
	}
	return "redemption=" + s.redemption.ID
}

// outcome is the step's sign-in attempt with the second factor tried.
func (s mfaStep) outcome(second string) attemptOutcome {
	o := attemptOutcome{tenant: s.tenant, user: s.user, upstream: s.session.Upstream.ProviderID, multiFactor: true,
		methods: append(methodsOf(s.session.AMR), second)}
	if s.tx != nil {
		o.app = s.tx.app
	}
	return o
}

// mfaFailure is the step's failed attempt for a refused code: a lock
// counts as throttling, anything else as a failed second factor.
func (s mfaStep) mfaFailure(err error, reason string) attemptOutcome {
	o := s.outcome(MethodTOTP)
	o.code, o.reason, o.result = CodeMFAFailed, reason, resultFailure
	var locked *mfa.LockedError
	if errors.As(err, &locked) {
		o.code, o.result = CodeThrottled, resultThrottled
	}
	return o
}

func (s mfaStep) csrfSubject() string { return "mfa\x00" + s.ref() + "\x00" + s.session.ID }

// loadMFAStep loads the step a page names, checking the browser and the
// session. On failure it has answered.
func (p *SecondFactor) loadMFAStep(w http.ResponseWriter, r *http.Request) (mfaStep, bool) {
	if r.FormValue("redemption") != "" {
		return p.loadRedemptionMFA(w, r)
	}
	tx, user, ok := p.signedInTx(w, r)
	if !ok {
		return mfaStep{}, false
	}
	sess, _, _, err := p.currentSession(r, tx.tenant)
	if err != nil {
		p.Unavailable(w, r, tx.tenant, "load session", err)
		return mfaStep{}, false
	}
	return mfaStep{tenant: tx.tenant, user: user, session: sess, browser: tx.browser, tx: &tx}, true
}

// loadRedemptionMFA loads a redeemed invitation's step: its redemption,
// still bound to this browser, whose guest this browser's session is.
func (p *SecondFactor) loadRedemptionMFA(w http.ResponseWriter, r *http.Request) (mfaStep, bool) {
	t, _ := tenancy.From(r.Context())
	red, err := p.landings.Redemption(r.Context(), t.ID, r.FormValue("redemption"))
	browser, hasBrowser := p.BrowserValue(r)
	switch {
	case errors.Is(err, store.ErrNotFound):
		p.ErrorPage(w, r, t, http.StatusBadRequest, "Page expired", "This page has expired. Sign in to the application instead.")
		return mfaStep{}, false
	case err != nil:
		p.Unavailable(w, r, t, "load redemption", err)
		return mfaStep{}, false
	case !hasBrowser || !secret.EqualHashes(p.Binding(browser), red.BrowserBinding):
		p.ErrorPage(w, r, t, http.StatusBadRequest, "Started in another browser", "Finish in the browser where you started.")
		return mfaStep{}, false
	}
	sess, user, signedIn, err := p.currentSession(r, t)
	if err != nil {
		p.Unavailable(w, r, t, "load session", err)
		return mfaStep{}, false
	}
	inv, err := p.store.GetInvitation(r.Context(), t.ID, red.InvitationID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		p.Unavailable(w, r, t, "load invitation", err)
		return mfaStep{}, false
	}
	if !signedIn || err != nil || user.ID != inv.InvitedUserID || inv.Status != store.InvitationAccepted {
		p.ErrorPage(w, r, t, http.StatusBadRequest, "Sign in again", "Your session changed. Sign in to the application instead.")
		return mfaStep{}, false
	}
	return mfaStep{tenant: t, user: user, session: sess, browser: browser, redemption: &red}, true
}

// mfaView is the enrolment or verification page of a step.
func (p *SecondFactor) mfaView(s mfaStep, title, message string) View {
	v := Branded(s.tenant, title)
	v.Action = p.TenantURL(s.tenant, "/mfa")
	v.CSRF = p.CSRFToken(s.csrfSubject(), s.browser)
	v.Email = s.user.Mail
	if s.tx != nil {
		v.Hidden = map[string]string{"id": s.tx.req.ID}
		v.AppName = s.tx.app.DisplayName
	} else {
		v.Hidden = map[string]string{"redemption": s.redemption.ID}
	}
	v.Error = message
	return v
}

// mfaPage serves GET /t/{tenant}/mfa: enrol an authenticator, or type its
// code.
func (p *SecondFactor) mfaPage(w http.ResponseWriter, r *http.Request) {
	s, ok := p.loadMFAStep(w, r)
	if !ok {
		return
	}
	p.showMFA(w, r, s, http.StatusOK, "")
}

func (p *SecondFactor) showMFA(w http.ResponseWriter, r *http.Request, s mfaStep, status int, message string) {
	st, err := p.mfa.Status(r.Context(), s.tenant.ID, s.user.ID)
	if err != nil {
		p.Unavailable(w, r, s.tenant, "load security info", err)
		return
	}
	if st.Registered {
		p.Render(w, r, status, "mfaverify", p.mfaView(s, "Verify your identity", message))
		return
	}
	p.showEnrolment(w, r, s, status, message)
}

func (p *SecondFactor) showEnrolment(w http.ResponseWriter, r *http.Request, s mfaStep, status int, message string) {
	e, err := p.mfa.Enrolment(r.Context(), s.tenant, s.user)
	if err != nil {
		p.Unavailable(w, r, s.tenant, "begin enrolment", err)
		return
	}
	v := p.mfaView(s, "Set up your authenticator app", message)
	v.Enrolment = enrolmentView(e)
	p.Render(w, r, status, "mfaenrol", v)
}

// enrolmentView is what the enrolment page shows of a new secret.
type enrolmentViewData struct {
	Secret string
	URI    string
	// QRCode is a data: URL of the PNG, allowed by the pages' CSP.
	QRCode template.URL
}

func enrolmentView(e mfa.Enrolment) *enrolmentViewData {
	return &enrolmentViewData{Secret: e.Secret, URI: e.URI,
		QRCode: template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(e.QRCode))}
}

// mfaSubmit serves POST /t/{tenant}/mfa: confirm an enrolment or check a
// code, then go on.
func (p *SecondFactor) mfaSubmit(w http.ResponseWriter, r *http.Request) {
	if !p.ParseForm(w, r) {
		return
	}
	s, ok := p.loadMFAStep(w, r)
	if !ok {
		return
	}
	if !equalStrings(r.PostFormValue("csrf_token"), p.CSRFToken(s.csrfSubject(), s.browser)) {
		p.RefusedCSRF(w, r, s.tenant)
		return
	}
	ctx := r.Context()
	code := r.PostFormValue("code")
	if r.PostFormValue("action") == "enrol" {
		codes, err := p.mfa.ConfirmEnrolment(ctx, s.tenant, s.user, code)
		if msg, ok := mfaMessage(err); ok {
			p.recordSignIn(ctx, s.mfaFailure(err, "authenticator enrolment: "+msg))
			p.showEnrolment(w, r, s, http.StatusUnauthorized, msg)
			return
		}
		if err != nil {
			p.Unavailable(w, r, s.tenant, "confirm enrolment", err)
			return
		}
		next, ok := p.passMFA(w, r, s, mfa.MethodTOTP)
		if !ok {
			return
		}
		p.showRecoveryCodes(w, r, s.tenant, codes, next)
		return
	}
	method, err := p.mfa.Verify(ctx, s.tenant, s.user.ID, code)
	if msg, ok := mfaMessage(err); ok {
		p.recordSignIn(ctx, s.mfaFailure(err, "second factor: "+msg))
		p.Render(w, r, http.StatusUnauthorized, "mfaverify", p.mfaView(s, "Verify your identity", msg))
		return
	}
	if err != nil {
		p.Unavailable(w, r, s.tenant, "verify code", err)
		return
	}
	if next, ok := p.passMFA(w, r, s, method); ok {
		p.SeeOther(w, r, next)
	}
}

// mfaMessage answers what to tell a person about a refused code, and
// false for errors that are not about the code.
func mfaMessage(err error) (string, bool) {
	var locked *mfa.LockedError
	var wait *mfa.WaitError
	switch {
	case errors.As(err, &locked):
		return fmt.Sprintf("Too many wrong codes. Try again after %s UTC, or ask an administrator.", locked.Until.UTC().Format("15:04")), true
	case errors.As(err, &wait):
		return fmt.Sprintf("Wait %d seconds before the next try.", int(wait.Wait.Round(time.Second)/time.Second)+1), true
	case errors.Is(err, mfa.ErrReplayed):
		return "That code was used already. Wait for the next one.", true
	case errors.Is(err, mfa.ErrWrongCode):
		return "That code is not right. Check the time on your device and try again.", true
	case errors.Is(err, mfa.ErrNotEnrolled):
		return "No authenticator is registered. Start again from the application.", true
	}
	return "", false
}

// passMFA records the second factor: a new session (a new cookie) whose
// amr adds otp and mfa, the transaction updated, and answers where to go
// on. On failure it has answered.
func (p *SecondFactor) passMFA(w http.ResponseWriter, r *http.Request, s mfaStep, method string) (string, bool) {
	ctx := r.Context()
	sess, err := p.StartSession(w, r, s.tenant, s.user, mfa.WithMFA(s.session.AMR), s.session.Upstream)
	if err != nil {
		p.Unavailable(w, r, s.tenant, "start session", err)
		return "", false
	}
	done := s.outcome(secondFactorMethod(method))
	done.result = resultSuccess
	if s.tx != nil {
		done.key = s.tx.req.ID
	}
	p.recordSignIn(ctx, done)
	if s.redemption != nil {
		return p.redemptionLanding(w, r, s.tenant, *s.redemption)
	}
	req := s.tx.req
	req.SessionID, req.AMR = sess.ID, sess.AMR
	authTime := sess.AuthTime
	req.AuthTime = &authTime
	needConsent, err := p.needsConsent(ctx, s.tx.app, s.user.ID, req)
	if err != nil {
		p.Unavailable(w, r, s.tenant, "load consent", err)
		return "", false
	}
	if !needConsent {
		req.ConsentGiven, req.Done = true, true
	}
	if err := p.store.UpdateAuthRequest(ctx, req); err != nil {
		p.Unavailable(w, r, s.tenant, "update login transaction", err)
		return "", false
	}
	if needConsent {
		return p.TenantURL(s.tenant, "/consent?id="+req.ID), true
	}
	return p.TenantURL(s.tenant, CallbackPath+"?id="+req.ID), true
}

// redemptionLanding ends a redemption: the transaction goes, and the
// guest lands on the invitation's redirect while it still belongs to one
// of the tenant's apps (else on their security info page).
func (p *SecondFactor) redemptionLanding(w http.ResponseWriter, r *http.Request, t store.Tenant, red store.Redemption) (string, bool) {
	ctx := r.Context()
	if err := p.landings.EndRedemption(ctx, t.ID, red.ID); err != nil {
		p.logger.WarnContext(ctx, "delete redemption", "tenant", t.Slug, "err", err)
	}
	to, err := p.landings.InvitationRedirect(ctx, t, red.InvitationID)
	if err != nil {
		p.Unavailable(w, r, t, "load invitation", err)
		return "", false
	}
	if to == "" {
		to = p.TenantURL(t, SecurityInfoPath)
	}
	return to, true
}
