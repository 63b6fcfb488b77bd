package signin

import (
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/foyer-idp/foyer/federation/passcode"
	"github.com/foyer-idp/foyer/internal/directory"
	"github.com/foyer-idp/foyer/internal/mfa"
	"github.com/foyer-idp/foyer/internal/store"
)

// Home realm discovery: the login page takes an email first, and any
// address without a password goes on to the same password page, which
// offers a code by email instead. Asked for a code, a guest who redeemed
// with an email one-time passcode gets a fresh one at the address on
// record, and a guest linked to an upstream provider goes there. Any other
// address (a member, a pending guest, a stranger) sees the same code page
// and nothing is sent, so the pages do not tell strangers who the
// tenant's members and guests are.

func userSubject(userID string) string { return "user:" + userID }

// signsInWithPasscode reports whether u is an accepted guest whose linked
// identity is its email address, proven by passcode.
func signsInWithPasscode(u store.User) bool {
	return u.UserType == store.UserTypeGuest && u.ExternalUserState == store.ExternalStateAccepted &&
		slices.ContainsFunc(u.Identities, func(id store.Identity) bool {
			return id.Issuer == directory.IssuerMail && strings.EqualFold(id.IssuerAssignedID, u.Mail)
		})
}

func (l *Login) codeView(tx transaction, email, message string) View {
	v := Branded(tx.tenant, "Enter code")
	v.Action = l.TenantURL(tx.tenant, "/login/code")
	v.RequestID = tx.req.ID
	v.CSRF = l.CSRFToken(tx.req.ID, tx.browser)
	v.AppName = tx.app.DisplayName
	v.Email = email
	v.Hidden = map[string]string{"email": email}
	v.Error = message
	return v
}

// passcodeUser answers the user a typed address belongs to when that user
// signs in with a passcode.
func (l *Login) passcodeUser(r *http.Request, t store.Tenant, email string) (store.User, bool, error) {
	u, err := l.store.GetUserByEmail(r.Context(), t.ID, normalizeAccount(email))
	if errors.Is(err, store.ErrNotFound) {
		return store.User{}, false, nil
	}
	if err != nil {
		return store.User{}, false, err
	}
	return u, signsInWithPasscode(u) && u.AccountEnabled, nil
}

// homeRealm serves the password page's "get a code by email".
func (l *Login) homeRealm(w http.ResponseWriter, r *http.Request, tx transaction, email string) {
	u, guest, err := l.passcodeUser(r, tx.tenant, email)
	if err != nil {
		l.Unavailable(w, r, tx.tenant, "look up account", err)
		return
	}
	if u.ID != "" && u.AccountEnabled && l.upstream != nil {
		p, ok, err := l.upstream.linkedProvider(r.Context(), tx.tenant, u)
		if err != nil {
			l.Unavailable(w, r, tx.tenant, "load identity providers", err)
			return
		}
		if ok {
			l.upstream.GoUpstream(w, r, UpstreamTrip{Tenant: tx.tenant, Provider: p, Binding: tx.req.BrowserBinding,
				AuthRequestID: tx.req.ID, LoginHint: u.Mail})
			return
		}
	}
	if guest && !l.sendSignInCode(w, r, tx, u, email) {
		return
	}
	l.Render(w, r, http.StatusOK, "passcode", l.codeView(tx, email, ""))
}

// sendSignInCode sends a code to the guest's address on record; on
// failure it has answered.
func (l *Login) sendSignInCode(w http.ResponseWriter, r *http.Request, tx transaction, u store.User, typed string) bool {
	err := l.passcodes.Send(r.Context(), passcode.Request{Tenant: tx.tenant, Subject: userSubject(u.ID), Email: u.Mail,
		Binding: tx.req.BrowserBinding})
	if errors.Is(err, passcode.ErrTooManySends) {
		w.Header().Set("Retry-After", "3600")
		l.Render(w, r, http.StatusTooManyRequests, "passcode", l.codeView(tx, typed,
			"Too many codes were sent. Use the last one you received, or try again in an hour."))
		return false
	}
	if err != nil {
		l.Unavailable(w, r, tx.tenant, "send passcode", err)
		return false
	}
	return true
}

// loginCode serves POST /t/{tenant}/login/code: check a guest's code (or
// send another) and sign them in. Wrong codes count against the account
// and the address like wrong passwords.
func (l *Login) loginCode(w http.ResponseWriter, r *http.Request) {
	tx, ok := l.postedTx(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	email := strings.TrimSpace(r.PostFormValue("email"))
	u, guest, err := l.passcodeUser(r, tx.tenant, email)
	if err != nil {
		l.Unavailable(w, r, tx.tenant, "look up account", err)
		return
	}
	if r.PostFormValue("action") == "resend" {
		if guest && !l.sendSignInCode(w, r, tx, u, email) {
			return
		}
		l.Render(w, r, http.StatusOK, "passcode", l.codeView(tx, email, MsgResent))
		return
	}
	att, ok := l.admitAttempt(w, r, tx, email, "passcode", l.codeView(tx, email, ""))
	if !ok {
		return
	}
	err = passcode.ErrWrongCode
	if guest {
		err = l.passcodes.Verify(ctx, tx.tenant.ID, userSubject(u.ID), r.PostFormValue("code"), tx.req.BrowserBinding)
	}
	if errors.Is(err, passcode.ErrWrongCode) || errors.Is(err, passcode.ErrNoCode) {
		if err := l.countFailure(ctx, tx.tenant, att); err != nil {
			l.Unavailable(w, r, tx.tenant, "count failed sign-in", err)
			return
		}
		l.recordSignIn(ctx, l.typedFailure(ctx, tx, email, MethodEmailOTP, CodePasscodeFailed, "Invalid or expired one-time passcode."))
		msg := MsgWrongCode
		if errors.Is(err, passcode.ErrNoCode) {
			msg = MsgNoCode
		}
		l.Render(w, r, http.StatusUnauthorized, "passcode", l.codeView(tx, email, msg))
		return
	}
	if err != nil {
		l.release(ctx, tx.tenant, att)
		l.Unavailable(w, r, tx.tenant, "verify passcode", err)
		return
	}
	l.countSuccess(w, r, tx.tenant, att, email)
	l.finishSignIn(w, r, tx, u, []string{mfa.AMRPasscode}, store.Upstream{})
}
