package provider

import (
	"errors"
	"net/http"
	"net/url"
	"slices"

	"github.com/foyer-idp/foyer/idp/signin"
	"github.com/foyer-idp/foyer/idp/tenancy"
	"github.com/foyer-idp/foyer/internal/store"
)

// endSessionParams are the RP-initiated logout parameters Foyer reads.
var endSessionParams = []string{"id_token_hint", "client_id", "post_logout_redirect_uri", "state", "logout_hint", "ui_locales"}

// endSession serves GET and POST {issuer}/end_session (OpenID Connect
// RP-Initiated Logout 1.0). It ends the browser's session at the tenant
// and returns to a registered post-logout redirect URI, or shows Foyer's
// signed-out page. A redirect URI needs the client to be known, from
// client_id or the hint's audience, and is matched exactly. The user is
// asked first unless the hint's sub and sid name the browser's session
// (signin.Core.SignOut).
func (p *Provider) endSession(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	t, _ := tenancy.From(ctx)
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		p.flow.ErrorPage(w, r, t, http.StatusBadRequest, "Invalid sign-out request", "The request could not be read.")
		return
	}
	hint, clientID := r.Form.Get("id_token_hint"), r.Form.Get("client_id")
	var so signin.SignOut
	if hint != "" {
		c, err := p.verifyIDToken(ctx, t, hint)
		if err != nil {
			if !errors.Is(err, errBadToken) {
				p.flow.Unavailable(w, r, t, "verify id_token_hint", err)
				return
			}
			p.flow.ErrorPage(w, r, t, http.StatusBadRequest, "Invalid sign-out request", "The application sent an ID token Foyer did not issue.")
			return
		}
		azp := c.AZP
		if azp == "" && len(c.Audience) == 1 {
			azp = c.Audience[0]
		}
		if clientID != "" && clientID != azp && !slices.Contains(c.Audience, clientID) {
			p.flow.ErrorPage(w, r, t, http.StatusBadRequest, "Invalid sign-out request", "The ID token was issued to another application.")
			return
		}
		if clientID == "" {
			clientID = azp
		}
		so.HintSubject, so.HintSID = c.Subject, c.SID
	}
	redirect := ""
	if uri := r.Form.Get("post_logout_redirect_uri"); uri != "" {
		if clientID == "" {
			p.flow.ErrorPage(w, r, t, http.StatusBadRequest, "Invalid sign-out request",
				"The application must identify itself to be sent back after signing out.")
			return
		}
		app, err := p.store.GetApplicationByClientID(ctx, t.ID, clientID)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			p.flow.Unavailable(w, r, t, "load application", err)
			return
		}
		if err != nil || !postLogoutRegistered(app, uri) {
			p.flow.ErrorPage(w, r, t, http.StatusBadRequest, "Invalid sign-out request",
				"The address the application asked to return to after signing out is not registered for it.")
			return
		}
		u, err := url.Parse(uri)
		if err != nil {
			p.flow.ErrorPage(w, r, t, http.StatusBadRequest, "Invalid sign-out request", "The return address cannot be used.")
			return
		}
		if state := r.Form.Get("state"); state != "" {
			q := u.Query()
			q.Set("state", state)
			u.RawQuery = q.Encode()
		}
		redirect = u.String()
	}
	so.RedirectURI, so.Params = redirect, map[string]string{}
	for _, name := range endSessionParams {
		if v := r.Form.Get(name); v != "" {
			so.Params[name] = v
		}
	}
	p.flow.SignOut(w, r, t, so)
}

// postLogoutRegistered matches like redirectRegistered, over the
// post-logout redirect URIs.
func postLogoutRegistered(app store.Application, uri string) bool {
	if slices.Contains(app.PostLogoutRedirectURIs, uri) {
		return true
	}
	probe := app
	probe.RedirectURIs = app.PostLogoutRedirectURIs
	return redirectRegistered(probe, uri)
}
