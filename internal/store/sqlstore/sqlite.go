package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/foyer-idp/foyer/internal/store"
)

const (
	// sqliteWriterParams: wait rather than fail on a lock, WAL so readers
	// never block the writer, enforce foreign keys, and start every
	// transaction with BEGIN IMMEDIATE so it takes the write lock up front
	// instead of failing to upgrade a read lock later.
	sqliteWriterParams = "_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)" +
		"&_pragma=synchronous(NORMAL)&_txlock=immediate"
	// sqliteReaderParams: read-only connections, so a write sent to the
	// wrong pool fails loudly instead of racing the writer.
	sqliteReaderParams = "_pragma=busy_timeout(10000)&_pragma=query_only(1)"
	sqliteReaders      = 4
)

// OpenSQLite opens (creating it if needed) the SQLite database at path. Every
// write and every transaction goes through one connection, so concurrent
// writers queue in Go instead of meeting SQLITE_BUSY; reads outside
// transactions use a small pool of read-only connections. It does not
// migrate: call Migrate.
func OpenSQLite(ctx context.Context, path string) (*Store, error) {
	// The driver reads parameters after '?', and an in-memory database
	// would be a different one on each connection.
	if path == "" || path == ":memory:" || strings.Contains(path, "?") {
		return nil, fmt.Errorf("open sqlite: unusable path %q", path)
	}
	if err := privateFiles(path); err != nil {
		return nil, err
	}
	writer, err := openSQLitePool(ctx, path, sqliteWriterParams, 1)
	if err != nil {
		return nil, err
	}
	reader, err := openSQLitePool(ctx, path, sqliteReaderParams, sqliteReaders)
	if err != nil {
		_ = writer.Close()
		return nil, err
	}
	return newStore(sqliteDialect(), pools{writer: writer, reader: reader}), nil
}

// privateFiles makes the database file before SQLite does, readable and
// writable by Foyer's user only (0600, whatever the umask), and takes group
// and other permissions off an existing file and its -wal and -shm files.
// SQLite gives the -wal and -shm files it creates the database file's
// permissions, so they are 0600 too. The file holds password hashes and
// sealed secrets; no one else on the machine needs to read it.
func privateFiles(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("open sqlite %q: %w: %w", path, store.ErrUnavailable, err)
	}
	_ = f.Close()
	for _, name := range []string{path, path + "-wal", path + "-shm"} {
		info, err := os.Stat(name)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err == nil && info.Mode().Perm()&0o077 != 0 {
			err = os.Chmod(name, info.Mode().Perm()&0o700)
		}
		if err != nil {
			return fmt.Errorf("open sqlite %q: make it private: %w: %w", path, store.ErrUnavailable, err)
		}
	}
	return nil
}

// openSQLitePool opens a pool of at most conns connections and checks that
// one can be made, which also applies the pragmas (the writer first, so the
// file is in WAL mode before any reader opens it).
func openSQLitePool(ctx context.Context, path, params string, conns int) (*sql.DB, error) {
	db, err := sql.Open("sqlite", path+"?"+params)
	if err != nil {
		return nil, fmt.Errorf("open sqlite %q: %w: %w", path, store.ErrUnavailable, err)
	}
	db.SetMaxOpenConns(conns)
	db.SetMaxIdleConns(conns)
	if err := db.PingContext(ctx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("open sqlite %q: %w: %w", path, store.ErrUnavailable, err)
	}
	return db, nil
}

func sqliteDialect() dialect {
	return dialect{
		name:      "sqlite",
		timeArg:   sqliteTime,
		violation: sqliteViolation,
		// The writer pool's BEGIN IMMEDIATE already serialises migrators,
		// across processes too.
		migrationLock:   "",
		cacheStatements: true,
		rowAddress:      "rowid",
		migrationsTable: `CREATE TABLE IF NOT EXISTS schema_migrations (
			version    INTEGER PRIMARY KEY,
			applied_at INTEGER NOT NULL
		) STRICT`,
	}
}

func sqliteViolation(err error) violation {
	var e *sqlite.Error
	if !errors.As(err, &e) {
		return noViolation
	}
	switch e.Code() {
	case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		return uniqueViolation
	case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
		return foreignKeyViolation
	}
	return noViolation
}
