package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/internal/store"
)

func mfaCases() []testCase {
	return []testCase{
		{"SaveGetActivate", mfaSaveGetActivate},
		{"ReplaceKeepsActiveUntilConfirmed", mfaReplace},
		{"UnknownUserIsNotFound", mfaUnknownUser},
		{"UseStepOnce", mfaUseStep},
		{"FailuresLockAndUnlock", mfaFailures},
		{"RecoveryCodes", mfaRecoveryCodes},
		{"Delete", mfaDelete},
		{"CascadeWithUser", mfaCascadeWithUser},
		{"Registrations", mfaRegistrations},
	}
}

func totpFactorFixture(tenantID, userID string) store.TOTPFactor {
	return store.TOTPFactor{
		TenantID:            tenantID,
		UserID:              userID,
		PendingSealedSecret: []byte("sealed-pending-" + userID),
		CreatedAt:           at(0),
	}
}

// createActiveFactor saves a factor and activates it at step.
func createActiveFactor(t *testing.T, s store.Store, tenantID, userID string, step int64) store.TOTPFactor {
	t.Helper()
	ctx := t.Context()
	require.NoError(t, s.SaveTOTPFactor(ctx, totpFactorFixture(tenantID, userID)))
	require.NoError(t, s.ActivateTOTPFactor(ctx, tenantID, userID, step, at(time.Minute)))
	f, err := s.GetTOTPFactor(ctx, tenantID, userID)
	require.NoError(t, err)
	return f
}

func mfaSaveGetActivate(t *testing.T, s store.Store) {
	ctx := t.Context()
	tid := createTenant(t, s, "contoso").ID
	u := createUser(t, s, memberFixture(tid, "alex"))

	_, err := s.GetTOTPFactor(ctx, tid, u.ID)
	require.ErrorIs(t, err, store.ErrNotFound)
	require.ErrorIs(t, s.ActivateTOTPFactor(ctx, tid, u.ID, 1, at(0)), store.ErrNotFound)

	f := totpFactorFixture(tid, u.ID)
	require.NoError(t, s.SaveTOTPFactor(ctx, f))
	got, err := s.GetTOTPFactor(ctx, tid, u.ID)
	require.NoError(t, err)
	require.Equal(t, f, got)

	// Saving again replaces only the pending secret.
	again := f
	again.PendingSealedSecret = []byte("sealed-pending-2")
	again.CreatedAt = at(time.Hour)
	again.Failures = 7
	require.NoError(t, s.SaveTOTPFactor(ctx, again))
	want := f
	want.PendingSealedSecret = again.PendingSealedSecret
	got, err = s.GetTOTPFactor(ctx, tid, u.ID)
	require.NoError(t, err)
	require.Equal(t, want, got)

	require.NoError(t, s.ActivateTOTPFactor(ctx, tid, u.ID, 1234, at(time.Minute)))
	want.SealedSecret, want.PendingSealedSecret = again.PendingSealedSecret, nil
	want.Active, want.LastStep, want.ActivatedAt = true, 1234, ptr(at(time.Minute))
	got, err = s.GetTOTPFactor(ctx, tid, u.ID)
	require.NoError(t, err)
	require.Equal(t, want, got)

	// Nothing pending any more.
	require.ErrorIs(t, s.ActivateTOTPFactor(ctx, tid, u.ID, 1300, at(time.Hour)), store.ErrNotFound)
}

func mfaReplace(t *testing.T, s store.Store) {
	ctx := t.Context()
	tid := createTenant(t, s, "contoso").ID
	u := createUser(t, s, guestFixture(tid, "bo"))
	old := createActiveFactor(t, s, tid, u.ID, 100)
	_, err := s.RecordMFAFailure(ctx, tid, u.ID, at(2*time.Minute), 10, at(time.Hour))
	require.NoError(t, err)

	next := totpFactorFixture(tid, u.ID)
	next.PendingSealedSecret = []byte("sealed-next")
	require.NoError(t, s.SaveTOTPFactor(ctx, next))
	got, err := s.GetTOTPFactor(ctx, tid, u.ID)
	require.NoError(t, err)
	require.Equal(t, old.SealedSecret, got.SealedSecret, "the active secret stays until the new one is confirmed")
	require.True(t, got.Active)
	require.Equal(t, []byte("sealed-next"), got.PendingSealedSecret)
	require.NoError(t, s.UseTOTPStep(ctx, tid, u.ID, 101, at(3*time.Minute)), "the old secret still works")

	require.NoError(t, s.ActivateTOTPFactor(ctx, tid, u.ID, 90, at(4*time.Minute)))
	got, err = s.GetTOTPFactor(ctx, tid, u.ID)
	require.NoError(t, err)
	require.Equal(t, []byte("sealed-next"), got.SealedSecret)
	require.Nil(t, got.PendingSealedSecret)
	require.EqualValues(t, 90, got.LastStep)
	require.Zero(t, got.Failures)
	require.Equal(t, ptr(at(4*time.Minute)), got.ActivatedAt)
}

func mfaUnknownUser(t *testing.T, s store.Store) {
	ctx := t.Context()
	contoso := createTenant(t, s, "contoso").ID
	fabrikam := createTenant(t, s, "fabrikam").ID
	u := createUser(t, s, memberFixture(contoso, "alex"))

	require.ErrorIs(t, s.SaveTOTPFactor(ctx, totpFactorFixture(contoso, newID())), store.ErrNotFound)
	require.ErrorIs(t, s.SaveTOTPFactor(ctx, totpFactorFixture(fabrikam, u.ID)), store.ErrNotFound,
		"the user is not in that tenant")
	require.ErrorIs(t, s.ReplaceRecoveryCodes(ctx, fabrikam, u.ID, []string{"h1"}, at(0)), store.ErrNotFound)
	require.ErrorIs(t, s.UseTOTPStep(ctx, contoso, u.ID, 1, at(0)), store.ErrNotFound)
	_, err := s.RecordMFAFailure(ctx, contoso, u.ID, at(0), 10, at(time.Hour))
	require.ErrorIs(t, err, store.ErrNotFound)
	require.ErrorIs(t, s.UnlockMFA(ctx, contoso, u.ID), store.ErrNotFound)
	require.ErrorIs(t, s.UseRecoveryCode(ctx, contoso, u.ID, "h1", at(0)), store.ErrNotFound)
	n, err := s.CountRecoveryCodes(ctx, contoso, u.ID)
	require.NoError(t, err)
	require.Zero(t, n)
}

func mfaUseStep(t *testing.T, s store.Store) {
	ctx := t.Context()
	tid := createTenant(t, s, "contoso").ID
	u := createUser(t, s, memberFixture(tid, "alex"))

	// A pending factor is not active.
	require.NoError(t, s.SaveTOTPFactor(ctx, totpFactorFixture(tid, u.ID)))
	require.ErrorIs(t, s.UseTOTPStep(ctx, tid, u.ID, 5, at(0)), store.ErrNotFound)

	require.NoError(t, s.ActivateTOTPFactor(ctx, tid, u.ID, 10, at(0)))
	require.ErrorIs(t, s.UseTOTPStep(ctx, tid, u.ID, 10, at(0)), store.ErrAlreadyUsed, "the confirming step")
	require.NoError(t, s.UseTOTPStep(ctx, tid, u.ID, 11, at(0)))
	require.ErrorIs(t, s.UseTOTPStep(ctx, tid, u.ID, 11, at(0)), store.ErrAlreadyUsed, "same step again")
	require.ErrorIs(t, s.UseTOTPStep(ctx, tid, u.ID, 9, at(0)), store.ErrAlreadyUsed, "an older step")
	require.NoError(t, s.UseTOTPStep(ctx, tid, u.ID, 13, at(0)))

	got, err := s.GetTOTPFactor(ctx, tid, u.ID)
	require.NoError(t, err)
	require.EqualValues(t, 13, got.LastStep)
}

func mfaFailures(t *testing.T, s store.Store) {
	ctx := t.Context()
	tid := createTenant(t, s, "contoso").ID
	u := createUser(t, s, memberFixture(tid, "alex"))
	createActiveFactor(t, s, tid, u.ID, 10)
	lockUntil := at(time.Hour)

	for i := 1; i <= 2; i++ {
		n, err := s.RecordMFAFailure(ctx, tid, u.ID, at(time.Duration(i)*time.Second), 3, lockUntil)
		require.NoError(t, err)
		require.Equal(t, i, n)
	}
	got, err := s.GetTOTPFactor(ctx, tid, u.ID)
	require.NoError(t, err)
	require.Equal(t, 2, got.Failures)
	require.Equal(t, ptr(at(2*time.Second)), got.LastFailureAt)
	require.Nil(t, got.LockedUntil, "below the limit")

	// A success clears the count.
	require.NoError(t, s.UseTOTPStep(ctx, tid, u.ID, 11, at(3*time.Second)))
	got, err = s.GetTOTPFactor(ctx, tid, u.ID)
	require.NoError(t, err)
	require.Zero(t, got.Failures)
	require.Nil(t, got.LastFailureAt)

	for i := 1; i <= 3; i++ {
		n, err := s.RecordMFAFailure(ctx, tid, u.ID, at(time.Minute), 3, lockUntil)
		require.NoError(t, err)
		require.Equal(t, i, n)
	}
	got, err = s.GetTOTPFactor(ctx, tid, u.ID)
	require.NoError(t, err)
	require.Equal(t, ptr(lockUntil), got.LockedUntil, "the third failure locks")

	// Locked: even a fresh step is refused, until the lock passes.
	require.ErrorIs(t, s.UseTOTPStep(ctx, tid, u.ID, 20, at(30*time.Minute)), store.ErrConflict)
	require.ErrorIs(t, s.UseTOTPStep(ctx, tid, u.ID, 11, at(30*time.Minute)), store.ErrConflict,
		"a lock wins over a replay")
	require.NoError(t, s.UseTOTPStep(ctx, tid, u.ID, 20, lockUntil), "the lock has passed")
	got, err = s.GetTOTPFactor(ctx, tid, u.ID)
	require.NoError(t, err)
	require.Zero(t, got.Failures)
	require.Nil(t, got.LockedUntil)

	// An admin's unlock.
	for range 3 {
		_, err := s.RecordMFAFailure(ctx, tid, u.ID, at(2*time.Hour), 3, at(3*time.Hour))
		require.NoError(t, err)
	}
	require.ErrorIs(t, s.UseTOTPStep(ctx, tid, u.ID, 30, at(2*time.Hour)), store.ErrConflict)
	require.NoError(t, s.UnlockMFA(ctx, tid, u.ID))
	got, err = s.GetTOTPFactor(ctx, tid, u.ID)
	require.NoError(t, err)
	require.Zero(t, got.Failures)
	require.Nil(t, got.LockedUntil)
	require.Nil(t, got.LastFailureAt)
	require.NoError(t, s.UseTOTPStep(ctx, tid, u.ID, 30, at(2*time.Hour)))
}

func mfaRecoveryCodes(t *testing.T, s store.Store) {
	ctx := t.Context()
	tid := createTenant(t, s, "contoso").ID
	u := createUser(t, s, guestFixture(tid, "bo"))
	createActiveFactor(t, s, tid, u.ID, 10)
	count := func() int {
		t.Helper()
		n, err := s.CountRecoveryCodes(ctx, tid, u.ID)
		require.NoError(t, err)
		return n
	}

	require.NoError(t, s.ReplaceRecoveryCodes(ctx, tid, u.ID, []string{"h1", "h2", "h3"}, at(0)))
	require.Equal(t, 3, count())
	require.NoError(t, s.UseRecoveryCode(ctx, tid, u.ID, "h2", at(time.Minute)))
	require.Equal(t, 2, count())
	require.ErrorIs(t, s.UseRecoveryCode(ctx, tid, u.ID, "h2", at(time.Minute)), store.ErrNotFound, "used once")
	require.ErrorIs(t, s.UseRecoveryCode(ctx, tid, u.ID, "nope", at(time.Minute)), store.ErrNotFound)

	// Locked: refused, and not spent.
	for range 2 {
		_, err := s.RecordMFAFailure(ctx, tid, u.ID, at(time.Minute), 2, at(time.Hour))
		require.NoError(t, err)
	}
	require.ErrorIs(t, s.UseRecoveryCode(ctx, tid, u.ID, "h1", at(30*time.Minute)), store.ErrConflict)
	require.Equal(t, 2, count())
	require.NoError(t, s.UseRecoveryCode(ctx, tid, u.ID, "h1", at(time.Hour)), "the lock has passed")
	require.Equal(t, 1, count())

	// Regenerating voids every earlier code.
	require.NoError(t, s.ReplaceRecoveryCodes(ctx, tid, u.ID, []string{"h4", "h5"}, at(2*time.Hour)))
	require.Equal(t, 2, count())
	require.ErrorIs(t, s.UseRecoveryCode(ctx, tid, u.ID, "h3", at(2*time.Hour)), store.ErrNotFound)
	require.NoError(t, s.UseRecoveryCode(ctx, tid, u.ID, "h5", at(2*time.Hour)))

	// A hash twice in one set is a conflict, and the old set stays.
	require.ErrorIs(t, s.ReplaceRecoveryCodes(ctx, tid, u.ID, []string{"h6", "h6"}, at(3*time.Hour)), store.ErrConflict)
	require.Equal(t, 1, count())
}

func mfaDelete(t *testing.T, s store.Store) {
	ctx := t.Context()
	tid := createTenant(t, s, "contoso").ID
	u := createUser(t, s, memberFixture(tid, "alex"))
	other := createUser(t, s, guestFixture(tid, "bo"))
	createActiveFactor(t, s, tid, u.ID, 10)
	createActiveFactor(t, s, tid, other.ID, 10)
	require.NoError(t, s.ReplaceRecoveryCodes(ctx, tid, u.ID, []string{"h1", "h2"}, at(0)))
	require.NoError(t, s.ReplaceRecoveryCodes(ctx, tid, other.ID, []string{"h1"}, at(0)))

	require.NoError(t, s.DeleteMFA(ctx, tid, u.ID))
	_, err := s.GetTOTPFactor(ctx, tid, u.ID)
	require.ErrorIs(t, err, store.ErrNotFound)
	n, err := s.CountRecoveryCodes(ctx, tid, u.ID)
	require.NoError(t, err)
	require.Zero(t, n)
	require.NoError(t, s.DeleteMFA(ctx, tid, u.ID), "none is no error")

	// The other user keeps theirs.
	_, err = s.GetTOTPFactor(ctx, tid, other.ID)
	require.NoError(t, err)
	n, err = s.CountRecoveryCodes(ctx, tid, other.ID)
	require.NoError(t, err)
	require.Equal(t, 1, n)
}

func mfaCascadeWithUser(t *testing.T, s store.Store) {
	ctx := t.Context()
	tid := createTenant(t, s, "contoso").ID
	u := createUser(t, s, memberFixture(tid, "alex"))
	createActiveFactor(t, s, tid, u.ID, 10)
	require.NoError(t, s.ReplaceRecoveryCodes(ctx, tid, u.ID, []string{"h1"}, at(0)))

	require.NoError(t, s.DeleteUser(ctx, tid, u.ID))
	_, err := s.GetTOTPFactor(ctx, tid, u.ID)
	require.ErrorIs(t, err, store.ErrNotFound)
	n, err := s.CountRecoveryCodes(ctx, tid, u.ID)
	require.NoError(t, err)
	require.Zero(t, n)
}

func mfaRegistrations(t *testing.T, s store.Store) {
	ctx := t.Context()
	tid := createTenant(t, s, "contoso").ID
	other := createTenant(t, s, "fabrikam").ID
	createUser(t, s, memberFixture(other, "stranger"))

	regs, err := s.ListMFARegistrations(ctx, tid)
	require.NoError(t, err)
	require.Empty(t, regs)

	// Created out of id order: the report goes by creation time.
	late := memberFixture(tid, "late")
	late.CreatedAt = at(time.Hour)
	late = createUser(t, s, late)
	registered := createUser(t, s, memberFixture(tid, "alex"))
	pending := guestFixture(tid, "bo")
	pending.CreatedAt = at(time.Minute)
	pending = createUser(t, s, pending)
	locked := guestFixture(tid, "cy")
	locked.CreatedAt = at(2 * time.Minute)
	locked.Identities = append(locked.Identities, store.Identity{SignInType: store.SignInTypeFederated,
		Issuer: "https://idp.example", IssuerAssignedID: "cy-sub"})
	locked = createUser(t, s, locked)

	createActiveFactor(t, s, tid, registered.ID, 10)
	require.NoError(t, s.SaveTOTPFactor(ctx, totpFactorFixture(tid, pending.ID)))
	createActiveFactor(t, s, tid, locked.ID, 10)
	_, err = s.RecordMFAFailure(ctx, tid, locked.ID, at(0), 1, at(time.Hour))
	require.NoError(t, err)

	regs, err = s.ListMFARegistrations(ctx, tid)
	require.NoError(t, err)
	require.Equal(t, []store.MFARegistration{
		{User: registered, Registered: true},
		{User: pending, Registered: false},
		{User: locked, Registered: true, LockedUntil: ptr(at(time.Hour))},
		{User: late, Registered: false},
	}, regs)
}

// isolationMFA: a factor and codes of one tenant's user are invisible
// through another tenant, even with the same user id.
func isolationMFA(t *testing.T, s store.Store) {
	ctx := t.Context()
	a, b := twoWorlds(t, s)
	aid, bid, uid := a.Tenant.ID, b.Tenant.ID, a.Guest.ID
	createActiveFactor(t, s, aid, uid, 10)
	require.NoError(t, s.ReplaceRecoveryCodes(ctx, aid, uid, []string{"h1"}, at(0)))

	_, err := s.GetTOTPFactor(ctx, bid, uid)
	require.ErrorIs(t, err, store.ErrNotFound)
	require.ErrorIs(t, s.UseTOTPStep(ctx, bid, uid, 11, at(0)), store.ErrNotFound)
	require.ErrorIs(t, s.ActivateTOTPFactor(ctx, bid, uid, 11, at(0)), store.ErrNotFound)
	_, err = s.RecordMFAFailure(ctx, bid, uid, at(0), 1, at(time.Hour))
	require.ErrorIs(t, err, store.ErrNotFound)
	require.ErrorIs(t, s.UnlockMFA(ctx, bid, uid), store.ErrNotFound)
	require.ErrorIs(t, s.UseRecoveryCode(ctx, bid, uid, "h1", at(0)), store.ErrNotFound)
	n, err := s.CountRecoveryCodes(ctx, bid, uid)
	require.NoError(t, err)
	require.Zero(t, n)
	require.NoError(t, s.DeleteMFA(ctx, bid, uid))
	regs, err := s.ListMFARegistrations(ctx, bid)
	require.NoError(t, err)
	for _, r := range regs {
		require.Equal(t, bid, r.User.TenantID)
		require.False(t, r.Registered)
	}

	// A's are untouched.
	f, err := s.GetTOTPFactor(ctx, aid, uid)
	require.NoError(t, err)
	require.Zero(t, f.Failures)
	require.EqualValues(t, 10, f.LastStep)
	n, err = s.CountRecoveryCodes(ctx, aid, uid)
	require.NoError(t, err)
	require.Equal(t, 1, n)
}

// concurrentUseTOTPStep: of 16 nodes accepting the same code, one wins.
func concurrentUseTOTPStep(t *testing.T, s store.Store) {
	tid := createTenant(t, s, "contoso").ID
	u := createUser(t, s, memberFixture(tid, "alex"))
	createActiveFactor(t, s, tid, u.ID, 10)
	errs := race(16, func(int) error { return s.UseTOTPStep(t.Context(), tid, u.ID, 11, at(0)) })
	requireOneWinner(t, errs, store.ErrAlreadyUsed)
}

// concurrentMFAFailures: racing failures each get their own count, and the
// lock falls exactly when the count reaches the limit.
func concurrentMFAFailures(t *testing.T, s store.Store) {
	const lockAt = 16
	tid := createTenant(t, s, "contoso").ID
	u := createUser(t, s, memberFixture(tid, "alex"))
	createActiveFactor(t, s, tid, u.ID, 10)
	counts := make([]int, lockAt)
	fail := func(i int) error {
		n, err := s.RecordMFAFailure(t.Context(), tid, u.ID, at(time.Second), lockAt, at(time.Hour))
		counts[i] = n
		return err
	}

	for _, err := range race(lockAt-1, fail) {
		require.NoError(t, err)
	}
	f, err := s.GetTOTPFactor(t.Context(), tid, u.ID)
	require.NoError(t, err)
	require.Equal(t, lockAt-1, f.Failures)
	require.Nil(t, f.LockedUntil, "one short of the limit")

	require.NoError(t, fail(lockAt-1))
	sorted := slices.Sorted(slices.Values(counts))
	for i, n := range sorted {
		require.Equal(t, i+1, n, "every failure gets its own count")
	}
	f, err = s.GetTOTPFactor(t.Context(), tid, u.ID)
	require.NoError(t, err)
	require.Equal(t, ptr(at(time.Hour)), f.LockedUntil)
}
