package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/internal/store"
)

func refreshTokenCases() []testCase {
	return []testCase{
		{"CreateGet", refreshCreateGet},
		{"CreateConflicts", refreshCreateConflicts},
		{"Rotate", refreshRotate},
		{"RotateJoinsTheFamily", refreshRotateJoinsFamily},
		{"RotateUsedAgain", refreshRotateUsedAgain},
		{"RotateExpired", refreshRotateExpired},
		{"RotateUnknown", refreshRotateUnknown},
		{"RotateFailureStoresNothing", refreshRotateFailureStoresNothing},
		{"AccessTokenUnderLive", refreshAccessTokenUnderLive},
		{"AccessTokenUnderSpent", refreshAccessTokenUnderSpent},
		{"RevokeFamily", refreshRevokeFamily},
		{"RevokeGrant", refreshRevokeGrant},
		{"RevokeEmptyID", refreshRevokeEmptyID},
		{"VanishWithUserOrApplication", refreshVanishWithUserOrApp},
	}
}

// client is a tenant with a user signed in to an application.
type client struct {
	tenantID string
	user     store.User
	app      store.Application
}

func newClient(t *testing.T, s store.Store) client {
	t.Helper()
	return newClientIn(t, s, "contoso")
}

// newClientIn makes the client in a new tenant named slug.
func newClientIn(t *testing.T, s store.Store, slug string) client {
	t.Helper()
	tid := createTenant(t, s, slug).ID
	return client{
		tenantID: tid,
		user:     createUser(t, s, memberFixture(tid, "alex")),
		app:      createApplication(t, s, applicationFixture(tid, "wiki")),
	}
}

func (c client) refreshToken() store.RefreshToken {
	return refreshTokenFixture(c.tenantID, c.user.ID, c.app.ClientID)
}

func requireRefreshToken(t *testing.T, s store.Store, want store.RefreshToken) {
	t.Helper()
	got, err := s.GetRefreshToken(t.Context(), want.TenantID, want.Hash)
	require.NoError(t, err)
	require.Equal(t, want, got)
}

func requireNoRefreshToken(t *testing.T, s store.Store, tenantID, hash string) {
	t.Helper()
	_, err := s.GetRefreshToken(t.Context(), tenantID, hash)
	require.ErrorIs(t, err, store.ErrNotFound)
}

func refreshCreateGet(t *testing.T, s store.Store) {
	c := newClient(t, s)
	rt := createRefreshToken(t, s, c.refreshToken())
	bare := c.refreshToken()
	bare.Scopes, bare.Audience, bare.AMR = nil, nil, nil
	createRefreshToken(t, s, bare)
	// Any state comes back: callers tell a replay from a stranger.
	spent := c.refreshToken()
	spent.UsedAt, spent.RevokedAt = ptr(at(time.Minute)), ptr(at(time.Hour))
	spent.ExpiresAt = at(-time.Hour)
	createRefreshToken(t, s, spent)

	for _, want := range []store.RefreshToken{rt, bare, spent} {
		requireRefreshToken(t, s, want)
	}
	requireNoRefreshToken(t, s, c.tenantID, "sha256:unknown")
	requireNoRefreshToken(t, s, c.tenantID, rt.ID)
}

func refreshCreateConflicts(t *testing.T, s store.Store) {
	ctx := t.Context()
	c := newClient(t, s)
	rt := createRefreshToken(t, s, c.refreshToken())

	conflicts := map[string]func(r *store.RefreshToken){
		"same hash": func(r *store.RefreshToken) { r.Hash = rt.Hash },
		"same id":   func(r *store.RefreshToken) { r.ID = rt.ID },
	}
	for name, change := range conflicts {
		r := c.refreshToken()
		change(&r)
		require.ErrorIs(t, s.CreateRefreshToken(ctx, r), store.ErrConflict, name)
	}
	missing := map[string]func(r *store.RefreshToken){
		"unknown user":   func(r *store.RefreshToken) { r.UserID = newID() },
		"unknown client": func(r *store.RefreshToken) { r.ClientID = "nobody-client" },
		"unknown tenant": func(r *store.RefreshToken) { r.TenantID = newID() },
	}
	for name, change := range missing {
		r := c.refreshToken()
		change(&r)
		require.ErrorIs(t, s.CreateRefreshToken(ctx, r), store.ErrNotFound, name)
		requireNoRefreshToken(t, s, c.tenantID, r.Hash)
	}
	requireRefreshToken(t, s, rt)
}

func refreshRotate(t *testing.T, s store.Store) {
	ctx := t.Context()
	c := newClient(t, s)
	first := createRefreshToken(t, s, c.refreshToken())

	second := successor(first, time.Hour)
	require.NoError(t, s.RotateRefreshToken(ctx, c.tenantID, first.Hash, second, at(time.Hour)))
	first.UsedAt = ptr(at(time.Hour))
	requireRefreshToken(t, s, first)
	requireRefreshToken(t, s, second)

	third := successor(second, 2*time.Hour)
	require.NoError(t, s.RotateRefreshToken(ctx, c.tenantID, second.Hash, third, at(2*time.Hour)))
	second.UsedAt = ptr(at(2 * time.Hour))
	requireRefreshToken(t, s, second)
	requireRefreshToken(t, s, third)
}

// refreshRotateJoinsFamily: the next token cannot leave the family, its
// grant or its tenant, nor outlive the family.
func refreshRotateJoinsFamily(t *testing.T, s store.Store) {
	ctx := t.Context()
	c := newClient(t, s)
	other := createTenant(t, s, "fabrikam").ID
	first := createRefreshToken(t, s, c.refreshToken())

	next := successor(first, time.Hour)
	next.TenantID, next.FamilyID, next.GrantID = other, newID(), newID()
	next.ExpiresAt = first.ExpiresAt.Add(365 * 24 * time.Hour)
	require.NoError(t, s.RotateRefreshToken(ctx, c.tenantID, first.Hash, next, at(time.Hour)))

	want := successor(first, time.Hour)
	want.ID, want.Hash = next.ID, next.Hash
	requireRefreshToken(t, s, want)
	requireNoRefreshToken(t, s, other, next.Hash)

	// A shorter life is the caller's to choose.
	shorter := successor(want, 2*time.Hour)
	shorter.ExpiresAt = at(48 * time.Hour)
	require.NoError(t, s.RotateRefreshToken(ctx, c.tenantID, want.Hash, shorter, at(2*time.Hour)))
	requireRefreshToken(t, s, shorter)
}

// refreshRotateUsedAgain presents a rotated token again, as a thief or a
// retrying client would: ErrAlreadyUsed, and nothing stored.
func refreshRotateUsedAgain(t *testing.T, s store.Store) {
	ctx := t.Context()
	c := newClient(t, s)
	first := createRefreshToken(t, s, c.refreshToken())
	second := successor(first, time.Hour)
	require.NoError(t, s.RotateRefreshToken(ctx, c.tenantID, first.Hash, second, at(time.Hour)))

	replay := successor(first, 2*time.Hour)
	err := s.RotateRefreshToken(ctx, c.tenantID, first.Hash, replay, at(2*time.Hour))
	require.ErrorIs(t, err, store.ErrAlreadyUsed)
	requireNoRefreshToken(t, s, c.tenantID, replay.Hash)
	first.UsedAt = ptr(at(time.Hour))
	requireRefreshToken(t, s, first) // the first use's time stays
	requireRefreshToken(t, s, second)

	// Used, then expired: still a replay.
	err = s.RotateRefreshToken(ctx, c.tenantID, first.Hash, successor(first, 0), first.ExpiresAt.Add(time.Hour))
	require.ErrorIs(t, err, store.ErrAlreadyUsed)
}

func refreshRotateExpired(t *testing.T, s store.Store) {
	ctx := t.Context()
	c := newClient(t, s)
	rt := createRefreshToken(t, s, c.refreshToken())

	for name, when := range map[string]time.Time{"at ExpiresAt": rt.ExpiresAt, "after": rt.ExpiresAt.Add(time.Hour)} {
		next := successor(rt, 0)
		err := s.RotateRefreshToken(ctx, c.tenantID, rt.Hash, next, when)
		require.ErrorIs(t, err, store.ErrExpired, name)
		requireNoRefreshToken(t, s, c.tenantID, next.Hash)
	}
	requireRefreshToken(t, s, rt) // not marked used
	require.NoError(t, s.RotateRefreshToken(ctx, c.tenantID, rt.Hash, successor(rt, 0), rt.ExpiresAt.Add(-time.Microsecond)),
		"a microsecond before expiry")
}

func refreshRotateUnknown(t *testing.T, s store.Store) {
	c := newClient(t, s)
	next := successor(c.refreshToken(), 0)
	err := s.RotateRefreshToken(t.Context(), c.tenantID, "sha256:unknown", next, at(time.Minute))
	require.ErrorIs(t, err, store.ErrNotFound)
	requireNoRefreshToken(t, s, c.tenantID, next.Hash)
}

// refreshRotateFailureStoresNothing: when next cannot be stored, the old
// token is not spent either.
func refreshRotateFailureStoresNothing(t *testing.T, s store.Store) {
	ctx := t.Context()
	c := newClient(t, s)
	rt := createRefreshToken(t, s, c.refreshToken())
	taken := createRefreshToken(t, s, c.refreshToken())

	clash := successor(rt, time.Hour)
	clash.Hash = taken.Hash
	require.ErrorIs(t, s.RotateRefreshToken(ctx, c.tenantID, rt.Hash, clash, at(time.Hour)), store.ErrConflict)
	requireRefreshToken(t, s, rt)
	require.NoError(t, s.RotateRefreshToken(ctx, c.tenantID, rt.Hash, successor(rt, time.Hour), at(time.Hour)))
}

func refreshRevokeFamily(t *testing.T, s store.Store) {
	ctx := t.Context()
	c := newClient(t, s)
	first := createRefreshToken(t, s, c.refreshToken())
	second := successor(first, time.Hour)
	require.NoError(t, s.RotateRefreshToken(ctx, c.tenantID, first.Hash, second, at(time.Hour)))
	first.UsedAt = ptr(at(time.Hour))
	fromFirst := createAccessToken(t, s, accessTokenFixture(first))
	fromSecond := accessTokenFixture(second)
	fromSecond.GrantID = "" // issued on refresh: the family, no code
	createAccessToken(t, s, fromSecond)
	otherFamily := createRefreshToken(t, s, c.refreshToken())
	otherAccess := createAccessToken(t, s, accessTokenFixture(otherFamily))
	clientOnly := createAccessToken(t, s, clientCredentialsFixture(c.tenantID, c.app.ClientID))

	require.NoError(t, s.RevokeRefreshFamily(ctx, c.tenantID, first.FamilyID, at(2*time.Hour), at(48*time.Hour)))
	err := s.RotateRefreshToken(ctx, c.tenantID, second.Hash, successor(second, 3*time.Hour), at(3*time.Hour))
	require.ErrorIs(t, err, store.ErrAlreadyUsed, "a revoked token is spent")

	revoked := ptr(at(2 * time.Hour))
	first.RevokedAt, second.RevokedAt = revoked, revoked
	fromFirst.RevokedAt, fromSecond.RevokedAt = revoked, revoked
	requireRefreshToken(t, s, first)
	requireRefreshToken(t, s, second)
	requireAccessToken(t, s, fromFirst)
	requireAccessToken(t, s, fromSecond)
	requireRefreshToken(t, s, otherFamily)
	requireAccessToken(t, s, otherAccess)
	requireAccessToken(t, s, clientOnly)
	requireRevoked(t, s, c.tenantID, true, first.FamilyID)
	requireRevoked(t, s, c.tenantID, false, otherFamily.FamilyID, first.GrantID)

	// Twice is no error and keeps the first time; so is an unknown family.
	require.NoError(t, s.RevokeRefreshFamily(ctx, c.tenantID, first.FamilyID, at(4*time.Hour), at(48*time.Hour)))
	requireRefreshToken(t, s, second)
	requireAccessToken(t, s, fromSecond)
	require.NoError(t, s.RevokeRefreshFamily(ctx, c.tenantID, newID(), at(4*time.Hour), at(48*time.Hour)))
}

// refreshRevokeGrant revokes what one code led to, down every family of it
// and every access token issued from it, and nothing of another grant.
func refreshRevokeGrant(t *testing.T, s store.Store) {
	ctx := t.Context()
	c := newClient(t, s)
	replayed := createRefreshToken(t, s, c.refreshToken())
	second := successor(replayed, time.Hour)
	require.NoError(t, s.RotateRefreshToken(ctx, c.tenantID, replayed.Hash, second, at(time.Hour)))
	replayed.UsedAt = ptr(at(time.Hour))
	fromCode := createAccessToken(t, s, accessTokenFixture(replayed))
	fromRefresh := accessTokenFixture(second)
	fromRefresh.GrantID = "" // issued on refresh: found through its family
	createAccessToken(t, s, fromRefresh)
	noRefresh := accessTokenFixture(c.refreshToken()) // a code redeemed without offline_access
	noRefresh.FamilyID = ""
	noRefresh.GrantID = replayed.GrantID
	createAccessToken(t, s, noRefresh)

	kept := createRefreshToken(t, s, c.refreshToken())
	keptAccess := createAccessToken(t, s, accessTokenFixture(kept))
	clientOnly := createAccessToken(t, s, clientCredentialsFixture(c.tenantID, c.app.ClientID))

	require.NoError(t, s.RevokeGrant(ctx, c.tenantID, replayed.GrantID, at(2*time.Hour), at(48*time.Hour)))
	revoked := ptr(at(2 * time.Hour))
	replayed.RevokedAt, second.RevokedAt = revoked, revoked
	fromCode.RevokedAt, fromRefresh.RevokedAt, noRefresh.RevokedAt = revoked, revoked, revoked
	requireRefreshToken(t, s, replayed)
	requireRefreshToken(t, s, second)
	requireAccessToken(t, s, fromCode)
	requireAccessToken(t, s, fromRefresh)
	requireAccessToken(t, s, noRefresh)
	requireRefreshToken(t, s, kept)
	requireAccessToken(t, s, keptAccess)
	requireAccessToken(t, s, clientOnly)
	requireRevoked(t, s, c.tenantID, true, replayed.GrantID)
	requireRevoked(t, s, c.tenantID, true, replayed.FamilyID)
	requireRevoked(t, s, c.tenantID, false, kept.FamilyID, kept.GrantID)

	err := s.RotateRefreshToken(ctx, c.tenantID, second.Hash, successor(second, 3*time.Hour), at(3*time.Hour))
	require.ErrorIs(t, err, store.ErrAlreadyUsed)
	require.NoError(t, s.RevokeGrant(ctx, c.tenantID, replayed.GrantID, at(4*time.Hour), at(48*time.Hour)), "twice")
	requireRefreshToken(t, s, second)
	require.NoError(t, s.RevokeGrant(ctx, c.tenantID, newID(), at(4*time.Hour), at(48*time.Hour)), "unknown grant")
}

// refreshRevokeEmptyID: an empty family or grant id must not reach the
// tokens that have none, whether named by the caller or found on a refresh
// token stored without a family.
func refreshRevokeEmptyID(t *testing.T, s store.Store) {
	ctx := t.Context()
	c := newClient(t, s)
	clientOnly := createAccessToken(t, s, clientCredentialsFixture(c.tenantID, c.app.ClientID))

	require.ErrorIs(t, s.RevokeRefreshFamily(ctx, c.tenantID, "", at(time.Hour), at(48*time.Hour)), store.ErrNotFound)
	require.ErrorIs(t, s.RevokeGrant(ctx, c.tenantID, "", at(time.Hour), at(48*time.Hour)), store.ErrNotFound)
	requireAccessToken(t, s, clientOnly)

	noFamily := c.refreshToken()
	noFamily.FamilyID = ""
	createRefreshToken(t, s, noFamily)
	require.NoError(t, s.RevokeGrant(ctx, c.tenantID, noFamily.GrantID, at(time.Hour), at(48*time.Hour)))
	noFamily.RevokedAt = ptr(at(time.Hour))
	requireRefreshToken(t, s, noFamily)
	requireAccessToken(t, s, clientOnly)
}

func refreshVanishWithUserOrApp(t *testing.T, s store.Store) {
	ctx := t.Context()
	c := newClient(t, s)
	ofUser := createRefreshToken(t, s, c.refreshToken())
	require.NoError(t, s.DeleteUser(ctx, c.tenantID, c.user.ID))
	requireNoRefreshToken(t, s, c.tenantID, ofUser.Hash)

	bo := createUser(t, s, guestFixture(c.tenantID, "bo"))
	ofApp := createRefreshToken(t, s, refreshTokenFixture(c.tenantID, bo.ID, c.app.ClientID))
	require.NoError(t, s.DeleteApplication(ctx, c.tenantID, c.app.ID))
	requireNoRefreshToken(t, s, c.tenantID, ofApp.Hash)
	// An application made again under the same client id inherits nothing.
	createApplication(t, s, applicationFixture(c.tenantID, "wiki"))
	requireNoRefreshToken(t, s, c.tenantID, ofApp.Hash)
}

// refreshAccessTokenUnderLive: an access token stored under a live refresh
// token joins its family and tenant, and goes when the family is revoked.
func refreshAccessTokenUnderLive(t *testing.T, s store.Store) {
	ctx := t.Context()
	c := newClient(t, s)
	other := createTenant(t, s, "fabrikam").ID
	rt := createRefreshToken(t, s, c.refreshToken())

	access := accessTokenFixture(rt)
	access.TenantID, access.FamilyID = other, newID()
	require.NoError(t, s.CreateAccessTokenUnder(ctx, c.tenantID, rt.Hash, access, at(time.Minute)))
	access.TenantID, access.FamilyID = c.tenantID, rt.FamilyID
	requireAccessToken(t, s, access)
	requireRefreshToken(t, s, rt) // not marked used

	require.NoError(t, s.RevokeRefreshFamily(ctx, c.tenantID, rt.FamilyID, at(time.Hour), at(48*time.Hour)))
	access.RevokedAt = ptr(at(time.Hour))
	requireAccessToken(t, s, access)
}

// refreshAccessTokenUnderSpent: under a used, revoked, expired, unknown or
// foreign refresh token nothing is stored.
func refreshAccessTokenUnderSpent(t *testing.T, s store.Store) {
	ctx := t.Context()
	c := newClient(t, s)
	other := newClientIn(t, s, "fabrikam")
	used := createRefreshToken(t, s, c.refreshToken())
	require.NoError(t, s.RotateRefreshToken(ctx, c.tenantID, used.Hash, successor(used, time.Minute), at(time.Minute)))
	revoked := createRefreshToken(t, s, c.refreshToken())
	require.NoError(t, s.RevokeRefreshFamily(ctx, c.tenantID, revoked.FamilyID, at(time.Minute), at(48*time.Hour)))
	live := createRefreshToken(t, s, c.refreshToken())
	foreign := createRefreshToken(t, s, other.refreshToken())

	for name, tc := range map[string]struct {
		hash string
		when time.Time
		want error
	}{
		"used":           {used.Hash, at(time.Hour), store.ErrAlreadyUsed},
		"revoked":        {revoked.Hash, at(time.Hour), store.ErrAlreadyUsed},
		"at ExpiresAt":   {live.Hash, live.ExpiresAt, store.ErrExpired},
		"unknown":        {"sha256:unknown", at(time.Hour), store.ErrNotFound},
		"other tenant's": {foreign.Hash, at(time.Hour), store.ErrNotFound},
	} {
		access := accessTokenFixture(live)
		err := s.CreateAccessTokenUnder(ctx, c.tenantID, tc.hash, access, tc.when)
		require.ErrorIs(t, err, tc.want, name)
		_, err = s.GetAccessToken(ctx, c.tenantID, access.ID)
		require.ErrorIs(t, err, store.ErrNotFound, "%s: nothing stored", name)
	}
}
