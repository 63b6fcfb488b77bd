package signin

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

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

// PasswordChecker checks a member's password, and takes the new one of a
// member who must change it; *directory.Directory is one.
type PasswordChecker interface {
	VerifyPassword(ctx context.Context, tenantID, email, password string) (store.User, error)
	PasswordChanger
}

// LoginConfig is what the login pages need.
type LoginConfig struct {
	Core      *Core
	Passwords PasswordChecker
	// Passcodes sends and checks the codes guests who redeemed by email
	// sign in with.
	Passcodes Passcodes
	// Upstream takes guests linked to an upstream provider there; nil
	// offers passcodes only.
	Upstream *Upstream
}

// Login serves the login page, home-realm discovery and guests' sign-ins
// by passcode.
type Login struct {
	*Core
	passwords PasswordChecker
	passcodes Passcodes
	upstream  *Upstream
}

// NewLogin checks that cfg has every dependency.
func NewLogin(cfg LoginConfig) (*Login, error) {
	if cfg.Core == nil || cfg.Passwords == nil || cfg.Passcodes == nil {
		return nil, errors.New("signin: Login needs a Core, Passwords and Passcodes")
	}
	return &Login{Core: cfg.Core, passwords: cfg.Passwords, passcodes: cfg.Passcodes, upstream: cfg.Upstream}, nil
}

// Mount registers the login pages on mux behind wrap, which must put the
// tenant in the request context (tenancy.Gate).
func (l *Login) Mount(mux *http.ServeMux, wrap func(http.Handler) http.Handler) {
	mux.Handle("GET /t/{tenant}/login", wrap(http.HandlerFunc(l.loginPage)))
	mux.Handle("POST /t/{tenant}/login", wrap(l.Protect(http.HandlerFunc(l.login))))
	mux.Handle("POST /t/{tenant}/login/code", wrap(l.Protect(http.HandlerFunc(l.loginCode))))
	mux.Handle("GET /t/{tenant}"+ChangePasswordPath, wrap(http.HandlerFunc(l.changePasswordPage)))
	mux.Handle("POST /t/{tenant}"+ChangePasswordPath, wrap(l.Protect(http.HandlerFunc(l.changePassword))))
}

func (l *Login) loginView(tx transaction, email, message string) View {
	v := Branded(tx.tenant, "Sign in")
	v.Action = l.TenantURL(tx.tenant, "/login")
	v.RequestID = tx.req.ID
	v.CSRF = l.CSRFToken(tx.req.ID, tx.browser)
	v.AppName = tx.app.DisplayName
	v.Email = email
	v.Error = message
	return v
}

// passwordView is the second page of the sign-in: the password for the
// typed address, or a code by email instead. It is the same for every
// address, member, guest or stranger.
func (l *Login) passwordView(tx transaction, email, message string) View {
	v := l.loginView(tx, email, message)
	v.Title = "Enter password"
	v.Next = l.TenantURL(tx.tenant, "/login?id="+tx.req.ID)
	return v
}

// loginPage serves GET /t/{tenant}/login?id=….
func (l *Login) loginPage(w http.ResponseWriter, r *http.Request) {
	tx, ok := l.load(w, r)
	if !ok {
		return
	}
	l.Render(w, r, http.StatusOK, "login", l.loginView(tx, tx.req.LoginHint, ""))
}

// login serves POST /t/{tenant}/login: check the throttle, the password,
// ask for a new one when the user must change it (changepassword.go),
// open a session, then go on to consent or back to the provider.
func (l *Login) login(w http.ResponseWriter, r *http.Request) {
	tx, ok := l.postedTx(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	email := strings.TrimSpace(r.PostFormValue("email"))
	password := r.PostFormValue("password")
	if email == "" {
		l.Render(w, r, http.StatusBadRequest, "login", l.loginView(tx, email, msgMissing))
		return
	}
	action := r.PostFormValue("action")
	// A wrong password is answered on the page it was typed on.
	page, pageView := "login", l.loginView
	if action == "password" {
		page, pageView = "password", l.passwordView
	}
	switch {
	case action == "code":
		l.homeRealm(w, r, tx, email)
		return
	case password == "" && action == "password":
		l.Render(w, r, http.StatusBadRequest, "password", l.passwordView(tx, email, msgNoPassword))
		return
	case password == "":
		// Home realm discovery asks every address the same next step,
		// whoever it belongs to: the password, or a code by email.
		l.Render(w, r, http.StatusOK, "password", l.passwordView(tx, email, ""))
		return
	}
	att, ok := l.admitAttempt(w, r, tx, email, page, pageView(tx, email, ""))
	if !ok {
		return
	}
	user, err := l.passwords.VerifyPassword(ctx, tx.tenant.ID, email, password)
	switch {
	case errors.Is(err, directory.ErrBadCredentials):
		if err := l.countFailure(ctx, tx.tenant, att); err != nil {
			l.Unavailable(w, r, tx.tenant, "count failed sign-in", err)
			return
		}
		l.recordSignIn(ctx, l.typedFailure(ctx, tx, email, MethodPassword, CodeBadCredentials, "Invalid username or password."))
		l.Render(w, r, http.StatusUnauthorized, page, pageView(tx, email, msgBadCredentials))
		return
	case errors.Is(err, directory.ErrAccountDisabled):
		l.release(ctx, tx.tenant, att)
		l.recordSignIn(ctx, l.typedFailure(ctx, tx, email, MethodPassword, CodeDisabled, "The account is disabled."))
		l.Render(w, r, http.StatusForbidden, page, pageView(tx, email, msgDisabled))
		return
	case err != nil:
		l.release(ctx, tx.tenant, att)
		l.Unavailable(w, r, tx.tenant, "verify password", err)
		return
	}
	l.countSuccess(w, r, tx.tenant, att, email)
	if user.ForceChangePassword {
		l.askNewPassword(w, r, tx, user)
		return
	}
	l.finishSignIn(w, r, tx, user, []string{mfa.AMRPassword}, store.Upstream{})
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
