package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/foyer-idp/foyer/internal/store"
)

const (
	// postgresMaxConns caps one node's connections; several nodes share the
	// server's max_connections.
	postgresMaxConns    = 25
	postgresMaxIdleTime = 5 * time.Minute
	// migrationLockKey is the pg_advisory_xact_lock key that keeps
	// concurrent migrators apart ("foyer" in ASCII).
	migrationLockKey = 0x666f796572

	pgUniqueViolation     = "23505"
	pgForeignKeyViolation = "23503"
)

// OpenPostgres connects to PostgreSQL with pgx through database/sql, one
// pool for reads and writes. Runtime parameters in the DSN (search_path …)
// apply to every connection. It does not migrate: call Migrate.
func OpenPostgres(ctx context.Context, dsn string) (*Store, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	db := stdlib.OpenDB(*cfg)
	db.SetMaxOpenConns(postgresMaxConns)
	db.SetMaxIdleConns(postgresMaxConns)
	db.SetConnMaxIdleTime(postgresMaxIdleTime)
	if err := db.PingContext(ctx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("open postgres %s:%d: %w: %w", cfg.Host, cfg.Port, store.ErrUnavailable, err)
	}
	return newStore(postgresDialect(), pools{writer: db, reader: db}), nil
}

func postgresDialect() dialect {
	return dialect{
		name:          "postgres",
		timeArg:       postgresTime,
		violation:     postgresViolation,
		skipLocked:    " FOR UPDATE SKIP LOCKED",
		lockRow:       " FOR NO KEY UPDATE",
		modifyingCTE:  true,
		migrationLock: fmt.Sprintf("SELECT pg_advisory_xact_lock(%d)", migrationLockKey),
		migrationsTable: `CREATE TABLE IF NOT EXISTS schema_migrations (
			version    INTEGER PRIMARY KEY,
			applied_at TIMESTAMPTZ NOT NULL
		)`,
	}
}

func postgresViolation(err error) violation {
	var e *pgconn.PgError
	if !errors.As(err, &e) {
		return noViolation
	}
	switch e.Code {
	case pgUniqueViolation:
		return uniqueViolation
	case pgForeignKeyViolation:
		return foreignKeyViolation
	}
	return noViolation
}
