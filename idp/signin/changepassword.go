package signin

import (
	"context"
	"errors"
	"net/http"

	"github.com/foyer-idp/foyer/internal/directory"
	"github.com/foyer-idp/foyer/internal/mfa"
	"github.com/foyer-idp/foyer/internal/secret"
	"github.com/foyer-idp/foyer/internal/store"
)

// The forced password change (Graph's forceChangePasswordNextSignIn). As
// in Entra, it comes right after the password step and before the second
// factor: the user who proved the current password chooses a new one,
// then the sign-in goes on (MFA, consent, the code). Until the change
// lands the transaction holds no session and cannot finish: the provider's
// callback refuses an unfinished transaction, a new authorization request
// finds no session, and the change page answers only the browser that
// started the transaction, with its form token.

// ChangePasswordPath is the change page, under the tenant.
const ChangePasswordPath = "/login/password"

// Messages of the change page.
const (
	msgNoNewPassword    = "Enter a new password, then the same again to confirm it."
	msgPasswordMismatch = "The two passwords do not match. Type the same new password twice."
)

// PasswordChanger is a user's own change of a password they just proved;
// *directory.Directory is one.
type PasswordChanger interface {
	ChangePassword(ctx context.Context, u store.User, provenHash, newPassword string) error
}

// passwordProof is what a transaction keeps of the password hash its user
// proved: keyed, so the stored value says nothing of the hash, and bound
// to that hash, so a reset or another change voids it.
func (c *Core) passwordProof(passwordHash string) string {
	return c.hasher.Hash("password-proof\x00" + passwordHash)
}

// askNewPassword parks a transaction whose user proved a password they
// must change, and sends the browser to the change page. Nothing the
// transaction held of an earlier session stays.
func (l *Login) askNewPassword(w http.ResponseWriter, r *http.Request, tx transaction, user store.User) {
	req := tx.req
	req.UserID, req.PasswordProof = user.ID, l.passwordProof(user.PasswordHash)
	req.SessionID, req.AuthTime, req.AMR = "", nil, nil
	if err := l.store.UpdateAuthRequest(r.Context(), req); err != nil {
		l.Unavailable(w, r, tx.tenant, "update login transaction", err)
		return
	}
	l.SeeOther(w, r, l.TenantURL(tx.tenant, ChangePasswordPath+"?id="+req.ID))
}

// pendingChange loads a transaction waiting for its user's new password,
// and that user, whose password must still be the one proven. On failure
// it has answered the request.
func (l *Login) pendingChange(w http.ResponseWriter, r *http.Request, tx transaction) (store.User, bool) {
	if tx.req.PasswordProof == "" || tx.req.UserID == "" {
		l.ErrorPage(w, r, tx.tenant, http.StatusBadRequest, "Nothing to change",
			"This sign-in does not ask for a new password. Go back to the application and try again.")
		return store.User{}, false
	}
	user, err := l.store.GetUserCore(r.Context(), tx.tenant.ID, tx.req.UserID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		l.Unavailable(w, r, tx.tenant, "load user", err)
		return store.User{}, false
	}
	if err != nil || !user.AccountEnabled || !secret.EqualHashes(l.passwordProof(user.PasswordHash), tx.req.PasswordProof) {
		l.passwordMoved(w, r, tx)
		return store.User{}, false
	}
	return user, true
}

// passwordMoved answers a change whose proof no longer holds: the account
// was disabled or deleted, or its password changed since it was typed.
func (l *Login) passwordMoved(w http.ResponseWriter, r *http.Request, tx transaction) {
	l.ErrorPage(w, r, tx.tenant, http.StatusConflict, "Sign in again",
		"Your account changed while you were signing in. Go back to the application and sign in again.")
}

func (l *Login) changePasswordView(tx transaction, user store.User, message string) View {
	v := Branded(tx.tenant, "Update your password")
	v.Action = l.TenantURL(tx.tenant, ChangePasswordPath)
	v.RequestID = tx.req.ID
	v.CSRF = l.CSRFToken(tx.req.ID, tx.browser)
	v.AppName = tx.app.DisplayName
	v.Email = user.UserPrincipalName
	v.MinPasswordLength = directory.MinPasswordLength
	v.Error = message
	return v
}

// changePasswordPage serves GET /t/{tenant}/login/password?id=….
func (l *Login) changePasswordPage(w http.ResponseWriter, r *http.Request) {
	tx, ok := l.load(w, r)
	if !ok {
		return
	}
	user, ok := l.pendingChange(w, r, tx)
	if !ok {
		return
	}
	l.Render(w, r, http.StatusOK, "changepassword", l.changePasswordView(tx, user, ""))
}

// changePassword serves POST /t/{tenant}/login/password: the new password
// twice. On success the sign-in goes on as if the password step had just
// passed, with the new password.
func (l *Login) changePassword(w http.ResponseWriter, r *http.Request) {
	tx, ok := l.postedTx(w, r)
	if !ok {
		return
	}
	user, ok := l.pendingChange(w, r, tx)
	if !ok {
		return
	}
	newPassword, confirm := r.PostFormValue("new_password"), r.PostFormValue("confirm_password")
	switch {
	case newPassword == "" || confirm == "":
		l.Render(w, r, http.StatusBadRequest, "changepassword", l.changePasswordView(tx, user, msgNoNewPassword))
		return
	case newPassword != confirm:
		l.Render(w, r, http.StatusBadRequest, "changepassword", l.changePasswordView(tx, user, msgPasswordMismatch))
		return
	}
	err := l.passwords.ChangePassword(r.Context(), user, user.PasswordHash, newPassword)
	var fe *directory.FieldError
	switch {
	case errors.As(err, &fe) && errors.Is(err, directory.ErrInvalid):
		l.Render(w, r, http.StatusBadRequest, "changepassword", l.changePasswordView(tx, user, "The new password "+fe.Message+"."))
		return
	case errors.Is(err, directory.ErrPasswordMoved):
		l.passwordMoved(w, r, tx)
		return
	case err != nil:
		l.Unavailable(w, r, tx.tenant, "change password", err)
		return
	}
	tx.req.PasswordProof = ""
	user.ForceChangePassword = false
	l.finishSignIn(w, r, tx, user, []string{mfa.AMRPassword}, store.Upstream{})
}
