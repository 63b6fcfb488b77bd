package sqlstore_test

import (
	"database/sql"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/internal/store"
	"github.com/foyer-idp/foyer/internal/store/sqlstore"
	"github.com/foyer-idp/foyer/internal/store/sqlstore/sqltest"
)

// watch runs s.WatchChanges until the test ends, answering the changes it
// reports and the losses it tells, in order.
func watch(t *testing.T, s *sqlstore.Store) (<-chan store.Change, <-chan error) {
	t.Helper()
	changes, losses := make(chan store.Change, 64), make(chan error, 8)
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.WatchChanges(t.Context(), func(c store.Change) { changes <- c }, func(err error) { losses <- err })
	}()
	t.Cleanup(func() { <-done })
	return changes, losses
}

func nextChange(t *testing.T, changes <-chan store.Change) store.Change {
	t.Helper()
	select {
	case c := <-changes:
		return c
	case <-time.After(10 * time.Second):
		t.Fatal("no change reported")
		return store.Change{}
	}
}

// TestWatchChangesOnPostgres: every committed write to a cached kind of
// record reaches a watcher as one change naming the tenant, whoever made
// it; a rolled-back write and a write in another schema do not; a lost
// connection is told, and listening again starts with "everything".
func TestWatchChangesOnPostgres(t *testing.T) {
	t.Parallel()
	dsn := sqltest.PostgresSchema(t)
	// The application name lets the test find this watcher's connection
	// among those of tests running beside it.
	name := "watch_" + strings.ReplaceAll(t.Name(), "/", "_")
	dsn += "&application_name=" + name
	s, err := sqlstore.OpenPostgres(t.Context(), dsn)
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	require.NoError(t, s.Migrate(t.Context()))
	changes, losses := watch(t, s)
	require.Equal(t, store.Change{Kind: store.ChangedEverything}, nextChange(t, changes))

	ctx, now := t.Context(), time.Now().UTC()
	tenant := store.Tenant{ID: "t-watch", Slug: "watch", DisplayName: "Watch", CreatedAt: now}
	require.NoError(t, s.CreateTenant(ctx, tenant))
	require.Equal(t, store.Change{Kind: store.ChangedTenant, TenantID: "t-watch"}, nextChange(t, changes))

	app := store.Application{TenantID: "t-watch", ID: "a1", ClientID: "c1", DisplayName: "App",
		ClientType: store.ClientConfidential, CreatedAt: now}
	require.NoError(t, s.CreateApplication(ctx, app))
	require.Equal(t, store.Change{Kind: store.ChangedApplications, TenantID: "t-watch"}, nextChange(t, changes))

	// One transaction touching an application twice is one notice.
	require.NoError(t, s.InTx(ctx, func(tx store.Store) error {
		if err := tx.AddClientSecret(ctx, store.ClientSecret{TenantID: "t-watch", AppID: "a1", ID: "s1", Hash: "h1", CreatedAt: now}); err != nil {
			return err
		}
		return tx.AddClientSecret(ctx, store.ClientSecret{TenantID: "t-watch", AppID: "a1", ID: "s2", Hash: "h2", CreatedAt: now})
	}))
	require.Equal(t, store.Change{Kind: store.ChangedApplications, TenantID: "t-watch"}, nextChange(t, changes))

	// Rolled back: no notice. Another schema: no notice here.
	rollback := errors.New("roll back")
	require.ErrorIs(t, s.InTx(ctx, func(tx store.Store) error {
		tenant.DisplayName = "Never"
		if err := tx.UpdateTenant(ctx, tenant); err != nil {
			return err
		}
		return rollback
	}), rollback)
	other := sqltest.Backends()[1].OpenMigrated(t)
	require.NoError(t, other.CreateTenant(ctx, store.Tenant{ID: "t-other", Slug: "other", DisplayName: "Other", CreatedAt: now}))

	key := store.SigningKey{TenantID: "t-watch", ID: "k1", Algorithm: "ES256", State: "next",
		SealedPrivate: []byte("sealed"), PublicJWK: []byte(`{}`), CreatedAt: now}
	require.NoError(t, s.CreateSigningKey(ctx, key))
	require.Equal(t, store.Change{Kind: store.ChangedKeys, TenantID: "t-watch"}, nextChange(t, changes),
		"the rolled-back update and the other schema's tenant were not reported")

	// Cut the watcher's connection: the loss is told, and it listens again
	// from "everything", then reports changes as before.
	admin, err := sql.Open("pgx", dsn)
	require.NoError(t, err)
	defer admin.Close()
	var cut int
	require.NoError(t, admin.QueryRowContext(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE application_name = $1 AND query = 'LISTEN foyer_changes'`, name).Scan(&cut))
	require.Equal(t, 1, cut)
	select {
	case err := <-losses:
		require.ErrorContains(t, err, "listen for changes")
	case <-time.After(10 * time.Second):
		t.Fatal("the lost connection was not told")
	}
	require.Equal(t, store.Change{Kind: store.ChangedEverything}, nextChange(t, changes))
	require.NoError(t, s.DeleteApplication(ctx, "t-watch", "a1"))
	require.Equal(t, store.Change{Kind: store.ChangedApplications, TenantID: "t-watch"}, nextChange(t, changes))
}

// TestWatchChangesOnSQLite answers at once: one node, no notices.
func TestWatchChangesOnSQLite(t *testing.T) {
	t.Parallel()
	s := sqltest.Backends()[0].OpenMigrated(t)
	s.WatchChanges(t.Context(), func(store.Change) { t.Error("a change on SQLite") }, func(error) { t.Error("a loss on SQLite") })
}
