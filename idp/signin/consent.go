package signin

import (
	"errors"
	"net/http"
	"slices"

	"github.com/foyer-idp/foyer/internal/store"
)

// Consent is the "Review permissions" page of a login transaction.
type Consent struct{ *Core }

// Mount registers the consent page on mux behind wrap, which must put the
// tenant in the request context (tenancy.Gate).
func (p *Consent) Mount(mux *http.ServeMux, wrap func(http.Handler) http.Handler) {
	mux.Handle("GET /t/{tenant}/consent", wrap(http.HandlerFunc(p.consentPage)))
	mux.Handle("POST /t/{tenant}/consent", wrap(p.Protect(http.HandlerFunc(p.consent))))
}

func (p *Consent) consentView(tx transaction, user store.User) View {
	v := Branded(tx.tenant, "Review permissions")
	v.Action = p.TenantURL(tx.tenant, "/consent")
	v.RequestID = tx.req.ID
	v.CSRF = p.CSRFToken(tx.req.ID, tx.browser)
	v.AppName = tx.app.DisplayName
	v.Scopes = describeScopes(p.external, tx.req.Scopes)
	v.Person = person(user)
	v.Device = tx.req.DeviceID != ""
	if v.Device {
		v.Title = "Approve sign-in on a device"
	}
	return v
}

// consentPage serves GET /t/{tenant}/consent?id=….
func (p *Consent) consentPage(w http.ResponseWriter, r *http.Request) {
	tx, user, ok := p.signedInTx(w, r)
	if !ok {
		return
	}
	p.Render(w, r, http.StatusOK, "consent", p.consentView(tx, user))
}

// consent serves POST /t/{tenant}/consent: remember an allow, or finish
// the transaction as declined; the provider's callback answers the app.
func (p *Consent) consent(w http.ResponseWriter, r *http.Request) {
	if !p.ParseForm(w, r) {
		return
	}
	tx, user, ok := p.signedInTx(w, r)
	if !ok || !p.checkCSRF(w, r, tx) {
		return
	}
	ctx := r.Context()
	req := tx.req
	switch r.PostFormValue("decision") {
	case "allow":
		// A device approval is for that device only: remembering it would
		// let the app's browser sign-ins skip review.
		if tx.req.DeviceID != "" {
			req.ConsentGiven = true
			break
		}
		if err := p.remember(r, tx); err != nil {
			p.Unavailable(w, r, tx.tenant, "save consent", err)
			return
		}
		req.ConsentGiven = true
	case "deny":
		req.ConsentGiven = false
	default:
		p.Render(w, r, http.StatusBadRequest, "consent", p.consentView(tx, user))
		return
	}
	req.Done = true
	if err := p.store.UpdateAuthRequest(ctx, req); err != nil {
		p.Unavailable(w, r, tx.tenant, "update login transaction", err)
		return
	}
	p.toCallback(w, r, tx.tenant, req.ID)
}

// remember stores the user's consent to the app: what they allowed before
// and what they allowed now.
func (p *Consent) remember(r *http.Request, tx transaction) error {
	ctx := r.Context()
	now := p.clock()
	c, err := p.store.GetConsent(ctx, tx.tenant.ID, tx.req.UserID, tx.app.ClientID)
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
	return p.store.SaveConsent(ctx, c)
}
