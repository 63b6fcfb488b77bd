package signin

import (
	"errors"
	"net/http"
	"slices"

	"github.com/foyer-idp/foyer/idp/tenancy"
	"github.com/foyer-idp/foyer/internal/secret"
	"github.com/foyer-idp/foyer/internal/store"
)

// signedInTx loads a transaction whose user has signed in, in this
// browser's current session. On failure it has answered the request.
func (f *Flow) signedInTx(w http.ResponseWriter, r *http.Request) (transaction, store.User, bool) {
	tx, ok := f.load(w, r)
	if !ok {
		return transaction{}, store.User{}, false
	}
	sess, user, signedIn, err := f.currentSession(r, tx.tenant)
	if err != nil {
		f.Unavailable(w, r, tx.tenant, "load session", err)
		return transaction{}, store.User{}, false
	}
	if tx.req.UserID == "" || !signedIn || !secret.EqualHashes(sess.ID, tx.req.SessionID) || user.ID != tx.req.UserID {
		f.ErrorPage(w, r, tx.tenant, http.StatusBadRequest, "Sign in again",
			"Your session changed while you were signing in. Go back to the application and try again.")
		return transaction{}, store.User{}, false
	}
	return tx, user, true
}

func (f *Flow) consentView(tx transaction, user store.User) View {
	v := Branded(tx.tenant, "Review permissions")
	v.Action = f.TenantURL(tx.tenant, "/consent")
	v.RequestID = tx.req.ID
	v.CSRF = f.CSRFToken(tx.req.ID, tx.browser)
	v.AppName = tx.app.DisplayName
	v.Scopes = describeScopes(f.external, tx.req.Scopes)
	v.Person = person(user)
	return v
}

// consentPage serves GET /t/{tenant}/consent?id=….
func (f *Flow) consentPage(w http.ResponseWriter, r *http.Request) {
	tx, user, ok := f.signedInTx(w, r)
	if !ok {
		return
	}
	f.Render(w, r, http.StatusOK, "consent", f.consentView(tx, user))
}

// consent serves POST /t/{tenant}/consent: remember an allow, or finish
// the transaction as declined; the provider's callback answers the app.
func (f *Flow) consent(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		t, _ := tenancy.From(r.Context())
		f.ErrorPage(w, r, t, http.StatusBadRequest, "Request refused", "The form could not be read.")
		return
	}
	tx, user, ok := f.signedInTx(w, r)
	if !ok || !f.checkCSRF(w, r, tx) {
		return
	}
	ctx := r.Context()
	req := tx.req
	switch r.PostFormValue("decision") {
	case "allow":
		if err := f.remember(r, tx); err != nil {
			f.Unavailable(w, r, tx.tenant, "save consent", err)
			return
		}
		req.ConsentGiven = true
	case "deny":
		req.ConsentGiven = false
	default:
		f.Render(w, r, http.StatusBadRequest, "consent", f.consentView(tx, user))
		return
	}
	req.Done = true
	if err := f.store.UpdateAuthRequest(ctx, req); err != nil {
		f.Unavailable(w, r, tx.tenant, "update login transaction", err)
		return
	}
	f.toCallback(w, r, tx.tenant, req.ID)
}

// remember stores the user's consent to the app: what they allowed before
// and what they allowed now.
func (f *Flow) remember(r *http.Request, tx transaction) error {
	ctx := r.Context()
	now := f.clock()
	c, err := f.store.GetConsent(ctx, tx.tenant.ID, tx.req.UserID, tx.app.ClientID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		c = store.Consent{TenantID: tx.tenant.ID, UserID: tx.req.UserID, ClientID: tx.app.ClientID, CreatedAt: now}
	case err != nil:
		return err
	}
	for _, s := range tx.req.Scopes {
		if !slices.Contains(c.Scopes, s) {
			c.Scopes = append(c.Scopes, s)
		}
	}
	c.UpdatedAt = now
	return f.store.SaveConsent(ctx, c)
}
