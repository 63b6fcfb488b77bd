package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/foyer-idp/foyer/internal/store"
)

const signingKeyColumns = `tenant_id, id, algorithm, state, sealed_private, public_jwk,
	created_at, activated_at, retired_at, publish_until`

func scanSigningKey(r rowScanner) (store.SigningKey, error) {
	var k store.SigningKey
	err := r.Scan(&k.TenantID, &k.ID, &k.Algorithm, &k.State, bytesDest{&k.SealedPrivate}, bytesDest{&k.PublicJWK},
		timeDest{&k.CreatedAt}, nullTimeDest{&k.ActivatedAt}, nullTimeDest{&k.RetiredAt}, nullTimeDest{&k.PublishUntil})
	return k, err
}

// CreateSigningKey answers ErrConflict for a second active or next key: a
// partial unique index allows one of each per tenant.
func (s *Store) CreateSigningKey(ctx context.Context, k store.SigningKey) error {
	if err := s.insertSigningKey(ctx, k); err != nil {
		return fmt.Errorf("create signing key %q: %w", k.ID, s.dbError(err))
	}
	return nil
}

func (s *Store) insertSigningKey(ctx context.Context, k store.SigningKey) error {
	_, err := s.write.ExecContext(ctx, `INSERT INTO signing_keys (`+signingKeyColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		k.TenantID, k.ID, k.Algorithm, k.State, k.SealedPrivate, k.PublicJWK, s.timeArg(k.CreatedAt),
		s.nullTimeArg(k.ActivatedAt), s.nullTimeArg(k.RetiredAt), s.nullTimeArg(k.PublishUntil))
	return err
}

func (s *Store) ListSigningKeys(ctx context.Context, tenantID string) ([]store.SigningKey, error) {
	keys, err := queryAll(ctx, s.read, scanSigningKey, `SELECT `+signingKeyColumns+` FROM signing_keys
		WHERE tenant_id = $1 ORDER BY created_at DESC, id DESC`, tenantID)
	if err != nil {
		return nil, fmt.Errorf("list signing keys: %w", s.dbError(err))
	}
	return keys, nil
}

// RotateSigningKeys runs the lifecycle step in one transaction. Every state
// change is conditional on the state the caller saw, so of several nodes
// racing only the first changes a row; the others find nothing to change,
// answer ErrConflict and roll back.
func (s *Store) RotateSigningKeys(ctx context.Context, r store.KeyRotation) error {
	err := s.atomically(ctx, func(tx *Store) error {
		if err := tx.retireActiveKey(ctx, r); err != nil {
			return err
		}
		err := execOne(ctx, tx.write, `UPDATE signing_keys SET state = 'active', activated_at = $3
			WHERE tenant_id = $1 AND id = $2 AND state = 'next'`, r.TenantID, r.PromoteID, s.timeArg(r.At))
		if err != nil {
			return conflictIfNoRows(err, fmt.Sprintf("key %q is no longer next", r.PromoteID))
		}
		next := r.NewNext
		next.TenantID, next.State = r.TenantID, store.KeyNext
		if err := tx.insertSigningKey(ctx, next); err != nil {
			return err
		}
		_, err = tx.write.ExecContext(ctx, `DELETE FROM signing_keys
			WHERE tenant_id = $1 AND state = 'retired' AND publish_until <= $2`, r.TenantID, s.timeArg(r.At))
		return err
	})
	if err != nil {
		return fmt.Errorf("rotate signing keys of tenant %q: %w", r.TenantID, s.dbError(err))
	}
	return nil
}

// retireActiveKey retires r.ExpectActiveID if it is still active or, when
// the caller expects no active key, checks that there is none.
func (s *Store) retireActiveKey(ctx context.Context, r store.KeyRotation) error {
	if r.ExpectActiveID == "" {
		var active bool
		err := s.write.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM signing_keys
			WHERE tenant_id = $1 AND state = 'active')`, r.TenantID).Scan(&active)
		if err == nil && active {
			return fmt.Errorf("tenant already has an active key: %w", store.ErrConflict)
		}
		return err
	}
	err := execOne(ctx, s.write, `UPDATE signing_keys SET state = 'retired', retired_at = $3, publish_until = $4
		WHERE tenant_id = $1 AND id = $2 AND state = 'active'`,
		r.TenantID, r.ExpectActiveID, s.timeArg(r.At), s.timeArg(r.RetireUntil))
	return conflictIfNoRows(err, fmt.Sprintf("key %q is no longer active", r.ExpectActiveID))
}

// conflictIfNoRows turns "the conditional update matched nothing" into
// ErrConflict: another writer got there first.
func conflictIfNoRows(err error, reason string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%s: %w", reason, store.ErrConflict)
	}
	return err
}
