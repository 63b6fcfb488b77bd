package provider

import (
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/foyer-idp/foyer/internal/store"
)

// client is an application as op sees it. op's Client methods take no
// context, so each value is built for one request of one tenant.
type client struct {
	app             store.Application
	idTokenLifetime time.Duration
}

var _ op.Client = (*client)(nil)

func (p *Provider) client(app store.Application) *client {
	return &client{app: app, idTokenLifetime: p.lifetimes.IDToken}
}

func (c *client) GetID() string                    { return c.app.ClientID }
func (c *client) RedirectURIs() []string           { return c.app.RedirectURIs }
func (c *client) PostLogoutRedirectURIs() []string { return c.app.PostLogoutRedirectURIs }

func (c *client) ApplicationType() op.ApplicationType {
	switch c.app.ClientType {
	case store.ClientNative:
		return op.ApplicationTypeNative
	case store.ClientPublic:
		return op.ApplicationTypeUserAgent
	}
	return op.ApplicationTypeWeb
}

// AuthMethod answers client_secret_basic for confidential clients (the
// server accepts client_secret_post too) and none for public ones.
func (c *client) AuthMethod() oidc.AuthMethod {
	if c.app.ClientType == store.ClientConfidential {
		return oidc.AuthMethodBasic
	}
	return oidc.AuthMethodNone
}

func (c *client) ResponseTypes() []oidc.ResponseType {
	return []oidc.ResponseType{oidc.ResponseTypeCode}
}

func (c *client) GrantTypes() []oidc.GrantType {
	out := make([]oidc.GrantType, len(c.app.GrantTypes))
	for i, g := range c.app.GrantTypes {
		out[i] = oidc.GrantType(g)
	}
	return out
}

// LoginURL is unused: Foyer's own authorization endpoint sends browsers
// to the sign-in pages.
func (c *client) LoginURL(string) string { return "" }

func (c *client) AccessTokenType() op.AccessTokenType {
	if c.app.AccessTokenFormat == formatOpaque {
		return op.AccessTokenTypeBearer
	}
	return op.AccessTokenTypeJWT
}

func (c *client) IDTokenLifetime() time.Duration { return c.idTokenLifetime }
func (c *client) DevMode() bool                  { return false }

func (c *client) RestrictAdditionalIdTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}

func (c *client) RestrictAdditionalAccessTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}

func (c *client) IsScopeAllowed(string) bool           { return false }
func (c *client) IDTokenUserinfoClaimsAssertion() bool { return true }
func (c *client) ClockSkew() time.Duration             { return 0 }
