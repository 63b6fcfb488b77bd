package provider

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"

	"github.com/foyer-idp/foyer/internal/mfa"
	"github.com/foyer-idp/foyer/internal/store"
)

// refreshGrant serves the refresh_token grant over the shared token
// issuer.
type refreshGrant struct {
	*tokens
	dir    Directory
	logger *slog.Logger
}

// activeUser answers the user a grant from a sign-in at authTime is for,
// refusing one deleted or disabled since, or whose sign-ins until after
// authTime were ended (see honoured).
func (g *refreshGrant) activeUser(ctx context.Context, t store.Tenant, id string, authTime time.Time) (store.User, error) {
	u, err := g.store.GetUserCore(ctx, t.ID, id)
	if errors.Is(err, store.ErrNotFound) {
		return store.User{}, invalidGrant("the user no longer exists")
	}
	if err != nil {
		return store.User{}, unavailable(err)
	}
	return u, honoured(u, authTime)
}

// serve rotates a refresh token (RFC 6749 §6, OAuth 2.0 Security BCP
// §4.14): every use answers a new refresh token of the same family, with
// the family's absolute end; presenting a token used or revoked before
// revokes the whole family — unless it is the same client retrying within
// the grace window (see retry). Scopes may narrow for the access token,
// never widen. Everything is signed before the rotation commits.
func (g *refreshGrant) serve(ctx context.Context, t store.Tenant, app store.Application, req *oidc.RefreshTokenRequest) (*oidc.AccessTokenResponse, error) {
	now := g.clock()
	hash := g.hasher.Hash(req.RefreshToken)
	rt, err := g.store.GetRefreshToken(ctx, t.ID, hash)
	if errors.Is(err, store.ErrNotFound) {
		return nil, invalidGrant("the refresh token is invalid")
	}
	if err != nil {
		return nil, unavailable(err)
	}
	if rt.UsedAt != nil || rt.RevokedAt != nil {
		// A spent token, whoever presents it: a retry of its own client
		// within the window, or a replay that revokes the family.
		return g.retry(ctx, t, app, req, rt, now)
	}
	if rt.ClientID != app.ClientID {
		return nil, invalidGrant("the refresh token was issued to another client")
	}
	if !now.Before(rt.ExpiresAt) {
		return nil, invalidGrant("the refresh token has expired")
	}
	is, err := g.refreshIssue(ctx, t, app, req, rt)
	if err != nil {
		return nil, err
	}
	if g.lifetimes.RefreshReuseGrace > 0 {
		is.refreshValue = g.nextRefreshValue(rt, req.RefreshToken)
	}
	m, err := g.mint(ctx, is)
	if err != nil {
		return nil, err
	}
	if m.storeAccess {
		err = g.store.InTx(ctx, func(tx store.Store) error {
			if err := tx.RotateRefreshToken(ctx, t.ID, hash, *m.refresh, now); err != nil {
				return err
			}
			return tx.CreateAccessToken(ctx, m.access)
		})
	} else {
		// The access token names the family, so the rotation is the one
		// write (one statement on PostgreSQL).
		err = g.store.RotateRefreshToken(ctx, t.ID, hash, *m.refresh, now)
	}
	switch {
	case errors.Is(err, store.ErrAlreadyUsed):
		// A concurrent request rotated it first: maybe the same
		// client's retry, which the grace window answers alike.
		if rt, err = g.store.GetRefreshToken(ctx, t.ID, hash); err != nil {
			return nil, unavailable(err)
		}
		return g.retry(ctx, t, app, req, rt, now)
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
func (g *refreshGrant) refreshIssue(ctx context.Context, t store.Tenant, app store.Application, req *oidc.RefreshTokenRequest, rt store.RefreshToken) (issue, error) {
	scopes := rt.Scopes
	if len(req.Scopes) > 0 {
		for _, s := range req.Scopes {
			if !slices.Contains(rt.Scopes, s) {
				return issue{}, oidc.ErrInvalidScope().WithDescription("scope %q was not granted", s)
			}
		}
		scopes = req.Scopes
	}
	user, err := g.activeUser(ctx, t, rt.UserID, rt.AuthTime)
	if err != nil {
		return issue{}, err
	}
	mayUse, err := g.dir.MayUse(ctx, app, user.ID)
	if err != nil {
		return issue{}, unavailable(err)
	}
	if !mayUse {
		return issue{}, invalidGrant("the user is no longer assigned to the application")
	}
	if mfa.NeedsMFA(t, app, user, rt.AMR, nil) {
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
func (g *refreshGrant) nextRefreshValue(rt store.RefreshToken, old string) string {
	return g.hasher.Hash("foyer-refresh-rotation\x00" + rt.TenantID + "\x00" + rt.FamilyID + "\x00" + rt.ID + "\x00" + old)
}

// retry answers a refresh token presented after it was rotated or revoked.
// Its own client presenting it again within RefreshReuseGrace of the
// rotation — a retry after a lost response — gets the refresh token that
// rotation issued, if that is still unused and live, with a new access
// token (and ID token) of the same grant. Anything else is a replay: the
// family is revoked.
func (g *refreshGrant) retry(ctx context.Context, t store.Tenant, app store.Application, req *oidc.RefreshTokenRequest, rt store.RefreshToken, now time.Time) (*oidc.AccessTokenResponse, error) {
	grace := g.lifetimes.RefreshReuseGrace
	if grace <= 0 || rt.ClientID != app.ClientID || rt.RevokedAt != nil || rt.UsedAt == nil || now.Sub(*rt.UsedAt) > grace {
		return nil, g.reused(ctx, t, rt, now)
	}
	value := g.nextRefreshValue(rt, req.RefreshToken)
	nextHash := g.hasher.Hash(value)
	next, err := g.store.GetRefreshToken(ctx, t.ID, nextHash)
	switch {
	case errors.Is(err, store.ErrNotFound):
		// Rotated to a random token (before the grace was on), or not by
		// this value: a replay.
		return nil, g.reused(ctx, t, rt, now)
	case err != nil:
		return nil, unavailable(err)
	case next.FamilyID != rt.FamilyID || next.ClientID != app.ClientID || next.UsedAt != nil || next.RevokedAt != nil:
		// The client already moved on with the new token: the old one
		// coming back is a replay.
		return nil, g.reused(ctx, t, rt, now)
	case !now.Before(next.ExpiresAt):
		return nil, invalidGrant("the refresh token has expired")
	}
	is, err := g.refreshIssue(ctx, t, app, req, next)
	if err != nil {
		return nil, err
	}
	is.refresh = false
	m, err := g.mint(ctx, is)
	if err != nil {
		return nil, err
	}
	if m.storeAccess {
		err = g.store.CreateAccessTokenUnder(ctx, t.ID, nextHash, m.access, now)
	}
	// Otherwise nothing is written: the access token names the family,
	// so a revocation racing this retry still reaches it.
	switch {
	case errors.Is(err, store.ErrAlreadyUsed):
		return nil, g.reused(ctx, t, rt, now)
	case errors.Is(err, store.ErrExpired):
		return nil, invalidGrant("the refresh token has expired")
	case err != nil:
		return nil, unavailable(err)
	}
	m.resp.RefreshToken = value
	g.logger.InfoContext(ctx, "refresh retried within the grace window; the same refresh token is answered",
		"tenant", t.Slug, "client_id", app.ClientID, "family", rt.FamilyID)
	return m.resp, nil
}

// reused answers a refresh token presented after it was rotated or
// revoked: someone holds a copy, so the whole family goes.
func (g *refreshGrant) reused(ctx context.Context, t store.Tenant, rt store.RefreshToken, now time.Time) error {
	if err := g.store.RevokeRefreshFamily(ctx, t.ID, rt.FamilyID, now, g.revokedUntil(now)); err != nil {
		return unavailable(fmt.Errorf("revoke refresh family: %w", err))
	}
	g.logger.WarnContext(ctx, "refresh token reused; its family is revoked", "tenant", t.Slug, "client_id", rt.ClientID, "family", rt.FamilyID)
	return invalidGrant("the refresh token was already used")
}
