package provider

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/foyer-idp/foyer/internal/accesstoken"
	"github.com/foyer-idp/foyer/internal/store"
)

// errBadToken is any token Foyer did not issue to this tenant, or no
// longer honours: accesstoken's verdict, which opaque tokens share. Its
// wrapped reason is for logs only.
var errBadToken = accesstoken.ErrInvalid

func badToken(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errBadToken, fmt.Sprintf(format, args...))
}

// verifySigned verifies a JWT signed by one of the tenant's published
// keys and issued by it (accesstoken.VerifySignature), not its expiry or
// type: callers decide those. A key failure is a 503.
func (p *Provider) verifySigned(ctx context.Context, t store.Tenant, token string) (accesstoken.Signed, error) {
	s, err := accesstoken.VerifySignature(ctx, token, p.external, t, p.keys)
	if err != nil && !errors.Is(err, errBadToken) {
		return s, unavailable(err)
	}
	return s, err
}

// verifyIDToken verifies an ID token of the tenant (an id_token_hint):
// signature, issuer, tenant and type, but not its expiry, as OIDC allows
// an expired hint.
func (p *Provider) verifyIDToken(ctx context.Context, t store.Tenant, token string) (accesstoken.Signed, error) {
	c, err := p.verifySigned(ctx, t, token)
	if err != nil {
		return c, err
	}
	if accesstoken.IsAccessTyp(c.Typ) || c.JTI != "" || c.Subject == "" {
		return accesstoken.Signed{}, badToken("not an ID token")
	}
	return c, nil
}

// isUser reports whether an access token was issued to a user rather than
// to a client for itself.
func isUser(at store.AccessToken) bool { return at.Subject != at.ClientID }

// signInOf answers when the sign-in behind a user's access token was: its
// auth time, or when it was issued if it records none.
func signInOf(at store.AccessToken) time.Time {
	if at.AuthTime != nil {
		return *at.AuthTime
	}
	return at.CreatedAt
}

// honours reports whether the user with this id still honours a token of
// a sign-in at authTime (store.User.Honours); a deleted user honours
// nothing. Only a store failure is an error.
func (p *Provider) honours(ctx context.Context, t store.Tenant, userID string, authTime time.Time) (store.User, bool, error) {
	u, err := p.store.GetUserCore(ctx, t.ID, userID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return store.User{}, false, nil
	case err != nil:
		return store.User{}, false, unavailable(err)
	}
	return u, u.Honours(authTime), nil
}

// checkAccessToken answers the record of a live access token of the
// tenant. A JWT goes through accesstoken.Verify (any audience: every token
// of the tenant may reach the provider's endpoints); an opaque one must be
// stored, unexpired and unrevoked.
func (p *Provider) checkAccessToken(ctx context.Context, t store.Tenant, token string, now time.Time) (store.AccessToken, error) {
	if accesstoken.LooksLikeJWT(token) {
		c, err := accesstoken.Verify(ctx, token, accesstoken.Expect{
			ExternalURL: p.external, AnyAudience: true,
			Tenant: func(_ context.Context, slug string) (store.Tenant, error) {
				if slug != t.Slug {
					return store.Tenant{}, store.ErrNotFound
				}
				return t, nil
			},
		}, accesstoken.Deps{Keys: p.keys, Store: p.store, Now: func() time.Time { return now }})
		switch {
		case errors.Is(err, errBadToken):
			return store.AccessToken{}, err
		case err != nil:
			return store.AccessToken{}, unavailable(err)
		}
		at := store.AccessToken{
			TenantID: t.ID, ID: c.JTI, ClientID: c.ClientID, Subject: c.Subject, Scopes: c.Scopes,
			Audience: c.Audience, CreatedAt: c.IssuedAt, ExpiresAt: c.ExpiresAt,
		}
		if c.IsUser {
			at.AuthTime = &c.AuthTime
		}
		return at, nil
	}
	stored, err := p.store.GetAccessToken(ctx, t.ID, p.hasher.Hash(token))
	switch {
	case errors.Is(err, store.ErrNotFound):
		return store.AccessToken{}, badToken("unknown token")
	case err != nil:
		return store.AccessToken{}, unavailable(err)
	case stored.RevokedAt != nil:
		return store.AccessToken{}, badToken("revoked")
	case !now.Before(stored.ExpiresAt):
		return store.AccessToken{}, badToken("expired")
	}
	return stored, nil
}
