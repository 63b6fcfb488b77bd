package sqlstore

import (
	"context"
	"fmt"
	"slices"
)

// schemaMigrationsExists asks each dialect's catalogue whether
// schema_migrations exists, without creating it.
var schemaMigrationsExists = map[string]string{
	"sqlite":   `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'`,
	"postgres": `SELECT count(*) FROM pg_catalog.pg_tables WHERE tablename = 'schema_migrations' AND schemaname = ANY (current_schemas(false))`,
}

// PendingMigrations answers the names of the migrations this binary knows
// and the database has not applied, oldest first, changing nothing: a
// database never migrated answers them all. A database migrated by a
// newer binary is an error wrapping store.ErrConflict, as in Migrate.
func (s *Store) PendingMigrations(ctx context.Context) ([]string, error) {
	migrations, err := loadMigrations(s.dialect.name)
	if err != nil {
		return nil, fmt.Errorf("migrations of %s: %w", s.dialect.name, err)
	}
	tables, err := queryAll(ctx, s.read, scanColumn[int], schemaMigrationsExists[s.dialect.name])
	if err != nil {
		return nil, fmt.Errorf("read schema version: %w", s.dbError(err))
	}
	var applied []int
	if len(tables) == 1 && tables[0] > 0 {
		applied, err = queryAll(ctx, s.read, scanColumn[int], `SELECT version FROM schema_migrations ORDER BY version`)
		if err != nil {
			return nil, fmt.Errorf("read schema version: %w", s.dbError(err))
		}
	}
	if err := checkNotNewer(applied, migrations); err != nil {
		return nil, err
	}
	var pending []string
	for _, m := range migrations {
		if !slices.Contains(applied, m.version) {
			pending = append(pending, m.name)
		}
	}
	return pending, nil
}

// databaseSize asks each dialect how many bytes the store takes.
var databaseSize = map[string]string{
	"sqlite": `SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()`,
	"postgres": `SELECT COALESCE(SUM(pg_total_relation_size(c.oid)), 0)::bigint FROM pg_catalog.pg_class c
		JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = current_schema() AND c.relkind = 'r'`,
}

// Size answers how many bytes the store's tables take: the database file's
// pages on SQLite (freed pages included: the file does not shrink), the
// tables of the current schema with their indexes and TOAST on
// PostgreSQL.
func (s *Store) Size(ctx context.Context) (int64, error) {
	var n int64
	if err := s.read.QueryRowContext(ctx, databaseSize[s.dialect.name]).Scan(&n); err != nil {
		return 0, fmt.Errorf("database size: %w", s.dbError(err))
	}
	return n, nil
}
