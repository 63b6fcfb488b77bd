package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/foyer-idp/foyer/internal/store"
)

// Refresh tokens are looked up by hash; error messages leave hashes, family
// and grant ids out.

const refreshTokenColumns = `tenant_id, id, hash, family_id, grant_id, client_id, user_id, scopes, audience,
	auth_time, amr, expires_at, created_at, used_at, revoked_at`

func scanRefreshToken(r rowScanner) (store.RefreshToken, error) {
	var t store.RefreshToken
	err := r.Scan(&t.TenantID, &t.ID, &t.Hash, &t.FamilyID, &t.GrantID, &t.ClientID, &t.UserID,
		listDest{&t.Scopes}, listDest{&t.Audience}, timeDest{&t.AuthTime}, listDest{&t.AMR},
		timeDest{&t.ExpiresAt}, timeDest{&t.CreatedAt}, nullTimeDest{&t.UsedAt}, nullTimeDest{&t.RevokedAt})
	return t, err
}

// CreateRefreshToken answers ErrConflict for a hash or id taken in the
// tenant, ErrNotFound for a user or client not in it.
func (s *Store) CreateRefreshToken(ctx context.Context, t store.RefreshToken) error {
	if err := s.insertRefreshToken(ctx, t); err != nil {
		return fmt.Errorf("create refresh token: %w", s.dbError(err))
	}
	return nil
}

func (s *Store) insertRefreshToken(ctx context.Context, t store.RefreshToken) error {
	_, err := s.write.ExecContext(ctx, `INSERT INTO refresh_tokens (`+refreshTokenColumns+`)
		VALUES (`+placeholders(15)+`)`,
		t.TenantID, t.ID, t.Hash, t.FamilyID, t.GrantID, t.ClientID, t.UserID, listArg(t.Scopes),
		listArg(t.Audience), s.timeArg(t.AuthTime), listArg(t.AMR), s.timeArg(t.ExpiresAt),
		s.timeArg(t.CreatedAt), s.nullTimeArg(t.UsedAt), s.nullTimeArg(t.RevokedAt))
	return err
}

// GetRefreshToken is one point lookup on the (tenant_id, hash) index.
func (s *Store) GetRefreshToken(ctx context.Context, tenantID, hash string) (store.RefreshToken, error) {
	t, err := selectRefreshToken(ctx, s.read, tenantID, hash)
	if err != nil {
		return store.RefreshToken{}, fmt.Errorf("get refresh token: %w", s.dbError(err))
	}
	return t, nil
}

func selectRefreshToken(ctx context.Context, q querier, tenantID, hash string) (store.RefreshToken, error) {
	return scanRefreshToken(q.QueryRowContext(ctx, `SELECT `+refreshTokenColumns+` FROM refresh_tokens
		WHERE tenant_id = $1 AND hash = $2`, tenantID, hash))
}

// RotateRefreshToken lets the database pick the winner: one conditional
// UPDATE marks the old token used only while it is unused, unrevoked and
// unexpired, and the INSERT of next commits with it or not at all. Of
// concurrent rotations the first UPDATE locks the row; the others match
// nothing once it commits, and learn why from a second look.
//
// next joins the old token's family and grant in tenantID and never
// outlives it: its TenantID, FamilyID and GrantID are taken from the old
// token and its ExpiresAt is capped at the old one's.
func (s *Store) RotateRefreshToken(ctx context.Context, tenantID, oldHash string, next store.RefreshToken, at time.Time) error {
	if s.dialect.modifyingCTE {
		if err := s.rotateInOneStatement(ctx, tenantID, oldHash, next, at); err != nil {
			return fmt.Errorf("rotate refresh token: %w", s.dbError(err))
		}
		return nil
	}
	err := s.atomically(ctx, func(tx *Store) error {
		var familyEnd time.Time
		err := tx.write.QueryRowContext(ctx, `UPDATE refresh_tokens SET used_at = $3
			WHERE tenant_id = $1 AND hash = $2 AND used_at IS NULL AND revoked_at IS NULL AND expires_at > $3
			RETURNING family_id, grant_id, expires_at`, tenantID, oldHash, s.timeArg(at)).
			Scan(&next.FamilyID, &next.GrantID, timeDest{&familyEnd})
		if errors.Is(err, sql.ErrNoRows) {
			return whyNotRotatable(ctx, tx.write, tenantID, oldHash)
		}
		if err != nil {
			return err
		}
		next.TenantID = tenantID
		if next.ExpiresAt.After(familyEnd) {
			next.ExpiresAt = familyEnd
		}
		return tx.insertRefreshToken(ctx, next)
	})
	if err != nil {
		return fmt.Errorf("rotate refresh token: %w", s.dbError(err))
	}
	return nil
}

// rotateInOneStatement is RotateRefreshToken as one statement: the
// conditional UPDATE in a WITH clause hands the old token's family, grant
// and end to the INSERT of next, and the statement commits whole or not at
// all. Concurrent rotations queue on the row lock as before; the losers'
// UPDATE matches nothing once the winner commits, so they insert nothing.
func (s *Store) rotateInOneStatement(ctx context.Context, tenantID, oldHash string, next store.RefreshToken, at time.Time) error {
	var id string
	err := s.write.QueryRowContext(ctx, `WITH old AS (
			UPDATE refresh_tokens SET used_at = $3
			WHERE tenant_id = $1 AND hash = $2 AND used_at IS NULL AND revoked_at IS NULL AND expires_at > $3
			RETURNING family_id, grant_id, expires_at)
		INSERT INTO refresh_tokens (`+refreshTokenColumns+`)
		SELECT $1, $4::text, $5::text, old.family_id, old.grant_id, $6::text, $7::text, $8::text, $9::text,
			$10::timestamptz, $11::text, LEAST($12::timestamptz, old.expires_at), $13::timestamptz,
			$14::timestamptz, $15::timestamptz
		FROM old
		RETURNING id`,
		tenantID, oldHash, s.timeArg(at), next.ID, next.Hash, next.ClientID, next.UserID, listArg(next.Scopes),
		listArg(next.Audience), s.timeArg(next.AuthTime), listArg(next.AMR), s.timeArg(next.ExpiresAt),
		s.timeArg(next.CreatedAt), s.nullTimeArg(next.UsedAt), s.nullTimeArg(next.RevokedAt)).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return whyNotRotatable(ctx, s.write, tenantID, oldHash)
	}
	return err
}

// CreateAccessTokenUnder holds the refresh token's row with a conditional
// UPDATE that changes nothing but matches only a live token, and inserts
// the access token in the same transaction: a family revocation, which
// updates that row too, either committed first (nothing matches) or waits
// for this one and then finds the access token.
func (s *Store) CreateAccessTokenUnder(ctx context.Context, tenantID, refreshHash string, access store.AccessToken, at time.Time) error {
	err := s.atomically(ctx, func(tx *Store) error {
		err := tx.write.QueryRowContext(ctx, `UPDATE refresh_tokens SET used_at = used_at
			WHERE tenant_id = $1 AND hash = $2 AND used_at IS NULL AND revoked_at IS NULL AND expires_at > $3
			RETURNING family_id`, tenantID, refreshHash, s.timeArg(at)).Scan(&access.FamilyID)
		if errors.Is(err, sql.ErrNoRows) {
			return whyNotRotatable(ctx, tx.write, tenantID, refreshHash)
		}
		if err != nil {
			return err
		}
		access.TenantID = tenantID
		_, err = tx.write.ExecContext(ctx, `INSERT INTO access_tokens (`+accessTokenColumns+`)
			VALUES (`+placeholders(13)+`)`, s.accessTokenArgs(access)...)
		return err
	})
	if err != nil {
		return fmt.Errorf("create access token under a refresh token: %w", s.dbError(err))
	}
	return nil
}

// whyNotRotatable classifies a token the conditional UPDATE did not match.
// Used or revoked is ErrAlreadyUsed even once it has expired too: the
// caller must see the replay.
func whyNotRotatable(ctx context.Context, q querier, tenantID, hash string) error {
	t, err := selectRefreshToken(ctx, q, tenantID, hash)
	switch {
	case err != nil:
		return err
	case t.UsedAt != nil || t.RevokedAt != nil:
		return store.ErrAlreadyUsed
	default:
		return store.ErrExpired
	}
}

// RevokeRefreshFamily revokes the family's refresh tokens and the access
// tokens issued with them: stored ones are marked, and the family id is
// recorded for JWTs. An unknown family, or one revoked before, is no
// error; the first revocation time stays.
func (s *Store) RevokeRefreshFamily(ctx context.Context, tenantID, familyID string, at, until time.Time) error {
	err := s.revokeTokens(ctx, tenantID, familyID, at, until, `family_id = $2`, `family_id = $2`)
	if err != nil {
		return fmt.Errorf("revoke refresh token family: %w", s.dbError(err))
	}
	return nil
}

// RevokeGrant revokes the grant's refresh tokens, and the access tokens
// issued from the code or from any refresh token of its families (which
// may not carry the grant id themselves); for JWTs the grant id and its
// families' ids are recorded.
func (s *Store) RevokeGrant(ctx context.Context, tenantID, grantID string, at, until time.Time) error {
	err := s.revokeTokens(ctx, tenantID, grantID, at, until, `grant_id = $2`, `grant_id = $2`,
		`family_id IN (SELECT r.family_id FROM refresh_tokens r
			WHERE r.tenant_id = $1 AND r.grant_id = $2 AND r.family_id <> '')`)
	if err != nil {
		return fmt.Errorf("revoke grant: %w", s.dbError(err))
	}
	return nil
}

// revokeTokens records id revoked, with the families of the refresh tokens
// matching refreshMatch, and sets revoked_at, where not set yet, on those
// refresh tokens and on the stored access tokens matching any of
// accessMatches (constant clauses over $1 = tenant, $2 = id), in one
// transaction. The families are recorded before the tokens are marked, so
// the refresh tokens matched are the ones being revoked. Each clause is
// its own UPDATE so that each uses its index; an OR would scan the tenant.
// An empty id is refused: it would match every token without a family or
// grant.
func (s *Store) revokeTokens(ctx context.Context, tenantID, id string, at, until time.Time, refreshMatch string, accessMatches ...string) error {
	if id == "" {
		return fmt.Errorf("empty id: %w", store.ErrNotFound)
	}
	return s.atomically(ctx, func(tx *Store) error {
		families, err := queryAll(ctx, tx.write, scanColumn[string], `SELECT DISTINCT family_id FROM refresh_tokens
			WHERE tenant_id = $1 AND family_id <> '' AND `+refreshMatch, tenantID, id)
		if err != nil {
			return err
		}
		for _, ref := range append(families, id) {
			if err := tx.recordRevoked(ctx, tenantID, ref, at, until); err != nil {
				return err
			}
		}
		_, err = tx.write.ExecContext(ctx, `UPDATE refresh_tokens SET revoked_at = $3
			WHERE tenant_id = $1 AND revoked_at IS NULL AND `+refreshMatch, tenantID, id, s.timeArg(at))
		if err != nil {
			return err
		}
		for _, match := range accessMatches {
			_, err = tx.write.ExecContext(ctx, `UPDATE access_tokens SET revoked_at = $3
				WHERE tenant_id = $1 AND revoked_at IS NULL AND `+match, tenantID, id, s.timeArg(at))
			if err != nil {
				return err
			}
		}
		return nil
	})
}
