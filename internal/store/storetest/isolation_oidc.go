package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/internal/store"
)

// Tenant isolation of the OpenID provider's state, in the manner of
// isolation.go: B reaches for A's rows and must miss, leaving them as they
// were (requireWorldIntact checks them all).

func isolationAuthRequests(t *testing.T, s store.Store) {
	ctx := t.Context()
	a, b := twoWorlds(t, s)
	bid, r := b.Tenant.ID, a.AuthRequest

	_, err := s.GetAuthRequest(ctx, bid, r.ID, at(time.Minute))
	require.ErrorIs(t, err, store.ErrNotFound)
	hijack := r
	hijack.TenantID = bid
	hijack.UserID, hijack.Done = b.Member.ID, true
	require.ErrorIs(t, s.UpdateAuthRequest(ctx, hijack), store.ErrNotFound)
	require.ErrorIs(t, s.DeleteAuthRequest(ctx, bid, r.ID), store.ErrNotFound)
	requireWorldIntact(t, s, a)
}

func isolationSessions(t *testing.T, s store.Store) {
	ctx := t.Context()
	a, b := twoWorlds(t, s)
	bid := b.Tenant.ID

	_, err := s.GetSession(ctx, bid, a.Session.ID, at(time.Minute))
	require.ErrorIs(t, err, store.ErrNotFound)
	require.ErrorIs(t, s.DeleteSession(ctx, bid, a.Session.ID), store.ErrNotFound)
	require.NoError(t, s.DeleteUserSessions(ctx, bid, a.Member.ID), "B has no such user: nothing to do")
	require.ErrorIs(t, s.CreateSession(ctx, sessionFixture(bid, a.Member.ID)), store.ErrNotFound, "A's user in B")
	requireWorldIntact(t, s, a)
}

func isolationRefreshTokens(t *testing.T, s store.Store) {
	ctx := t.Context()
	a, b := twoWorlds(t, s)
	bid, rt := b.Tenant.ID, a.Refresh

	_, err := s.GetRefreshToken(ctx, bid, rt.Hash)
	require.ErrorIs(t, err, store.ErrNotFound)
	next := successor(rt, time.Hour)
	next.TenantID = bid
	require.ErrorIs(t, s.RotateRefreshToken(ctx, bid, rt.Hash, next, at(time.Hour)), store.ErrNotFound)
	requireNoRefreshToken(t, s, bid, next.Hash)
	requireNoRefreshToken(t, s, a.Tenant.ID, next.Hash)
	require.NoError(t, s.RevokeRefreshFamily(ctx, bid, rt.FamilyID, at(time.Hour), at(48*time.Hour)), "B has no such family")
	require.NoError(t, s.RevokeGrant(ctx, bid, rt.GrantID, at(time.Hour), at(48*time.Hour)), "B has no such grant")

	forged := refreshTokenFixture(bid, a.Member.ID, b.App.ClientID)
	require.ErrorIs(t, s.CreateRefreshToken(ctx, forged), store.ErrNotFound, "A's user in B")
	requireWorldIntact(t, s, a) // A's refresh and access tokens are unrevoked
	requireRevoked(t, s, a.Tenant.ID, false, rt.FamilyID, rt.GrantID)
}

func isolationAccessTokens(t *testing.T, s store.Store) {
	ctx := t.Context()
	a, b := twoWorlds(t, s)
	bid, tok := b.Tenant.ID, a.Access

	_, err := s.GetAccessToken(ctx, bid, tok.ID)
	require.ErrorIs(t, err, store.ErrNotFound)
	// Revoking through B records the id as revoked in B only.
	inB := tok
	inB.TenantID = bid
	require.NoError(t, s.RevokeAccessToken(ctx, inB, at(time.Hour)))
	inB.RevokedAt = ptr(at(time.Hour))
	requireAccessToken(t, s, inB)
	requireWorldIntact(t, s, a)
}

func isolationConsents(t *testing.T, s store.Store) {
	ctx := t.Context()
	a, b := twoWorlds(t, s)
	bid, c := b.Tenant.ID, a.Consent

	requireNoConsent(t, s, bid, c.UserID, c.ClientID)
	forged := c
	forged.TenantID = bid
	forged.Scopes = []string{"openid", "Directory.ReadWrite.All"}
	require.ErrorIs(t, s.SaveConsent(ctx, forged), store.ErrNotFound, "A's user in B")
	require.ErrorIs(t, s.DeleteConsent(ctx, bid, c.UserID, c.ClientID), store.ErrNotFound)
	requireWorldIntact(t, s, a)
}

// isolationCounters: populate gave both tenants a counter of the same key.
func isolationCounters(t *testing.T, s store.Store) {
	ctx := t.Context()
	a, b := twoWorlds(t, s)
	bid, key := b.Tenant.ID, a.CounterKey
	require.Equal(t, key, b.CounterKey)

	require.EqualValues(t, 2, increment(t, s, bid, key, 15*time.Minute, time.Second))
	requireCounter(t, s, bid, key, time.Minute, 2)
	require.NoError(t, s.DeleteCounter(ctx, bid, key))
	require.ErrorIs(t, s.DeleteCounter(ctx, bid, key), store.ErrNotFound)
	requireWorldIntact(t, s, a) // A's counter is still at 1
}
