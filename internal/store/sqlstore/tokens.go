package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/foyer-idp/foyer/internal/store"
)

const tokenColumns = `tenant_id, kind, hash, subject_id, payload, created_at, expires_at, consumed_at`

func scanToken(r rowScanner) (store.Token, error) {
	var t store.Token
	err := r.Scan(&t.TenantID, &t.Kind, &t.Hash, &t.SubjectID, bytesDest{&t.Payload},
		timeDest{&t.CreatedAt}, timeDest{&t.ExpiresAt}, nullTimeDest{&t.ConsumedAt})
	return t, err
}

func (s *Store) CreateToken(ctx context.Context, t store.Token) error {
	_, err := s.write.ExecContext(ctx, `INSERT INTO single_use_tokens (`+tokenColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		t.TenantID, t.Kind, t.Hash, t.SubjectID, t.Payload, s.timeArg(t.CreatedAt), s.timeArg(t.ExpiresAt),
		s.nullTimeArg(t.ConsumedAt))
	if err != nil {
		return fmt.Errorf("create %s token: %w", t.Kind, s.dbError(err))
	}
	return nil
}

// ConsumeToken lets the database pick the winner: one conditional UPDATE
// marks the token used only if it is unused and unexpired. A caller that
// changes nothing learns why from a second look.
func (s *Store) ConsumeToken(ctx context.Context, tenantID, kind, hash string, at time.Time) (store.Token, error) {
	t, err := scanToken(s.write.QueryRowContext(ctx, `UPDATE single_use_tokens SET consumed_at = $4
		WHERE tenant_id = $1 AND kind = $2 AND hash = $3 AND consumed_at IS NULL AND expires_at > $4
		RETURNING `+tokenColumns, tenantID, kind, hash, s.timeArg(at)))
	if errors.Is(err, sql.ErrNoRows) {
		t, err = s.whyNotConsumable(ctx, tenantID, kind, hash)
	}
	if err != nil {
		return t, fmt.Errorf("consume %s token: %w", kind, s.dbError(err))
	}
	return t, nil
}

// whyNotConsumable classifies a token the conditional UPDATE did not match.
// A used token is ErrAlreadyUsed even once it has expired too, and is
// answered with it.
func (s *Store) whyNotConsumable(ctx context.Context, tenantID, kind, hash string) (store.Token, error) {
	t, err := scanToken(s.read.QueryRowContext(ctx, `SELECT `+tokenColumns+` FROM single_use_tokens
		WHERE tenant_id = $1 AND kind = $2 AND hash = $3`, tenantID, kind, hash))
	switch {
	case err != nil:
		return store.Token{}, err
	case t.ConsumedAt != nil:
		return t, store.ErrAlreadyUsed
	default:
		return store.Token{}, store.ErrExpired
	}
}

func (s *Store) DeleteExpiredTokens(ctx context.Context, before time.Time) (int64, error) {
	n, err := execCount(ctx, s.write, `DELETE FROM single_use_tokens WHERE expires_at < $1`, s.timeArg(before))
	if err != nil {
		return 0, fmt.Errorf("delete expired tokens: %w", s.dbError(err))
	}
	return n, nil
}
