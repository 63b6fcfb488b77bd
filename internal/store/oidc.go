package store

import (
	"context"
	"time"
)

// The OpenID provider's state: login transactions, browser sessions,
// refresh and access tokens, consents and attempt counters. Every record
// belongs to one tenant and every call names it.

// AuthRequests stores login transactions of the authorization endpoint.
type AuthRequests interface {
	CreateAuthRequest(ctx context.Context, r AuthRequest) error
	// GetAuthRequest answers ErrNotFound for an unknown id, one of another
	// tenant, and one past ExpiresAt.
	GetAuthRequest(ctx context.Context, tenantID, id string, now time.Time) (AuthRequest, error)
	// UpdateAuthRequest replaces the progress fields (BrowserBinding,
	// UserID, SessionID, AuthTime, AMR, ConsentGiven, Done). Update and
	// Delete answer ErrNotFound when the request is not in the tenant.
	UpdateAuthRequest(ctx context.Context, r AuthRequest) error
	DeleteAuthRequest(ctx context.Context, tenantID, id string) error
}

// Sessions stores browser sessions; the id is the hash of the cookie's
// secret, never the secret.
type Sessions interface {
	CreateSession(ctx context.Context, s Session) error
	// GetSession answers ErrNotFound for an unknown, expired or revoked
	// session.
	GetSession(ctx context.Context, tenantID, id string, now time.Time) (Session, error)
	// TouchSession moves the session's LastSeenAt forward to 'at'; a
	// session seen at or after 'at' already, or gone, is left alone and is
	// no error. Callers touch only when LastSeenAt is some way behind, so a
	// busy session is not a write per request.
	TouchSession(ctx context.Context, tenantID, id string, at time.Time) error
	// DeleteSession answers ErrNotFound when there is no such session.
	DeleteSession(ctx context.Context, tenantID, id string) error
	// DeleteUserSessions removes every session of the user; none is no
	// error.
	DeleteUserSessions(ctx context.Context, tenantID, userID string) error
}

// RefreshTokens stores hashed refresh tokens in families: each rotation
// adds one token to the family of the one it replaces.
type RefreshTokens interface {
	CreateRefreshToken(ctx context.Context, t RefreshToken) error
	// GetRefreshToken answers the token with this hash in any state (used,
	// revoked, expired): callers tell reuse from a stranger.
	GetRefreshToken(ctx context.Context, tenantID, hash string) (RefreshToken, error)
	// RotateRefreshToken marks the token with oldHash used at 'at' and
	// stores next, atomically. Of concurrent rotations of one token exactly
	// one succeeds; the others get ErrAlreadyUsed and nothing is stored. A
	// revoked token is ErrAlreadyUsed too; an expired one ErrExpired.
	// next joins the old token's family: the store takes its TenantID,
	// FamilyID and GrantID from the old token and caps its ExpiresAt at
	// the old one's.
	RotateRefreshToken(ctx context.Context, tenantID, oldHash string, next RefreshToken, at time.Time) error
	// CreateAccessTokenUnder stores access as an access token of the
	// family of the refresh token with refreshHash, only while that token
	// is live (unused, unrevoked, unexpired at 'at'), atomically with the
	// check: a concurrent revocation of the family either comes first and
	// nothing is stored, or reaches access. The store takes access's
	// TenantID and FamilyID from the refresh token. Used or revoked is
	// ErrAlreadyUsed, expired ErrExpired, unknown ErrNotFound. It serves a
	// refresh retried within its grace window, which answers the refresh
	// token already issued with a new access token.
	CreateAccessTokenUnder(ctx context.Context, tenantID, refreshHash string, access AccessToken, at time.Time) error
	// RevokeRefreshFamily revokes every refresh and access token of the
	// family: stored ones are marked, and the family id is recorded revoked
	// until 'until' (see TokenRevoked), which must be when the last access
	// token issued from the family expires. Revoking twice, or a family
	// without tokens, is no error; the first revocation time stays.
	RevokeRefreshFamily(ctx context.Context, tenantID, familyID string, at, until time.Time) error
	// RevokeGrant revokes every refresh and access token issued from one
	// authorization code (GrantID), as a replayed code requires, and the
	// access tokens issued from its refresh tokens: the grant id and the id
	// of each of its families are recorded revoked until 'until'.
	// Idempotent like RevokeRefreshFamily.
	RevokeGrant(ctx context.Context, tenantID, grantID string, at, until time.Time) error
}

// AccessTokens records access tokens that must be found by their value
// (opaque ones) and revocations. A JWT access token is not stored: a
// user's names the refresh family or grant it came from in its jti, and a
// verifier asks TokenRevoked about the jti and that reference.
type AccessTokens interface {
	// TokenRevoked reports whether any of ids — a JWT's jti, a refresh
	// family id, a grant id — is recorded revoked (RevokeTokenID,
	// RevokeRefreshFamily, RevokeGrant). One indexed lookup.
	TokenRevoked(ctx context.Context, tenantID string, ids ...string) (bool, error)
	// RevokeTokenID records id (a JWT access token's jti) revoked at 'at'
	// until 'until', the token's expiry. Revoking twice is no error; the
	// first revocation stays.
	RevokeTokenID(ctx context.Context, tenantID, id string, at, until time.Time) error
	CreateAccessToken(ctx context.Context, t AccessToken) error
	// GetAccessToken answers the token in any state; ErrNotFound if never
	// stored.
	GetAccessToken(ctx context.Context, tenantID, id string) (AccessToken, error)
	// RevokeAccessToken marks t.ID revoked at 'at', storing t first when it
	// was never stored (a JWT access token being revoked).
	RevokeAccessToken(ctx context.Context, t AccessToken, at time.Time) error
}

// Consents remembers what a user allowed an application to see.
type Consents interface {
	// GetConsent answers ErrNotFound when the user never consented.
	GetConsent(ctx context.Context, tenantID, userID, clientID string) (Consent, error)
	// SaveConsent creates or replaces the user's consent to the client; a
	// replaced consent keeps its CreatedAt. ErrNotFound when the user or
	// the client (by ClientID) is not in the tenant.
	SaveConsent(ctx context.Context, c Consent) error
	// DeleteConsent answers ErrNotFound when there is no such consent.
	DeleteConsent(ctx context.Context, tenantID, userID, clientID string) error
}

// Counters count events in a window shared by every node: failed sign-ins
// per account and per address now, failed second factors later.
type Counters interface {
	// IncrementCounter adds one to the counter named key and answers the
	// new value. A counter past its ExpiresAt restarts at 1 with the given
	// expiry; a live one keeps its own.
	IncrementCounter(ctx context.Context, tenantID, key string, expiresAt, now time.Time) (int64, error)
	// GetCounter answers the live value, 0 when none or expired.
	GetCounter(ctx context.Context, tenantID, key string, now time.Time) (int64, error)
	// DeleteCounter answers ErrNotFound when there is no such counter
	// (callers resetting a counter may ignore it).
	DeleteCounter(ctx context.Context, tenantID, key string) error
	// ClaimCounter makes the counter named key a gate: when there is none,
	// or its window has ended at now, it starts it at 1 expiring at
	// expiresAt and answers true. A live counter is left as it is: the
	// answer is false with the end of its window. Of concurrent claims
	// exactly one wins; the database decides.
	ClaimCounter(ctx context.Context, tenantID, key string, expiresAt, now time.Time) (bool, time.Time, error)
}

// Purger removes, in every tenant, what has expired (auth requests,
// sessions, refresh tokens, stored access tokens and revocations,
// counters, single-use tokens, passcodes, redemptions, federation logins)
// and what has outlived its retention (delivered or abandoned mail, audit
// events).
type Purger interface {
	// Purge deletes what r names, table by table, in statements of at most
	// batch rows each (so no long transaction holds the tables), and
	// answers how many rows went from each table that lost any. With
	// dryRun it deletes nothing and answers how many would go.
	Purge(ctx context.Context, r Retention, batch int, dryRun bool) (map[string]int64, error)
}

// Retention says what Purge deletes. A zero time deletes nothing of its
// kind.
type Retention struct {
	// ExpiredBefore: rows whose expires_at is before it.
	ExpiredBefore time.Time
	// SingleUseBefore, when set, is ExpiredBefore for single-use tokens
	// (authorization codes, redeem links): a spent code presented after
	// its expiry must still be recognised as a replay, which revokes what
	// it gave, so spent codes are kept longer.
	SingleUseBefore time.Time
	// MailBefore: mail created before it that was delivered or given up.
	MailBefore time.Time
	// AuditBefore: audit events that occurred before it.
	AuditBefore time.Time
	// SignInBefore: sign-in log rows made before it.
	SignInBefore time.Time
}

// AuthRequest is one login transaction: what the relying party asked for,
// and how far the user has come.
type AuthRequest struct {
	TenantID            string
	ID                  string
	ClientID            string
	RedirectURI         string
	Scopes              []string
	State               string
	Nonce               string
	ResponseType        string
	ResponseMode        string
	CodeChallenge       string
	CodeChallengeMethod string
	Prompt              []string
	// MaxAge in seconds; nil when the client set none.
	MaxAge    *int64
	LoginHint string
	UILocales []string
	ACRValues []string
	// IDTokenHintSubject is the sub of a verified id_token_hint.
	IDTokenHintSubject string
	// BrowserBinding is the hash of a cookie set in the browser that
	// started the transaction; only that browser may finish it.
	BrowserBinding string
	UserID         string
	SessionID      string
	AuthTime       *time.Time
	AMR            []string
	ConsentGiven   bool
	Done           bool
	// PasswordProof is set while the user, who proved their password,
	// must change it before the sign-in goes on: a keyed hash of the
	// password hash they proved. UserID names them; there is no session
	// yet.
	PasswordProof string
	// DeviceID names the device authorization the transaction approves
	// (RFC 8628); empty for an authorization request.
	DeviceID  string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// Session is a signed-in browser at one tenant.
type Session struct {
	TenantID string
	ID       string // hash of the cookie secret
	UserID   string
	AuthTime time.Time
	AMR      []string
	// Upstream is set when an upstream provider authenticated the user.
	Upstream   Upstream
	CreatedAt  time.Time
	LastSeenAt time.Time
	ExpiresAt  time.Time
}

// Upstream is the upstream provider behind a sign-in and what it said of
// how the user authenticated there.
type Upstream struct {
	ProviderID string
	AMR        []string
	ACR        string
}

// RefreshToken is one hashed refresh token of a family.
type RefreshToken struct {
	TenantID string
	ID       string
	Hash     string
	FamilyID string
	// GrantID names the authorization code the family came from.
	GrantID  string
	ClientID string
	UserID   string
	Scopes   []string
	Audience []string
	AuthTime time.Time
	AMR      []string
	// ExpiresAt is the family's absolute end: rotation never extends it.
	ExpiresAt time.Time
	CreatedAt time.Time
	UsedAt    *time.Time
	RevokedAt *time.Time
}

// AccessToken is a stored access token (see AccessTokens).
type AccessToken struct {
	TenantID  string
	ID        string // the JWT's jti, or the hash of an opaque token
	ClientID  string
	Subject   string
	Scopes    []string
	Audience  []string
	FamilyID  string // refresh family, when issued with one
	GrantID   string // authorization code, when issued from one
	AuthTime  *time.Time
	AMR       []string
	CreatedAt time.Time
	ExpiresAt time.Time
	RevokedAt *time.Time
}

// Consent is a user's permission for a client to receive these scopes.
type Consent struct {
	TenantID  string
	UserID    string
	ClientID  string
	Scopes    []string
	CreatedAt time.Time
	UpdatedAt time.Time
}
