package sqlstore

import (
	"context"
	"fmt"
	"time"
)

// expiringTables are the tables PurgeExpired sweeps, each with an index on
// expires_at.
func expiringTables() []string {
	return []string{"auth_requests", "sessions", "refresh_tokens", "access_tokens", "counters", "single_use_tokens",
		"redemptions", "passcodes", "federation_logins", "device_authorizations"}
}

// PurgeExpired deletes, in every tenant, the rows whose expires_at is
// before 'before', in one transaction, and answers how many went.
func (s *Store) PurgeExpired(ctx context.Context, before time.Time) (int64, error) {
	var total int64
	err := s.atomically(ctx, func(tx *Store) error {
		total = 0
		for _, table := range expiringTables() {
			n, err := execCount(ctx, tx.write, `DELETE FROM `+table+` WHERE expires_at < $1`, s.timeArg(before))
			if err != nil {
				return fmt.Errorf("%s: %w", table, err)
			}
			total += n
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("purge expired rows: %w", s.dbError(err))
	}
	return total, nil
}
