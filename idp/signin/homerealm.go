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

func (f *Flow) codeView(tx transaction, email, message string) View {
	v := Branded(tx.tenant, "Enter code")
	v.Action = f.TenantURL(tx.tenant, "/login/code")
	v.RequestID = tx.req.ID
	v.CSRF = f.CSRFToken(tx.req.ID, tx.browser)
	v.AppName = tx.app.DisplayName
	v.Email = email
	v.Hidden = map[string]string{"email": email}
	v.Error = message
	return v
}

// passcodeUser answers the user a typed address belongs to when that user
// signs in with a passcode.
func (f *Flow) passcodeUser(r *http.Request, t store.Tenant, email string) (store.User, bool, error) {
	u, err := f.store.GetUserByEmail(r.Context(), t.ID, normalizeAccount(email))
	if errors.Is(err, store.ErrNotFound) {
		return store.User{}, false, nil
	}
	if err != nil {
		return store.User{}, false, err
	}
	return u, signsInWithPasscode(u) && u.AccountEnabled, nil
}

// homeRealm serves the password page's "get a code by email".
func (f *Flow) homeRealm(w http.ResponseWriter, r *http.Request, tx transaction, email string) {
	u, guest, err := f.passcodeUser(r, tx.tenant, email)
	if err != nil {
		f.Unavailable(w, r, tx.tenant, "look up account", err)
		return
	}
	if u.ID != "" && u.AccountEnabled && f.federation != nil {
		providers, err := f.federation.IdentityProviders(r.Context(), tx.tenant.ID)
		if err != nil {
			f.Unavailable(w, r, tx.tenant, "load identity providers", err)
			return
		}
		if p, ok := federatedProvider(providers, u); ok {
			f.GoUpstream(w, r, UpstreamTrip{Tenant: tx.tenant, Provider: p, Binding: tx.req.BrowserBinding,
				AuthRequestID: tx.req.ID, LoginHint: u.Mail})
			return
		}
	}
	if guest && !f.sendSignInCode(w, r, tx, u, email) {
		return
	}
	f.Render(w, r, http.StatusOK, "passcode", f.codeView(tx, email, ""))
}

// sendSignInCode sends a code to the guest's address on record; on
// failure it has answered.
func (f *Flow) sendSignInCode(w http.ResponseWriter, r *http.Request, tx transaction, u store.User, typed string) bool {
	err := f.passcodes.Send(r.Context(), passcode.Request{Tenant: tx.tenant, Subject: userSubject(u.ID), Email: u.Mail,
		Binding: tx.req.BrowserBinding})
	if errors.Is(err, passcode.ErrTooManySends) {
		w.Header().Set("Retry-After", "3600")
		f.Render(w, r, http.StatusTooManyRequests, "passcode", f.codeView(tx, typed,
			"Too many codes were sent. Use the last one you received, or try again in an hour."))
		return false
	}
	if err != nil {
		f.Unavailable(w, r, tx.tenant, "send passcode", err)
		return false
	}
	return true
}

// loginCode serves POST /t/{tenant}/login/code: check a guest's code (or
// send another) and sign them in. Wrong codes count against the account
// and the address like wrong passwords.
func (f *Flow) loginCode(w http.ResponseWriter, r *http.Request) {
	if !f.ParseForm(w, r) {
		return
	}
	tx, ok := f.load(w, r)
	if !ok || !f.checkCSRF(w, r, tx) {
		return
	}
	ctx := r.Context()
	email := strings.TrimSpace(r.PostFormValue("email"))
	u, guest, err := f.passcodeUser(r, tx.tenant, email)
	if err != nil {
		f.Unavailable(w, r, tx.tenant, "look up account", err)
		return
	}
	if r.PostFormValue("action") == "resend" {
		if guest && !f.sendSignInCode(w, r, tx, u, email) {
			return
		}
		f.Render(w, r, http.StatusOK, "passcode", f.codeView(tx, email, MsgResent))
		return
	}
	att, ok := f.admitAttempt(w, r, tx, email, "passcode", f.codeView(tx, email, ""))
	if !ok {
		return
	}
	err = passcode.ErrWrongCode
	if guest {
		err = f.passcodes.Verify(ctx, tx.tenant.ID, userSubject(u.ID), r.PostFormValue("code"), tx.req.BrowserBinding)
	}
	if errors.Is(err, passcode.ErrWrongCode) || errors.Is(err, passcode.ErrNoCode) {
		if err := f.countFailure(ctx, tx.tenant, att); err != nil {
			f.Unavailable(w, r, tx.tenant, "count failed sign-in", err)
			return
		}
		f.signInEvent(ctx, tx.tenant, tx.app, f.typedActor(ctx, tx.tenant, email), ActivitySignIn, resultFailure, "invalid one-time passcode")
		msg := MsgWrongCode
		if errors.Is(err, passcode.ErrNoCode) {
			msg = MsgNoCode
		}
		f.Render(w, r, http.StatusUnauthorized, "passcode", f.codeView(tx, email, msg))
		return
	}
	if err != nil {
		f.release(ctx, tx.tenant, att)
		f.Unavailable(w, r, tx.tenant, "verify passcode", err)
		return
	}
	f.countSuccess(w, r, tx.tenant, att, email)
	f.finishSignIn(w, r, tx, u, []string{mfa.AMRPasscode}, store.Upstream{})
}
