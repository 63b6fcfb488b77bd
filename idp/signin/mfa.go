package signin

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
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

// ACRSingleFactor, ACRMultiFactor, ACR and NeedsMFA are internal/mfa's,
// kept here for the provider.
const (
	ACRSingleFactor = mfa.ACRSingleFactor
	ACRMultiFactor  = mfa.ACRMultiFactor
)

// ACR is mfa.ACR.
func ACR(amr []string) string { return mfa.ACR(amr) }

// NeedsMFA is mfa.NeedsMFA.
func NeedsMFA(t store.Tenant, app store.Application, u store.User, amr, acrValues []string) bool {
	return mfa.NeedsMFA(t, app, u, amr, acrValues)
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

func (s mfaStep) csrfSubject() string { return "mfa\x00" + s.ref() + "\x00" + s.session.ID }

// toMFA sends the browser to the second-factor step of a transaction.
func (f *Flow) toMFA(w http.ResponseWriter, r *http.Request, t store.Tenant, query string) {
	f.SeeOther(w, r, f.TenantURL(t, "/mfa?"+query))
}

// loadMFAStep loads the step a page names, checking the browser and the
// session. On failure it has answered.
func (f *Flow) loadMFAStep(w http.ResponseWriter, r *http.Request) (mfaStep, bool) {
	if r.FormValue("redemption") != "" {
		return f.loadRedemptionMFA(w, r)
	}
	tx, user, ok := f.signedInTx(w, r)
	if !ok {
		return mfaStep{}, false
	}
	sess, _, _, err := f.currentSession(r, tx.tenant)
	if err != nil {
		f.Unavailable(w, r, tx.tenant, "load session", err)
		return mfaStep{}, false
	}
	return mfaStep{tenant: tx.tenant, user: user, session: sess, browser: tx.browser, tx: &tx}, true
}

// loadRedemptionMFA loads a redeemed invitation's step: its redemption,
// still bound to this browser, whose guest this browser's session is.
func (f *Flow) loadRedemptionMFA(w http.ResponseWriter, r *http.Request) (mfaStep, bool) {
	t, _ := tenancy.From(r.Context())
	red, err := f.dir.Redemption(r.Context(), t.ID, r.FormValue("redemption"))
	browser, hasBrowser := f.BrowserValue(r)
	switch {
	case errors.Is(err, store.ErrNotFound):
		f.ErrorPage(w, r, t, http.StatusBadRequest, "Page expired", "This page has expired. Sign in to the application instead.")
		return mfaStep{}, false
	case err != nil:
		f.Unavailable(w, r, t, "load redemption", err)
		return mfaStep{}, false
	case !hasBrowser || !secret.EqualHashes(f.Binding(browser), red.BrowserBinding):
		f.ErrorPage(w, r, t, http.StatusBadRequest, "Started in another browser", "Finish in the browser where you started.")
		return mfaStep{}, false
	}
	sess, user, signedIn, err := f.currentSession(r, t)
	if err != nil {
		f.Unavailable(w, r, t, "load session", err)
		return mfaStep{}, false
	}
	inv, err := f.store.GetInvitation(r.Context(), t.ID, red.InvitationID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		f.Unavailable(w, r, t, "load invitation", err)
		return mfaStep{}, false
	}
	if !signedIn || err != nil || user.ID != inv.InvitedUserID || inv.Status != store.InvitationAccepted {
		f.ErrorPage(w, r, t, http.StatusBadRequest, "Sign in again", "Your session changed. Sign in to the application instead.")
		return mfaStep{}, false
	}
	return mfaStep{tenant: t, user: user, session: sess, browser: browser, redemption: &red}, true
}

// mfaView is the enrolment or verification page of a step.
func (f *Flow) mfaView(s mfaStep, title, message string) View {
	v := Branded(s.tenant, title)
	v.Action = f.TenantURL(s.tenant, "/mfa")
	v.CSRF = f.CSRFToken(s.csrfSubject(), s.browser)
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
func (f *Flow) mfaPage(w http.ResponseWriter, r *http.Request) {
	s, ok := f.loadMFAStep(w, r)
	if !ok {
		return
	}
	f.showMFA(w, r, s, http.StatusOK, "")
}

func (f *Flow) showMFA(w http.ResponseWriter, r *http.Request, s mfaStep, status int, message string) {
	st, err := f.mfa.Status(r.Context(), s.tenant.ID, s.user.ID)
	if err != nil {
		f.Unavailable(w, r, s.tenant, "load security info", err)
		return
	}
	if st.Registered {
		f.Render(w, r, status, "mfaverify", f.mfaView(s, "Verify your identity", message))
		return
	}
	f.showEnrolment(w, r, s, status, message)
}

func (f *Flow) showEnrolment(w http.ResponseWriter, r *http.Request, s mfaStep, status int, message string) {
	e, err := f.mfa.Enrolment(r.Context(), s.tenant, s.user)
	if err != nil {
		f.Unavailable(w, r, s.tenant, "begin enrolment", err)
		return
	}
	v := f.mfaView(s, "Set up your authenticator app", message)
	v.Enrolment = enrolmentView(e)
	f.Render(w, r, status, "mfaenrol", v)
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
func (f *Flow) mfaSubmit(w http.ResponseWriter, r *http.Request) {
	if !f.ParseForm(w, r) {
		return
	}
	s, ok := f.loadMFAStep(w, r)
	if !ok {
		return
	}
	if !equalStrings(r.PostFormValue("csrf_token"), f.CSRFToken(s.csrfSubject(), s.browser)) {
		f.RefusedCSRF(w, r, s.tenant)
		return
	}
	ctx := r.Context()
	code := r.PostFormValue("code")
	if r.PostFormValue("action") == "enrol" {
		codes, err := f.mfa.ConfirmEnrolment(ctx, s.tenant, s.user, code)
		if msg, ok := mfaMessage(err); ok {
			f.signInEvent(ctx, s.tenant, store.Application{}, userActor(s.user), ActivitySignIn, resultFailure, "authenticator enrolment: "+msg)
			f.showEnrolment(w, r, s, http.StatusUnauthorized, msg)
			return
		}
		if err != nil {
			f.Unavailable(w, r, s.tenant, "confirm enrolment", err)
			return
		}
		next, ok := f.passMFA(w, r, s)
		if !ok {
			return
		}
		f.showRecoveryCodes(w, r, s.tenant, codes, next)
		return
	}
	_, err := f.mfa.Verify(ctx, s.tenant, s.user.ID, code)
	if msg, ok := mfaMessage(err); ok {
		f.signInEvent(ctx, s.tenant, store.Application{}, userActor(s.user), ActivitySignIn, resultFailure, "second factor: "+msg)
		f.Render(w, r, http.StatusUnauthorized, "mfaverify", f.mfaView(s, "Verify your identity", msg))
		return
	}
	if err != nil {
		f.Unavailable(w, r, s.tenant, "verify code", err)
		return
	}
	if next, ok := f.passMFA(w, r, s); ok {
		f.SeeOther(w, r, next)
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
func (f *Flow) passMFA(w http.ResponseWriter, r *http.Request, s mfaStep) (string, bool) {
	ctx := r.Context()
	sess, err := f.StartSession(w, r, s.tenant, s.user, mfa.WithMFA(s.session.AMR), s.session.Upstream)
	if err != nil {
		f.Unavailable(w, r, s.tenant, "start session", err)
		return "", false
	}
	f.signInEvent(ctx, s.tenant, store.Application{}, userActor(s.user), ActivitySignIn, resultSuccess, "")
	if s.redemption != nil {
		return f.redemptionLanding(w, r, s.tenant, *s.redemption)
	}
	req := s.tx.req
	req.SessionID, req.AMR = sess.ID, sess.AMR
	authTime := sess.AuthTime
	req.AuthTime = &authTime
	needConsent, err := f.needsConsent(ctx, s.tx.app, s.user.ID, req.Scopes, hasPrompt(req, "consent"))
	if err != nil {
		f.Unavailable(w, r, s.tenant, "load consent", err)
		return "", false
	}
	if !needConsent {
		req.ConsentGiven, req.Done = true, true
	}
	if err := f.store.UpdateAuthRequest(ctx, req); err != nil {
		f.Unavailable(w, r, s.tenant, "update login transaction", err)
		return "", false
	}
	if needConsent {
		return f.TenantURL(s.tenant, "/consent?id="+req.ID), true
	}
	return f.TenantURL(s.tenant, CallbackPath+"?id="+req.ID), true
}

// redemptionLanding ends a redemption: the transaction goes, and the
// guest lands on the invitation's redirect while it still belongs to one
// of the tenant's apps (else on their security info page).
func (f *Flow) redemptionLanding(w http.ResponseWriter, r *http.Request, t store.Tenant, red store.Redemption) (string, bool) {
	ctx := r.Context()
	if err := f.dir.EndRedemption(ctx, t.ID, red.ID); err != nil {
		f.logger.WarnContext(ctx, "delete redemption", "tenant", t.Slug, "err", err)
	}
	to, err := f.dir.InvitationRedirect(ctx, t, red.InvitationID)
	if err != nil {
		f.Unavailable(w, r, t, "load invitation", err)
		return "", false
	}
	if to == "" {
		to = f.TenantURL(t, SecurityInfoPath)
	}
	return to, true
}

// showRecoveryCodes shows new recovery codes once, with a Continue button
// to next (a GET form: next's query goes in hidden fields, or the browser
// would drop it).
func (f *Flow) showRecoveryCodes(w http.ResponseWriter, r *http.Request, t store.Tenant, codes []string, next string) {
	v := Branded(t, "Save your recovery codes")
	v.RecoveryCodes = codes
	if u, err := url.Parse(next); err == nil {
		v.Hidden = map[string]string{}
		for k, vs := range u.Query() {
			v.Hidden[k] = vs[0]
		}
		u.RawQuery = ""
		v.Next = u.String()
	}
	f.Render(w, r, http.StatusOK, "mfacodes", v)
}
