package tenancy

import (
	"context"
	"errors"
	"log/slog"
	"net/http"

	"github.com/foyer-idp/foyer/internal/httpx"
	"github.com/foyer-idp/foyer/internal/store"
)

// PathPrefix is where every tenant's routes live: {PathPrefix}/{slug}/….
const PathPrefix = "/t"

// Issuer answers the issuer of the tenant with this slug: the external URL
// (without a trailing slash) followed by /t/{slug}.
func Issuer(externalURL, slug string) string {
	return externalURL + PathPrefix + "/" + slug
}

type tenantKey struct{}

// WithTenant answers ctx carrying t.
func WithTenant(ctx context.Context, t store.Tenant) context.Context {
	return context.WithValue(ctx, tenantKey{}, t)
}

// From answers the tenant the Gate put in ctx.
func From(ctx context.Context) (store.Tenant, bool) {
	t, ok := ctx.Value(tenantKey{}).(store.Tenant)
	return t, ok && t.ID != ""
}

// Tenants resolves a slug; an unknown one is store.ErrNotFound.
type Tenants interface {
	GetTenantBySlug(ctx context.Context, slug string) (store.Tenant, error)
}

// Gate answers middleware for routes with a {tenant} path value: it puts
// the tenant that slug names in the request context, answers 404 for an
// unknown slug (also one that matches only when case is ignored: the slug
// is part of the issuer and must be exact), and 503 when the store cannot
// tell. The handlers behind it never see a request without a tenant.
func Gate(tenants Tenants, logger *slog.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			slug := r.PathValue("tenant")
			if slug == "" {
				httpx.WriteError(w, http.StatusNotFound, "not_found", "unknown tenant")
				return
			}
			t, err := tenants.GetTenantBySlug(r.Context(), slug)
			switch {
			case errors.Is(err, store.ErrNotFound) || (err == nil && t.Slug != slug):
				httpx.WriteError(w, http.StatusNotFound, "not_found", "unknown tenant")
				return
			case err != nil:
				logger.ErrorContext(r.Context(), "resolve tenant", "path", r.URL.Path, "err", err)
				w.Header().Set("Retry-After", "5")
				httpx.WriteError(w, http.StatusServiceUnavailable, "server_error", "temporarily unavailable, try again later")
				return
			}
			next.ServeHTTP(w, r.WithContext(WithTenant(r.Context(), t)))
		})
	}
}
