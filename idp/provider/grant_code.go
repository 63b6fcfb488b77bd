package provider

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/foyer-idp/foyer/idp/signin"
	"github.com/foyer-idp/foyer/internal/directory"
	"github.com/foyer-idp/foyer/internal/store"
	"github.com/foyer-idp/foyer/keys"
)

// errCodeOfAnotherClient rolls back the consumption of a code presented by
// a client it was not issued to.
var errCodeOfAnotherClient = errors.New("the code was issued to another client")

// exchangeCode redeems an authorization code (RFC 6749 §4.1.3). The code is
// consumed first by one conditional UPDATE, so the database decides which
// of concurrent redemptions wins. A code presented by a client it was not
// issued to is refused and the consumption rolls back: a stolen code tried
// at another client must not burn it for its own. Once its own client
// presented it, whatever the checks after the consumption decide (verifier,
// redirect URI), the consumption commits: a code is worth one try of its
// client. A spent code presented again by its own client is a replay that
// revokes what the code gave; by another client it is only refused. The
// tokens commit in the same
// transaction as the consumption, so a second redemption — which waits for
// that transaction on the code's row — always finds them, and revokes every
// token the first one issued (§4.1.2). The grant id is the code's hash,
// known to both redemptions.
func (p *Provider) exchangeCode(ctx context.Context, t store.Tenant, app store.Application, req *oidc.AccessTokenRequest) (*oidc.AccessTokenResponse, error) {
	now := p.clock()
	hash := p.hasher.Hash(req.Code)
	// Before the transaction: a key made on first use must not wait
	// for the write lock this transaction holds.
	key, err := p.signer(ctx, t)
	if err != nil {
		return nil, err
	}
	var resp *oidc.AccessTokenResponse
	var refused error
	replayByOwner := false
	err = p.store.InTx(ctx, func(tx store.Store) error {
		tok, err := tx.ConsumeToken(ctx, t.ID, kindAuthCode, hash, now)
		if errors.Is(err, store.ErrAlreadyUsed) {
			var g codeGrant
			replayByOwner = json.Unmarshal(tok.Payload, &g) == nil && g.ClientID == app.ClientID
		}
		if err != nil {
			return err
		}
		m, err := p.redeem(ctx, tx, t, app, req, tok, hash, key)
		if errors.Is(err, errCodeOfAnotherClient) {
			return err // the consumption rolls back
		}
		if isRefusal(err) {
			refused = err
			return nil // the consumption commits; no token does
		}
		if err != nil {
			return err
		}
		resp = m.resp
		return save(ctx, tx, m)
	})
	switch {
	case errors.Is(err, store.ErrAlreadyUsed) && !replayByOwner:
		// Another client holds a copy of a spent code: it is refused, and
		// cannot make Foyer revoke what the code's own client got.
		p.logger.WarnContext(ctx, "spent authorization code presented by another client", "tenant", t.Slug, "client_id", app.ClientID)
		return nil, invalidGrant("the code is invalid or expired")
	case errors.Is(err, store.ErrAlreadyUsed):
		if err := p.store.RevokeGrant(ctx, t.ID, hash, now); err != nil {
			return nil, unavailable(fmt.Errorf("revoke replayed grant: %w", err))
		}
		p.logger.WarnContext(ctx, "authorization code redeemed twice; its tokens are revoked", "tenant", t.Slug, "client_id", app.ClientID)
		return nil, invalidGrant("the code was already used")
	case errors.Is(err, store.ErrNotFound), errors.Is(err, store.ErrExpired):
		return nil, invalidGrant("the code is invalid or expired")
	case errors.Is(err, errCodeOfAnotherClient):
		p.logger.WarnContext(ctx, "authorization code presented by another client; it stays valid for its own", "tenant", t.Slug, "client_id", app.ClientID)
		return nil, invalidGrant(errCodeOfAnotherClient.Error())
	case err != nil:
		var status op.StatusError
		if errors.As(err, &status) {
			return nil, err
		}
		return nil, unavailable(err)
	case refused != nil:
		return nil, refused
	}
	return resp, nil
}

// redeem checks a consumed code against the token request and mints its
// tokens. A failed check is a refusal (see isRefusal).
func (p *Provider) redeem(ctx context.Context, tx store.Store, t store.Tenant, app store.Application,
	req *oidc.AccessTokenRequest, tok store.Token, hash string, key *keys.SigningKey) (minted, error) {
	var g codeGrant
	if err := json.Unmarshal(tok.Payload, &g); err != nil {
		return minted{}, fmt.Errorf("decode code grant: %w", err)
	}
	if g.ClientID != app.ClientID {
		return minted{}, errCodeOfAnotherClient
	}
	if req.RedirectURI != g.RedirectURI {
		return minted{}, invalidGrant("redirect_uri differs from the authorization request's")
	}
	if err := checkPKCE(app, g.CodeChallenge, req.CodeVerifier); err != nil {
		return minted{}, err
	}
	u, err := tx.GetUser(ctx, t.ID, g.UserID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return minted{}, invalidGrant("the user no longer exists")
	case err != nil:
		return minted{}, unavailable(err)
	}
	if err := honoured(u, g.AuthTime); err != nil {
		return minted{}, err
	}
	return p.mintWith(key, issue{
		tenant: t, app: app, user: &u, scopes: g.Scopes, nonce: g.Nonce, authTime: g.AuthTime, amr: g.AMR,
		grantID: hash, refresh: wantsRefresh(app, g.Scopes), sid: g.SID,
	})
}

// isRefusal reports whether err answers the client's request (a protocol
// error such as invalid_grant), as opposed to a failure of Foyer's own.
func isRefusal(err error) bool {
	var oe *oidc.Error
	var status op.StatusError
	return errors.As(err, &oe) && oe.ErrorType != oidc.ServerError && !errors.As(err, &status)
}

// checkPKCE verifies the code_verifier (RFC 7636 §4.6). Only S256
// challenges are ever stored. A verifier with no challenge is refused, so a
// client cannot believe it is protected when it is not.
func checkPKCE(app store.Application, challenge, verifier string) error {
	if challenge == "" {
		if verifier != "" {
			return invalidRequest("code_verifier sent, but the authorization request had no code_challenge")
		}
		if app.ClientType != store.ClientConfidential {
			return invalidGrant("PKCE is required for public clients")
		}
		return nil
	}
	if verifier == "" {
		return invalidGrant("code_verifier is required")
	}
	sum := sha256.Sum256([]byte(verifier))
	if subtle.ConstantTimeCompare([]byte(base64.RawURLEncoding.EncodeToString(sum[:])), []byte(challenge)) != 1 {
		return invalidGrant("code_verifier does not match the code_challenge")
	}
	return nil
}

// wantsRefresh: a refresh token comes with offline_access, for clients
// allowed the refresh grant.
func wantsRefresh(app store.Application, scopes []string) bool {
	return slices.Contains(scopes, oidc.ScopeOfflineAccess) && slices.Contains(app.GrantTypes, directory.GrantRefreshToken)
}

// activeUser answers the user a grant from a sign-in at authTime is for,
// refusing one deleted or disabled since, or whose sign-ins until after
// authTime were ended (see honoured).
func (p *Provider) activeUser(ctx context.Context, t store.Tenant, id string, authTime time.Time) (store.User, error) {
	u, err := p.store.GetUser(ctx, t.ID, id)
	if errors.Is(err, store.ErrNotFound) {
		return store.User{}, invalidGrant("the user no longer exists")
	}
	if err != nil {
		return store.User{}, unavailable(err)
	}
	return u, honoured(u, authTime)
}

// honoured refuses a grant of u from a sign-in at authTime that u no
// longer honours: the account is disabled, or was disabled after that
// sign-in (store.User.Honours), which enabling it again does not undo.
func honoured(u store.User, authTime time.Time) error {
	switch {
	case !u.AccountEnabled:
		return invalidGrant("the user's account is disabled")
	case !u.Honours(authTime):
		return invalidGrant("the sign-in behind this grant has ended; the user must sign in again")
	}
	return nil
}

// refresh rotates a refresh token (RFC 6749 §6, OAuth 2.0 Security BCP
// §4.14): every use answers a new refresh token of the same family, with
// the family's absolute end; presenting a token used or revoked before
// revokes the whole family — unless it is the same client retrying within
// the grace window (see retry). Scopes may narrow for the access token,
// never widen. Everything is signed before the rotation commits.
func (p *Provider) refresh(ctx context.Context, t store.Tenant, app store.Application, req *oidc.RefreshTokenRequest) (*oidc.AccessTokenResponse, error) {
	now := p.clock()
	hash := p.hasher.Hash(req.RefreshToken)
	rt, err := p.store.GetRefreshToken(ctx, t.ID, hash)
	if errors.Is(err, store.ErrNotFound) {
		return nil, invalidGrant("the refresh token is invalid")
	}
	if err != nil {
		return nil, unavailable(err)
	}
	if rt.UsedAt != nil || rt.RevokedAt != nil {
		// A spent token, whoever presents it: a retry of its own client
		// within the window, or a replay that revokes the family.
		return p.retry(ctx, t, app, req, rt, now)
	}
	if rt.ClientID != app.ClientID {
		return nil, invalidGrant("the refresh token was issued to another client")
	}
	if !now.Before(rt.ExpiresAt) {
		return nil, invalidGrant("the refresh token has expired")
	}
	is, err := p.refreshIssue(ctx, t, app, req, rt)
	if err != nil {
		return nil, err
	}
	if p.lifetimes.RefreshReuseGrace > 0 {
		is.refreshValue = p.nextRefreshValue(rt, req.RefreshToken)
	}
	m, err := p.mint(ctx, is)
	if err != nil {
		return nil, err
	}
	err = p.store.InTx(ctx, func(tx store.Store) error {
		if err := tx.RotateRefreshToken(ctx, t.ID, hash, *m.refresh, now); err != nil {
			return err
		}
		return tx.CreateAccessToken(ctx, m.access)
	})
	switch {
	case errors.Is(err, store.ErrAlreadyUsed):
		// A concurrent request rotated it first: maybe the same
		// client's retry, which the grace window answers alike.
		if rt, err = p.store.GetRefreshToken(ctx, t.ID, hash); err != nil {
			return nil, unavailable(err)
		}
		return p.retry(ctx, t, app, req, rt, now)
	case errors.Is(err, store.ErrExpired):
		return nil, invalidGrant("the refresh token has expired")
	case err != nil:
		return nil, unavailable(err)
	}
	return m.resp, nil
}

// refreshIssue checks what a refresh needs beyond the token itself — the
// scopes asked for, the user still active, assigned and meeting the MFA
// policy — and answers what to mint.
func (p *Provider) refreshIssue(ctx context.Context, t store.Tenant, app store.Application, req *oidc.RefreshTokenRequest, rt store.RefreshToken) (issue, error) {
	scopes := rt.Scopes
	if len(req.Scopes) > 0 {
		for _, s := range req.Scopes {
			if !slices.Contains(rt.Scopes, s) {
				return issue{}, oidc.ErrInvalidScope().WithDescription("scope %q was not granted", s)
			}
		}
		scopes = req.Scopes
	}
	user, err := p.activeUser(ctx, t, rt.UserID, rt.AuthTime)
	if err != nil {
		return issue{}, err
	}
	mayUse, err := p.dir.MayUse(ctx, app, user.ID)
	if err != nil {
		return issue{}, unavailable(err)
	}
	if !mayUse {
		return issue{}, invalidGrant("the user is no longer assigned to the application")
	}
	if signin.NeedsMFA(t, app, user, rt.AMR, nil) {
		// Policy now asks for a second factor the sign-in never proved.
		return issue{}, invalidGrant("the sign-in behind this token did not prove a second factor")
	}
	return issue{
		tenant: t, app: app, user: &user, scopes: scopes, authTime: rt.AuthTime, amr: rt.AMR, grantID: rt.GrantID,
		refresh: true, familyID: rt.FamilyID, familyExpiresAt: rt.ExpiresAt, refreshScopes: rt.Scopes,
	}, nil
}

// nextRefreshValue derives the refresh token that replaces rt, whose
// value is old, when the grace window is on: an HMAC, under the key of the
// stored token hashes, of the old value, its row id and family. A retry
// within the window derives the same value again, so Foyer can answer the
// same token without keeping it anywhere, in plaintext or sealed. Without
// the key no one can compute it; and since the row id lives only in the
// database, the key alone does not lead from an old token to its
// successors either. The "\x00"-separated, prefixed input never equals a
// token value (base64url), so no derived value is the stored hash of
// another token.
func (p *Provider) nextRefreshValue(rt store.RefreshToken, old string) string {
	return p.hasher.Hash("foyer-refresh-rotation\x00" + rt.TenantID + "\x00" + rt.FamilyID + "\x00" + rt.ID + "\x00" + old)
}

// retry answers a refresh token presented after it was rotated or revoked.
// Its own client presenting it again within RefreshReuseGrace of the
// rotation — a retry after a lost response — gets the refresh token that
// rotation issued, if that is still unused and live, with a new access
// token (and ID token) of the same grant. Anything else is a replay: the
// family is revoked.
func (p *Provider) retry(ctx context.Context, t store.Tenant, app store.Application, req *oidc.RefreshTokenRequest, rt store.RefreshToken, now time.Time) (*oidc.AccessTokenResponse, error) {
	grace := p.lifetimes.RefreshReuseGrace
	if grace <= 0 || rt.ClientID != app.ClientID || rt.RevokedAt != nil || rt.UsedAt == nil || now.Sub(*rt.UsedAt) > grace {
		return nil, p.reused(ctx, t, rt, now)
	}
	value := p.nextRefreshValue(rt, req.RefreshToken)
	nextHash := p.hasher.Hash(value)
	next, err := p.store.GetRefreshToken(ctx, t.ID, nextHash)
	switch {
	case errors.Is(err, store.ErrNotFound):
		// Rotated to a random token (before the grace was on), or not by
		// this value: a replay.
		return nil, p.reused(ctx, t, rt, now)
	case err != nil:
		return nil, unavailable(err)
	case next.FamilyID != rt.FamilyID || next.ClientID != app.ClientID || next.UsedAt != nil || next.RevokedAt != nil:
		// The client already moved on with the new token: the old one
		// coming back is a replay.
		return nil, p.reused(ctx, t, rt, now)
	}
	is, err := p.refreshIssue(ctx, t, app, req, next)
	if err != nil {
		return nil, err
	}
	is.refresh = false
	m, err := p.mint(ctx, is)
	if err != nil {
		return nil, err
	}
	err = p.store.CreateAccessTokenUnder(ctx, t.ID, nextHash, m.access, now)
	switch {
	case errors.Is(err, store.ErrAlreadyUsed):
		return nil, p.reused(ctx, t, rt, now)
	case errors.Is(err, store.ErrExpired):
		return nil, invalidGrant("the refresh token has expired")
	case err != nil:
		return nil, unavailable(err)
	}
	m.resp.RefreshToken = value
	p.logger.InfoContext(ctx, "refresh retried within the grace window; the same refresh token is answered",
		"tenant", t.Slug, "client_id", app.ClientID, "family", rt.FamilyID)
	return m.resp, nil
}

// reused answers a refresh token presented after it was rotated or
// revoked: someone holds a copy, so the whole family goes.
func (p *Provider) reused(ctx context.Context, t store.Tenant, rt store.RefreshToken, now time.Time) error {
	if err := p.store.RevokeRefreshFamily(ctx, t.ID, rt.FamilyID, now); err != nil {
		return unavailable(fmt.Errorf("revoke refresh family: %w", err))
	}
	p.logger.WarnContext(ctx, "refresh token reused; its family is revoked", "tenant", t.Slug, "client_id", rt.ClientID, "family", rt.FamilyID)
	return invalidGrant("the refresh token was already used")
}

// clientCredentials issues an access token to a confidential client for
// itself (RFC 6749 §4.4). It is the hot path: one application read and one
// HMAC happened in VerifyClient, signing uses the cached key, and a JWT is
// not stored.
func (p *Provider) clientCredentials(ctx context.Context, t store.Tenant, app store.Application, requested []string) (*oidc.AccessTokenResponse, error) {
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
	def := p.external + "/" + defaultScope
	for _, s := range requested {
		if _, ok := p.apiPermission(s); ok && s != def {
			return nil, oidc.ErrInvalidScope().WithDescription("client_credentials asks for %s, not single permissions", def)
		}
		if s == def {
			scopes = []string{def}
		}
	}
	if len(scopes) > 0 && slices.ContainsFunc(requested, func(s string) bool { return s != def }) {
		return nil, oidc.ErrInvalidScope().WithDescription("%s must be the only scope", def)
	}
	m, err := p.mint(ctx, issue{tenant: t, app: app, scopes: scopes})
	if err != nil {
		return nil, err
	}
	if err := p.commit(ctx, m); err != nil {
		return nil, unavailable(err)
	}
	return m.resp, nil
}
