package provider

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/zitadel/oidc/v3/pkg/oidc"

	"github.com/foyer-idp/foyer/internal/accesstoken"
	"github.com/foyer-idp/foyer/internal/store"
)

// introspect answers RFC 7662 introspection for an authenticated caller.
// A token is active only if it is live and belongs to the tenant and to
// the caller (issued to it, or naming it as audience), and, for a user's
// token, the user still honours the sign-in behind it (not deleted, not
// disabled, not disabled since); anything else, including another
// client's token, is {"active": false}. A store failure is a 503, never a
// false "inactive".
func (p *Provider) introspect(ctx context.Context, t store.Tenant, caller store.Application, token string) (map[string]any, error) {
	inactive := map[string]any{"active": false}
	now := p.clock()
	at, err := p.checkAccessToken(ctx, t, token, now)
	switch {
	case err == nil:
		if at.ClientID != caller.ClientID && !slices.Contains(at.Audience, caller.ClientID) {
			return inactive, nil
		}
		if isUser(at) {
			if _, ok, err := p.honours(ctx, t, at.Subject, signInOf(at)); err != nil || !ok {
				return inactive, err
			}
		}
		resp := map[string]any{
			"active": true, "token_type": oidc.BearerToken, "client_id": at.ClientID, "sub": at.Subject,
			"scope": strings.Join(at.Scopes, " "), "exp": at.ExpiresAt.Unix(), "iat": at.CreatedAt.Unix(),
			"iss": p.issuer(t), "tid": t.ID,
		}
		if len(at.Audience) > 0 {
			resp["aud"] = at.Audience
		}
		if accesstoken.LooksLikeJWT(token) {
			resp["jti"] = at.ID
		}
		return resp, nil
	case !errors.Is(err, errBadToken):
		return nil, err
	}
	rt, err := p.store.GetRefreshToken(ctx, t.ID, p.hasher.Hash(token))
	switch {
	case errors.Is(err, store.ErrNotFound):
		return inactive, nil
	case err != nil:
		return nil, unavailable(err)
	}
	if rt.ClientID != caller.ClientID || rt.UsedAt != nil || rt.RevokedAt != nil || !now.Before(rt.ExpiresAt) {
		return inactive, nil
	}
	if _, ok, err := p.honours(ctx, t, rt.UserID, rt.AuthTime); err != nil || !ok {
		return inactive, err
	}
	return map[string]any{
		"active": true, "token_type": "refresh_token", "client_id": rt.ClientID, "sub": rt.UserID,
		"scope": strings.Join(rt.Scopes, " "), "exp": rt.ExpiresAt.Unix(), "iat": rt.CreatedAt.Unix(),
		"iss": p.issuer(t), "tid": t.ID,
	}, nil
}

// userinfo answers the OIDC UserInfo response for a user's access token
// carrying the openid scope. Any other token — an ID token, a token of
// another tenant, a revoked or expired one — is 401 invalid_token.
func (p *Provider) userinfo(ctx context.Context, t store.Tenant, token string) (map[string]any, error) {
	at, err := p.checkAccessToken(ctx, t, token, p.clock())
	if errors.Is(err, errBadToken) {
		return nil, invalidToken("the access token is invalid")
	}
	if err != nil {
		return nil, err
	}
	if !isUser(at) || !slices.Contains(at.Scopes, oidc.ScopeOpenID) {
		return nil, invalidToken("the access token was not issued for userinfo")
	}
	u, ok, err := p.honours(ctx, t, at.Subject, signInOf(at))
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, invalidToken("the user no longer exists, is disabled, or must sign in again")
	}
	claims := map[string]any{"sub": u.ID, "tid": t.ID}
	userClaims(claims, u, at.Scopes)
	return claims, nil
}

// revoke serves RFC 7009 revocation by the client the token was issued to.
// A refresh token takes its whole family (and the family's access tokens)
// with it; an access token goes alone. A token Foyer does not know, or one
// of another client, is answered 200 like a success and left alone, so
// the endpoint tells nobody which tokens exist.
func (p *Provider) revoke(ctx context.Context, t store.Tenant, app store.Application, token string) error {
	now := p.clock()
	rt, err := p.store.GetRefreshToken(ctx, t.ID, p.hasher.Hash(token))
	switch {
	case err == nil:
		if rt.ClientID != app.ClientID {
			return nil
		}
		if err := p.store.RevokeRefreshFamily(ctx, t.ID, rt.FamilyID, now, p.revokedUntil(now)); err != nil {
			return unavailable(err)
		}
		return nil
	case !errors.Is(err, store.ErrNotFound):
		return unavailable(err)
	}
	var rec store.AccessToken
	if accesstoken.LooksLikeJWT(token) {
		// Signature and tenant checked, expiry not: revoking an expired
		// token is a harmless no-op.
		c, err := p.verifySigned(ctx, t, token)
		if errors.Is(err, errBadToken) {
			return nil
		}
		if err != nil {
			return err
		}
		if !accesstoken.IsAccessTyp(c.Typ) || c.JTI == "" {
			return nil
		}
		if _, ok := accesstoken.RefOf(c.JTI); ok {
			// Not stored: its jti is recorded until it expires.
			if c.ClientID != app.ClientID || !now.Before(c.ExpiresAt) {
				return nil
			}
			if err := p.store.RevokeTokenID(ctx, t.ID, c.JTI, now, c.ExpiresAt); err != nil {
				return unavailable(err)
			}
			return nil
		}
		rec, err = p.store.GetAccessToken(ctx, t.ID, c.JTI)
		switch {
		case errors.Is(err, store.ErrNotFound):
			rec = store.AccessToken{
				TenantID: t.ID, ID: c.JTI, ClientID: c.ClientID, Subject: c.Subject, Scopes: c.Scopes,
				Audience: c.Audience, CreatedAt: c.IssuedAt, ExpiresAt: c.ExpiresAt,
			}
		case err != nil:
			return unavailable(err)
		}
	} else {
		rec, err = p.store.GetAccessToken(ctx, t.ID, p.hasher.Hash(token))
		switch {
		case errors.Is(err, store.ErrNotFound):
			return nil
		case err != nil:
			return unavailable(err)
		}
	}
	if rec.ClientID != app.ClientID || rec.RevokedAt != nil {
		return nil
	}
	if err := p.store.RevokeAccessToken(ctx, rec, now); err != nil {
		return unavailable(err)
	}
	return nil
}
