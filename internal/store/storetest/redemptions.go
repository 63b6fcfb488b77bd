package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/internal/store"
)

func redemptionCases() []testCase {
	return []testCase{
		{"CreateGetUpdateDelete", redemptionLifecycle},
		{"ExpiredIsGone", redemptionExpired},
		{"UnknownInvitation", redemptionUnknownInvitation},
		{"TenantIsolation", redemptionIsolation},
		{"DeletedWithInvitation", redemptionDeletedWithInvitation},
	}
}

func passcodeCases() []testCase {
	return []testCase{
		{"ConsumeOnce", passcodeConsumeOnce},
		{"WrongCodeCounted", passcodeWrongCode},
		{"LimitVoids", passcodeLimitVoids},
		{"LatestOnly", passcodeLatestOnly},
		{"BoundToBrowser", passcodeBoundToBrowser},
		{"Expired", passcodeExpired},
		{"TenantIsolation", passcodeIsolation},
	}
}

func redemptionFixture(inv store.Invitation) store.Redemption {
	return store.Redemption{
		TenantID: inv.TenantID, ID: newID(), InvitationID: inv.ID, TokenHash: inv.TokenHash,
		BrowserBinding: "binding-" + newID(), CreatedAt: at(0), ExpiresAt: at(10 * time.Minute),
	}
}

func pendingInvitation(t *testing.T, s store.Store, tenantID string) store.Invitation {
	t.Helper()
	return createInvitation(t, s, invitationFixture(createUser(t, s, guestFixture(tenantID, "bo"))))
}

func redemptionLifecycle(t *testing.T, s store.Store) {
	ctx := t.Context()
	tid := createTenant(t, s, "contoso").ID
	r := redemptionFixture(pendingInvitation(t, s, tid))
	require.NoError(t, s.CreateRedemption(ctx, r))
	require.ErrorIs(t, s.CreateRedemption(ctx, r), store.ErrConflict)

	got, err := s.GetRedemption(ctx, tid, r.ID, at(time.Minute))
	require.NoError(t, err)
	require.Equal(t, r, got)

	r.Identity = store.Identity{SignInType: store.SignInTypeEmail, Issuer: "mail", IssuerAssignedID: "bo@fabrikam.example"}
	r.IdentityEmail = "bo@fabrikam.example"
	r.IdentityEmailVerified = true
	r.AMR = []string{"fed"}
	r.Upstream = store.Upstream{ProviderID: newID(), AMR: []string{"pwd"}, ACR: "1"}
	r.Profile = store.Profile{DisplayName: "Bo Fabrikam", GivenName: "Bo", Surname: "Fabrikam"}
	changed := r
	changed.BrowserBinding = "other" // not a progress field: ignored
	require.NoError(t, s.UpdateRedemption(ctx, changed))
	got, err = s.GetRedemption(ctx, tid, r.ID, at(time.Minute))
	require.NoError(t, err)
	require.Equal(t, r, got)

	require.NoError(t, s.DeleteRedemption(ctx, tid, r.ID))
	require.ErrorIs(t, s.DeleteRedemption(ctx, tid, r.ID), store.ErrNotFound)
	require.ErrorIs(t, s.UpdateRedemption(ctx, r), store.ErrNotFound)
	_, err = s.GetRedemption(ctx, tid, r.ID, at(time.Minute))
	require.ErrorIs(t, err, store.ErrNotFound)
}

func redemptionExpired(t *testing.T, s store.Store) {
	tid := createTenant(t, s, "contoso").ID
	r := redemptionFixture(pendingInvitation(t, s, tid))
	require.NoError(t, s.CreateRedemption(t.Context(), r))
	_, err := s.GetRedemption(t.Context(), tid, r.ID, r.ExpiresAt)
	require.ErrorIs(t, err, store.ErrNotFound, "expiry is exclusive")
}

func redemptionUnknownInvitation(t *testing.T, s store.Store) {
	tid := createTenant(t, s, "contoso").ID
	r := redemptionFixture(store.Invitation{TenantID: tid, ID: newID(), TokenHash: "hash"})
	require.ErrorIs(t, s.CreateRedemption(t.Context(), r), store.ErrNotFound)
}

func redemptionIsolation(t *testing.T, s store.Store) {
	ctx := t.Context()
	contoso := createTenant(t, s, "contoso").ID
	woodgrove := createTenant(t, s, "woodgrove").ID
	inv := pendingInvitation(t, s, contoso)
	r := redemptionFixture(inv)
	require.NoError(t, s.CreateRedemption(ctx, r))
	_, err := s.GetRedemption(ctx, woodgrove, r.ID, at(0))
	require.ErrorIs(t, err, store.ErrNotFound)
	other := r
	other.TenantID = woodgrove
	other.IdentityEmail = "mallory@evil.example"
	require.ErrorIs(t, s.UpdateRedemption(ctx, other), store.ErrNotFound)
	require.ErrorIs(t, s.DeleteRedemption(ctx, woodgrove, r.ID), store.ErrNotFound)
	other.ID = newID()
	require.ErrorIs(t, s.CreateRedemption(ctx, other), store.ErrNotFound, "another tenant's invitation")
	got, err := s.GetRedemption(ctx, contoso, r.ID, at(0))
	require.NoError(t, err)
	require.Equal(t, r, got)
}

func redemptionDeletedWithInvitation(t *testing.T, s store.Store) {
	ctx := t.Context()
	tid := createTenant(t, s, "contoso").ID
	inv := pendingInvitation(t, s, tid)
	r := redemptionFixture(inv)
	require.NoError(t, s.CreateRedemption(ctx, r))
	require.NoError(t, s.DeleteUser(ctx, tid, inv.InvitedUserID))
	_, err := s.GetRedemption(ctx, tid, r.ID, at(0))
	require.ErrorIs(t, err, store.ErrNotFound)
}

func passcodeFixture(tenantID string) store.Passcode {
	return store.Passcode{
		TenantID: tenantID, Subject: "invitation:" + newID(), Hash: "code-" + newID(),
		BrowserBinding: "binding-" + newID(), CreatedAt: at(0), ExpiresAt: at(10 * time.Minute),
	}
}

func issuePasscode(t *testing.T, s store.Store, p store.Passcode) store.Passcode {
	t.Helper()
	require.NoError(t, s.IssuePasscode(t.Context(), p))
	return p
}

func passcodeConsumeOnce(t *testing.T, s store.Store) {
	ctx := t.Context()
	tid := createTenant(t, s, "contoso").ID
	p := issuePasscode(t, s, passcodeFixture(tid))
	got, err := s.ConsumePasscode(ctx, tid, p.Subject, p.Hash, p.BrowserBinding, 5, at(time.Minute))
	require.NoError(t, err)
	require.Equal(t, p, got)
	_, err = s.ConsumePasscode(ctx, tid, p.Subject, p.Hash, p.BrowserBinding, 5, at(time.Minute))
	require.ErrorIs(t, err, store.ErrNotFound, "single use")
}

func passcodeWrongCode(t *testing.T, s store.Store) {
	ctx := t.Context()
	tid := createTenant(t, s, "contoso").ID
	p := issuePasscode(t, s, passcodeFixture(tid))
	for i := 1; i <= 2; i++ {
		got, err := s.ConsumePasscode(ctx, tid, p.Subject, "wrong", p.BrowserBinding, 5, at(time.Minute))
		require.ErrorIs(t, err, store.ErrMismatch)
		require.Equal(t, i, got.Attempts)
	}
	_, err := s.ConsumePasscode(ctx, tid, p.Subject, p.Hash, p.BrowserBinding, 5, at(time.Minute))
	require.NoError(t, err, "the right code still works below the limit")
}

func passcodeLimitVoids(t *testing.T, s store.Store) {
	ctx := t.Context()
	tid := createTenant(t, s, "contoso").ID
	p := issuePasscode(t, s, passcodeFixture(tid))
	for range 3 {
		_, err := s.ConsumePasscode(ctx, tid, p.Subject, "wrong", p.BrowserBinding, 3, at(time.Minute))
		require.ErrorIs(t, err, store.ErrMismatch)
	}
	_, err := s.ConsumePasscode(ctx, tid, p.Subject, p.Hash, p.BrowserBinding, 3, at(time.Minute))
	require.ErrorIs(t, err, store.ErrNotFound, "the last allowed failure voided the code")
}

func passcodeLatestOnly(t *testing.T, s store.Store) {
	ctx := t.Context()
	tid := createTenant(t, s, "contoso").ID
	first := issuePasscode(t, s, passcodeFixture(tid))
	_, err := s.ConsumePasscode(ctx, tid, first.Subject, "wrong", first.BrowserBinding, 3, at(time.Minute))
	require.ErrorIs(t, err, store.ErrMismatch)
	second := passcodeFixture(tid)
	second.Subject = first.Subject
	second.CreatedAt, second.ExpiresAt = at(time.Minute), at(11*time.Minute)
	issuePasscode(t, s, second)
	_, err = s.ConsumePasscode(ctx, tid, first.Subject, first.Hash, first.BrowserBinding, 3, at(2*time.Minute))
	require.ErrorIs(t, err, store.ErrMismatch, "the earlier code is void")
	got, err := s.ConsumePasscode(ctx, tid, second.Subject, second.Hash, second.BrowserBinding, 3, at(2*time.Minute))
	require.NoError(t, err)
	second.Attempts = 1 // the old code's try; the earlier failure was forgotten
	require.Equal(t, second, got, "a new code restarts the count")
}

func passcodeBoundToBrowser(t *testing.T, s store.Store) {
	ctx := t.Context()
	tid := createTenant(t, s, "contoso").ID
	p := issuePasscode(t, s, passcodeFixture(tid))
	got, err := s.ConsumePasscode(ctx, tid, p.Subject, p.Hash, "another-browser", 5, at(time.Minute))
	require.ErrorIs(t, err, store.ErrMismatch, "the right code from another browser is a failure")
	require.Equal(t, 1, got.Attempts)
	_, err = s.ConsumePasscode(ctx, tid, p.Subject, p.Hash, p.BrowserBinding, 5, at(time.Minute))
	require.NoError(t, err)
}

func passcodeExpired(t *testing.T, s store.Store) {
	ctx := t.Context()
	tid := createTenant(t, s, "contoso").ID
	p := issuePasscode(t, s, passcodeFixture(tid))
	_, err := s.ConsumePasscode(ctx, tid, p.Subject, p.Hash, p.BrowserBinding, 5, p.ExpiresAt)
	require.ErrorIs(t, err, store.ErrNotFound)
	require.Positive(t, purgeExpired(t, s, p.ExpiresAt.Add(time.Second)))
}

func passcodeIsolation(t *testing.T, s store.Store) {
	ctx := t.Context()
	contoso := createTenant(t, s, "contoso").ID
	woodgrove := createTenant(t, s, "woodgrove").ID
	p := issuePasscode(t, s, passcodeFixture(contoso))
	_, err := s.ConsumePasscode(ctx, woodgrove, p.Subject, p.Hash, p.BrowserBinding, 5, at(time.Minute))
	require.ErrorIs(t, err, store.ErrNotFound)
	other := passcodeFixture(woodgrove)
	other.Subject = p.Subject
	issuePasscode(t, s, other)
	_, err = s.ConsumePasscode(ctx, contoso, p.Subject, p.Hash, p.BrowserBinding, 5, at(time.Minute))
	require.NoError(t, err, "another tenant's code for the same subject name replaced nothing")
	other.TenantID = newID()
	require.ErrorIs(t, s.IssuePasscode(ctx, other), store.ErrNotFound, "unknown tenant")
}

func concurrentConsumePasscode(t *testing.T, s store.Store) {
	ctx := t.Context()
	tid := createTenant(t, s, "contoso").ID
	p := issuePasscode(t, s, passcodeFixture(tid))
	errs := race(16, func(int) error {
		_, err := s.ConsumePasscode(ctx, tid, p.Subject, p.Hash, p.BrowserBinding, 5, at(time.Minute))
		return err
	})
	winners := 0
	for _, err := range errs {
		if err == nil {
			winners++
			continue
		}
		// A loser either found the code gone or counted a failure on it
		// before the winner deleted it.
		require.True(t, errorsIsAny(err, store.ErrNotFound, store.ErrMismatch), "%v", err)
	}
	require.Equal(t, 1, winners)
}

func concurrentPasscodeGuesses(t *testing.T, s store.Store) {
	ctx := t.Context()
	tid := createTenant(t, s, "contoso").ID
	p := issuePasscode(t, s, passcodeFixture(tid))
	const limit = 5
	errs := race(24, func(int) error {
		_, err := s.ConsumePasscode(ctx, tid, p.Subject, "wrong", p.BrowserBinding, limit, at(time.Minute))
		return err
	})
	counted := 0
	for _, err := range errs {
		if errorsIsAny(err, store.ErrMismatch) {
			counted++
			continue
		}
		require.ErrorIs(t, err, store.ErrNotFound)
	}
	require.Equal(t, limit, counted, "exactly the limit of guesses were weighed")
	_, err := s.ConsumePasscode(ctx, tid, p.Subject, p.Hash, p.BrowserBinding, limit, at(time.Minute))
	require.ErrorIs(t, err, store.ErrNotFound, "the code is void after the limit")
}

func errorsIsAny(err error, targets ...error) bool {
	for _, t := range targets {
		if errors.Is(err, t) {
			return true
		}
	}
	return false
}
