package provider

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/foyer-idp/foyer/internal/accesstoken"
	"github.com/foyer-idp/foyer/internal/store"
)

// errBadToken is any token Foyer did not issue to this tenant, or no
// longer honours. Its wrapped reason is for logs only.
var errBadToken = errors.New("invalid token")

func badToken(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errBadToken, fmt.Sprintf(format, args...))
}

// acceptedAlgorithms are every algorithm Foyer signs with.
var acceptedAlgorithms = []jose.SignatureAlgorithm{jose.RS256, jose.ES256, jose.EdDSA}

// jwtClaims are the claims Foyer reads back from its own tokens.
type jwtClaims struct {
	Issuer    string   `json:"iss"`
	Subject   string   `json:"sub"`
	Audience  audience `json:"aud"`
	AZP       string   `json:"azp"`
	Expiry    int64    `json:"exp"`
	IssuedAt  int64    `json:"iat"`
	AuthTime  int64    `json:"auth_time"`
	JTI       string   `json:"jti"`
	ClientID  string   `json:"client_id"`
	Scope     string   `json:"scope"`
	TenantID  string   `json:"tid"`
	AMR       []string `json:"amr"`
	Nonce     string   `json:"nonce"`
	SID       string   `json:"sid"`
	typHeader string
}

// audience reads aud as a string or an array.
type audience []string

func (a *audience) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*a = audience{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return err
	}
	*a = many
	return nil
}

func (a audience) contains(s string) bool {
	for _, v := range a {
		if v == s {
			return true
		}
	}
	return false
}

// isAccessTyp reports whether a JWT typ header names an access token.
func isAccessTyp(typ string) bool { return accesstoken.IsAccessTyp(typ) }

// parseJWT verifies a JWT signed by one of the tenant's published keys
// and answers its claims, checking the issuer and tenant but not the
// expiry or the type: callers decide those.
func (p *Provider) parseJWT(ctx context.Context, t store.Tenant, token string) (jwtClaims, error) {
	jws, err := jose.ParseSignedCompact(token, acceptedAlgorithms)
	if err != nil {
		return jwtClaims{}, badToken("parse: %v", err)
	}
	if len(jws.Signatures) != 1 {
		return jwtClaims{}, badToken("not exactly one signature")
	}
	h := jws.Signatures[0].Protected
	public, err := p.keys.PublicKeys(ctx, t.ID)
	if err != nil {
		return jwtClaims{}, unavailable(fmt.Errorf("public keys: %w", err))
	}
	var payload []byte
	found := false
	for _, k := range public {
		if k.ID() == h.KeyID && string(k.Algorithm()) == h.Algorithm {
			found = true
			if payload, err = jws.Verify(k.Key()); err != nil {
				return jwtClaims{}, badToken("signature: %v", err)
			}
			break
		}
	}
	if !found {
		// Also what a token of another tenant meets: its kid is not here.
		return jwtClaims{}, badToken("unknown key")
	}
	var c jwtClaims
	if err := json.Unmarshal(payload, &c); err != nil {
		return jwtClaims{}, badToken("claims: %v", err)
	}
	if c.Issuer != p.issuer(t) || c.TenantID != t.ID {
		return jwtClaims{}, badToken("issued for another tenant")
	}
	c.typHeader, _ = h.ExtraHeaders[jose.HeaderType].(string)
	return c, nil
}

// verifyIDToken verifies an ID token of the tenant (an id_token_hint):
// signature, issuer, tenant and type, but not its expiry, as OIDC allows
// an expired hint.
func (p *Provider) verifyIDToken(ctx context.Context, t store.Tenant, token string) (jwtClaims, error) {
	c, err := p.parseJWT(ctx, t, token)
	if err != nil {
		return jwtClaims{}, err
	}
	if isAccessTyp(c.typHeader) || c.JTI != "" || c.Subject == "" {
		return jwtClaims{}, badToken("not an ID token")
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
	u, err := p.store.GetUser(ctx, t.ID, userID)
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
		case errors.Is(err, accesstoken.ErrInvalid):
			return store.AccessToken{}, fmt.Errorf("%w: %w", errBadToken, err)
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

func unix(s int64) time.Time { return time.Unix(s, 0).UTC() }
