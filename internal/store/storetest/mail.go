package storetest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/internal/store"
)

func mailCases() []testCase {
	return []testCase{
		{"EnqueueList", mailEnqueueList},
		{"EnqueueConflictAndUnknownTenant", mailEnqueueErrors},
		{"ClaimDueOnly", mailClaimDueOnly},
		{"ClaimUrgentFirst", mailClaimUrgentFirst},
		{"Backlog", mailBacklog},
		{"LeaseHoldsUntilItLapses", mailLease},
		{"MarkSent", mailMarkSent},
		{"MarkFailedReschedules", mailMarkFailed},
		{"GiveUp", mailGiveUp},
		{"TenantIsolation", mailIsolation},
		{"DeletedWithTenant", mailDeletedWithTenant},
	}
}

func mailFixture(tenantID string, created time.Duration) store.OutboundMail {
	return store.OutboundMail{
		TenantID:      tenantID,
		ID:            newID(),
		Kind:          "invitation",
		To:            []string{"bo@fabrikam.example"},
		Cc:            []string{"alex@contoso.example", "sam@contoso.example"},
		Subject:       "You are invited",
		SealedBody:    []byte("sealed:" + newID()),
		CreatedAt:     at(created),
		NextAttemptAt: at(created),
	}
}

func enqueue(t *testing.T, s store.Store, m store.OutboundMail) store.OutboundMail {
	t.Helper()
	require.NoError(t, s.EnqueueMail(t.Context(), m))
	return m
}

func listMail(t *testing.T, s store.Store, f store.MailFilter) []store.OutboundMail {
	t.Helper()
	list, err := s.ListMail(t.Context(), f)
	require.NoError(t, err)
	return list
}

func getMail(t *testing.T, s store.Store, tenantID, id string) store.OutboundMail {
	t.Helper()
	for _, m := range listMail(t, s, store.MailFilter{TenantID: tenantID}) {
		if m.ID == id {
			return m
		}
	}
	t.Fatalf("mail %s not in tenant %s", id, tenantID)
	return store.OutboundMail{}
}

func claim(t *testing.T, s store.Store, now, lease time.Duration, limit int) []store.OutboundMail {
	t.Helper()
	got, err := s.ClaimDueMail(t.Context(), at(now), at(lease), limit, store.MailBulk)
	require.NoError(t, err)
	return got
}

func mailIDs(list []store.OutboundMail) []string {
	ids := make([]string, len(list))
	for i, m := range list {
		ids[i] = m.ID
	}
	return ids
}

func mailEnqueueList(t *testing.T, s store.Store) {
	a := createTenant(t, s, "contoso").ID
	b := createTenant(t, s, "fabrikam").ID
	m1 := enqueue(t, s, mailFixture(a, 0))
	m2 := mailFixture(a, time.Minute)
	m2.Cc = nil
	enqueue(t, s, m2)
	m3 := enqueue(t, s, mailFixture(b, 2*time.Minute))

	require.Equal(t, []store.OutboundMail{m2, m1}, listMail(t, s, store.MailFilter{TenantID: a}), "newest first, whole")
	require.Equal(t, []store.OutboundMail{m3}, listMail(t, s, store.MailFilter{TenantID: b}))
	require.Equal(t, []string{m3.ID, m2.ID, m1.ID}, mailIDs(listMail(t, s, store.MailFilter{})), "every tenant")
	require.Equal(t, []string{m3.ID}, mailIDs(listMail(t, s, store.MailFilter{Limit: 1})))
	require.Empty(t, listMail(t, s, store.MailFilter{TenantID: newID()}))
}

func mailEnqueueErrors(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := createTenant(t, s, "contoso").ID
	m := enqueue(t, s, mailFixture(a, 0))
	dup := mailFixture(a, time.Minute)
	dup.ID = m.ID
	require.ErrorIs(t, s.EnqueueMail(ctx, dup), store.ErrConflict)
	require.ErrorIs(t, s.EnqueueMail(ctx, mailFixture(newID(), 0)), store.ErrNotFound)
}

// mailClaimUrgentFirst: an urgent message goes before every bulk one due
// earlier, and a claim for urgent mail only leaves bulk mail alone.
func mailClaimUrgentFirst(t *testing.T, s store.Store) {
	a := createTenant(t, s, "contoso").ID
	var bulk []store.OutboundMail
	for i := range 3 {
		m := mailFixture(a, time.Duration(i)*time.Second)
		m.Priority = store.MailBulk
		bulk = append(bulk, enqueue(t, s, m))
	}
	urgent := mailFixture(a, time.Minute)
	urgent.Kind, urgent.Priority = "passcode", store.MailUrgent
	enqueue(t, s, urgent)
	require.Equal(t, urgent, getMail(t, s, a, urgent.ID), "priority is kept")

	got, err := s.ClaimDueMail(t.Context(), at(time.Hour), at(2*time.Hour), 10, store.MailUrgent)
	require.NoError(t, err)
	require.Equal(t, []string{urgent.ID}, mailIDs(got), "the urgent lane takes no bulk mail")
	require.NoError(t, s.MarkMailFailed(t.Context(), a, urgent.ID, at(time.Hour), "try again"))

	got = claim(t, s, time.Hour, 2*time.Hour, 2)
	require.Equal(t, []string{urgent.ID, bulk[0].ID}, mailIDs(got), "urgent first, then the oldest bulk")
}

// mailBacklog counts what waits, retries included, across tenants, and
// leaves out what was sent or given up.
func mailBacklog(t *testing.T, s store.Store) {
	ctx := t.Context()
	backlog := func() (int, time.Time) {
		t.Helper()
		n, oldest, err := s.MailBacklog(ctx)
		require.NoError(t, err)
		return n, oldest
	}
	n, oldest := backlog()
	require.Zero(t, n)
	require.True(t, oldest.IsZero())
	a := createTenant(t, s, "contoso").ID
	b := createTenant(t, s, "fabrikam").ID
	first := enqueue(t, s, mailFixture(a, time.Minute))
	retrying := enqueue(t, s, mailFixture(b, 2*time.Minute))
	require.NoError(t, s.MarkMailFailed(ctx, b, retrying.ID, at(time.Hour), "try again"))
	sent := enqueue(t, s, mailFixture(a, 0))
	require.NoError(t, s.MarkMailSent(ctx, a, sent.ID, at(time.Second)))
	abandoned := enqueue(t, s, mailFixture(a, 0))
	require.NoError(t, s.MarkMailFailed(ctx, a, abandoned.ID, time.Time{}, "gave up"))

	n, oldest = backlog()
	require.Equal(t, 2, n)
	require.True(t, first.CreatedAt.Equal(oldest), "oldest waiting: %v", oldest)
}

func mailClaimDueOnly(t *testing.T, s store.Store) {
	a := createTenant(t, s, "contoso").ID
	b := createTenant(t, s, "fabrikam").ID
	early := enqueue(t, s, mailFixture(a, 0))
	other := enqueue(t, s, mailFixture(b, time.Second))
	later := enqueue(t, s, mailFixture(a, time.Hour))
	sent := enqueue(t, s, mailFixture(a, 0))
	require.NoError(t, s.MarkMailSent(t.Context(), a, sent.ID, at(time.Second)))

	require.Empty(t, claim(t, s, -time.Second, time.Minute, 10), "nothing due yet")
	got := claim(t, s, time.Minute, 2*time.Minute, 1)
	require.Equal(t, []string{early.ID}, mailIDs(got), "oldest due first, limit kept")
	require.Equal(t, ptr(at(2*time.Minute)), got[0].LeaseUntil)
	require.Equal(t, early.SealedBody, got[0].SealedBody)

	got = claim(t, s, time.Minute, 2*time.Minute, 10)
	require.Equal(t, []string{other.ID}, mailIDs(got), "every tenant; not the leased, the later or the sent one")
	require.Empty(t, claim(t, s, time.Minute, 2*time.Minute, 10))
	require.Empty(t, claim(t, s, time.Minute, 2*time.Minute, 0), "limit 0 claims nothing")
	require.Equal(t, []string{early.ID, other.ID, later.ID}, mailIDs(claim(t, s, 3*time.Hour, 4*time.Hour, 10)),
		"the later one once due, and the others again once their leases lapsed")
}

func mailLease(t *testing.T, s store.Store) {
	a := createTenant(t, s, "contoso").ID
	m := enqueue(t, s, mailFixture(a, 0))
	require.Len(t, claim(t, s, 0, time.Minute, 10), 1)
	require.Empty(t, claim(t, s, time.Minute-time.Microsecond, 2*time.Minute, 10), "leased")
	got := claim(t, s, time.Minute, 2*time.Minute, 10)
	require.Equal(t, []string{m.ID}, mailIDs(got), "a lapsed lease is claimed again: the sender died")
	require.Equal(t, ptr(at(2*time.Minute)), getMail(t, s, a, m.ID).LeaseUntil)
}

func mailMarkSent(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := createTenant(t, s, "contoso").ID
	m := enqueue(t, s, mailFixture(a, 0))
	claim(t, s, 0, time.Minute, 10)
	require.NoError(t, s.MarkMailSent(ctx, a, m.ID, at(time.Second)))
	got := getMail(t, s, a, m.ID)
	require.Equal(t, ptr(at(time.Second)), got.SentAt)
	require.Nil(t, got.LeaseUntil)
	require.Empty(t, claim(t, s, time.Hour, 2*time.Hour, 10), "sent mail is never claimed")
	require.ErrorIs(t, s.MarkMailSent(ctx, a, m.ID, at(time.Minute)), store.ErrNotFound, "sent once")
	require.ErrorIs(t, s.MarkMailFailed(ctx, a, m.ID, at(time.Hour), "x"), store.ErrNotFound)
	require.ErrorIs(t, s.MarkMailSent(ctx, a, newID(), at(time.Minute)), store.ErrNotFound)
}

func mailMarkFailed(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := createTenant(t, s, "contoso").ID
	m := enqueue(t, s, mailFixture(a, 0))
	for attempt := 1; attempt <= 3; attempt++ {
		now := time.Duration(attempt) * time.Hour
		require.Len(t, claim(t, s, now, now+time.Minute, 10), 1)
		require.NoError(t, s.MarkMailFailed(ctx, a, m.ID, at(now+30*time.Minute), fmt.Sprintf("dial: refused %d", attempt)))
		got := getMail(t, s, a, m.ID)
		require.Equal(t, attempt, got.Attempts)
		require.Equal(t, at(now+30*time.Minute), got.NextAttemptAt)
		require.Nil(t, got.LeaseUntil, "the lease is cleared")
		require.Equal(t, fmt.Sprintf("dial: refused %d", attempt), got.LastError)
		require.Empty(t, claim(t, s, now+30*time.Minute-time.Microsecond, now+time.Hour, 10), "not before the next attempt")
	}
	require.ErrorIs(t, s.MarkMailFailed(ctx, a, newID(), at(time.Hour), "x"), store.ErrNotFound)
}

func mailGiveUp(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := createTenant(t, s, "contoso").ID
	m := enqueue(t, s, mailFixture(a, 0))
	claim(t, s, 0, time.Minute, 10)
	require.NoError(t, s.MarkMailFailed(ctx, a, m.ID, time.Time{}, "550 mailbox unavailable"))
	got := getMail(t, s, a, m.ID)
	require.True(t, got.NextAttemptAt.IsZero())
	require.Nil(t, got.SentAt)
	require.Equal(t, 1, got.Attempts)
	require.Empty(t, claim(t, s, 1000*time.Hour, 1001*time.Hour, 10), "never claimed again")
}

// mailIsolation: tenant B reaches for A's message and misses, leaving it
// as it was.
func mailIsolation(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := createTenant(t, s, "contoso").ID
	b := createTenant(t, s, "fabrikam").ID
	m := enqueue(t, s, mailFixture(a, 0))

	require.ErrorIs(t, s.MarkMailSent(ctx, b, m.ID, at(time.Second)), store.ErrNotFound)
	require.ErrorIs(t, s.MarkMailFailed(ctx, b, m.ID, at(time.Hour), "x"), store.ErrNotFound)
	require.Empty(t, listMail(t, s, store.MailFilter{TenantID: b}))
	same := mailFixture(b, 0)
	same.ID = m.ID
	enqueue(t, s, same) // ids are per tenant
	require.Equal(t, m, getMail(t, s, a, m.ID), "A's message untouched")
	require.Equal(t, same, getMail(t, s, b, m.ID))
}

func mailDeletedWithTenant(t *testing.T, s store.Store) {
	a := createTenant(t, s, "contoso").ID
	b := createTenant(t, s, "fabrikam").ID
	enqueue(t, s, mailFixture(a, 0))
	kept := enqueue(t, s, mailFixture(b, 0))
	require.NoError(t, s.DeleteTenant(t.Context(), a))
	require.Equal(t, []store.OutboundMail{kept}, listMail(t, s, store.MailFilter{}))
}

// concurrentClaimMail: claimers racing over one queue never claim a
// message twice, and between them claim all of it.
func concurrentClaimMail(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := createTenant(t, s, "contoso").ID
	const n = 40
	for i := range n {
		enqueue(t, s, mailFixture(a, time.Duration(i)*time.Millisecond))
	}
	for round := range 3 {
		claimed := make([][]store.OutboundMail, 8)
		now := at(time.Duration(round) * time.Hour)
		errs := race(len(claimed), func(i int) error {
			var err error
			claimed[i], err = s.ClaimDueMail(ctx, now.Add(time.Second), now.Add(time.Minute), 7, store.MailBulk)
			return err
		})
		for _, err := range errs {
			require.NoError(t, err)
		}
		var all []string
		for _, c := range claimed {
			all = append(all, mailIDs(c)...)
		}
		slices.Sort(all)
		require.Len(t, slices.Compact(slices.Clone(all)), len(all), "round %d: a message claimed twice", round)
		require.Len(t, all, n, "round %d: 8 claimers of 7 take all 40", round)
	}
}
