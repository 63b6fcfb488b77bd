package cli

import (
	"context"
	"net/http"

	"github.com/foyer-idp/foyer/internal/accesstoken"
	"github.com/foyer-idp/foyer/internal/api"
)

// apiPagingPurpose derives the key that signs the API's $skiptoken values,
// the same on every node.
const apiPagingPurpose = "api-paging"

// apiRoutes is the Graph-shaped admin API under /v1.0/. Its audience is
// the external URL: only access tokens issued for it (scope
// {external}/.default or {external}/<Permission>) get in, and the tenant
// is the one whose issuer signed the token.
func apiRoutes(a *app) (map[string]http.Handler, error) {
	external := a.cfg.ExternalURL
	expect := accesstoken.Expect{ExternalURL: external, Tenant: a.store.GetTenantBySlug, Audience: external, ActiveUser: true}
	deps := accesstoken.Deps{Keys: a.keys, Store: a.store}
	h, err := api.New(api.Config{
		Directory: a.dir,
		Store:     a.store,
		MFA:       a.mfa,
		PagingKey: a.master.Hasher(apiPagingPurpose),
		BaseURL:   external,
		Logger:    a.logger,
		Verify: func(ctx context.Context, raw string) (accesstoken.Claims, error) {
			return accesstoken.Verify(ctx, raw, expect, deps)
		},
	})
	if err != nil {
		return nil, err
	}
	return map[string]http.Handler{"/v1.0/": h.Handler()}, nil
}
