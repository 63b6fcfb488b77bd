package sqlstore_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/internal/store"
	"github.com/foyer-idp/foyer/internal/store/sqlstore"
	"github.com/foyer-idp/foyer/internal/store/sqlstore/sqltest"
)

// TestStalledStoreFailsFast: while the watchdog's verdict is "stalled",
// every operation — read, write, transaction — fails at once as
// unavailable, on either back end, and works again once it recovers.
func TestStalledStoreFailsFast(t *testing.T) {
	t.Parallel()
	sqltest.Run(t, func(t *testing.T, b sqltest.Backend) {
		s := b.OpenMigrated(t)
		ctx := t.Context()
		_, err := s.ListTenants(ctx)
		require.NoError(t, err)

		sqlstore.Stall(s)
		require.ErrorIs(t, s.Health(), sqlstore.ErrStalled)
		began := time.Now()
		_, err = s.ListTenants(ctx)
		require.ErrorIs(t, err, store.ErrUnavailable)
		err = s.CreateTenant(ctx, store.Tenant{ID: "t1", Slug: "t1", DisplayName: "T", SigningAlg: "ES256", CreatedAt: time.Now()})
		require.ErrorIs(t, err, store.ErrUnavailable)
		err = s.InTx(ctx, func(tx store.Store) error { _, err := tx.ListTenants(ctx); return err })
		require.ErrorIs(t, err, store.ErrUnavailable)
		require.Less(t, time.Since(began), time.Second, "failing takes no time")

		sqlstore.Recover(s)
		require.NoError(t, s.Health())
		_, err = s.ListTenants(ctx)
		require.NoError(t, err)
	})
}

// TestFrozenPostgresFailsFastAndRecovers: a PostgreSQL that stops answering
// (a proxy that forwards nothing, as SIGSTOP looks to clients) is found by
// the watchdog within its stall timeout; an operation in flight is
// cancelled, later ones fail at once, and all works again once it answers,
// without reopening anything.
func TestFrozenPostgresFailsFastAndRecovers(t *testing.T) {
	t.Parallel()
	proxy, dsn := sqltest.NewStallProxy(t, sqltest.PostgresSchema(t))
	s, err := sqlstore.OpenPostgresWith(t.Context(), dsn, sqlstore.PostgresOptions{MaxConns: 4})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	require.NoError(t, s.Migrate(t.Context()))
	s.SetTimeout(10 * time.Second) // longer than the test: the watchdog must do it
	ctx, cancel := context.WithCancel(t.Context())
	watched := make(chan struct{})
	go func() { s.Watch(ctx, 50*time.Millisecond, 300*time.Millisecond, 100*time.Millisecond); close(watched) }()
	t.Cleanup(func() { cancel(); <-watched })
	_, err = s.ListTenants(t.Context())
	require.NoError(t, err)

	proxy.Stall()
	inFlight := make(chan error, 1)
	go func() { _, err := s.ListTenants(t.Context()); inFlight <- err }()
	select {
	case err := <-inFlight:
		require.ErrorIs(t, err, store.ErrUnavailable, "the operation in flight is cancelled")
	case <-time.After(3 * time.Second):
		t.Fatal("an operation on the frozen database was still waiting after 3 s")
	}
	require.ErrorIs(t, s.Health(), sqlstore.ErrStalled)
	for range 20 {
		began := time.Now()
		_, err := s.ListTenants(t.Context())
		require.ErrorIs(t, err, store.ErrUnavailable)
		require.Less(t, time.Since(began), 100*time.Millisecond, "no wait while stalled")
	}

	proxy.Resume()
	require.Eventually(t, func() bool {
		_, err := s.ListTenants(t.Context())
		return err == nil && !errors.Is(s.Health(), sqlstore.ErrStalled)
	}, 10*time.Second, 50*time.Millisecond, "works again once the database answers")
}
