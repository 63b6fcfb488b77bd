package signin

import (
	"context"
	"net/http"

	"github.com/foyer-idp/foyer/federation/passcode"
	"github.com/foyer-idp/foyer/idp/tenancy"
	"github.com/foyer-idp/foyer/internal/store"
)

// Passcodes sends and checks email one-time passcodes;
// *passcode.Service is one.
type Passcodes interface {
	Send(ctx context.Context, r passcode.Request) error
	Verify(ctx context.Context, tenantID, subject, code, binding string) error
}

// Messages of the code pages (a guest's sign-in and redemption).
const (
	MsgWrongCode = "That code is not right. Check the latest email and try again."
	MsgNoCode    = "That code no longer works. Ask for a new one."
	MsgResent    = "We sent a new code. Only the newest code works."
)

// ParseForm bounds and reads a POST body; on failure it has answered.
func (c *Core) ParseForm(w http.ResponseWriter, r *http.Request) bool {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		t, _ := tenancy.From(r.Context())
		c.ErrorPage(w, r, t, http.StatusBadRequest, "Request refused", "The form could not be read.")
		return false
	}
	return true
}

// RefusedCSRF shows the error page for a form token that does not match.
func (c *Core) RefusedCSRF(w http.ResponseWriter, r *http.Request, t store.Tenant) {
	c.ErrorPage(w, r, t, http.StatusForbidden, "Request refused",
		"The form had expired or did not come from this site. Open the invitation link again.")
}

// SeeOther redirects after a POST with 303, so a reload does not post
// again.
func (c *Core) SeeOther(w http.ResponseWriter, r *http.Request, to string) {
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, to, http.StatusSeeOther)
}
