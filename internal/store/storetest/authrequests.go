package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/internal/store"
)

func authRequestCases() []testCase {
	return []testCase{
		{"CreateGet", authRequestCreateGet},
		{"GetUnknown", authRequestGetUnknown},
		{"GetExpired", authRequestGetExpired},
		{"CreateConflicts", authRequestCreateConflicts},
		{"Update", authRequestUpdate},
		{"UpdateUnknown", authRequestUpdateUnknown},
		{"Delete", authRequestDelete},
	}
}

func authRequestCreateGet(t *testing.T, s store.Store) {
	ctx := t.Context()
	tid := createTenant(t, s, "contoso").ID
	full := createAuthRequest(t, s, authRequestFixture(tid, "wiki-client"))
	bare := store.AuthRequest{TenantID: tid, ID: newID(), ClientID: "wiki-client",
		RedirectURI: "https://wiki.example/callback", Scopes: []string{"openid"}, ResponseType: "code",
		CreatedAt: at(0), ExpiresAt: at(10 * time.Minute)}
	createAuthRequest(t, s, bare)
	done := authRequestFixture(tid, "wiki-client")
	done.BrowserBinding = "sha256:" + newID()
	done.UserID, done.SessionID = newID(), "sha256:"+newID()
	done.AuthTime = ptr(at(time.Minute))
	done.AMR = []string{"pwd", "otp"}
	done.ConsentGiven, done.Done = true, true
	createAuthRequest(t, s, done)
	pending := authRequestFixture(tid, "wiki-client")
	pending.UserID, pending.PasswordProof = newID(), "sha256:"+newID()
	createAuthRequest(t, s, pending)

	for name, want := range map[string]store.AuthRequest{"full": full, "bare": bare, "done": done, "pending": pending} {
		got, err := s.GetAuthRequest(ctx, tid, want.ID, at(time.Minute))
		require.NoError(t, err, name)
		require.Equal(t, want, got, name)
	}
}

func authRequestGetUnknown(t *testing.T, s store.Store) {
	tid := createTenant(t, s, "contoso").ID
	createAuthRequest(t, s, authRequestFixture(tid, "wiki-client"))
	_, err := s.GetAuthRequest(t.Context(), tid, newID(), at(time.Minute))
	require.ErrorIs(t, err, store.ErrNotFound)
}

func authRequestGetExpired(t *testing.T, s store.Store) {
	ctx := t.Context()
	tid := createTenant(t, s, "contoso").ID
	r := createAuthRequest(t, s, authRequestFixture(tid, "wiki-client"))

	_, err := s.GetAuthRequest(ctx, tid, r.ID, r.ExpiresAt.Add(-time.Microsecond))
	require.NoError(t, err, "a microsecond before expiry")
	_, err = s.GetAuthRequest(ctx, tid, r.ID, r.ExpiresAt)
	require.ErrorIs(t, err, store.ErrNotFound, "at ExpiresAt")
	_, err = s.GetAuthRequest(ctx, tid, r.ID, r.ExpiresAt.Add(time.Hour))
	require.ErrorIs(t, err, store.ErrNotFound, "after ExpiresAt")
}

func authRequestCreateConflicts(t *testing.T, s store.Store) {
	ctx := t.Context()
	tid := createTenant(t, s, "contoso").ID
	r := createAuthRequest(t, s, authRequestFixture(tid, "wiki-client"))

	again := authRequestFixture(tid, "other-client")
	again.ID = r.ID
	require.ErrorIs(t, s.CreateAuthRequest(ctx, again), store.ErrConflict)
	require.ErrorIs(t, s.CreateAuthRequest(ctx, authRequestFixture(newID(), "wiki-client")), store.ErrNotFound,
		"unknown tenant")
	got, err := s.GetAuthRequest(ctx, tid, r.ID, at(time.Minute))
	require.NoError(t, err)
	require.Equal(t, r, got)
}

// authRequestUpdate changes every field; only the progress fields may stick.
func authRequestUpdate(t *testing.T, s store.Store) {
	ctx := t.Context()
	tid := createTenant(t, s, "contoso").ID
	r := createAuthRequest(t, s, authRequestFixture(tid, "wiki-client"))

	changed := authRequestFixture(tid, "evil-client")
	changed.ID = r.ID
	changed.RedirectURI = "https://evil.example/callback"
	changed.MaxAge = nil
	changed.ExpiresAt = at(24 * time.Hour)
	changed.BrowserBinding = "sha256:" + newID()
	changed.UserID = newID()
	changed.SessionID = "sha256:" + newID()
	changed.AuthTime = ptr(at(2 * time.Minute))
	changed.AMR = []string{"fed"}
	changed.ConsentGiven, changed.Done = true, true
	changed.PasswordProof = "sha256:" + newID()
	require.NoError(t, s.UpdateAuthRequest(ctx, changed))

	want := r
	want.BrowserBinding, want.UserID, want.SessionID = changed.BrowserBinding, changed.UserID, changed.SessionID
	want.AuthTime, want.AMR = changed.AuthTime, changed.AMR
	want.ConsentGiven, want.Done = true, true
	want.PasswordProof = changed.PasswordProof
	got, err := s.GetAuthRequest(ctx, tid, r.ID, at(time.Minute))
	require.NoError(t, err)
	require.Equal(t, want, got)
}

func authRequestUpdateUnknown(t *testing.T, s store.Store) {
	tid := createTenant(t, s, "contoso").ID
	require.ErrorIs(t, s.UpdateAuthRequest(t.Context(), authRequestFixture(tid, "wiki-client")), store.ErrNotFound)
}

func authRequestDelete(t *testing.T, s store.Store) {
	ctx := t.Context()
	tid := createTenant(t, s, "contoso").ID
	r := createAuthRequest(t, s, authRequestFixture(tid, "wiki-client"))
	other := createAuthRequest(t, s, authRequestFixture(tid, "wiki-client"))

	require.NoError(t, s.DeleteAuthRequest(ctx, tid, r.ID))
	_, err := s.GetAuthRequest(ctx, tid, r.ID, at(time.Minute))
	require.ErrorIs(t, err, store.ErrNotFound)
	require.ErrorIs(t, s.DeleteAuthRequest(ctx, tid, r.ID), store.ErrNotFound)
	_, err = s.GetAuthRequest(ctx, tid, other.ID, at(time.Minute))
	require.NoError(t, err, "only the one named")
}
