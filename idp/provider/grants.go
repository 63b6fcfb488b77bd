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

// exchangeCode redeems an authorization code (RFC 6749 §4.1.3). The code is
// consumed first, and whatever the checks after it decide, the consumption
// commits: a code is worth one try. The tokens commit in the same
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
	err = p.store.InTx(ctx, func(tx store.Store) error {
		tok, err := tx.ConsumeToken(ctx, t.ID, kindAuthCode, hash, now)
		if err != nil {
			return err
		}
		m, err := p.redeem(ctx, tx, t, app, req, tok, hash, key)
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
	case errors.Is(err, store.ErrAlreadyUsed):
		if err := p.store.RevokeGrant(ctx, t.ID, hash, now); err != nil {
			return nil, unavailable(fmt.Errorf("revoke replayed grant: %w", err))
		}
		p.logger.WarnContext(ctx, "authorization code redeemed twice; its tokens are revoked", "tenant", t.Slug, "client_id", app.ClientID)
		return nil, invalidGrant("the code was already used")
	case errors.Is(err, store.ErrNotFound), errors.Is(err, store.ErrExpired):
		return nil, invalidGrant("the code is invalid or expired")
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
		return minted{}, invalidGrant("the code was issued to another client")
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
// revokes the whole family. Scopes may narrow for the access token, never
// widen. Everything is signed before the rotation commits.
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
	if rt.ClientID != app.ClientID {
		return nil, invalidGrant("the refresh token was issued to another client")
	}
	if rt.UsedAt != nil || rt.RevokedAt != nil {
		return nil, p.reused(ctx, t, rt, now)
	}
	if !now.Before(rt.ExpiresAt) {
		return nil, invalidGrant("the refresh token has expired")
	}
	scopes := rt.Scopes
	if len(req.Scopes) > 0 {
		for _, s := range req.Scopes {
			if !slices.Contains(rt.Scopes, s) {
				return nil, oidc.ErrInvalidScope().WithDescription("scope %q was not granted", s)
			}
		}
		scopes = req.Scopes
	}
	user, err := p.activeUser(ctx, t, rt.UserID, rt.AuthTime)
	if err != nil {
		return nil, err
	}
	mayUse, err := p.dir.MayUse(ctx, app, user.ID)
	if err != nil {
		return nil, unavailable(err)
	}
	if !mayUse {
		return nil, invalidGrant("the user is no longer assigned to the application")
	}
	if signin.NeedsMFA(t, app, user, rt.AMR, nil) {
		// Policy now asks for a second factor the sign-in never proved.
		return nil, invalidGrant("the sign-in behind this token did not prove a second factor")
	}
	m, err := p.mint(ctx, issue{
		tenant: t, app: app, user: &user, scopes: scopes, authTime: rt.AuthTime, amr: rt.AMR, grantID: rt.GrantID,
		refresh: true, familyID: rt.FamilyID, familyExpiresAt: rt.ExpiresAt, refreshScopes: rt.Scopes,
	})
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
		return nil, p.reused(ctx, t, rt, now)
	case errors.Is(err, store.ErrExpired):
		return nil, invalidGrant("the refresh token has expired")
	case err != nil:
		return nil, unavailable(err)
	}
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
