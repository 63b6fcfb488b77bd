package storetest

import (
	"errors"
	"fmt"
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
	}
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
