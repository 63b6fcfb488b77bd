package sqlstore

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/foyer-idp/foyer/internal/store"
)

const (
	// DefaultPostgresMaxConns caps one node's connections; several nodes
	// share the server's max_connections.
	DefaultPostgresMaxConns = 25
	postgresMaxIdleTime     = 5 * time.Minute
	// defaultConnectTimeout bounds dialling a server that does not answer,
	// unless the DSN says otherwise (connect_timeout).
	defaultConnectTimeout = 5 * time.Second

	pgUniqueViolation     = "23505"
	pgForeignKeyViolation = "23503"
)

// OpenPostgres is OpenPostgresWith the default options.
func OpenPostgres(ctx context.Context, dsn string) (*Store, error) {
	return OpenPostgresWith(ctx, dsn, PostgresOptions{})
}

// PostgresOptions bound what one node asks of PostgreSQL. Zero values take
// the defaults.
type PostgresOptions struct {
	// MaxConns is the pool's size (DefaultPostgresMaxConns).
	MaxConns int
	// StatementTimeout and LockTimeout, when set, become the server's
	// statement_timeout and lock_timeout for every connection, unless the
	// DSN sets them itself: the server gives up on a statement, or on
	// waiting for a lock, instead of holding a connection.
	StatementTimeout, LockTimeout time.Duration
}

// OpenPostgresWith connects to PostgreSQL with pgx through database/sql,
// one pool for reads and writes. Runtime parameters in the DSN (search_path
// …) apply to every connection; without connect_timeout a dial gives up
// after 5 s. It does not migrate: call Migrate.
func OpenPostgresWith(ctx context.Context, dsn string, o PostgresOptions) (*Store, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = defaultConnectTimeout
	}
	for name, d := range map[string]time.Duration{"statement_timeout": o.StatementTimeout, "lock_timeout": o.LockTimeout} {
		if _, set := cfg.RuntimeParams[name]; !set && d > 0 {
			cfg.RuntimeParams[name] = strconv.FormatInt(d.Milliseconds(), 10)
		}
	}
	maxConns := cmp.Or(o.MaxConns, DefaultPostgresMaxConns)
	db := stdlib.OpenDB(*cfg)
	db.SetMaxOpenConns(maxConns)
	db.SetMaxIdleConns(maxConns)
	db.SetConnMaxIdleTime(postgresMaxIdleTime)
	if err := db.PingContext(ctx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("open postgres %s:%d: %w: %w", cfg.Host, cfg.Port, store.ErrUnavailable, err)
	}
	s := newStore(postgresDialect(), pools{writer: db, reader: db})
	s.listen = cfg.Copy()
	return s, nil
}

func postgresDialect() dialect {
	return dialect{
		name:         "postgres",
		timeArg:      postgresTime,
		violation:    postgresViolation,
		skipLocked:   " FOR UPDATE SKIP LOCKED",
		lockRow:      " FOR NO KEY UPDATE",
		modifyingCTE: true,
		rowAddress:   "ctid",
		// Concurrent migrators of one schema wait for each other; those
		// of other schemas (other installations sharing a database, tests)
		// need not.
		migrationLock:     `SELECT pg_advisory_xact_lock(hashtextextended('foyer migrations ' || coalesce(current_schema(), ''), 0))`,
		migrationSettings: []string{"SET LOCAL statement_timeout = 0", "SET LOCAL lock_timeout = 0"},
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
