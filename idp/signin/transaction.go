package signin

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"

	"github.com/foyer-idp/foyer/idp/tenancy"
	"github.com/foyer-idp/foyer/internal/mfa"
	"github.com/foyer-idp/foyer/internal/secret"
	"github.com/foyer-idp/foyer/internal/store"
)

// The login transaction as every capability's page loads it: bound to
// the browser that started it, and, once a user signed in, to that
// user's current session.

// transaction is a login transaction loaded for a page, with the browser
// cookie that binds it.
type transaction struct {
	tenant  store.Tenant
	req     store.AuthRequest
	app     store.Application
	browser string
}

// load answers the transaction a page request names, checking that this
// Browser started it. On failure it has answered the request.
func (c *Core) load(w http.ResponseWriter, r *http.Request) (transaction, bool) {
	t, _ := tenancy.From(r.Context())
	id := r.FormValue("id")
	if id == "" {
		c.ErrorPage(w, r, t, http.StatusBadRequest, "Sign-in not found", "This page needs a sign-in started by an application.")
		return transaction{}, false
	}
	req, err := c.store.GetAuthRequest(r.Context(), t.ID, id, c.clock())
	if errors.Is(err, store.ErrNotFound) {
		c.ErrorPage(w, r, t, http.StatusBadRequest, "Sign-in expired", "This sign-in has expired or is already complete.")
		return transaction{}, false
	}
	if err != nil {
		c.Unavailable(w, r, t, "load login transaction", err)
		return transaction{}, false
	}
	browser, ok := c.BrowserValue(r)
	if !ok || !c.Bound(r, req) {
		c.ErrorPage(w, r, t, http.StatusBadRequest, "Sign-in started elsewhere",
			"Finish signing in in the browser where you started, or start again from the application.")
		return transaction{}, false
	}
	if req.Done {
		c.ErrorPage(w, r, t, http.StatusBadRequest, "Sign-in expired", "This sign-in has expired or is already complete.")
		return transaction{}, false
	}
	app, err := c.store.GetApplicationByClientID(r.Context(), t.ID, req.ClientID)
	if errors.Is(err, store.ErrNotFound) {
		c.ErrorPage(w, r, t, http.StatusBadRequest, "Application not found", "The application that started this sign-in no longer exists.")
		return transaction{}, false
	}
	if err != nil {
		c.Unavailable(w, r, t, "load application", err)
		return transaction{}, false
	}
	return transaction{tenant: t, req: req, app: app, browser: browser}, true
}

// postedTx reads a form posted to a transaction's page and loads the
// transaction, checking the form's token. On failure it has answered.
func (c *Core) postedTx(w http.ResponseWriter, r *http.Request) (transaction, bool) {
	if !c.ParseForm(w, r) {
		return transaction{}, false
	}
	tx, ok := c.load(w, r)
	return tx, ok && c.checkCSRF(w, r, tx)
}

// checkCSRF compares the form's token with the transaction's.
func (c *Core) checkCSRF(w http.ResponseWriter, r *http.Request, tx transaction) bool {
	want := c.CSRFToken(tx.req.ID, tx.browser)
	if got := r.PostFormValue("csrf_token"); got == "" || !equalStrings(got, want) {
		c.ErrorPage(w, r, tx.tenant, http.StatusForbidden, "Request refused",
			"The form had expired or did not come from this site. Go back to the application and try again.")
		return false
	}
	return true
}

// signedInTx loads a transaction whose user has signed in, in this
// browser's current session. On failure it has answered the request.
func (c *Core) signedInTx(w http.ResponseWriter, r *http.Request) (transaction, store.User, bool) {
	tx, ok := c.load(w, r)
	if !ok {
		return transaction{}, store.User{}, false
	}
	sess, user, signedIn, err := c.currentSession(r, tx.tenant)
	if err != nil {
		c.Unavailable(w, r, tx.tenant, "load session", err)
		return transaction{}, store.User{}, false
	}
	if tx.req.UserID == "" || !signedIn || !secret.EqualHashes(sess.ID, tx.req.SessionID) || user.ID != tx.req.UserID {
		c.ErrorPage(w, r, tx.tenant, http.StatusBadRequest, "Sign in again",
			"Your session changed while you were signing in. Go back to the application and try again.")
		return transaction{}, store.User{}, false
	}
	return tx, user, true
}

// toMFA sends the browser to the second-factor step of a transaction.
func (c *Core) toMFA(w http.ResponseWriter, r *http.Request, t store.Tenant, query string) {
	c.SeeOther(w, r, c.TenantURL(t, "/mfa?"+query))
}

// needsConsent reports whether the user must review what req's app asks
// for. First-party apps never ask, except to approve a device: a device
// sign-in is always confirmed, so a code someone else started cannot sign
// in a device unseen (RFC 8628 §5.4).
func (c *Core) needsConsent(ctx context.Context, app store.Application, userID string, req store.AuthRequest) (bool, error) {
	if req.DeviceID != "" {
		return true, nil
	}
	if app.FirstParty {
		return false, nil
	}
	if slices.Contains(req.Prompt, "consent") {
		return true, nil
	}
	given, err := c.store.GetConsent(ctx, app.TenantID, userID, app.ClientID)
	if errors.Is(err, store.ErrNotFound) {
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("load consent: %w", err)
	}
	for _, s := range req.Scopes {
		if !slices.Contains(given.Scopes, s) {
			return true, nil
		}
	}
	return false, nil
}

// finishSignIn opens a session for a user who passed a first factor (up
// names the upstream provider, if one was it) and goes on to consent or
// back to the provider.
func (c *Core) finishSignIn(w http.ResponseWriter, r *http.Request, tx transaction, user store.User, amr []string, up store.Upstream) {
	ctx := r.Context()
	sess, err := c.StartSession(w, r, tx.tenant, user, amr, up)
	if err != nil {
		c.Unavailable(w, r, tx.tenant, "start session", err)
		return
	}
	req := tx.req
	req.UserID, req.SessionID, req.AMR = user.ID, sess.ID, sess.AMR
	authTime := sess.AuthTime
	req.AuthTime = &authTime
	if mfa.NeedsMFA(tx.tenant, tx.app, user, sess.AMR, req.ACRValues) {
		// The first factor passed; the code waits for the second.
		if err := c.store.UpdateAuthRequest(ctx, req); err != nil {
			c.Unavailable(w, r, tx.tenant, "update login transaction", err)
			return
		}
		c.toMFA(w, r, tx.tenant, "id="+req.ID)
		return
	}
	c.recordSignIn(ctx, attemptOutcome{tenant: tx.tenant, app: tx.app, user: user, methods: methodsOf(amr),
		upstream: up.ProviderID, multiFactor: slices.Contains(sess.AMR, mfa.AMRMFA), key: req.ID, result: resultSuccess})
	needConsent, err := c.needsConsent(ctx, tx.app, user.ID, req)
	if err != nil {
		c.Unavailable(w, r, tx.tenant, "load consent", err)
		return
	}
	if !needConsent {
		req.ConsentGiven, req.Done = true, true
	}
	if err := c.store.UpdateAuthRequest(ctx, req); err != nil {
		c.Unavailable(w, r, tx.tenant, "update login transaction", err)
		return
	}
	if needConsent {
		c.redirect(w, r, tx.tenant, "consent", req.ID)
		return
	}
	c.toCallback(w, r, tx.tenant, req.ID)
}
