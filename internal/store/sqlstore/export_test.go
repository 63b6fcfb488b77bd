package sqlstore

import (
	"context"
	"time"
)

// Internals the external tests look at.

// AppliedMigrations answers schema_migrations as version → applied_at.
func AppliedMigrations(ctx context.Context, s *Store) (map[int]time.Time, error) {
	rows, err := s.pools.writer.QueryContext(ctx, `SELECT version, applied_at FROM schema_migrations`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	applied := map[int]time.Time{}
	for rows.Next() {
		var version int
		var at time.Time
		if err := rows.Scan(&version, timeDest{&at}); err != nil {
			return nil, err
		}
		applied[version] = at
	}
	return applied, rows.Err()
}

// KnownVersions answers the versions of the embedded migrations of s's
// dialect.
func KnownVersions(s *Store) ([]int, error) {
	migrations, err := loadMigrations(s.dialect.name)
	if err != nil {
		return nil, err
	}
	var versions []int
	for _, m := range migrations {
		versions = append(versions, m.version)
	}
	return versions, nil
}

// StatementsPrepared answers how many statements the writer pool's cache
// has prepared; -1 where the driver caches statements itself.
func StatementsPrepared(s *Store) int {
	if s.writeCache == nil {
		return -1
	}
	s.writeCache.mu.RLock()
	defer s.writeCache.mu.RUnlock()
	return s.writeCache.prepared
}

// ServerPrepared answers, inside tx, how many statements the PostgreSQL
// session holding tx has prepared whose text is query.
func ServerPrepared(ctx context.Context, tx any, query string) (int, error) {
	var n int
	err := tx.(*Store).write.QueryRowContext(ctx,
		`SELECT count(*) FROM pg_prepared_statements WHERE statement = $1`, query).Scan(&n)
	return n, err
}

// TenantBySlugQuery is the text GetTenantBySlug runs.
const GetTenantQuery = `SELECT ` + tenantColumns + ` FROM tenants WHERE id = $1`

// Stall and Recover play the watchdog's verdicts.
func Stall(s *Store)   { s.guard.stall() }
func Recover(s *Store) { s.guard.recover() }
