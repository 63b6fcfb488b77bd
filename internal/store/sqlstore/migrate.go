package sqlstore

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/foyer-idp/foyer/internal/store"
)

// migrationFiles holds one folder per dialect of files named
// NNNN_description.sql, applied in version order. A released file is never
// edited; a change is a new file.
//
//go:embed migrations
var migrationFiles embed.FS

type migration struct {
	version int
	name    string
	sql     string
}

// Migrate applies the pending migrations in one transaction and records each
// in schema_migrations. Running it again, or from several processes at once,
// is safe: PostgreSQL takes an advisory lock, SQLite's BEGIN IMMEDIATE on the
// writer connection serialises.
func (s *Store) Migrate(ctx context.Context) error {
	migrations, err := loadMigrations(s.dialect.name)
	if err != nil {
		return fmt.Errorf("migrate %s: %w", s.dialect.name, err)
	}
	err = s.atomically(ctx, func(tx *Store) error { return tx.applyMigrations(ctx, migrations) })
	if err != nil {
		return fmt.Errorf("migrate %s: %w", s.dialect.name, s.dbError(err))
	}
	return nil
}

func (s *Store) applyMigrations(ctx context.Context, migrations []migration) error {
	// Straight on the transaction: schema changes run once and are not
	// worth a place in the statement cache.
	var q querier = guarded{s.tx, s.guard}
	for _, setting := range s.dialect.migrationSettings {
		if _, err := q.ExecContext(ctx, setting); err != nil {
			return err
		}
	}
	if s.dialect.migrationLock != "" {
		if _, err := q.ExecContext(ctx, s.dialect.migrationLock); err != nil {
			return err
		}
	}
	if _, err := q.ExecContext(ctx, s.dialect.migrationsTable); err != nil {
		return err
	}
	applied, err := queryAll(ctx, q, scanColumn[int], `SELECT version FROM schema_migrations ORDER BY version`)
	if err != nil {
		return err
	}
	if err := checkNotNewer(applied, migrations); err != nil {
		return err
	}
	for _, m := range migrations {
		if slices.Contains(applied, m.version) {
			continue
		}
		if _, err := q.ExecContext(ctx, m.sql); err != nil {
			return fmt.Errorf("apply %s: %w", m.name, err)
		}
		_, err := q.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)`,
			m.version, s.timeArg(time.Now()))
		if err != nil {
			return fmt.Errorf("record %s: %w", m.name, err)
		}
	}
	return nil
}

// checkNotNewer refuses a database migrated by a newer binary: this one
// would not know its schema.
func checkNotNewer(applied []int, known []migration) error {
	if len(applied) == 0 {
		return nil
	}
	newest := applied[len(applied)-1]
	if len(known) == 0 || newest > known[len(known)-1].version {
		return fmt.Errorf("database schema version %d is newer than this binary knows: %w", newest, store.ErrConflict)
	}
	return nil
}

// loadMigrations reads a dialect's migrations, sorted by version.
func loadMigrations(dialectName string) ([]migration, error) {
	dir := path.Join("migrations", dialectName)
	entries, err := fs.ReadDir(migrationFiles, dir)
	if err != nil {
		return nil, err
	}
	var migrations []migration
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".sql") {
			continue
		}
		m, err := readMigration(dir, e.Name())
		if err != nil {
			return nil, err
		}
		migrations = append(migrations, m)
	}
	slices.SortFunc(migrations, func(a, b migration) int { return a.version - b.version })
	for i := 1; i < len(migrations); i++ {
		if migrations[i].version == migrations[i-1].version {
			return nil, fmt.Errorf("migrations %s and %s share a version", migrations[i-1].name, migrations[i].name)
		}
	}
	return migrations, nil
}

func readMigration(dir, name string) (migration, error) {
	prefix, _, ok := strings.Cut(name, "_")
	version, err := strconv.Atoi(prefix)
	if !ok || err != nil || version <= 0 {
		return migration{}, fmt.Errorf("migration %s: name must start with a positive version and _", name)
	}
	text, err := fs.ReadFile(migrationFiles, path.Join(dir, name))
	if err != nil {
		return migration{}, err
	}
	return migration{version: version, name: name, sql: string(text)}, nil
}
