package storetest

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/internal/store"
)

func transactionCases() []testCase {
	return []testCase{
		{"Commit", txCommit},
		{"RollbackOnError", txRollbackOnError},
		{"RollbackOnPanic", txRollbackOnPanic},
		{"Nested", txNested},
		{"StoreErrorsPassThrough", txStoreErrorsPassThrough},
		{"Ping", txPing},
	}
}

func txPing(t *testing.T, s store.Store) {
	ctx := t.Context()
	require.NoError(t, s.Ping(ctx))
	require.NoError(t, s.InTx(ctx, func(tx store.Store) error { return tx.Ping(ctx) }))
}

func txCommit(t *testing.T, s store.Store) {
	ctx := t.Context()
	tn := tenantFixture("contoso")
	alex := memberFixture(tn.ID, "alex")
	eng := groupFixture(tn.ID, "engineering")
	err := s.InTx(ctx, func(tx store.Store) error {
		require.NoError(t, tx.CreateTenant(ctx, tn))
		require.NoError(t, tx.CreateUser(ctx, alex))
		require.NoError(t, tx.CreateGroup(ctx, eng))
		require.NoError(t, tx.AddGroupMember(ctx, tn.ID, eng.ID, alex.ID))
		// The transaction reads its own writes.
		got, err := tx.GetUser(ctx, tn.ID, alex.ID)
		require.NoError(t, err)
		require.Equal(t, alex, got)
		return nil
	})
	require.NoError(t, err)

	requireUsers(t, []store.User{alex}, func() ([]store.User, error) { return s.ListGroupMembers(ctx, tn.ID, eng.ID) })
}

func txRollbackOnError(t *testing.T, s store.Store) {
	ctx := t.Context()
	errStop := errors.New("stop")
	tn := tenantFixture("contoso")
	err := s.InTx(ctx, func(tx store.Store) error {
		require.NoError(t, tx.CreateTenant(ctx, tn))
		require.NoError(t, tx.CreateUser(ctx, memberFixture(tn.ID, "alex")))
		return errStop
	})
	require.ErrorIs(t, err, errStop)
	requireNoTenant(t, s, tn.ID)
	createTenant(t, s, "contoso") // the store still writes
}

func txRollbackOnPanic(t *testing.T, s store.Store) {
	ctx := t.Context()
	tn := tenantFixture("contoso")
	require.PanicsWithValue(t, "boom", func() {
		_ = s.InTx(ctx, func(tx store.Store) error {
			require.NoError(t, tx.CreateTenant(ctx, tn))
			panic("boom")
		})
	})
	requireNoTenant(t, s, tn.ID)
	createTenant(t, s, "contoso") // the connection was given back
}

func txNested(t *testing.T, s store.Store) {
	ctx := t.Context()
	errStop := errors.New("stop")
	inner := tenantFixture("inner")
	err := s.InTx(ctx, func(tx store.Store) error {
		require.NoError(t, tx.InTx(ctx, func(tx2 store.Store) error { return tx2.CreateTenant(ctx, inner) }))
		return errStop
	})
	require.ErrorIs(t, err, errStop)
	requireNoTenant(t, s, inner.ID)

	err = s.InTx(ctx, func(tx store.Store) error {
		return tx.InTx(ctx, func(tx2 store.Store) error { return tx2.CreateTenant(ctx, inner) })
	})
	require.NoError(t, err)
	_, err = s.GetTenant(ctx, inner.ID)
	require.NoError(t, err)
}

func txStoreErrorsPassThrough(t *testing.T, s store.Store) {
	ctx := t.Context()
	taken := createTenant(t, s, "contoso")
	err := s.InTx(ctx, func(tx store.Store) error {
		return tx.CreateTenant(ctx, tenantFixture(taken.Slug))
	})
	require.ErrorIs(t, err, store.ErrConflict)
	err = s.InTx(ctx, func(tx store.Store) error {
		_, err := tx.GetUser(ctx, taken.ID, newID())
		return err
	})
	require.ErrorIs(t, err, store.ErrNotFound)
}

func requireNoTenant(t *testing.T, s store.Store, id string) {
	t.Helper()
	_, err := s.GetTenant(t.Context(), id)
	require.ErrorIs(t, err, store.ErrNotFound, "rolled back")
}
