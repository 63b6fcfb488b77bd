package sqlstore

import (
	"context"
	"time"
)

// Exec runs a statement on s's writer, for tests that set up a state the
// store's methods never produce.
func Exec(ctx context.Context, s *Store, query string, args ...any) error {
	_, err := s.pools.writer.ExecContext(ctx, query, args...)
	return err
}

// RecordMigration writes version into schema_migrations as if a binary
// had applied it (one from the future, say).
func RecordMigration(ctx context.Context, s *Store, version int) error {
	return Exec(ctx, s, `INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)`, version, s.timeArg(time.Now()))
}
