package sqltest

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/foyer-idp/foyer/internal/store/sqlstore"
)

// Migrating a fresh PostgreSQL schema costs a few hundred milliseconds of
// the server's time and leaves thousands of dead catalog rows behind, and
// hundreds of tests want one. A test process therefore keeps the migrated
// schemas its tests are done with, emptied, and hands them to the next
// test: emptying one is a single TRUNCATE.

// poolPrefix starts the names of pooled schemas: foyer_pool_{pid}_{hex}.
const poolPrefix = "foyer_pool_"

// schemaPool holds the migrated, empty schemas of this process.
var schemaPool struct {
	once  sync.Once
	admin *sql.DB
	err   error

	mu   sync.Mutex
	free []pooledSchema
}

// pooledSchema is a migrated schema and the tables migration made in it.
type pooledSchema struct {
	name, dsn string
	tables    []string
}

// MigratedPostgresSchema answers the DSN of a schema that holds every
// migration and no rows, for this test alone. When the test ends the
// schema is emptied and kept for a later test of the same process; one a
// test changed the shape of is dropped instead. A process that ends leaves
// its schemas behind, and the next one to start drops them.
func MigratedPostgresSchema(t testing.TB) string {
	t.Helper()
	dsn := PostgresDSN(t)
	admin, err := poolAdmin(dsn)
	if err != nil {
		t.Fatalf("open PostgreSQL (is it up at %s?): %v", DSNEnv, err)
	}
	s, ok := takePooled()
	if !ok {
		if s, err = newPooledSchema(t.Context(), admin, dsn); err != nil {
			t.Fatalf("migrated schema: %v", err)
		}
	}
	t.Cleanup(func() {
		// The test's context is already cancelled in cleanups.
		if err := s.empty(context.Background(), admin); err != nil {
			if _, dropErr := admin.ExecContext(context.Background(), `DROP SCHEMA `+s.name+` CASCADE`); dropErr != nil {
				t.Errorf("drop schema %s after %v: %v", s.name, err, dropErr)
			}
			return
		}
		schemaPool.mu.Lock()
		schemaPool.free = append(schemaPool.free, s)
		schemaPool.mu.Unlock()
	})
	return s.dsn
}

// poolAdmin opens the pool's connection once per process, and drops the
// schemas of test processes that are gone.
func poolAdmin(dsn string) (*sql.DB, error) {
	schemaPool.once.Do(func() {
		// sqlstore registers pgx's database/sql driver.
		schemaPool.admin, schemaPool.err = sql.Open("pgx", dsn)
		if schemaPool.err == nil {
			schemaPool.err = dropOrphans(context.Background(), schemaPool.admin)
		}
	})
	return schemaPool.admin, schemaPool.err
}

func takePooled() (pooledSchema, bool) {
	schemaPool.mu.Lock()
	defer schemaPool.mu.Unlock()
	n := len(schemaPool.free)
	if n == 0 {
		return pooledSchema{}, false
	}
	s := schemaPool.free[n-1]
	schemaPool.free = schemaPool.free[:n-1]
	return s, true
}

func newPooledSchema(ctx context.Context, admin *sql.DB, dsn string) (pooledSchema, error) {
	name := fmt.Sprintf("%s%d_%s", poolPrefix, os.Getpid(), randomHex())
	if _, err := admin.ExecContext(ctx, `CREATE SCHEMA `+name); err != nil {
		return pooledSchema{}, err
	}
	schemaDSN, err := withSearchPath(dsn, name)
	if err != nil {
		return pooledSchema{}, err
	}
	st, err := sqlstore.OpenPostgres(ctx, schemaDSN)
	if err != nil {
		return pooledSchema{}, err
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		return pooledSchema{}, err
	}
	tables, err := tablesOf(ctx, admin, name)
	if err != nil {
		return pooledSchema{}, err
	}
	return pooledSchema{name: name, dsn: schemaDSN, tables: tables}, nil
}

// tablesOf answers the schema's tables but the migrations' record, sorted.
func tablesOf(ctx context.Context, admin *sql.DB, schema string) ([]string, error) {
	rows, err := admin.QueryContext(ctx, `SELECT tablename FROM pg_tables
		WHERE schemaname = $1 AND tablename <> 'schema_migrations' ORDER BY tablename`, schema)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return nil, err
		}
		out = append(out, name)
	}
	return out, rows.Err()
}

// empty removes every row a test left, after checking the test left the
// tables themselves as migration made them.
func (s pooledSchema) empty(ctx context.Context, admin *sql.DB) error {
	now, err := tablesOf(ctx, admin, s.name)
	if err != nil {
		return err
	}
	if !slices.Equal(now, s.tables) {
		return fmt.Errorf("the test changed the schema's tables")
	}
	qualified := make([]string, len(s.tables))
	for i, table := range s.tables {
		qualified[i] = s.name + "." + table
	}
	_, err = admin.ExecContext(ctx, `TRUNCATE `+strings.Join(qualified, ", ")+` RESTART IDENTITY`)
	return err
}

// dropOrphans drops pooled schemas whose process no longer runs on this
// machine (a test binary that ended, or was killed at its timeout).
func dropOrphans(ctx context.Context, admin *sql.DB) error {
	rows, err := admin.QueryContext(ctx, `SELECT nspname FROM pg_namespace WHERE nspname LIKE $1`, poolPrefix+"%")
	if err != nil {
		return err
	}
	var orphans []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			rows.Close()
			return err
		}
		pid, _, _ := strings.Cut(strings.TrimPrefix(name, poolPrefix), "_")
		if n, err := strconv.Atoi(pid); err == nil && !processRuns(n) {
			orphans = append(orphans, name)
		}
	}
	rows.Close()
	for _, name := range orphans {
		// Another process may be dropping it too.
		_, _ = admin.ExecContext(ctx, `DROP SCHEMA IF EXISTS `+name+` CASCADE`)
	}
	return rows.Err()
}

// processRuns reports whether a process with this id exists here.
func processRuns(pid int) bool {
	_, err := os.Stat("/proc/" + strconv.Itoa(pid))
	return err == nil
}
