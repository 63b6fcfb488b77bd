package storetest

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/internal/store"
)

func concurrencyCases() []testCase {
	return []testCase{
		{"ConsumeTokenOnce", concurrentConsume},
		{"RotateSigningKeysOnce", concurrentRotate},
		{"DistinctWritesAllSucceed", concurrentDistinctWrites},
		{"SameUPNOneWins", concurrentSameUPN},
		{"RotateRefreshTokenOnce", concurrentRefreshRotate},
		{"AccessTokenUnderRevokedFamily", concurrentAccessTokenUnderRevoke},
		{"IncrementCounterCountsEveryCall", concurrentIncrement},
		{"ClaimCounterOnce", concurrentClaimCounter},
		{"ClaimMailOnce", concurrentClaimMail},
		{"RedeemInvitationOnce", concurrentRedeemInvitation},
		{"ConsumePasscodeOnce", concurrentConsumePasscode},
		{"PasscodeGuessesStopAtTheLimit", concurrentPasscodeGuesses},
		{"ConsumeFederationLoginOnce", concurrentConsumeFederationLogin},
		{"UseTOTPStepOnce", concurrentUseTOTPStep},
		{"MFAFailuresLockExactly", concurrentMFAFailures},
		{"LockTenantSerialisesChecks", concurrentLockTenant},
		{"ConsumeDeviceAuthorizationOnce", concurrentDeviceConsume},
		{"DecideDeviceAuthorizationOnce", concurrentDeviceDecide},
	}
}

// concurrentLockTenant: transactions that lock the tenant before they
// count its Tenant Administrators decide one after another, so of two
// that each take the role from a different one of the last two holders,
// exactly one succeeds. Each waits a moment after counting for the other
// to count too: without the lock both would count two.
func concurrentLockTenant(t *testing.T, s store.Store) {
	ctx := t.Context()
	tn := createTenant(t, s, "contoso")
	const role = "Tenant Administrator"
	admins := []store.User{createUser(t, s, memberFixture(tn.ID, "ada")), createUser(t, s, memberFixture(tn.ID, "bob"))}
	for _, u := range admins {
		require.NoError(t, s.AssignRole(ctx, tn.ID, u.ID, role))
	}
	errLast := errors.New("last holder")
	var counted sync.WaitGroup
	counted.Add(len(admins))
	bothCounted := make(chan struct{})
	go func() { counted.Wait(); close(bothCounted) }()
	errs := race(len(admins), func(i int) error {
		return s.InTx(ctx, func(tx store.Store) error {
			if err := tx.LockTenant(ctx, tn.ID); err != nil {
				return err
			}
			holders, err := tx.ListRoleMembers(ctx, tn.ID, role)
			if err != nil {
				return err
			}
			counted.Done()
			select {
			case <-bothCounted:
			case <-time.After(300 * time.Millisecond):
			}
			if len(holders) < 2 {
				return errLast
			}
			return tx.UnassignRole(ctx, tn.ID, admins[i].ID, role)
		})
	})
	requireOneWinner(t, errs, errLast)
	holders, err := s.ListRoleMembers(ctx, tn.ID, role)
	require.NoError(t, err)
	require.Len(t, holders, 1)
}

// race runs fn in n goroutines released together and answers their errors,
// indexed by goroutine.
func race(n int, fn func(i int) error) []error {
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = fn(i)
		})
	}
	close(start)
	wg.Wait()
	return errs
}

// requireOneWinner checks that exactly one error is nil and every other is
// loserErr.
func requireOneWinner(t *testing.T, errs []error, loserErr error) {
	t.Helper()
	winners := 0
	for i, err := range errs {
		if err == nil {
			winners++
			continue
		}
		require.ErrorIs(t, err, loserErr, "goroutine %d", i)
	}
	require.Equal(t, 1, winners, "exactly one winner")
}

func concurrentConsume(t *testing.T, s store.Store) {
	ctx := t.Context()
	tid := createTenant(t, s, "contoso").ID
	tok := createToken(t, s, tokenFixture(tid, "auth_code"))

	consumed := make([]store.Token, 32)
	errs := race(32, func(i int) error {
		var err error
		consumed[i], err = s.ConsumeToken(ctx, tid, tok.Kind, tok.Hash, at(time.Duration(i+1)*time.Second))
		return err
	})
	requireOneWinner(t, errs, store.ErrAlreadyUsed)
	for i, err := range errs {
		if err == nil {
			require.Equal(t, ptr(at(time.Duration(i+1)*time.Second)), consumed[i].ConsumedAt)
		}
	}
}

func concurrentRotate(t *testing.T, s store.Store) {
	ctx := t.Context()
	ring := newKeyRing(t, s)
	rotations := make([]store.KeyRotation, 8)
	for i := range rotations {
		rotations[i] = ring.rotation() // same expectations, each its own new key
	}

	errs := race(len(rotations), func(i int) error { return s.RotateSigningKeys(ctx, rotations[i]) })
	requireOneWinner(t, errs, store.ErrConflict)

	winner := rotations[0]
	for i, err := range errs {
		if err == nil {
			winner = rotations[i]
		}
	}
	keys, err := s.ListSigningKeys(ctx, ring.tenantID)
	require.NoError(t, err)
	require.Equal(t, ring.afterRotation(winner), keys, "one rotation's effects, no loser's")
	require.Equal(t, 1, countState(keys, store.KeyActive))
	require.Equal(t, 1, countState(keys, store.KeyNext))
}

func countState(keys []store.SigningKey, state string) int {
	n := 0
	for _, k := range keys {
		if k.State == state {
			n++
		}
	}
	return n
}

// concurrentDistinctWrites: writers that do not conflict must all succeed,
// never failing with "database is locked" or another busy error, while
// readers read alongside.
func concurrentDistinctWrites(t *testing.T, s store.Store) {
	ctx := t.Context()
	tid := createTenant(t, s, "contoso").ID
	const n = 32
	errs := race(n, func(i int) error {
		u := guestFixture(tid, fmt.Sprintf("guest%02d", i))
		if err := s.CreateUser(ctx, u); err != nil {
			return fmt.Errorf("create user: %w", err)
		}
		if err := s.AppendAudit(ctx, auditFixture(tid, "Add user", time.Duration(i)*time.Second)); err != nil {
			return fmt.Errorf("append audit: %w", err)
		}
		if _, err := s.GetUser(ctx, tid, u.ID); err != nil {
			return fmt.Errorf("read back: %w", err)
		}
		return nil
	})
	require.NoError(t, errors.Join(errs...))

	users, err := s.ListUsers(ctx, tid, store.UserFilter{})
	require.NoError(t, err)
	require.Len(t, users, n)
	events, err := s.ListAudit(ctx, store.AuditFilter{TenantID: tid})
	require.NoError(t, err)
	require.Len(t, events, n)
}

// concurrentSameUPN races two creators of one UPN, several rounds to meet
// more interleavings.
func concurrentSameUPN(t *testing.T, s store.Store) {
	ctx := t.Context()
	tid := createTenant(t, s, "contoso").ID
	for round := range 10 {
		upn := fmt.Sprintf("round%02d@contoso.example", round)
		errs := race(2, func(i int) error {
			u := memberFixture(tid, fmt.Sprintf("r%02d-%d", round, i))
			u.UserPrincipalName = upn
			return s.CreateUser(ctx, u)
		})
		requireOneWinner(t, errs, store.ErrConflict)
		got, err := s.GetUserByEmail(ctx, tid, upn)
		require.NoError(t, err)
		require.Equal(t, upn, got.UserPrincipalName)
	}
}

// concurrentRefreshRotate presents one refresh token 32 times at once, as a
// client racing a thief would: one rotation wins, the rest are replays,
// and the family holds the old token and the winner's only.
func concurrentRefreshRotate(t *testing.T, s store.Store) {
	ctx := t.Context()
	c := newClient(t, s)
	old := createRefreshToken(t, s, c.refreshToken())
	const n = 32
	nexts := make([]store.RefreshToken, n)
	for i := range nexts {
		nexts[i] = successor(old, time.Hour)
	}

	errs := race(n, func(i int) error {
		return s.RotateRefreshToken(ctx, c.tenantID, old.Hash, nexts[i], at(time.Duration(i+1)*time.Second))
	})
	requireOneWinner(t, errs, store.ErrAlreadyUsed)

	family := []store.RefreshToken{}
	for i, next := range nexts {
		got, err := s.GetRefreshToken(ctx, c.tenantID, next.Hash)
		if errs[i] != nil {
			require.ErrorIs(t, err, store.ErrNotFound, "a loser's token was stored")
			continue
		}
		require.NoError(t, err)
		require.Equal(t, next, got)
		family = append(family, got)
		old.UsedAt = ptr(at(time.Duration(i+1) * time.Second))
	}
	require.Len(t, family, 1)
	requireRefreshToken(t, s, old) // used at the winner's time
}

// concurrentIncrement: 32 failed sign-ins at once are 32 failures, each
// caller seeing its own count.
func concurrentIncrement(t *testing.T, s store.Store) {
	ctx := t.Context()
	tid := createTenant(t, s, "contoso").ID
	const n = 32
	const key = "signin-failures:alex@contoso.example"
	values := make([]int64, n)
	errs := race(n, func(i int) error {
		var err error
		values[i], err = s.IncrementCounter(ctx, tid, key, at(15*time.Minute), at(time.Duration(i)*time.Millisecond))
		return err
	})
	require.NoError(t, errors.Join(errs...))

	slices.Sort(values)
	want := make([]int64, n)
	for i := range want {
		want[i] = int64(i + 1)
	}
	require.Equal(t, want, values, "every value 1..32 answered once")
	requireCounter(t, s, tid, key, time.Minute, n)
}

// concurrentClaimCounter: of 16 claims of one free gate at once, one wins
// and the rest learn when it ends.
func concurrentClaimCounter(t *testing.T, s store.Store) {
	ctx := t.Context()
	tid := createTenant(t, s, "contoso").ID
	const n = 16
	won := make([]bool, n)
	ends := make([]time.Time, n)
	errs := race(n, func(i int) error {
		var err error
		won[i], ends[i], err = s.ClaimCounter(ctx, tid, "signin:gate:x", at(time.Minute), at(0))
		return err
	})
	require.NoError(t, errors.Join(errs...))
	winners := 0
	for i := range n {
		if won[i] {
			winners++
		}
		require.True(t, ends[i].Equal(at(time.Minute)), "claim %d sees the one window", i)
	}
	require.Equal(t, 1, winners)
}

// concurrentConsumeFederationLogin replays one callback 16 times at once:
// one gets the login, the rest find nothing.
func concurrentConsumeFederationLogin(t *testing.T, s store.Store) {
	ctx := t.Context()
	tid := createTenant(t, s, "contoso").ID
	l := createFederationLogin(t, s, federationLoginFixture(tid, newID()))
	const n = 16
	got := make([]store.FederationLogin, n)
	errs := race(n, func(i int) error {
		var err error
		got[i], err = s.ConsumeFederationLogin(ctx, tid, l.StateHash, at(time.Minute))
		return err
	})
	requireOneWinner(t, errs, store.ErrNotFound)
	for i, err := range errs {
		if err == nil {
			require.Equal(t, l, got[i])
		}
	}
}

// concurrentAccessTokenUnderRevoke: access tokens stored under a refresh
// token while its family is being revoked are either refused or revoked;
// none outlives the revocation.
func concurrentAccessTokenUnderRevoke(t *testing.T, s store.Store) {
	ctx := t.Context()
	c := newClient(t, s)
	rt := createRefreshToken(t, s, c.refreshToken())
	access := make([]store.AccessToken, 16)
	for i := range access {
		access[i] = accessTokenFixture(rt)
	}
	errs := race(len(access)+1, func(i int) error {
		if i == len(access) {
			return s.RevokeRefreshFamily(ctx, c.tenantID, rt.FamilyID, at(time.Hour), at(48*time.Hour))
		}
		return s.CreateAccessTokenUnder(ctx, c.tenantID, rt.Hash, access[i], at(time.Minute))
	})
	require.NoError(t, errs[len(access)])
	for i, a := range access {
		got, err := s.GetAccessToken(ctx, c.tenantID, a.ID)
		if errs[i] != nil {
			require.ErrorIs(t, errs[i], store.ErrAlreadyUsed, "goroutine %d", i)
			require.ErrorIs(t, err, store.ErrNotFound, "goroutine %d: refused, nothing stored", i)
			continue
		}
		require.NoError(t, err)
		require.NotNil(t, got.RevokedAt, "goroutine %d: stored, then revoked with the family", i)
	}
}
