package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/internal/store"
)

func invitationCases() []testCase {
	return []testCase{
		{"CreateGetList", invitationCreateGetList},
		{"ConflictsAndUnknownUser", invitationErrors},
		{"RenewReplacesTheHash", invitationRenew},
		{"RetiredTokens", invitationRetiredTokens},
		{"Revoke", invitationRevoke},
		{"RedeemOnce", invitationRedeem},
		{"RedeemExpired", invitationRedeemExpired},
		{"TenantIsolation", invitationIsolation},
		{"DeletedWithUser", invitationDeletedWithUser},
		{"ByTokenHash", invitationByTokenHash},
		{"Blocks", invitationBlocks},
		{"Tally", invitationTally},
	}
}

// invitationTally counts every tenant's invitations by state, a pending
// one past its expiry as expired.
func invitationTally(t *testing.T, s store.Store) {
	ctx := t.Context()
	tally := func(now time.Time) map[string]int {
		t.Helper()
		got, err := s.TallyInvitations(ctx, now)
		require.NoError(t, err)
		return got
	}
	require.Empty(t, tally(at(0)))
	a, b := createTenant(t, s, "contoso").ID, createTenant(t, s, "fabrikam").ID
	invite := func(tenantID, name string) store.Invitation {
		return createInvitation(t, s, invitationFixture(createUser(t, s, guestFixture(tenantID, name))))
	}
	invite(a, "bo")
	invite(b, "bo")
	revoked := invite(a, "cy")
	require.NoError(t, s.RevokeInvitation(ctx, a, revoked.ID))
	accepted := invite(b, "cy")
	_, err := s.RedeemInvitation(ctx, b, accepted.TokenHash, at(time.Hour))
	require.NoError(t, err)
	require.Equal(t, map[string]int{store.InvitationPending: 2, store.InvitationAccepted: 1, store.InvitationRevoked: 1}, tally(at(time.Hour)))
	require.Equal(t, map[string]int{store.InvitationExpired: 2, store.InvitationAccepted: 1, store.InvitationRevoked: 1},
		tally(accepted.ExpiresAt), "pending past expiry")
}

func invitationFixture(u store.User) store.Invitation {
	return store.Invitation{
		TenantID:        u.TenantID,
		ID:              newID(),
		InvitedUserID:   u.ID,
		Email:           u.Mail,
		RedirectURL:     "https://app.contoso.example/",
		Status:          store.InvitationPending,
		InviterType:     store.ActorUser,
		InviterID:       newID(),
		MessageLanguage: "en-US",
		CreatedAt:       at(0),
		ExpiresAt:       at(7 * 24 * time.Hour),
		TokenHash:       "hash-" + newID(),
	}
}

func createInvitation(t *testing.T, s store.Store, inv store.Invitation) store.Invitation {
	t.Helper()
	require.NoError(t, s.CreateInvitation(t.Context(), inv))
	return inv
}

func invitationCreateGetList(t *testing.T, s store.Store) {
	ctx := t.Context()
	tid := createTenant(t, s, "contoso").ID
	bo := createUser(t, s, guestFixture(tid, "bo"))
	al := createUser(t, s, guestFixture(tid, "al"))
	first := createInvitation(t, s, invitationFixture(bo))
	second := invitationFixture(al)
	second.CreatedAt = at(time.Minute)
	second.RedeemedAt = ptr(at(2 * time.Minute))
	second.Status = store.InvitationAccepted
	createInvitation(t, s, second)

	got, err := s.GetInvitation(ctx, tid, first.ID)
	require.NoError(t, err)
	require.Equal(t, first, got)

	all, err := s.ListInvitations(ctx, tid, store.InvitationFilter{})
	require.NoError(t, err)
	require.Equal(t, []store.Invitation{first, second}, all)

	pending, err := s.ListInvitations(ctx, tid, store.InvitationFilter{Status: store.InvitationPending})
	require.NoError(t, err)
	require.Equal(t, []store.Invitation{first}, pending)

	byUser, err := s.ListInvitations(ctx, tid, store.InvitationFilter{InvitedUserID: al.ID})
	require.NoError(t, err)
	require.Equal(t, []store.Invitation{second}, byUser)

	_, err = s.GetInvitation(ctx, tid, newID())
	require.ErrorIs(t, err, store.ErrNotFound)
}

func invitationErrors(t *testing.T, s store.Store) {
	ctx := t.Context()
	tid := createTenant(t, s, "contoso").ID
	bo := createUser(t, s, guestFixture(tid, "bo"))
	inv := createInvitation(t, s, invitationFixture(bo))

	sameID := invitationFixture(bo)
	sameID.ID = inv.ID
	require.ErrorIs(t, s.CreateInvitation(ctx, sameID), store.ErrConflict)

	sameHash := invitationFixture(bo)
	sameHash.TokenHash = inv.TokenHash
	require.ErrorIs(t, s.CreateInvitation(ctx, sameHash), store.ErrConflict)

	ghost := invitationFixture(store.User{TenantID: tid, ID: newID(), Mail: "x@fabrikam.example"})
	require.ErrorIs(t, s.CreateInvitation(ctx, ghost), store.ErrNotFound)
}

func invitationRenew(t *testing.T, s store.Store) {
	ctx := t.Context()
	tid := createTenant(t, s, "contoso").ID
	bo := createUser(t, s, guestFixture(tid, "bo"))
	inv := createInvitation(t, s, invitationFixture(bo))
	oldHash := inv.TokenHash

	inv.TokenHash = "hash-" + newID()
	inv.RedirectURL = "https://other.contoso.example/"
	inv.CreatedAt = at(time.Hour)
	inv.ExpiresAt = at(time.Hour + 7*24*time.Hour)
	inv.MessageLanguage = "fr-FR"
	require.NoError(t, s.RenewInvitation(ctx, inv))
	got, err := s.GetInvitation(ctx, tid, inv.ID)
	require.NoError(t, err)
	require.Equal(t, inv, got)

	_, err = s.RedeemInvitation(ctx, tid, oldHash, at(2*time.Hour))
	require.ErrorIs(t, err, store.ErrNotFound, "the old link is void")
	_, err = s.RedeemInvitation(ctx, tid, inv.TokenHash, at(2*time.Hour))
	require.NoError(t, err)

	inv.TokenHash = "hash-" + newID()
	require.ErrorIs(t, s.RenewInvitation(ctx, inv), store.ErrNotFound, "an accepted invitation is not renewed")
}

func invitationRevoke(t *testing.T, s store.Store) {
	ctx := t.Context()
	tid := createTenant(t, s, "contoso").ID
	inv := createInvitation(t, s, invitationFixture(createUser(t, s, guestFixture(tid, "bo"))))
	require.NoError(t, s.RevokeInvitation(ctx, tid, inv.ID))
	got, err := s.GetInvitation(ctx, tid, inv.ID)
	require.NoError(t, err)
	require.Equal(t, store.InvitationRevoked, got.Status)
	require.ErrorIs(t, s.RevokeInvitation(ctx, tid, inv.ID), store.ErrNotFound, "twice")
	require.ErrorIs(t, s.RevokeInvitation(ctx, tid, newID()), store.ErrNotFound)
	_, err = s.RedeemInvitation(ctx, tid, inv.TokenHash, at(time.Hour))
	require.ErrorIs(t, err, store.ErrNotFound, "a revoked invitation cannot be redeemed")
}

func invitationRedeem(t *testing.T, s store.Store) {
	ctx := t.Context()
	tid := createTenant(t, s, "contoso").ID
	inv := createInvitation(t, s, invitationFixture(createUser(t, s, guestFixture(tid, "bo"))))
	got, err := s.RedeemInvitation(ctx, tid, inv.TokenHash, at(time.Hour))
	require.NoError(t, err)
	require.Equal(t, store.InvitationAccepted, got.Status)
	require.Equal(t, ptr(at(time.Hour)), got.RedeemedAt)
	_, err = s.RedeemInvitation(ctx, tid, inv.TokenHash, at(2*time.Hour))
	require.ErrorIs(t, err, store.ErrAlreadyUsed)
	_, err = s.RedeemInvitation(ctx, tid, "hash-unknown", at(time.Hour))
	require.ErrorIs(t, err, store.ErrNotFound)
}

func invitationRedeemExpired(t *testing.T, s store.Store) {
	ctx := t.Context()
	tid := createTenant(t, s, "contoso").ID
	inv := createInvitation(t, s, invitationFixture(createUser(t, s, guestFixture(tid, "bo"))))
	_, err := s.RedeemInvitation(ctx, tid, inv.TokenHash, inv.ExpiresAt)
	require.ErrorIs(t, err, store.ErrExpired, "expiry is exclusive")
	got, err := s.GetInvitation(ctx, tid, inv.ID)
	require.NoError(t, err)
	require.Equal(t, store.InvitationPending, got.Status)
}

func invitationIsolation(t *testing.T, s store.Store) {
	ctx := t.Context()
	contoso := createTenant(t, s, "contoso").ID
	woodgrove := createTenant(t, s, "woodgrove").ID
	inv := createInvitation(t, s, invitationFixture(createUser(t, s, guestFixture(contoso, "bo"))))

	_, err := s.GetInvitation(ctx, woodgrove, inv.ID)
	require.ErrorIs(t, err, store.ErrNotFound)
	list, err := s.ListInvitations(ctx, woodgrove, store.InvitationFilter{})
	require.NoError(t, err)
	require.Empty(t, list)
	require.ErrorIs(t, s.RevokeInvitation(ctx, woodgrove, inv.ID), store.ErrNotFound)
	renew := inv
	renew.TenantID = woodgrove
	require.ErrorIs(t, s.RenewInvitation(ctx, renew), store.ErrNotFound)
	_, err = s.RedeemInvitation(ctx, woodgrove, inv.TokenHash, at(time.Hour))
	require.ErrorIs(t, err, store.ErrNotFound)

	// A user of another tenant cannot be invited through this one.
	other := invitationFixture(createUser(t, s, guestFixture(woodgrove, "al")))
	other.TenantID = contoso
	require.ErrorIs(t, s.CreateInvitation(ctx, other), store.ErrNotFound)

	got, err := s.GetInvitation(ctx, contoso, inv.ID)
	require.NoError(t, err)
	require.Equal(t, inv, got, "untouched")
}

func invitationDeletedWithUser(t *testing.T, s store.Store) {
	ctx := t.Context()
	tid := createTenant(t, s, "contoso").ID
	bo := createUser(t, s, guestFixture(tid, "bo"))
	inv := createInvitation(t, s, invitationFixture(bo))
	require.NoError(t, s.DeleteUser(ctx, tid, bo.ID))
	_, err := s.GetInvitation(ctx, tid, inv.ID)
	require.ErrorIs(t, err, store.ErrNotFound)
}

func concurrentRedeemInvitation(t *testing.T, s store.Store) {
	ctx := t.Context()
	tid := createTenant(t, s, "contoso").ID
	inv := createInvitation(t, s, invitationFixture(createUser(t, s, guestFixture(tid, "bo"))))
	errs := race(32, func(i int) error {
		_, err := s.RedeemInvitation(ctx, tid, inv.TokenHash, at(time.Duration(i+1)*time.Second))
		return err
	})
	requireOneWinner(t, errs, store.ErrAlreadyUsed)
}

func invitationByTokenHash(t *testing.T, s store.Store) {
	ctx := t.Context()
	contoso := createTenant(t, s, "contoso").ID
	woodgrove := createTenant(t, s, "woodgrove").ID
	inv := createInvitation(t, s, invitationFixture(createUser(t, s, guestFixture(contoso, "bo"))))
	got, err := s.GetInvitationByTokenHash(ctx, contoso, inv.TokenHash)
	require.NoError(t, err)
	require.Equal(t, inv, got)
	_, err = s.GetInvitationByTokenHash(ctx, woodgrove, inv.TokenHash)
	require.ErrorIs(t, err, store.ErrNotFound, "another tenant's hash")
	_, err = s.GetInvitationByTokenHash(ctx, contoso, "hash-unknown")
	require.ErrorIs(t, err, store.ErrNotFound)
	require.NoError(t, s.RevokeInvitation(ctx, contoso, inv.ID))
	got, err = s.GetInvitationByTokenHash(ctx, contoso, inv.TokenHash)
	require.NoError(t, err, "any state")
	require.Equal(t, store.InvitationRevoked, got.Status)
}

func invitationBlocks(t *testing.T, s store.Store) {
	ctx := t.Context()
	contoso := createTenant(t, s, "contoso").ID
	woodgrove := createTenant(t, s, "woodgrove").ID
	blocked, err := s.InvitationsBlocked(ctx, contoso, "kim@fabrikam.example")
	require.NoError(t, err)
	require.False(t, blocked)
	require.NoError(t, s.BlockInvitations(ctx, contoso, "kim@fabrikam.example", at(0)))
	require.NoError(t, s.BlockInvitations(ctx, contoso, "kim@fabrikam.example", at(time.Hour)), "twice")
	blocked, err = s.InvitationsBlocked(ctx, contoso, "kim@fabrikam.example")
	require.NoError(t, err)
	require.True(t, blocked)
	blocked, err = s.InvitationsBlocked(ctx, woodgrove, "kim@fabrikam.example")
	require.NoError(t, err)
	require.False(t, blocked, "a block is per tenant")
	require.ErrorIs(t, s.BlockInvitations(ctx, newID(), "kim@fabrikam.example", at(0)), store.ErrNotFound)
}

func invitationRetiredTokens(t *testing.T, s store.Store) {
	ctx := t.Context()
	tid := createTenant(t, s, "contoso").ID
	other := createTenant(t, s, "fabrikam").ID
	bo := createUser(t, s, guestFixture(tid, "bo"))
	inv := createInvitation(t, s, invitationFixture(bo))
	first := inv.TokenHash

	_, err := s.RetiredInvitationToken(ctx, tid, first)
	require.ErrorIs(t, err, store.ErrNotFound, "the current hash is not retired")

	inv.TokenHash = "hash-" + newID()
	inv.CreatedAt = at(time.Hour)
	require.NoError(t, s.RenewInvitation(ctx, inv))
	second := inv.TokenHash
	inv.TokenHash = "hash-" + newID()
	inv.CreatedAt = at(2 * time.Hour)
	require.NoError(t, s.RenewInvitation(ctx, inv))

	for i, old := range []string{first, second} {
		got, err := s.RetiredInvitationToken(ctx, tid, old)
		require.NoError(t, err)
		require.Equal(t, store.RetiredToken{InvitationID: inv.ID, Reason: store.TokenReplaced, RetiredAt: at(time.Duration(i+1) * time.Hour)}, got)
		_, err = s.GetInvitationByTokenHash(ctx, tid, old)
		require.ErrorIs(t, err, store.ErrNotFound, "a retired hash is no current one")
	}
	_, err = s.RetiredInvitationToken(ctx, tid, "hash-"+newID())
	require.ErrorIs(t, err, store.ErrNotFound, "a hash never issued")
	_, err = s.RetiredInvitationToken(ctx, other, first)
	require.ErrorIs(t, err, store.ErrNotFound, "another tenant's")

	// Revoking retires the current hash, and the record outlives the
	// invitation (revoking may delete it with its guest).
	require.NoError(t, s.RevokeInvitation(ctx, tid, inv.ID))
	got, err := s.RetiredInvitationToken(ctx, tid, inv.TokenHash)
	require.NoError(t, err)
	require.Equal(t, store.TokenRevoked, got.Reason)
	require.Equal(t, inv.ID, got.InvitationID)
	require.NoError(t, s.DeleteUser(ctx, tid, bo.ID))
	_, err = s.GetInvitation(ctx, tid, inv.ID)
	require.ErrorIs(t, err, store.ErrNotFound)
	got, err = s.RetiredInvitationToken(ctx, tid, inv.TokenHash)
	require.NoError(t, err)
	require.Equal(t, store.TokenRevoked, got.Reason)

	// A renewal or revocation the store refuses (not pending) retires
	// nothing.
	al := createUser(t, s, guestFixture(tid, "al"))
	acc := createInvitation(t, s, invitationFixture(al))
	_, err = s.RedeemInvitation(ctx, tid, acc.TokenHash, at(time.Hour))
	require.NoError(t, err)
	require.ErrorIs(t, s.RevokeInvitation(ctx, tid, acc.ID), store.ErrNotFound)
	renewed := acc
	renewed.TokenHash = "hash-" + newID()
	require.ErrorIs(t, s.RenewInvitation(ctx, renewed), store.ErrNotFound)
	_, err = s.RetiredInvitationToken(ctx, tid, acc.TokenHash)
	require.ErrorIs(t, err, store.ErrNotFound)
}
