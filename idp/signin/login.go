package signin

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/foyer-idp/foyer/idp/tenancy"
	"github.com/foyer-idp/foyer/internal/directory"
	"github.com/foyer-idp/foyer/internal/mfa"
	"github.com/foyer-idp/foyer/internal/store"
)

// maxFormBytes bounds a sign-in form body.
const maxFormBytes = 64 << 10

// Messages of the login page. The first is the one answer to an unknown
// account and a wrong password alike.
const (
	msgBadCredentials = "The email or password is incorrect."
	msgDisabled       = "This account is disabled. Contact your administrator."
	msgMissing        = "Enter your email and password."
	msgNoPassword     = "Enter your password."
)

func (f *Flow) loginView(tx transaction, email, message string) View {
	v := Branded(tx.tenant, "Sign in")
	v.Action = f.TenantURL(tx.tenant, "/login")
	v.RequestID = tx.req.ID
	v.CSRF = f.CSRFToken(tx.req.ID, tx.browser)
	v.AppName = tx.app.DisplayName
	v.Email = email
	v.Error = message
	return v
}

// passwordView is the second page of the sign-in: the password for the
// typed address, or a code by email instead. It is the same for every
// address, member, guest or stranger.
func (f *Flow) passwordView(tx transaction, email, message string) View {
	v := f.loginView(tx, email, message)
	v.Title = "Enter password"
	v.Next = f.TenantURL(tx.tenant, "/login?id="+tx.req.ID)
	return v
}

// loginPage serves GET /t/{tenant}/login?id=….
func (f *Flow) loginPage(w http.ResponseWriter, r *http.Request) {
	tx, ok := f.load(w, r)
	if !ok {
		return
	}
	f.Render(w, r, http.StatusOK, "login", f.loginView(tx, tx.req.LoginHint, ""))
}

// login serves POST /t/{tenant}/login: check the throttle, the password,
// open a session, then go on to consent or back to the provider.
func (f *Flow) login(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		t, _ := tenancy.From(r.Context())
		f.ErrorPage(w, r, t, http.StatusBadRequest, "Request refused", "The form could not be read.")
		return
	}
	tx, ok := f.load(w, r)
	if !ok || !f.checkCSRF(w, r, tx) {
		return
	}
	ctx := r.Context()
	email := strings.TrimSpace(r.PostFormValue("email"))
	password := r.PostFormValue("password")
	if email == "" {
		f.Render(w, r, http.StatusBadRequest, "login", f.loginView(tx, email, msgMissing))
		return
	}
	action := r.PostFormValue("action")
	// A wrong password is answered on the page it was typed on.
	page, pageView := "login", f.loginView
	if action == "password" {
		page, pageView = "password", f.passwordView
	}
	switch {
	case action == "code":
		f.homeRealm(w, r, tx, email)
		return
	case password == "" && action == "password":
		f.Render(w, r, http.StatusBadRequest, "password", f.passwordView(tx, email, msgNoPassword))
		return
	case password == "":
		// Home realm discovery asks every address the same next step,
		// whoever it belongs to: the password, or a code by email.
		f.Render(w, r, http.StatusOK, "password", f.passwordView(tx, email, ""))
		return
	}
	att, ok := f.admitAttempt(w, r, tx, email, page, pageView(tx, email, ""))
	if !ok {
		return
	}
	user, err := f.dir.VerifyPassword(ctx, tx.tenant.ID, email, password)
	switch {
	case errors.Is(err, directory.ErrBadCredentials):
		if err := f.countFailure(ctx, tx.tenant, att); err != nil {
			f.Unavailable(w, r, tx.tenant, "count failed sign-in", err)
			return
		}
		f.signInEvent(ctx, tx.tenant, tx.app, f.typedActor(ctx, tx.tenant, email), ActivitySignIn, resultFailure, "invalid email or password")
		f.Render(w, r, http.StatusUnauthorized, page, pageView(tx, email, msgBadCredentials))
		return
	case errors.Is(err, directory.ErrAccountDisabled):
		f.release(ctx, tx.tenant, att)
		f.signInEvent(ctx, tx.tenant, tx.app, f.typedActor(ctx, tx.tenant, email), ActivitySignIn, resultFailure, "account disabled")
		f.Render(w, r, http.StatusForbidden, page, pageView(tx, email, msgDisabled))
		return
	case err != nil:
		f.release(ctx, tx.tenant, att)
		f.Unavailable(w, r, tx.tenant, "verify password", err)
		return
	}
	f.countSuccess(w, r, tx.tenant, att, email)
	f.finishSignIn(w, r, tx, user, []string{mfa.AMRPassword}, store.Upstream{})
}

// finishSignIn opens a session for a user who passed a first factor (up
// names the upstream provider, if one was it) and goes on to consent or
// back to the provider.
func (f *Flow) finishSignIn(w http.ResponseWriter, r *http.Request, tx transaction, user store.User, amr []string, up store.Upstream) {
	ctx := r.Context()
	sess, err := f.StartSession(w, r, tx.tenant, user, amr, up)
	if err != nil {
		f.Unavailable(w, r, tx.tenant, "start session", err)
		return
	}
	req := tx.req
	req.UserID, req.SessionID, req.AMR = user.ID, sess.ID, sess.AMR
	authTime := sess.AuthTime
	req.AuthTime = &authTime
	if mfa.NeedsMFA(tx.tenant, tx.app, user, sess.AMR, req.ACRValues) {
		// The first factor passed; the code waits for the second.
		if err := f.store.UpdateAuthRequest(ctx, req); err != nil {
			f.Unavailable(w, r, tx.tenant, "update login transaction", err)
			return
		}
		f.toMFA(w, r, tx.tenant, "id="+req.ID)
		return
	}
	f.signInEvent(ctx, tx.tenant, tx.app, userActor(user), ActivitySignIn, resultSuccess, "")
	needConsent, err := f.needsConsent(ctx, tx.app, user.ID, req.Scopes, hasPrompt(req, "consent"))
	if err != nil {
		f.Unavailable(w, r, tx.tenant, "load consent", err)
		return
	}
	if !needConsent {
		req.ConsentGiven, req.Done = true, true
	}
	if err := f.store.UpdateAuthRequest(ctx, req); err != nil {
		f.Unavailable(w, r, tx.tenant, "update login transaction", err)
		return
	}
	if needConsent {
		f.redirect(w, r, tx.tenant, "consent", req.ID)
		return
	}
	f.toCallback(w, r, tx.tenant, req.ID)
}

func hasPrompt(req store.AuthRequest, p string) bool {
	for _, v := range req.Prompt {
		if v == p {
			return true
		}
	}
	return false
}

// throttledMessage says when a throttled sign-in may try again, in the
// same whole seconds (under a minute) or minutes (rounded up) as the
// Retry-After header it goes with.
func throttledMessage(wait time.Duration) string {
	secs := (wait + time.Second - 1) / time.Second
	switch mins := (secs + 59) / 60; {
	case secs <= 1:
		return "Too many attempts. Wait a second, then try again."
	case secs < 60:
		return fmt.Sprintf("Too many attempts. Wait %d seconds, then try again.", secs)
	case mins == 1:
		return "Too many attempts. Wait 1 minute, then try again."
	default:
		return fmt.Sprintf("Too many attempts. Wait %d minutes, then try again.", mins)
	}
}
