package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Counter keys may name an account or an address; error messages leave
// them out.

// IncrementCounter is one atomic upsert, so concurrent callers on any node
// each see their own value. A counter whose window has ended (expires_at
// at or before now) restarts at 1 with the new expiry; a live one keeps
// its own.
func (s *Store) IncrementCounter(ctx context.Context, tenantID, key string, expiresAt, now time.Time) (int64, error) {
	var value int64
	err := s.write.QueryRowContext(ctx, `INSERT INTO counters (tenant_id, name, value, expires_at)
		VALUES ($1, $2, 1, $3)
		ON CONFLICT (tenant_id, name) DO UPDATE SET
			value = CASE WHEN counters.expires_at <= $4 THEN 1 ELSE counters.value + 1 END,
			expires_at = CASE WHEN counters.expires_at <= $4 THEN excluded.expires_at ELSE counters.expires_at END
		RETURNING value`, tenantID, key, s.timeArg(expiresAt), s.timeArg(now)).Scan(&value)
	if err != nil {
		return 0, fmt.Errorf("increment counter: %w", s.dbError(err))
	}
	return value, nil
}

// GetCounter answers 0 for a counter that is not there or has expired.
func (s *Store) GetCounter(ctx context.Context, tenantID, key string, now time.Time) (int64, error) {
	var value int64
	err := s.read.QueryRowContext(ctx, `SELECT value FROM counters
		WHERE tenant_id = $1 AND name = $2 AND expires_at > $3`, tenantID, key, s.timeArg(now)).Scan(&value)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("get counter: %w", s.dbError(err))
	}
	return value, nil
}

// DeleteCounter answers ErrNotFound when there is no such counter, expired
// or not.
func (s *Store) DeleteCounter(ctx context.Context, tenantID, key string) error {
	if err := execOne(ctx, s.write, `DELETE FROM counters WHERE tenant_id = $1 AND name = $2`, tenantID, key); err != nil {
		return fmt.Errorf("delete counter: %w", s.dbError(err))
	}
	return nil
}

// ClaimCounter is one conditional upsert: only an absent or expired
// counter is (re)started, so of concurrent callers on any node exactly
// one gets a row back.
func (s *Store) ClaimCounter(ctx context.Context, tenantID, key string, expiresAt, now time.Time) (bool, time.Time, error) {
	var value int64
	err := s.write.QueryRowContext(ctx, `INSERT INTO counters (tenant_id, name, value, expires_at)
		VALUES ($1, $2, 1, $3)
		ON CONFLICT (tenant_id, name) DO UPDATE SET value = 1, expires_at = excluded.expires_at
		WHERE counters.expires_at <= $4
		RETURNING value`, tenantID, key, s.timeArg(expiresAt), s.timeArg(now)).Scan(&value)
	if err == nil {
		return true, expiresAt, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return false, time.Time{}, fmt.Errorf("claim counter: %w", s.dbError(err))
	}
	var until time.Time
	err = s.write.QueryRowContext(ctx, `SELECT expires_at FROM counters
		WHERE tenant_id = $1 AND name = $2 AND expires_at > $3`, tenantID, key, s.timeArg(now)).Scan(timeDest{&until})
	if errors.Is(err, sql.ErrNoRows) {
		// Deleted or ended since: held a moment ago, free now.
		return false, now, nil
	}
	if err != nil {
		return false, time.Time{}, fmt.Errorf("read claimed counter: %w", s.dbError(err))
	}
	return false, until, nil
}
