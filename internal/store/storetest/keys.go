package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/internal/store"
)

func signingKeyCases() []testCase {
	return []testCase{
		{"CreateList", signingKeyCreateList},
		{"CreateConflicts", signingKeyCreateConflicts},
		{"Rotate", signingKeyRotate},
		{"RotateFirstKey", signingKeyRotateFirst},
		{"RotateConflicts", signingKeyRotateConflicts},
	}
}

func signingKeyCreateList(t *testing.T, s store.Store) {
	ctx := t.Context()
	tid := createTenant(t, s, "contoso").ID
	retired := createSigningKey(t, s, signingKeyFixture(tid, store.KeyRetired, -24*time.Hour))
	active := createSigningKey(t, s, signingKeyFixture(tid, store.KeyActive, 0))
	next := createSigningKey(t, s, signingKeyFixture(tid, store.KeyNext, time.Hour))

	keys, err := s.ListSigningKeys(ctx, tid)
	require.NoError(t, err)
	require.Equal(t, []store.SigningKey{next, active, retired}, keys, "newest first")
}

func signingKeyCreateConflicts(t *testing.T, s store.Store) {
	ctx := t.Context()
	tid := createTenant(t, s, "contoso").ID
	active := createSigningKey(t, s, signingKeyFixture(tid, store.KeyActive, 0))
	createSigningKey(t, s, signingKeyFixture(tid, store.KeyNext, 0))
	createSigningKey(t, s, signingKeyFixture(tid, store.KeyRetired, 0))
	createSigningKey(t, s, signingKeyFixture(tid, store.KeyRetired, 0))

	sameID := signingKeyFixture(tid, store.KeyRetired, 0)
	sameID.ID = active.ID
	require.ErrorIs(t, s.CreateSigningKey(ctx, sameID), store.ErrConflict)
	require.ErrorIs(t, s.CreateSigningKey(ctx, signingKeyFixture(tid, store.KeyActive, 0)), store.ErrConflict, "a second active key")
	require.ErrorIs(t, s.CreateSigningKey(ctx, signingKeyFixture(tid, store.KeyNext, 0)), store.ErrConflict, "a second next key")
	require.ErrorIs(t, s.CreateSigningKey(ctx, signingKeyFixture(newID(), store.KeyNext, 0)), store.ErrNotFound)
}

// keyRing is a tenant's keys before a rotation.
type keyRing struct {
	tenantID, expiredID string
	active, next        store.SigningKey
	lingering           store.SigningKey // retired, still published at rotation time
}

// rotationTime is when the tests rotate: after the expired key's
// PublishUntil, before the lingering one's.
func rotationTime() time.Time { return at(2 * time.Hour) }

func newKeyRing(t *testing.T, s store.Store) keyRing {
	t.Helper()
	tid := createTenant(t, s, "contoso").ID
	return keyRing{
		tenantID:  tid,
		expiredID: createSigningKey(t, s, signingKeyFixture(tid, store.KeyRetired, -48*time.Hour)).ID,
		lingering: createSigningKey(t, s, signingKeyFixture(tid, store.KeyRetired, -30*time.Minute)),
		active:    createSigningKey(t, s, signingKeyFixture(tid, store.KeyActive, 0)),
		next:      createSigningKey(t, s, signingKeyFixture(tid, store.KeyNext, time.Hour)),
	}
}

// rotation answers the rotation a node that saw r would ask for.
func (r keyRing) rotation() store.KeyRotation {
	newNext := signingKeyFixture(r.tenantID, store.KeyNext, 2*time.Hour)
	return store.KeyRotation{
		TenantID:       r.tenantID,
		ExpectActiveID: r.active.ID,
		PromoteID:      r.next.ID,
		NewNext:        newNext,
		At:             rotationTime(),
		RetireUntil:    rotationTime().Add(24 * time.Hour),
	}
}

// afterRotation answers the keys r should hold after rot, newest first.
func (r keyRing) afterRotation(rot store.KeyRotation) []store.SigningKey {
	retired := r.active
	retired.State = store.KeyRetired
	retired.RetiredAt = ptr(rot.At)
	retired.PublishUntil = ptr(rot.RetireUntil)
	promoted := r.next
	promoted.State = store.KeyActive
	promoted.ActivatedAt = ptr(rot.At)
	return []store.SigningKey{rot.NewNext, promoted, retired, r.lingering}
}

func signingKeyRotate(t *testing.T, s store.Store) {
	ring := newKeyRing(t, s)
	rot := ring.rotation()
	require.NoError(t, s.RotateSigningKeys(t.Context(), rot))

	keys, err := s.ListSigningKeys(t.Context(), ring.tenantID)
	require.NoError(t, err)
	require.Equal(t, ring.afterRotation(rot), keys, "the expired retired key is gone, the lingering one stays")
}

func signingKeyRotateFirst(t *testing.T, s store.Store) {
	ctx := t.Context()
	tid := createTenant(t, s, "contoso").ID
	next := createSigningKey(t, s, signingKeyFixture(tid, store.KeyNext, 0))
	rot := store.KeyRotation{TenantID: tid, PromoteID: next.ID,
		NewNext: signingKeyFixture(tid, store.KeyNext, time.Hour), At: at(time.Hour), RetireUntil: at(25 * time.Hour)}
	require.NoError(t, s.RotateSigningKeys(ctx, rot))

	promoted := next
	promoted.State = store.KeyActive
	promoted.ActivatedAt = ptr(rot.At)
	keys, err := s.ListSigningKeys(ctx, tid)
	require.NoError(t, err)
	require.Equal(t, []store.SigningKey{rot.NewNext, promoted}, keys)
}

// signingKeyRotateConflicts tries rotations built on a stale view; each must
// answer ErrConflict and change nothing.
func signingKeyRotateConflicts(t *testing.T, s store.Store) {
	ctx := t.Context()
	ring := newKeyRing(t, s)
	before, err := s.ListSigningKeys(ctx, ring.tenantID)
	require.NoError(t, err)

	cases := map[string]func(r *store.KeyRotation){
		"expected active is retired":   func(r *store.KeyRotation) { r.ExpectActiveID = ring.lingering.ID },
		"expected active is unknown":   func(r *store.KeyRotation) { r.ExpectActiveID = newID() },
		"expected no active key":       func(r *store.KeyRotation) { r.ExpectActiveID = "" },
		"promoted key is the active":   func(r *store.KeyRotation) { r.PromoteID = ring.active.ID },
		"promoted key is unknown":      func(r *store.KeyRotation) { r.PromoteID = newID() },
		"new next reuses an id":        func(r *store.KeyRotation) { r.NewNext.ID = ring.lingering.ID },
		"another tenant's expectation": func(r *store.KeyRotation) { r.TenantID = createTenant(t, s, "fabrikam").ID },
	}
	for name, change := range cases {
		rot := ring.rotation()
		change(&rot)
		require.ErrorIs(t, s.RotateSigningKeys(ctx, rot), store.ErrConflict, name)
		keys, err := s.ListSigningKeys(ctx, ring.tenantID)
		require.NoError(t, err)
		require.Equal(t, before, keys, name)
	}
}
