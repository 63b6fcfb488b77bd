package signin

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/foyer-idp/foyer/internal/audit"
	"github.com/foyer-idp/foyer/internal/secret"
	"github.com/foyer-idp/foyer/internal/store"
)

// SignOut is a validated RP-initiated logout request.
type SignOut struct {
	// HintSubject and HintSID are the sub and sid of a valid
	// id_token_hint, empty without one. Only a hint naming the browser's
	// own session (its user and its sid) signs out without asking.
	HintSubject, HintSID string
	// RedirectURI is where to send the browser afterwards (registered,
	// state appended); empty shows Foyer's signed-out page.
	RedirectURI string
	// Params are the request's parameters, carried through the
	// confirmation form.
	Params map[string]string
}

// SignOut ends the browser's session at the tenant. Unless the request
// carries an id_token_hint of this very session, it first asks the user to
// confirm, so another site cannot sign people out by linking here — not
// even with a valid ID token of the tenant, which any user of any app
// holds.
func (c *Core) SignOut(w http.ResponseWriter, r *http.Request, t store.Tenant, so SignOut) {
	value, hasSession := cookieValue(r, c.SessionCookie(t))
	hinted := false
	if hasSession {
		var err error
		if hinted, err = c.hintNamesSession(r, t, value, so); err != nil {
			c.Unavailable(w, r, t, "check id_token_hint", err)
			return
		}
	}
	if !hinted && hasSession {
		token := c.hasher.Hash("signout\x00" + value)
		if r.Method != http.MethodPost || r.PostFormValue("confirm") != "yes" || !equalStrings(r.PostFormValue("csrf_token"), token) {
			v := Branded(t, "Sign out")
			v.Action = c.TenantURL(t, "/end_session")
			v.CSRF = token
			v.Hidden = so.Params
			c.Render(w, r, http.StatusOK, "signout", v)
			return
		}
	}
	userID, err := c.endSession(w, r, t)
	if err != nil {
		c.Unavailable(w, r, t, "end session", err)
		return
	}
	if userID != "" {
		actor := audit.Actor{Type: store.ActorUser, ID: userID}
		if u, err := c.store.GetUser(r.Context(), t.ID, userID); err == nil {
			actor.Name = u.UserPrincipalName
		}
		c.signOutEvent(r.Context(), t, actor)
	}
	if so.RedirectURI != "" {
		w.Header().Set("Cache-Control", "no-store")
		http.Redirect(w, r, so.RedirectURI, http.StatusFound)
		return
	}
	c.Render(w, r, http.StatusOK, "signedout", Branded(t, "Signed out"))
}

// hintNamesSession reports whether the id_token_hint of so names the
// session behind the cookie value: its sub is the session's user and its
// sid the session's (see SID).
func (c *Core) hintNamesSession(r *http.Request, t store.Tenant, value string, so SignOut) (bool, error) {
	if so.HintSubject == "" || so.HintSID == "" {
		return false, nil
	}
	sess, err := c.store.GetSession(r.Context(), t.ID, c.sessionID(value), c.clock())
	switch {
	case errors.Is(err, store.ErrNotFound):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("load session: %w", err)
	}
	return sess.UserID == so.HintSubject && secret.EqualHashes(c.SID(sess.ID), so.HintSID), nil
}
