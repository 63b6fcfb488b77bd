package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/internal/store"
)

func counterCases() []testCase {
	return []testCase{
		{"IncrementGet", counterIncrementGet},
		{"ExpiryRestarts", counterExpiryRestarts},
		{"Delete", counterDelete},
		{"UnknownTenant", counterUnknownTenant},
		{"Claim", counterClaim},
	}
}

func counterIncrementGet(t *testing.T, s store.Store) {
	tid := createTenant(t, s, "contoso").ID
	requireCounter(t, s, tid, "ip:203.0.113.7", 0, 0)
	for want := int64(1); want <= 3; want++ {
		require.Equal(t, want, increment(t, s, tid, "ip:203.0.113.7", 15*time.Minute, time.Duration(want)*time.Second))
	}
	require.EqualValues(t, 1, increment(t, s, tid, "ip:198.51.100.1", 15*time.Minute, 0), "another key")
	requireCounter(t, s, tid, "ip:203.0.113.7", time.Minute, 3)
	requireCounter(t, s, tid, "ip:198.51.100.1", time.Minute, 1)
	requireCounter(t, s, tid, "ip:192.0.2.1", time.Minute, 0)
}

// counterExpiryRestarts: a live counter keeps the window it started with;
// one whose window has ended starts again at 1 with the new window.
func counterExpiryRestarts(t *testing.T, s store.Store) {
	tid := createTenant(t, s, "contoso").ID
	const key = "signin-failures:alex@contoso.example"
	increment(t, s, tid, key, 15*time.Minute, 0)
	require.EqualValues(t, 2, increment(t, s, tid, key, 20*time.Minute, 5*time.Minute), "the later expiry is ignored")
	requireCounter(t, s, tid, key, 15*time.Minute-time.Microsecond, 2)
	requireCounter(t, s, tid, key, 15*time.Minute, 0)

	require.EqualValues(t, 1, increment(t, s, tid, key, 30*time.Minute, 15*time.Minute), "restarts at ExpiresAt")
	requireCounter(t, s, tid, key, 29*time.Minute, 1)
	requireCounter(t, s, tid, key, 30*time.Minute, 0)
	require.EqualValues(t, 2, increment(t, s, tid, key, 60*time.Minute, 20*time.Minute))
	requireCounter(t, s, tid, key, 29*time.Minute, 2)
}

func counterDelete(t *testing.T, s store.Store) {
	ctx := t.Context()
	tid := createTenant(t, s, "contoso").ID
	increment(t, s, tid, "a", 15*time.Minute, 0)
	increment(t, s, tid, "a", 15*time.Minute, 0)
	increment(t, s, tid, "b", 15*time.Minute, 0)

	require.NoError(t, s.DeleteCounter(ctx, tid, "a"))
	requireCounter(t, s, tid, "a", time.Minute, 0)
	requireCounter(t, s, tid, "b", time.Minute, 1)
	require.ErrorIs(t, s.DeleteCounter(ctx, tid, "a"), store.ErrNotFound)
	require.EqualValues(t, 1, increment(t, s, tid, "a", 15*time.Minute, time.Minute), "starts again")
}

func counterUnknownTenant(t *testing.T, s store.Store) {
	_, err := s.IncrementCounter(t.Context(), newID(), "a", at(time.Minute), at(0))
	require.ErrorIs(t, err, store.ErrNotFound)
}

// counterClaim: a claim wins only over an absent or ended counter, and a
// lost claim answers when the holder's window ends.
func counterClaim(t *testing.T, s store.Store) {
	ctx := t.Context()
	tid := createTenant(t, s, "contoso").ID
	const key = "signin:gate:x"
	ok, until, err := s.ClaimCounter(ctx, tid, key, at(30*time.Second), at(0))
	require.NoError(t, err)
	require.True(t, ok, "nothing held it")
	require.True(t, until.Equal(at(30*time.Second)))

	ok, until, err = s.ClaimCounter(ctx, tid, key, at(90*time.Second), at(10*time.Second))
	require.NoError(t, err)
	require.False(t, ok, "held until 30s")
	require.True(t, until.Equal(at(30*time.Second)), "answers the holder's end, got %v", until)
	requireCounter(t, s, tid, key, 29*time.Second, 1)

	ok, until, err = s.ClaimCounter(ctx, tid, key, at(90*time.Second), at(30*time.Second))
	require.NoError(t, err)
	require.True(t, ok, "the window has ended")
	require.True(t, until.Equal(at(90*time.Second)))
	requireCounter(t, s, tid, key, 89*time.Second, 1)

	require.NoError(t, s.DeleteCounter(ctx, tid, key))
	ok, _, err = s.ClaimCounter(ctx, tid, key, at(2*time.Minute), at(31*time.Second))
	require.NoError(t, err)
	require.True(t, ok, "a deleted gate is free")

	ok, _, err = s.ClaimCounter(ctx, newID(), key, at(time.Minute), at(0))
	require.False(t, ok)
	require.ErrorIs(t, err, store.ErrNotFound, "unknown tenant")
}
