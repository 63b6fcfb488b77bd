// Package sqltest opens real, migrated stores for tests: a SQLite file in
// the test's temporary folder always, and a fresh PostgreSQL schema when
// FOYER_TEST_POSTGRES_DSN names a server. Packages above the store run
// their tests on every back end through it.
package sqltest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/foyer-idp/foyer/internal/store/sqlstore"
)

const (
	// DSNEnv names the PostgreSQL server tests may use.
	DSNEnv = "FOYER_TEST_POSTGRES_DSN"
	// RequireEnv, when set, turns a missing DSN into a failure: in CI a
	// skip would hide a broken back end.
	RequireEnv = "FOYER_REQUIRE_POSTGRES"
)

// Backend opens stores of one kind. NewDB makes an empty database (a file
// path or a DSN) that several stores may share; Open opens a store on it.
type Backend struct {
	Name  string
	NewDB func(t testing.TB) string
	Open  func(ctx context.Context, db string) (*sqlstore.Store, error)
	// NewMigratedDB, when set, makes a database already migrated and
	// empty, faster than NewDB and Migrate (see MigratedPostgresSchema).
	NewMigratedDB func(t testing.TB) string
	// Require skips (or fails) the test when the back end is not there.
	Require func(t testing.TB)
}

// Backends answers SQLite and PostgreSQL. PostgreSQL's NewDB skips the
// test (or fails it under FOYER_REQUIRE_POSTGRES) when no server is named.
func Backends() []Backend {
	return []Backend{
		{Name: "SQLite", NewDB: SQLiteFile, Open: sqlstore.OpenSQLite, Require: func(testing.TB) {}},
		{Name: "Postgres", NewDB: PostgresSchema, NewMigratedDB: MigratedPostgresSchema, Open: sqlstore.OpenPostgres,
			Require: func(t testing.TB) { PostgresDSN(t) }},
	}
}

// Run runs fn as a parallel subtest on each back end that is there.
func Run(t *testing.T, fn func(t *testing.T, b Backend)) {
	t.Helper()
	for _, b := range Backends() {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			b.Require(t)
			fn(t, b)
		})
	}
}

// OpenStore opens a store on db, closed when the test ends.
func (b Backend) OpenStore(t testing.TB, db string) *sqlstore.Store {
	t.Helper()
	s, err := b.Open(t.Context(), db)
	if err != nil {
		t.Fatalf("open %s store: %v", b.Name, err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close %s store: %v", b.Name, err)
		}
	})
	return s
}

// OpenMigrated opens a store on a fresh migrated database holding no rows.
func (b Backend) OpenMigrated(t testing.TB) *sqlstore.Store {
	t.Helper()
	if b.NewMigratedDB != nil {
		return b.OpenStore(t, b.NewMigratedDB(t))
	}
	s := b.OpenStore(t, b.NewDB(t))
	if err := s.Migrate(t.Context()); err != nil {
		t.Fatalf("migrate %s store: %v", b.Name, err)
	}
	return s
}

// SQLiteFile answers a database file path in the test's temporary folder.
func SQLiteFile(t testing.TB) string {
	t.Helper()
	return filepath.Join(t.TempDir(), "foyer.db")
}

// PostgresDSN answers the test server's DSN, or skips the test (fails it
// under FOYER_REQUIRE_POSTGRES) when none is set.
func PostgresDSN(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv(DSNEnv)
	switch {
	case dsn != "":
		return dsn
	case os.Getenv(RequireEnv) != "":
		t.Fatalf("%s is set but %s is not: PostgreSQL tests cannot run", RequireEnv, DSNEnv)
	default:
		t.Skip(DSNEnv + " not set: PostgreSQL tests skipped")
	}
	return ""
}

// PostgresSchema creates an empty schema, dropped when the test ends, and
// answers a DSN whose connections use it, so tests sharing one database
// never see each other's rows.
func PostgresSchema(t testing.TB) string {
	t.Helper()
	dsn := PostgresDSN(t)
	// sqlstore registers pgx's database/sql driver.
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatalf("open PostgreSQL: %v", err)
	}
	schema := "foyer_test_" + randomHex()
	if _, err := admin.ExecContext(t.Context(), `CREATE SCHEMA `+schema); err != nil {
		admin.Close()
		t.Fatalf("create schema (is PostgreSQL at %s up?): %v", DSNEnv, err)
	}
	t.Cleanup(func() {
		defer admin.Close()
		// The test's context is already cancelled in cleanups.
		if _, err := admin.ExecContext(context.Background(), `DROP SCHEMA `+schema+` CASCADE`); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	dsnWithSchema, err := withSearchPath(dsn, schema)
	if err != nil {
		t.Fatal(err)
	}
	return dsnWithSchema
}

// withSearchPath adds search_path to a URL or keyword/value DSN; pgx sends
// unknown parameters as runtime parameters.
func withSearchPath(dsn, schema string) (string, error) {
	if !strings.HasPrefix(dsn, "postgres://") && !strings.HasPrefix(dsn, "postgresql://") {
		return dsn + " search_path=" + schema, nil
	}
	u, err := url.Parse(dsn)
	if err != nil {
		return "", err
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), nil
}

func randomHex() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Case is one named test of a suite that runs on every back end.
type Case[F any] struct {
	Name string
	Fn   func(t *testing.T, f F)
}

// RunSuite runs every case as a parallel subtest on each back end that is there,
// each with a fresh fixture from newFixture.
func RunSuite[F any](t *testing.T, cases []Case[F], newFixture func(t *testing.T, b Backend) F) {
	t.Helper()
	Run(t, func(t *testing.T, b Backend) {
		for _, c := range cases {
			t.Run(c.Name, func(t *testing.T) {
				t.Parallel()
				c.Fn(t, newFixture(t, b))
			})
		}
	})
}
