package provider

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"

	"github.com/foyer-idp/foyer/idp/tenancy"
	"github.com/foyer-idp/foyer/internal/accesstoken"
	"github.com/foyer-idp/foyer/internal/mfa"
	"github.com/foyer-idp/foyer/internal/secret"
	"github.com/foyer-idp/foyer/internal/store"
	"github.com/foyer-idp/foyer/keys"
)

const (
	// formatOpaque is Application.AccessTokenFormat for opaque tokens.
	formatOpaque = "opaque"
	// typAccessToken is the JWT typ of access tokens (RFC 9068 §2.1).
	typAccessToken = accesstoken.Typ
	// tokenBytes is the entropy of codes, refresh tokens and opaque
	// access tokens: 256 bits.
	tokenBytes = 32
)

// tokens signs and stores the token responses of every grant: the one
// place for the claims, the keys and the records a response leaves. Each
// grant's handler holds it, and so does the Provider for what it shares
// (the clock, the issuer, the code it stores at the end of a sign-in).
type tokens struct {
	// external is where clients reach Foyer, without a trailing slash.
	external  string
	store     Store
	keys      Keys
	hasher    *secret.Hasher
	lifetimes Lifetimes
	now       func() time.Time
}

func (tk *tokens) clock() time.Time { return tk.now().UTC().Truncate(time.Microsecond) }

// issuer answers the tenant's issuer.
func (tk *tokens) issuer(t store.Tenant) string { return tenancy.Issuer(tk.external, t.Slug) }

// issue is one token response to mint.
type issue struct {
	tenant store.Tenant
	app    store.Application
	// user is nil for client credentials.
	user     *store.User
	scopes   []string
	nonce    string
	authTime time.Time
	amr      []string
	grantID  string
	// sid names the browser session in the ID token; empty leaves it
	// out (a refresh: the family does not keep it).
	sid string
	// refresh asks for a refresh token. A rotation names the family it
	// continues, its absolute end and its scopes, which narrowing the
	// access token's scopes does not change (RFC 6749 §6).
	refresh         bool
	familyID        string
	familyExpiresAt time.Time
	refreshScopes   []string
	// refreshValue, when set, is the new refresh token instead of a
	// random one (see nextRefreshValue).
	refreshValue string
}

// minted is a signed token response and the records to store with it.
type minted struct {
	resp *oidc.AccessTokenResponse
	// access is stored when it must be findable: opaque tokens, and
	// tokens of users (so revoking their grant or family reaches them).
	access      store.AccessToken
	storeAccess bool
	refresh     *store.RefreshToken
}

// mint signs every token of a response with the tenant's active key.
// Nothing is stored: the caller commits the records once everything is
// signed, so a signing failure never leaves a rotation half done.
func (tk *tokens) mint(ctx context.Context, is issue) (minted, error) {
	key, err := tk.signer(ctx, is.tenant)
	if err != nil {
		return minted{}, err
	}
	return tk.mintWith(key, is)
}

// signer answers the tenant's active signing key (cached by keys).
func (tk *tokens) signer(ctx context.Context, t store.Tenant) (*keys.SigningKey, error) {
	key, err := tk.keys.Signer(ctx, t.ID)
	if err != nil {
		return nil, unavailable(fmt.Errorf("signing key: %w", err))
	}
	return key, nil
}

// mintWith is mint with the key already in hand.
func (tk *tokens) mintWith(key *keys.SigningKey, is issue) (minted, error) {
	now := tk.clock()
	var err error
	exp := now.Add(tk.lifetimes.AccessToken)
	subject := is.app.ClientID
	var authTime *time.Time
	if is.user != nil {
		subject = is.user.ID
		at := is.authTime
		authTime = &at
	}
	// One resource per token: the admin API's (the external URL) when
	// the scopes name it, else the client's own.
	aud := is.app.ClientID
	scp := tk.delegated(is.scopes)
	appToken := is.user == nil && slices.Contains(is.scopes, tk.external+"/"+defaultScope)
	if appToken || (is.user != nil && len(scp) > 0) {
		aud = tk.external
	}
	rec := store.AccessToken{
		TenantID: is.tenant.ID, ClientID: is.app.ClientID, Subject: subject, Scopes: is.scopes,
		Audience: []string{aud}, GrantID: is.grantID, AuthTime: authTime, AMR: is.amr,
		CreatedAt: now, ExpiresAt: exp,
	}
	familyID := is.familyID
	if is.refresh && familyID == "" {
		familyID = secret.NewID()
	}
	rec.FamilyID = familyID
	// A user's JWT names what revokes it in its jti (see revocationRef);
	// one that cannot is stored, as opaque tokens are.
	ref := ""
	if is.user != nil {
		ref = revocationRef(familyID, is.grantID)
	}
	out := minted{storeAccess: is.app.AccessTokenFormat == formatOpaque || (is.user != nil && ref == "")}
	var accessToken string
	if is.app.AccessTokenFormat == formatOpaque {
		accessToken = secret.NewToken(tokenBytes)
		rec.ID = tk.hasher.Hash(accessToken)
	} else {
		rec.ID = accesstoken.NewJTI(ref)
		claims := &accessClaims{
			Issuer: tk.issuer(is.tenant), Subject: subject, Audience: aud,
			Expiry: exp.Unix(), IssuedAt: now.Unix(), NotBefore: now.Unix(), ID: rec.ID,
			ClientID: is.app.ClientID, Scope: strings.Join(is.scopes, " "), TenantID: is.tenant.ID,
		}
		switch {
		case is.user != nil:
			claims.setAuthTime(is.authTime.Unix())
			// Delegated permissions, as Graph puts them in "scp".
			claims.Scp = strings.Join(scp, " ")
		case appToken:
			// Application permissions, as Entra puts them in "roles",
			// only in tokens for the API.
			claims.Roles = is.app.APIPermissions
		}
		if accessToken, err = sign(key, typAccessToken, claims); err != nil {
			return minted{}, err
		}
	}
	out.resp = &oidc.AccessTokenResponse{
		AccessToken: accessToken, TokenType: oidc.BearerToken,
		ExpiresIn: uint64(tk.lifetimes.AccessToken / time.Second), Scope: is.scopes,
	}
	if is.user != nil && slices.Contains(is.scopes, oidc.ScopeOpenID) {
		if out.resp.IDToken, err = tk.idToken(key, is, accessToken, now); err != nil {
			return minted{}, err
		}
	}
	if is.refresh {
		value := is.refreshValue
		if value == "" {
			value = secret.NewToken(tokenBytes)
		}
		rt := &store.RefreshToken{
			TenantID: is.tenant.ID, ID: secret.NewID(), Hash: tk.hasher.Hash(value), FamilyID: familyID,
			GrantID: is.grantID, ClientID: is.app.ClientID, UserID: subject, Scopes: is.refreshScopes,
			Audience: rec.Audience, AuthTime: is.authTime, AMR: is.amr, ExpiresAt: is.familyExpiresAt, CreatedAt: now,
		}
		if is.familyID == "" {
			rt.ExpiresAt = now.Add(tk.lifetimes.RefreshToken)
		}
		if len(rt.Scopes) == 0 {
			rt.Scopes = is.scopes
		}
		out.refresh = rt
		out.resp.RefreshToken = value
	}
	out.access = rec
	return out, nil
}

// revocationRef is what a user's access token names in its jti so that a
// verifier can ask whether it was revoked without a row per token: the
// refresh family it was issued with or from (revoking the family, or the
// grant that started it, records the family id), else the grant (the code)
// it was issued from. Empty when the token has neither.
func revocationRef(familyID, grantID string) string {
	if familyID != "" {
		return familyID
	}
	return grantID
}

// revokedUntil is how long a family or grant revoked at 'at' must stay
// recorded: until every access token issued from it has expired. The
// minute covers a token minted by a request that checked the family just
// before the revocation committed.
func (tk *tokens) revokedUntil(at time.Time) time.Time {
	return at.Add(tk.lifetimes.AccessToken + time.Minute)
}

// idToken signs the ID token of a response.
func (tk *tokens) idToken(key *keys.SigningKey, is issue, accessToken string, now time.Time) (string, error) {
	atHash, err := oidc.ClaimHash(accessToken, key.SignatureAlgorithm())
	if err != nil {
		return "", fmt.Errorf("at_hash: %w", err)
	}
	claims := &idClaims{
		Issuer: tk.issuer(is.tenant), Subject: is.user.ID, Audience: is.app.ClientID, AuthorizedParty: is.app.ClientID,
		Expiry: now.Add(tk.lifetimes.IDToken).Unix(), IssuedAt: now.Unix(), AuthTime: is.authTime.Unix(),
		AMR: is.amr, ACR: mfa.ACR(is.amr), TenantID: is.tenant.ID, AtHash: atHash,
		Nonce: is.nonce, SessionID: is.sid,
	}
	claims.setProfile(profileOf(*is.user, is.scopes))
	return sign(key, "JWT", claims)
}

// commit stores the records of a minted response in one transaction.
func (tk *tokens) commit(ctx context.Context, m minted) error {
	if !m.storeAccess && m.refresh == nil {
		return nil
	}
	return tk.store.InTx(ctx, func(tx store.Store) error { return save(ctx, tx, m) })
}

// save stores the records of a minted response in tx.
func save(ctx context.Context, tx store.Store, m minted) error {
	if m.refresh != nil {
		if err := tx.CreateRefreshToken(ctx, *m.refresh); err != nil {
			return err
		}
	}
	if m.storeAccess {
		return tx.CreateAccessToken(ctx, m.access)
	}
	return nil
}

func (p *Provider) countIssued(t store.Tenant, grant string) {
	if p.issued != nil {
		p.issued.WithLabelValues(t.Slug, grant).Inc()
	}
}
