package provider

import (
	"context"
	"slices"

	"github.com/zitadel/oidc/v3/pkg/oidc"

	"github.com/foyer-idp/foyer/internal/store"
)

// clientCredentials serves the client_credentials grant over the shared
// token issuer.
type clientCredentials struct{ *tokens }

// serve issues an access token to a confidential client for
// itself (RFC 6749 §4.4). It is the hot path: one application read and one
// HMAC happened in VerifyClient, signing uses the cached key, and a JWT is
// not stored.
func (g clientCredentials) serve(ctx context.Context, t store.Tenant, app store.Application, requested []string) (*oidc.AccessTokenResponse, error) {
	if app.ClientType != store.ClientConfidential {
		return nil, oidc.ErrUnauthorizedClient().WithDescription("only confidential clients may use client_credentials")
	}
	// {external}/.default asks for a token for the admin API carrying
	// every application permission the app holds, as Entra's client
	// credentials do; it stands alone (one resource per token) and no
	// single permission can be asked for. Without it the token is for the
	// client itself and carries no permission; other scopes are dropped
	// (RFC 6749 §3.3).
	var scopes []string
	def := g.external + "/" + defaultScope
	for _, s := range requested {
		if _, ok := g.apiPermission(s); ok && s != def {
			return nil, oidc.ErrInvalidScope().WithDescription("client_credentials asks for %s, not single permissions", def)
		}
		if s == def {
			scopes = []string{def}
		}
	}
	if len(scopes) > 0 && slices.ContainsFunc(requested, func(s string) bool { return s != def }) {
		return nil, oidc.ErrInvalidScope().WithDescription("%s must be the only scope", def)
	}
	m, err := g.mint(ctx, issue{tenant: t, app: app, scopes: scopes})
	if err != nil {
		return nil, err
	}
	if err := g.commit(ctx, m); err != nil {
		return nil, unavailable(err)
	}
	return m.resp, nil
}
