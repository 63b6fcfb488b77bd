package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/internal/store"
)

func sessionCases() []testCase {
	return []testCase{
		{"CreateGet", sessionCreateGet},
		{"GetUnknown", sessionGetUnknown},
		{"GetExpired", sessionGetExpired},
		{"CreateConflicts", sessionCreateConflicts},
		{"Delete", sessionDelete},
		{"Touch", sessionTouch},
		{"DeleteUserSessions", sessionDeleteUserSessions},
		{"VanishWithUser", sessionVanishWithUser},
	}
}

func sessionCreateGet(t *testing.T, s store.Store) {
	tid := createTenant(t, s, "contoso").ID
	alex := createUser(t, s, memberFixture(tid, "alex"))
	federated := sessionFixture(tid, alex.ID)
	federated.AMR = []string{"fed"}
	federated.Upstream = store.Upstream{ProviderID: newID(), AMR: []string{"pwd", "mfa"}, ACR: "possessionorinherence"}
	ss := createSession(t, s, federated)
	bare := sessionFixture(tid, alex.ID)
	bare.AMR = nil
	createSession(t, s, bare)

	for _, want := range []store.Session{ss, bare} {
		got, err := s.GetSession(t.Context(), tid, want.ID, at(time.Minute))
		require.NoError(t, err)
		require.Equal(t, want, got)
	}
}

func sessionGetUnknown(t *testing.T, s store.Store) {
	tid := createTenant(t, s, "contoso").ID
	_, err := s.GetSession(t.Context(), tid, "sha256:"+newID(), at(0))
	require.ErrorIs(t, err, store.ErrNotFound)
}

func sessionGetExpired(t *testing.T, s store.Store) {
	ctx := t.Context()
	tid := createTenant(t, s, "contoso").ID
	ss := createSession(t, s, sessionFixture(tid, createUser(t, s, memberFixture(tid, "alex")).ID))

	_, err := s.GetSession(ctx, tid, ss.ID, ss.ExpiresAt.Add(-time.Microsecond))
	require.NoError(t, err, "a microsecond before expiry")
	_, err = s.GetSession(ctx, tid, ss.ID, ss.ExpiresAt)
	require.ErrorIs(t, err, store.ErrNotFound, "at ExpiresAt")
	_, err = s.GetSession(ctx, tid, ss.ID, ss.ExpiresAt.Add(time.Hour))
	require.ErrorIs(t, err, store.ErrNotFound, "after ExpiresAt")
}

func sessionCreateConflicts(t *testing.T, s store.Store) {
	ctx := t.Context()
	tid := createTenant(t, s, "contoso").ID
	alex := createUser(t, s, memberFixture(tid, "alex"))
	ss := createSession(t, s, sessionFixture(tid, alex.ID))

	again := sessionFixture(tid, alex.ID)
	again.ID = ss.ID
	require.ErrorIs(t, s.CreateSession(ctx, again), store.ErrConflict)
	require.ErrorIs(t, s.CreateSession(ctx, sessionFixture(tid, newID())), store.ErrNotFound, "unknown user")
	require.ErrorIs(t, s.CreateSession(ctx, sessionFixture(newID(), alex.ID)), store.ErrNotFound, "unknown tenant")
}

func sessionDelete(t *testing.T, s store.Store) {
	ctx := t.Context()
	tid := createTenant(t, s, "contoso").ID
	alex := createUser(t, s, memberFixture(tid, "alex"))
	ss := createSession(t, s, sessionFixture(tid, alex.ID))
	other := createSession(t, s, sessionFixture(tid, alex.ID))

	require.NoError(t, s.DeleteSession(ctx, tid, ss.ID))
	_, err := s.GetSession(ctx, tid, ss.ID, at(time.Minute))
	require.ErrorIs(t, err, store.ErrNotFound)
	require.ErrorIs(t, s.DeleteSession(ctx, tid, ss.ID), store.ErrNotFound)
	_, err = s.GetSession(ctx, tid, other.ID, at(time.Minute))
	require.NoError(t, err, "only the one named")
}

func sessionDeleteUserSessions(t *testing.T, s store.Store) {
	ctx := t.Context()
	tid := createTenant(t, s, "contoso").ID
	alex := createUser(t, s, memberFixture(tid, "alex"))
	bo := createUser(t, s, guestFixture(tid, "bo"))
	alexs := []store.Session{createSession(t, s, sessionFixture(tid, alex.ID)), createSession(t, s, sessionFixture(tid, alex.ID))}
	bos := createSession(t, s, sessionFixture(tid, bo.ID))

	require.NoError(t, s.DeleteUserSessions(ctx, tid, alex.ID))
	for _, ss := range alexs {
		_, err := s.GetSession(ctx, tid, ss.ID, at(time.Minute))
		require.ErrorIs(t, err, store.ErrNotFound)
	}
	got, err := s.GetSession(ctx, tid, bos.ID, at(time.Minute))
	require.NoError(t, err)
	require.Equal(t, bos, got, "another user's session stays")
	require.NoError(t, s.DeleteUserSessions(ctx, tid, alex.ID), "none left is no error")
}

func sessionVanishWithUser(t *testing.T, s store.Store) {
	ctx := t.Context()
	tid := createTenant(t, s, "contoso").ID
	alex := createUser(t, s, memberFixture(tid, "alex"))
	ss := createSession(t, s, sessionFixture(tid, alex.ID))

	require.NoError(t, s.DeleteUser(ctx, tid, alex.ID))
	_, err := s.GetSession(ctx, tid, ss.ID, at(time.Minute))
	require.ErrorIs(t, err, store.ErrNotFound)
	// The user made again under the same id does not get the session back.
	createUser(t, s, alex)
	_, err = s.GetSession(ctx, tid, ss.ID, at(time.Minute))
	require.ErrorIs(t, err, store.ErrNotFound)
}

func sessionTouch(t *testing.T, s store.Store) {
	ctx := t.Context()
	tid := createTenant(t, s, "contoso").ID
	alex := createUser(t, s, memberFixture(tid, "alex"))
	ss := createSession(t, s, sessionFixture(tid, alex.ID))
	other := createSession(t, s, sessionFixture(tid, alex.ID))
	lastSeen := func(id string) time.Time {
		t.Helper()
		got, err := s.GetSession(ctx, tid, id, at(time.Minute))
		require.NoError(t, err)
		return got.LastSeenAt
	}

	require.NoError(t, s.TouchSession(ctx, tid, ss.ID, at(time.Hour)))
	require.Equal(t, at(time.Hour), lastSeen(ss.ID))
	require.Equal(t, other.LastSeenAt, lastSeen(other.ID), "only the one named")

	require.NoError(t, s.TouchSession(ctx, tid, ss.ID, at(30*time.Minute)), "an older touch is no error")
	require.Equal(t, at(time.Hour), lastSeen(ss.ID), "and never moves it back")

	require.NoError(t, s.TouchSession(ctx, tid, "sha256:"+newID(), at(time.Hour)), "an unknown session is no error")
	require.NoError(t, s.TouchSession(ctx, createTenant(t, s, "fabrikam").ID, other.ID, at(2*time.Hour)), "nor one of another tenant")
	require.Equal(t, other.LastSeenAt, lastSeen(other.ID), "which is left alone")

	got, err := s.GetSession(ctx, tid, ss.ID, at(time.Minute))
	require.NoError(t, err)
	want := ss
	want.LastSeenAt = at(time.Hour)
	require.Equal(t, want, got, "nothing else changes")
}
