package sqlstore_test

import (
	"maps"
	"slices"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/internal/secret"
	"github.com/foyer-idp/foyer/internal/store"
	"github.com/foyer-idp/foyer/internal/store/sqlstore"
	"github.com/foyer-idp/foyer/internal/store/sqlstore/sqltest"
	"github.com/foyer-idp/foyer/internal/store/storetest"
)

func TestConformance(t *testing.T) {
	t.Parallel()
	sqltest.Run(t, func(t *testing.T, b sqltest.Backend) {
		storetest.Run(t, func(t *testing.T) store.Store { return b.OpenMigrated(t) })
	})
}

// TestConcurrency runs apart from the parallel tests: its races should
// contend only with each other.
func TestConcurrency(t *testing.T) {
	sqltest.Run(t, func(t *testing.T, b sqltest.Backend) {
		storetest.RunConcurrency(t, func(t *testing.T) store.Store { return b.OpenMigrated(t) })
	})
}

func requireAllMigrations(t *testing.T, s *sqlstore.Store) map[int]string {
	t.Helper()
	applied, err := sqlstore.AppliedMigrations(t.Context(), s)
	require.NoError(t, err)
	known, err := sqlstore.KnownVersions(s)
	require.NoError(t, err)
	require.NotEmpty(t, known)
	require.ElementsMatch(t, known, slices.Collect(maps.Keys(applied)))
	out := map[int]string{}
	for v, at := range applied {
		out[v] = at.String()
	}
	return out
}

func TestMigrateTwiceIsANoOp(t *testing.T) {
	t.Parallel()
	sqltest.Run(t, func(t *testing.T, b sqltest.Backend) {
		s := b.OpenMigrated(t)
		first := requireAllMigrations(t, s)
		require.NoError(t, s.Migrate(t.Context()))
		require.Equal(t, first, requireAllMigrations(t, s), "nothing re-applied")
	})
}

func TestMigrateConcurrently(t *testing.T) {
	t.Parallel()
	sqltest.Run(t, func(t *testing.T, b sqltest.Backend) {
		db := b.NewDB(t)
		stores := []*sqlstore.Store{b.OpenStore(t, db), b.OpenStore(t, db)}
		errs := make([]error, len(stores))
		var wg sync.WaitGroup
		for i, s := range stores {
			wg.Go(func() { errs[i] = s.Migrate(t.Context()) })
		}
		wg.Wait()
		for _, err := range errs {
			require.NoError(t, err)
		}
		requireAllMigrations(t, stores[0])
		// Both see one working schema.
		for i, s := range stores {
			require.NoError(t, s.CreateTenant(t.Context(), store.Tenant{ID: secret.NewID(), Slug: "t" + string(rune('a'+i))}))
		}
	})
}

func TestOpenDoesNotMigrate(t *testing.T) {
	t.Parallel()
	sqltest.Run(t, func(t *testing.T, b sqltest.Backend) {
		s := b.OpenStore(t, b.NewDB(t))
		_, err := s.ListTenants(t.Context())
		require.ErrorIs(t, err, store.ErrUnavailable, "no tables yet")
	})
}

func TestClosedStoreIsUnavailable(t *testing.T) {
	t.Parallel()
	sqltest.Run(t, func(t *testing.T, b sqltest.Backend) {
		s := b.OpenMigrated(t)
		require.NoError(t, s.Close())
		_, err := s.ListTenants(t.Context())
		require.ErrorIs(t, err, store.ErrUnavailable)
		require.ErrorIs(t, s.Ping(t.Context()), store.ErrUnavailable)
	})
}

// TestStatementsInTransactionsArePrepared holds the statements run inside
// transactions to the prepared ones: on SQLite the store's own cache, which
// transactions used to bypass (each statement parsed and planned again);
// on PostgreSQL pgx's cache of the connection, which the transaction's
// statements go through too.
func TestStatementsInTransactionsArePrepared(t *testing.T) {
	sqltest.Run(t, func(t *testing.T, b sqltest.Backend) {
		s := b.OpenMigrated(t)
		ctx := t.Context()
		tn := store.Tenant{ID: secret.NewID(), Slug: "prepared"}
		require.NoError(t, s.CreateTenant(ctx, tn))
		readTwice := func() {
			t.Helper()
			require.NoError(t, s.InTx(ctx, func(tx store.Store) error {
				for range 2 {
					if _, err := tx.GetTenant(ctx, tn.ID); err != nil {
						return err
					}
				}
				if b.Name != "Postgres" {
					return nil
				}
				n, err := sqlstore.ServerPrepared(ctx, tx, sqlstore.GetTenantQuery)
				require.NoError(t, err)
				require.Equal(t, 1, n, "prepared once on the transaction's connection, and reused")
				return nil
			}))
		}
		before := sqlstore.StatementsPrepared(s)
		readTwice()
		if b.Name == "Postgres" {
			require.Equal(t, -1, sqlstore.StatementsPrepared(s), "pgx caches statements itself")
			return
		}
		first := sqlstore.StatementsPrepared(s)
		require.Greater(t, first, before, "the transaction's statements were cached once it ended")
		for range 3 {
			readTwice()
		}
		require.Equal(t, first, sqlstore.StatementsPrepared(s), "later transactions reuse them")
	})
}
