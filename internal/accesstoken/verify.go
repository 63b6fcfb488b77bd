package accesstoken

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/foyer-idp/foyer/internal/store"
	"github.com/foyer-idp/foyer/keys"
)

// ErrInvalid is any token Foyer did not issue as an access token for the
// expected audience, or no longer honours. Its wrapped reason is for logs
// only; a caller answers 401 invalid_token. Any other error from Verify is
// Foyer's own failure (a store outage): a 503, never a 401.
var ErrInvalid = errors.New("invalid access token")

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}

// Typ is the JWS typ of access tokens (RFC 9068 §2.1).
const Typ = "at+jwt"

// Leeway is how far in the future iat and nbf may lie, for clocks a little
// apart. exp has none: a token is never honoured past its stated end.
const Leeway = time.Minute

// algorithms are every algorithm Foyer signs with; a token must also name
// the algorithm of the tenant key it names.
var algorithms = []jose.SignatureAlgorithm{jose.RS256, jose.ES256, jose.EdDSA}

// Keys answers a tenant's published public keys; *keys.Manager satisfies it.
type Keys interface {
	PublicKeys(ctx context.Context, tenantID string) ([]*keys.PublicKey, error)
}

// Store is what verification reads; store.Store satisfies it.
type Store interface {
	TokenRevoked(ctx context.Context, tenantID string, ids ...string) (bool, error)
	GetAccessToken(ctx context.Context, tenantID, id string) (store.AccessToken, error)
	GetUserCore(ctx context.Context, tenantID, id string) (store.User, error)
}

var (
	_ Keys  = (*keys.Manager)(nil)
	_ Store = store.Store(nil)
)

// Deps are Verify's dependencies.
type Deps struct {
	Keys  Keys
	Store Store
	// Now is the clock; nil is time.Now.
	Now func() time.Time
}

// Expect is what the caller requires of a token.
type Expect struct {
	// ExternalURL is Foyer's external URL without a trailing slash:
	// issuers are {ExternalURL}/t/{slug}.
	ExternalURL string
	// Tenant resolves the slug named by iss. store.ErrNotFound (or
	// ErrInvalid) makes the token invalid; any other error is returned.
	// A caller serving one tenant answers ErrNotFound for every other
	// slug.
	Tenant func(ctx context.Context, slug string) (store.Tenant, error)
	// Audience must be among the token's aud. Empty only with
	// AnyAudience.
	Audience string
	// AnyAudience accepts any audience: the provider's own endpoints,
	// which every token of the tenant may call.
	AnyAudience bool
	// ActiveUser requires a user token's user to exist, be enabled and
	// still honour the sign-in behind the token (store.User.Honours):
	// a token from before the account was disabled stays refused after
	// it is enabled again.
	ActiveUser bool
}

// Claims are a verified token's claims.
type Claims struct {
	TenantID   string
	TenantSlug string
	Subject    string
	ClientID   string
	Audience   []string
	// Scopes are the granted scopes (the scope claim).
	Scopes []string
	// Roles are application permissions (client-credentials tokens for
	// the admin API).
	Roles []string
	// Scp are delegated permissions (user tokens for the admin API).
	Scp       []string
	JTI       string
	IssuedAt  time.Time
	ExpiresAt time.Time
	// AuthTime is when the user signed in (auth_time), for user tokens;
	// IssuedAt when the token names none.
	AuthTime time.Time
	// IsUser: issued to a user through an app, not to an app for itself.
	IsUser bool
}

// claims are the JSON claims read back.
type claims struct {
	Issuer    string   `json:"iss"`
	Subject   string   `json:"sub"`
	Audience  audience `json:"aud"`
	Expiry    *int64   `json:"exp"`
	NotBefore *int64   `json:"nbf"`
	IssuedAt  *int64   `json:"iat"`
	AuthTime  *int64   `json:"auth_time"`
	JTI       string   `json:"jti"`
	ClientID  string   `json:"client_id"`
	Scope     string   `json:"scope"`
	Scp       string   `json:"scp"`
	Roles     []string `json:"roles"`
	TenantID  string   `json:"tid"`
	AZP       string   `json:"azp"`
	SID       string   `json:"sid"`
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

// IsAccessTyp reports whether a JWS typ header names an access token.
func IsAccessTyp(typ string) bool {
	return strings.EqualFold(typ, Typ) || strings.EqualFold(typ, "application/"+Typ)
}

// LooksLikeJWT reports whether a bearer value has a compact JWS's shape;
// anything else is an opaque token.
func LooksLikeJWT(raw string) bool { return strings.Count(raw, ".") == 2 }

// Verify checks raw as an access token of the tenant its iss names: a
// compact JWS in one of Foyer's algorithms signed by a published key of
// that tenant (whose algorithm the header names), typ at+jwt, tid and iss
// matching the tenant, exp in the future, iat and nbf not beyond Leeway
// ahead, a jti, the expected audience, not revoked (see notRevoked) and,
// for a user's token with ActiveUser, a user still present and enabled.
func Verify(ctx context.Context, raw string, exp Expect, deps Deps) (Claims, error) {
	if exp.Tenant == nil || exp.ExternalURL == "" || deps.Keys == nil || deps.Store == nil {
		return Claims{}, errors.New("accesstoken: Expect.Tenant, Expect.ExternalURL, Deps.Keys and Deps.Store are required")
	}
	if exp.Audience == "" && !exp.AnyAudience {
		return Claims{}, errors.New("accesstoken: Expect.Audience is required")
	}
	now := time.Now()
	if deps.Now != nil {
		now = deps.Now()
	}
	jws, h, err := parse(raw)
	if err != nil {
		return Claims{}, err
	}
	if typ := typOf(h); !IsAccessTyp(typ) {
		return Claims{}, invalid("typ %q is not %s", typ, Typ)
	}
	// The payload is read unverified only to find whose keys to try.
	var unverified claims
	if err := json.Unmarshal(jws.UnsafePayloadWithoutVerification(), &unverified); err != nil {
		return Claims{}, invalid("claims: %v", err)
	}
	slug, ok := strings.CutPrefix(unverified.Issuer, exp.ExternalURL+"/t/")
	if !ok || slug == "" || strings.Contains(slug, "/") {
		return Claims{}, invalid("issuer %q is not Foyer's", unverified.Issuer)
	}
	t, err := exp.Tenant(ctx, slug)
	switch {
	case errors.Is(err, store.ErrNotFound), errors.Is(err, ErrInvalid):
		return Claims{}, invalid("unknown tenant %q", slug)
	case err != nil:
		return Claims{}, fmt.Errorf("resolve tenant: %w", err)
	case t.Slug != slug:
		return Claims{}, invalid("tenant %q resolved to %q", slug, t.Slug)
	}
	c, err := verifyFor(ctx, jws, h, exp.ExternalURL, t, deps.Keys)
	if err != nil {
		return Claims{}, err
	}
	switch {
	case c.Expiry == nil:
		return Claims{}, invalid("no exp")
	case !now.Before(time.Unix(*c.Expiry, 0)):
		return Claims{}, invalid("expired")
	case c.NotBefore != nil && time.Unix(*c.NotBefore, 0).After(now.Add(Leeway)):
		return Claims{}, invalid("not yet valid")
	case c.IssuedAt == nil || time.Unix(*c.IssuedAt, 0).After(now.Add(Leeway)):
		return Claims{}, invalid("iat missing or in the future")
	case c.JTI == "":
		return Claims{}, invalid("no jti")
	case c.Subject == "" || c.ClientID == "":
		return Claims{}, invalid("no sub or client_id")
	case !exp.AnyAudience && !slices.Contains(c.Audience, exp.Audience):
		return Claims{}, invalid("audience %v is not %q", []string(c.Audience), exp.Audience)
	}
	out := Claims{
		TenantID: t.ID, TenantSlug: t.Slug, Subject: c.Subject, ClientID: c.ClientID, Audience: c.Audience,
		Scopes: strings.Fields(c.Scope), Roles: c.Roles, Scp: strings.Fields(c.Scp), JTI: c.JTI,
		IssuedAt: time.Unix(*c.IssuedAt, 0).UTC(), ExpiresAt: time.Unix(*c.Expiry, 0).UTC(),
		IsUser: c.Subject != c.ClientID,
	}
	out.AuthTime = out.IssuedAt
	if c.AuthTime != nil {
		out.AuthTime = time.Unix(*c.AuthTime, 0).UTC()
	}
	if err := notRevoked(ctx, deps.Store, t.ID, c.JTI, c.ClientID, c.Subject, out.IsUser); err != nil {
		return Claims{}, err
	}
	if out.IsUser && exp.ActiveUser {
		u, err := deps.Store.GetUserCore(ctx, t.ID, c.Subject)
		switch {
		case errors.Is(err, store.ErrNotFound):
			return Claims{}, invalid("the user no longer exists")
		case err != nil:
			return Claims{}, fmt.Errorf("load user: %w", err)
		case !u.AccountEnabled:
			return Claims{}, invalid("the user's account is disabled")
		case !u.Honours(out.AuthTime):
			return Claims{}, invalid("the sign-in behind the token has ended")
		}
	}
	return out, nil
}

// notRevoked checks a verified token's jti. One that names a refresh
// family or grant (NewJTI) is live unless it or its reference was revoked:
// one lookup, no row per token. Any other is a client-credentials token,
// stored only once revoked, or a user token stored when issued (before
// user tokens carried references, or without one), which must be found.
func notRevoked(ctx context.Context, s Store, tenantID, jti, clientID, subject string, isUser bool) error {
	if ref, ok := RefOf(jti); ok {
		revoked, err := s.TokenRevoked(ctx, tenantID, jti, ref)
		switch {
		case err != nil:
			return fmt.Errorf("look up revocations: %w", err)
		case revoked:
			return invalid("revoked")
		}
		return nil
	}
	stored, err := s.GetAccessToken(ctx, tenantID, jti)
	switch {
	case errors.Is(err, store.ErrNotFound):
		if isUser {
			return invalid("unknown user token")
		}
	case err != nil:
		return fmt.Errorf("load access token: %w", err)
	case stored.RevokedAt != nil:
		return invalid("revoked")
	case stored.ClientID != clientID || stored.Subject != subject:
		return invalid("record does not match")
	}
	return nil
}

// parse reads raw as a compact JWS with one signature in one of Foyer's
// algorithms, not yet verified.
func parse(raw string) (*jose.JSONWebSignature, jose.Header, error) {
	jws, err := jose.ParseSignedCompact(raw, algorithms)
	if err != nil {
		return nil, jose.Header{}, invalid("parse: %v", err)
	}
	if len(jws.Signatures) != 1 {
		return nil, jose.Header{}, invalid("not exactly one signature")
	}
	return jws, jws.Signatures[0].Protected, nil
}

func typOf(h jose.Header) string {
	typ, _ := h.ExtraHeaders[jose.HeaderType].(string)
	return typ
}

// verifyFor verifies jws against the published key of t its header names
// (by kid and algorithm) and answers its claims, which must name t as
// issuer and tenant.
func verifyFor(ctx context.Context, jws *jose.JSONWebSignature, h jose.Header, externalURL string, t store.Tenant, k Keys) (claims, error) {
	public, err := k.PublicKeys(ctx, t.ID)
	if err != nil {
		return claims{}, fmt.Errorf("public keys: %w", err)
	}
	i := slices.IndexFunc(public, func(k *keys.PublicKey) bool {
		return k.ID() == h.KeyID && string(k.Algorithm()) == h.Algorithm
	})
	if i < 0 {
		// Also what a token signed with another tenant's key meets.
		return claims{}, invalid("unknown key")
	}
	payload, err := jws.Verify(public[i].Key())
	if err != nil {
		return claims{}, invalid("signature: %v", err)
	}
	var c claims
	if err := json.Unmarshal(payload, &c); err != nil {
		return claims{}, invalid("claims: %v", err)
	}
	if c.Issuer != externalURL+"/t/"+t.Slug || c.TenantID != t.ID {
		return claims{}, invalid("issued for another tenant")
	}
	return c, nil
}

// Signed is a JWT that VerifySignature found signed and issued by a
// tenant: nothing else about it is checked.
type Signed struct {
	// Typ is the JWS typ header.
	Typ                              string
	Subject, AZP, JTI, ClientID, SID string
	Audience, Scopes                 []string
	// IssuedAt and ExpiresAt are zero when the token names none.
	IssuedAt, ExpiresAt time.Time
}

// VerifySignature checks that raw is a compact JWS in one of Foyer's
// algorithms, signed by a published key of t (of the algorithm its header
// names), whose iss and tid name t. It checks neither type, lifetime nor
// audience, for callers that decide those themselves: the provider's
// id_token_hint (which may have expired) and revocation (where an expired
// token is a no-op). Errors are as Verify's.
func VerifySignature(ctx context.Context, raw, externalURL string, t store.Tenant, k Keys) (Signed, error) {
	jws, h, err := parse(raw)
	if err != nil {
		return Signed{}, err
	}
	c, err := verifyFor(ctx, jws, h, externalURL, t, k)
	if err != nil {
		return Signed{}, err
	}
	unix := func(s *int64) time.Time {
		if s == nil {
			return time.Time{}
		}
		return time.Unix(*s, 0).UTC()
	}
	return Signed{
		Typ: typOf(h), Subject: c.Subject, AZP: c.AZP, JTI: c.JTI, ClientID: c.ClientID, SID: c.SID,
		Audience: c.Audience, Scopes: strings.Fields(c.Scope), IssuedAt: unix(c.IssuedAt), ExpiresAt: unix(c.Expiry),
	}, nil
}
