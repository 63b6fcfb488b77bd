package signin

import (
	"net/http"

	"github.com/foyer-idp/foyer/internal/audit"
	"github.com/foyer-idp/foyer/internal/store"
)

// SignOut is a validated RP-initiated logout request.
type SignOut struct {
	// Hinted says the request carried a valid id_token_hint: it comes
	// from an app the user signed in to, so no confirmation is asked.
	Hinted bool
	// RedirectURI is where to send the browser afterwards (registered,
	// state appended); empty shows Foyer's signed-out page.
	RedirectURI string
	// Params are the request's parameters, carried through the
	// confirmation form.
	Params map[string]string
}

// SignOut ends the browser's session at the tenant. Without an
// id_token_hint it first asks the user to confirm, so another site cannot
// sign people out by linking here.
func (f *Flow) SignOut(w http.ResponseWriter, r *http.Request, t store.Tenant, so SignOut) {
	value, hasSession := cookieValue(r, f.SessionCookie(t))
	if !so.Hinted && hasSession {
		token := f.hasher.Hash("signout\x00" + value)
		if r.Method != http.MethodPost || r.PostFormValue("confirm") != "yes" || !equalStrings(r.PostFormValue("csrf_token"), token) {
			v := branded(t, "Sign out")
			v.Action = f.tenantURL(t, "/end_session")
			v.CSRF = token
			v.Hidden = so.Params
			f.render(w, r, http.StatusOK, "signout", v)
			return
		}
	}
	userID, err := f.endSession(w, r, t)
	if err != nil {
		f.Unavailable(w, r, t, "end session", err)
		return
	}
	if userID != "" {
		actor := audit.Actor{Type: store.ActorUser, ID: userID}
		if u, err := f.store.GetUser(r.Context(), t.ID, userID); err == nil {
			actor = userActor(u)
		}
		f.signInEvent(r.Context(), t, store.Application{}, actor, ActivitySignOut, resultSuccess, "")
	}
	if so.RedirectURI != "" {
		w.Header().Set("Cache-Control", "no-store")
		http.Redirect(w, r, so.RedirectURI, http.StatusFound)
		return
	}
	f.render(w, r, http.StatusOK, "signedout", branded(t, "Signed out"))
}
