package signin

import (
	"net/http"
	"time"

	"github.com/foyer-idp/foyer/idp/tenancy"
	"github.com/foyer-idp/foyer/internal/secret"
	"github.com/foyer-idp/foyer/internal/store"
)

func (c *Core) clock() time.Time { return c.now().UTC().Truncate(time.Microsecond) }

// Bound reports whether r comes from the browser that started req.
func (c *Core) Bound(r *http.Request, req store.AuthRequest) bool {
	value, ok := c.BrowserValue(r)
	return ok && req.BrowserBinding != "" && secret.EqualHashes(c.Binding(value), req.BrowserBinding)
}

// TenantURL answers the absolute URL of a path under the tenant.
func (c *Core) TenantURL(t store.Tenant, path string) string {
	return tenancy.Issuer(c.external, t.Slug) + path
}

// redirect sends the browser to a page of the transaction.
func (c *Core) redirect(w http.ResponseWriter, r *http.Request, t store.Tenant, page, requestID string) {
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, c.TenantURL(t, "/"+page+"?id="+requestID), http.StatusFound)
}

func (c *Core) toCallback(w http.ResponseWriter, r *http.Request, t store.Tenant, requestID string) {
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, c.TenantURL(t, CallbackPath+"?id="+requestID), http.StatusFound)
}

// Protect refuses a form posted from another site (Go's cross-origin
// protection), with the branded page.
func (c *Core) Protect(h http.Handler) http.Handler { return c.csrf.Handler(h) }

// LoginLifetime is how long a login transaction may take.
func (c *Core) LoginLifetime() time.Duration { return c.loginLifetime }
