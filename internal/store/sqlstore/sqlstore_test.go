package sqlstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/internal/store"
	"github.com/foyer-idp/foyer/internal/store/storetest"
)

const postgresDSNEnv = "FOYER_TEST_POSTGRES_DSN"

func TestSQLite(t *testing.T) {
	storetest.Run(t, newSQLiteStore)
}

func TestSQLiteConcurrency(t *testing.T) {
	storetest.RunConcurrency(t, newSQLiteStore)
}

func TestPostgres(t *testing.T) {
	postgresDSN(t)
	storetest.Run(t, newPostgresStore)
}

func TestPostgresConcurrency(t *testing.T) {
	postgresDSN(t)
	storetest.RunConcurrency(t, newPostgresStore)
}

// backend opens stores on one fresh database, so several stores can share
// it; the migration tests need that.
type backend struct {
	name    string
	newDB   func(t *testing.T) string // answers what open needs
	open    func(ctx context.Context, db string) (*Store, error)
	skipped func(t *testing.T)
}

func backends() []backend {
	return []backend{
		{name: "SQLite", newDB: sqliteFile, open: OpenSQLite, skipped: func(*testing.T) {}},
		{name: "Postgres", newDB: postgresSchema, open: OpenPostgres, skipped: func(t *testing.T) { postgresDSN(t) }},
	}
}

func newSQLiteStore(t *testing.T) store.Store {
	t.Helper()
	return openMigrated(t, OpenSQLite, sqliteFile(t))
}

func newPostgresStore(t *testing.T) store.Store {
	t.Helper()
	return openMigrated(t, OpenPostgres, postgresSchema(t))
}

func openMigrated(t *testing.T, open func(context.Context, string) (*Store, error), db string) *Store {
	t.Helper()
	s := openStore(t, open, db)
	require.NoError(t, s.Migrate(t.Context()))
	return s
}

func openStore(t *testing.T, open func(context.Context, string) (*Store, error), db string) *Store {
	t.Helper()
	s, err := open(t.Context(), db)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	return s
}

func sqliteFile(t *testing.T) string {
	t.Helper()
	return filepath.Join(t.TempDir(), "foyer.db")
}

// postgresDSN answers the test server's DSN or skips the test.
func postgresDSN(t *testing.T) string {
	t.Helper()
	dsn := os.Getenv(postgresDSNEnv)
	if dsn == "" {
		t.Skip(postgresDSNEnv + " not set: PostgreSQL conformance skipped")
	}
	return dsn
}

// postgresSchema creates an empty schema, dropped when the test ends, and
// answers a DSN whose connections use it.
func postgresSchema(t *testing.T) string {
	t.Helper()
	dsn := postgresDSN(t)
	admin, err := OpenPostgres(t.Context(), dsn)
	require.NoError(t, err)
	schema := "foyer_test_" + randomHex(t)
	_, err = admin.pools.writer.ExecContext(t.Context(), `CREATE SCHEMA `+schema)
	require.NoError(t, err)
	t.Cleanup(func() {
		// t.Context() is already cancelled in cleanups.
		_, err := admin.pools.writer.ExecContext(context.Background(), `DROP SCHEMA `+schema+` CASCADE`)
		require.NoError(t, err)
		require.NoError(t, admin.Close())
	})
	return withSearchPath(t, dsn, schema)
}

// withSearchPath adds search_path to a URL or keyword/value DSN; pgx sends
// unknown parameters as runtime parameters.
func withSearchPath(t *testing.T, dsn, schema string) string {
	t.Helper()
	if !strings.HasPrefix(dsn, "postgres://") && !strings.HasPrefix(dsn, "postgresql://") {
		return dsn + " search_path=" + schema
	}
	u, err := url.Parse(dsn)
	require.NoError(t, err)
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

func randomHex(t *testing.T) string {
	t.Helper()
	b := make([]byte, 8)
	_, err := rand.Read(b)
	require.NoError(t, err)
	return hex.EncodeToString(b)
}

// appliedMigrations answers schema_migrations as (version, applied_at).
func appliedMigrations(t *testing.T, s *Store) map[int]time.Time {
	t.Helper()
	rows, err := s.pools.writer.QueryContext(t.Context(), `SELECT version, applied_at FROM schema_migrations`)
	require.NoError(t, err)
	defer rows.Close()
	applied := map[int]time.Time{}
	for rows.Next() {
		var version int
		var at time.Time
		require.NoError(t, rows.Scan(&version, timeDest{&at}))
		applied[version] = at
	}
	require.NoError(t, rows.Err())
	return applied
}

func knownVersions(t *testing.T, dialectName string) []int {
	t.Helper()
	migrations, err := loadMigrations(dialectName)
	require.NoError(t, err)
	require.NotEmpty(t, migrations)
	var versions []int
	for _, m := range migrations {
		versions = append(versions, m.version)
	}
	return versions
}

func TestMigrateTwiceIsANoOp(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			b.skipped(t)
			s := openMigrated(t, b.open, b.newDB(t))
			first := appliedMigrations(t, s)
			require.ElementsMatch(t, knownVersions(t, s.dialect.name), keys(first))

			require.NoError(t, s.Migrate(t.Context()))
			require.Equal(t, first, appliedMigrations(t, s), "nothing re-applied")
		})
	}
}

func TestMigrateConcurrently(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			b.skipped(t)
			db := b.newDB(t)
			stores := []*Store{openStore(t, b.open, db), openStore(t, b.open, db)}

			errs := make([]error, len(stores))
			var wg sync.WaitGroup
			for i, s := range stores {
				wg.Go(func() { errs[i] = s.Migrate(t.Context()) })
			}
			wg.Wait()
			for _, err := range errs {
				require.NoError(t, err)
			}
			require.ElementsMatch(t, knownVersions(t, stores[0].dialect.name), keys(appliedMigrations(t, stores[0])))
			// Both see one working schema.
			for i, s := range stores {
				require.NoError(t, s.CreateTenant(t.Context(), store.Tenant{ID: randomHex(t), Slug: "t" + string(rune('a'+i))}))
			}
		})
	}
}

func TestOpenDoesNotMigrate(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			b.skipped(t)
			s := openStore(t, b.open, b.newDB(t))
			_, err := s.ListTenants(t.Context())
			require.ErrorIs(t, err, store.ErrUnavailable, "no tables yet")
		})
	}
}

func TestClosedStoreIsUnavailable(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			b.skipped(t)
			s := openMigrated(t, b.open, b.newDB(t))
			require.NoError(t, s.Close())
			_, err := s.ListTenants(t.Context())
			require.ErrorIs(t, err, store.ErrUnavailable)
			require.ErrorIs(t, s.Ping(t.Context()), store.ErrUnavailable)
		})
	}
}

func keys[K comparable, V any](m map[K]V) []K {
	out := make([]K, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
