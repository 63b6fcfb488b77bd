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
