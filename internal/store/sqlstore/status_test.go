package sqlstore_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/internal/store"
	"github.com/foyer-idp/foyer/internal/store/sqlstore"
	"github.com/foyer-idp/foyer/internal/store/sqlstore/sqltest"
)

func TestPendingMigrations(t *testing.T) {
	sqltest.Run(t, func(t *testing.T, b sqltest.Backend) {
		ctx := t.Context()
		s := b.OpenStore(t, b.NewDB(t))
		known, err := sqlstore.KnownVersions(s)
		require.NoError(t, err)

		pending, err := s.PendingMigrations(ctx)
		require.NoError(t, err)
		require.Len(t, pending, len(known), "a database never migrated lacks every migration")
		_, err = s.ListTenants(ctx)
		require.ErrorIs(t, err, store.ErrUnavailable, "asking changed nothing: still no tables")

		require.NoError(t, s.Migrate(ctx))
		pending, err = s.PendingMigrations(ctx)
		require.NoError(t, err)
		require.Empty(t, pending)

		last := known[len(known)-1]
		require.NoError(t, sqlstore.Exec(ctx, s, `DELETE FROM schema_migrations WHERE version = $1`, last))
		pending, err = s.PendingMigrations(ctx)
		require.NoError(t, err)
		require.Len(t, pending, 1, "the newest migration, unrecorded, is pending")

		require.NoError(t, sqlstore.RecordMigration(ctx, s, last+1000))
		_, err = s.PendingMigrations(ctx)
		require.ErrorIs(t, err, store.ErrConflict, "a schema from a newer binary")
	})
}

// TestSize: a migrated store takes some room, and rows make it grow.
func TestSize(t *testing.T) {
	t.Parallel()
	sqltest.Run(t, func(t *testing.T, b sqltest.Backend) {
		ctx := t.Context()
		s := b.OpenMigrated(t)
		empty, err := s.Size(ctx)
		require.NoError(t, err)
		require.Positive(t, empty)
		name := strings.Repeat("x", 200)
		for i := range 2000 {
			tn := store.Tenant{ID: fmt.Sprintf("t%d", i), Slug: fmt.Sprintf("t%d", i), DisplayName: name, SigningAlg: "ES256", CreatedAt: time.Now()}
			require.NoError(t, s.CreateTenant(ctx, tn))
		}
		grown, err := s.Size(ctx)
		require.NoError(t, err)
		require.Greater(t, grown, empty+200*2000/2, "2,000 rows of 200-odd bytes show")
	})
}
