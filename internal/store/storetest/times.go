package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/internal/store"
)

func timeCases() []testCase {
	return []testCase{
		{"RoundTripInUTCMicroseconds", timeRoundTrip},
		{"ComparedAsInstants", timeComparedAsInstants},
	}
}

// offsetNanoTime is an instant in a non-UTC zone with nanoseconds that a
// store must drop.
func offsetNanoTime() time.Time {
	return time.Date(2025, 1, 2, 3, 4, 5, 987654321, time.FixedZone("IST", 5*3600+1800))
}

// stored is what a store must answer for t: UTC, whole microseconds.
func stored(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

func timeRoundTrip(t *testing.T, s store.Store) {
	ctx := t.Context()
	when := offsetNanoTime()
	tn := tenantFixture("contoso")
	tn.CreatedAt = when
	tn.UpdatedAt = time.Time{}
	require.NoError(t, s.CreateTenant(ctx, tn))
	got, err := s.GetTenant(ctx, tn.ID)
	require.NoError(t, err)
	require.Equal(t, stored(when), got.CreatedAt)
	require.Equal(t, time.UTC, got.CreatedAt.Location())
	require.True(t, got.UpdatedAt.IsZero(), "the zero time survives")

	guest := guestFixture(tn.ID, "bo")
	guest.ExternalUserStateChangedAt = ptr(when.Add(time.Hour))
	createUser(t, s, guest)
	member := createUser(t, s, memberFixture(tn.ID, "alex"))
	gotGuest, err := s.GetUser(ctx, tn.ID, guest.ID)
	require.NoError(t, err)
	require.Equal(t, ptr(stored(when.Add(time.Hour))), gotGuest.ExternalUserStateChangedAt)
	gotMember, err := s.GetUser(ctx, tn.ID, member.ID)
	require.NoError(t, err)
	require.Nil(t, gotMember.ExternalUserStateChangedAt, "a nil time stays nil")

	e := auditFixture(tn.ID, "Sign-in", 0)
	e.Time = when
	appendAudit(t, s, e)
	events, err := s.ListAudit(ctx, store.AuditFilter{TenantID: tn.ID})
	require.NoError(t, err)
	require.Len(t, events, 1)
	require.Equal(t, stored(when), events[0].Time)
}

// timeComparedAsInstants: filters compare instants, whatever zone the
// caller's time is in.
func timeComparedAsInstants(t *testing.T, s store.Store) {
	ctx := t.Context()
	tid := createTenant(t, s, "contoso").ID
	e := appendAudit(t, s, auditFixture(tid, "Sign-in", 0))
	inIST := e.Time.In(time.FixedZone("IST", 5*3600+1800))

	events, err := s.ListAudit(ctx, store.AuditFilter{TenantID: tid, Since: inIST})
	require.NoError(t, err)
	require.Equal(t, []store.AuditEvent{e}, events)
	events, err = s.ListAudit(ctx, store.AuditFilter{TenantID: tid, Since: inIST.Add(time.Microsecond)})
	require.NoError(t, err)
	require.Empty(t, events)

	tok := tokenFixture(tid, "passcode")
	tok.ExpiresAt = at(time.Minute).In(time.FixedZone("PST", -8*3600))
	createToken(t, s, tok)
	_, err = s.ConsumeToken(ctx, tid, tok.Kind, tok.Hash, at(time.Minute).Add(-time.Microsecond))
	require.NoError(t, err, "a microsecond before expiry, in another zone")
}
