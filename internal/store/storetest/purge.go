package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/internal/store"
)

func purgeCases() []testCase {
	return []testCase{
		{"RemovesOnlyExpired", purgeRemovesOnlyExpired},
		{"NothingExpired", purgeNothingExpired},
		{"InBatches", purgeInBatches},
		{"MailAndAuditRetention", purgeRetention},
		{"DryRunDeletesNothing", purgeDryRun},
	}
}

// purgeExpired purges what expired before 'before', in batches of 1000,
// and answers how many rows went in all.
func purgeExpired(t *testing.T, s store.Store, before time.Time) int64 {
	t.Helper()
	gone, err := s.Purge(t.Context(), store.Retention{ExpiredBefore: before}, 1000, false)
	require.NoError(t, err)
	var n int64
	for _, count := range gone {
		n += count
	}
	return n
}

// purgeRemovesOnlyExpired puts one row expiring before the purge time, one
// expiring exactly at it and one after it in every table, in two tenants.
// Gone rows are checked with a clock from before their expiry, so only
// deletion can make them miss.
func purgeRemovesOnlyExpired(t *testing.T, s store.Store) {
	const purgeAt = 24 * time.Hour
	var gone, kept []func(t *testing.T, clock time.Time) error
	for _, slug := range []string{"contoso", "fabrikam"} {
		c := newClientIn(t, s, slug)
		for _, expires := range []time.Duration{purgeAt - time.Microsecond, purgeAt, purgeAt + time.Hour} {
			checks := oneOfEach(t, s, c, at(expires))
			if expires < purgeAt {
				gone = append(gone, checks...)
			} else {
				kept = append(kept, checks...)
			}
		}
	}

	n := purgeExpired(t, s, at(purgeAt))
	require.EqualValues(t, len(gone), n)
	for i, check := range gone {
		require.ErrorIs(t, check(t, at(0)), store.ErrNotFound, "gone %d", i)
	}
	for i, check := range kept {
		require.NoError(t, check(t, at(0)), "kept %d", i)
	}
	require.Zero(t, purgeExpired(t, s, at(purgeAt)), "a second purge finds nothing")
}

func purgeNothingExpired(t *testing.T, s store.Store) {
	w := populate(t, s, "contoso")
	require.Zero(t, purgeExpired(t, s, at(time.Minute)))
	requireWorldIntact(t, s, w)
}

// oneOfEach stores a row expiring at expires in every table PurgeExpired
// sweeps and answers, for each, a check that it is still there (nil) at a
// clock before its expiry.
func oneOfEach(t *testing.T, s store.Store, c client, expires time.Time) []func(t *testing.T, clock time.Time) error {
	t.Helper()
	ctx := t.Context()
	tid := c.tenantID

	ar := authRequestFixture(tid, c.app.ClientID)
	ar.ExpiresAt = expires
	createAuthRequest(t, s, ar)
	ss := sessionFixture(tid, c.user.ID)
	ss.ExpiresAt = expires
	createSession(t, s, ss)
	rt := c.refreshToken()
	rt.ExpiresAt = expires
	createRefreshToken(t, s, rt)
	tok := clientCredentialsFixture(tid, c.app.ClientID)
	tok.ExpiresAt = expires
	createAccessToken(t, s, tok)
	revokedJTI := newID()
	require.NoError(t, s.RevokeTokenID(ctx, tid, revokedJTI, at(0), expires))
	key := "counter:" + newID()
	_, err := s.IncrementCounter(ctx, tid, key, expires, at(0))
	require.NoError(t, err)
	single := tokenFixture(tid, "passcode")
	single.ExpiresAt = expires
	createToken(t, s, single)
	login := federationLoginFixture(tid, newID())
	login.ExpiresAt = expires
	createFederationLogin(t, s, login)
	device := deviceFixture(tid, c.app.ClientID)
	device.ExpiresAt = expires
	createDevice(t, s, device)

	return []func(t *testing.T, clock time.Time) error{
		func(t *testing.T, clock time.Time) error {
			_, err := s.GetAuthRequest(t.Context(), tid, ar.ID, clock)
			return err
		},
		func(t *testing.T, clock time.Time) error {
			_, err := s.GetSession(t.Context(), tid, ss.ID, clock)
			return err
		},
		func(t *testing.T, _ time.Time) error {
			_, err := s.GetRefreshToken(t.Context(), tid, rt.Hash)
			return err
		},
		func(t *testing.T, _ time.Time) error {
			_, err := s.GetAccessToken(t.Context(), tid, tok.ID)
			return err
		},
		func(t *testing.T, _ time.Time) error {
			// A revocation that is gone reads as not revoked.
			revoked, err := s.TokenRevoked(t.Context(), tid, revokedJTI)
			if err == nil && !revoked {
				return store.ErrNotFound
			}
			return err
		},
		func(t *testing.T, clock time.Time) error {
			n, err := s.GetCounter(t.Context(), tid, key, clock)
			if err == nil && n == 0 {
				return store.ErrNotFound
			}
			return err
		},
		func(t *testing.T, clock time.Time) error {
			// Consuming is the only read of a single-use token; a kept
			// one is spent by the check, which runs once.
			_, err := s.ConsumeToken(t.Context(), tid, single.Kind, single.Hash, clock)
			return err
		},
		func(t *testing.T, clock time.Time) error {
			_, err := s.ConsumeFederationLogin(t.Context(), tid, login.StateHash, clock)
			return err
		},
		func(t *testing.T, _ time.Time) error {
			_, err := s.GetDeviceAuthorizationByDeviceCode(t.Context(), tid, device.DeviceCodeHash)
			return err
		},
	}
}

// purgeInBatches: more rows than a batch go in several statements, all of
// them, and the count says so.
func purgeInBatches(t *testing.T, s store.Store) {
	c := newClient(t, s)
	for range 7 {
		ss := sessionFixture(c.tenantID, c.user.ID)
		ss.ExpiresAt = at(time.Minute)
		createSession(t, s, ss)
	}
	gone, err := s.Purge(t.Context(), store.Retention{ExpiredBefore: at(time.Hour)}, 3, false)
	require.NoError(t, err)
	require.Equal(t, map[string]int64{"sessions": 7}, gone)
	require.Zero(t, purgeExpired(t, s, at(time.Hour)))
}

// purgeRetention: delivered and abandoned mail older than its retention
// goes, mail still to be sent never does; audit events go by age; a zero
// time keeps everything of its kind.
func purgeRetention(t *testing.T, s store.Store) {
	ctx := t.Context()
	tid := createTenant(t, s, "contoso").ID
	sentOld := enqueue(t, s, mailFixture(tid, 0))
	require.NoError(t, s.MarkMailSent(ctx, tid, sentOld.ID, at(time.Minute)))
	abandonedOld := enqueue(t, s, mailFixture(tid, 0))
	require.NoError(t, s.MarkMailFailed(ctx, tid, abandonedOld.ID, time.Time{}, "gave up"))
	pendingOld := enqueue(t, s, mailFixture(tid, 0))
	sentNew := enqueue(t, s, mailFixture(tid, 48*time.Hour))
	require.NoError(t, s.MarkMailSent(ctx, tid, sentNew.ID, at(49*time.Hour)))
	oldEvent := appendAudit(t, s, auditFixture(tid, "Add user", 0))
	newEvent := appendAudit(t, s, auditFixture(tid, "Add user", 48*time.Hour))
	appendSignIn(t, s, signInFixture(tid, newID(), 0))
	newSignIn := appendSignIn(t, s, signInFixture(tid, newID(), 48*time.Hour))

	gone, err := s.Purge(ctx, store.Retention{MailBefore: at(24 * time.Hour)}, 10, false)
	require.NoError(t, err)
	require.Equal(t, map[string]int64{"outbound_mail": 2}, gone, "mail only: audit kept at a zero time")
	require.ElementsMatch(t, []string{pendingOld.ID, sentNew.ID}, mailIDs(listMail(t, s, store.MailFilter{TenantID: tid})))

	gone, err = s.Purge(ctx, store.Retention{AuditBefore: at(24 * time.Hour)}, 10, false)
	require.NoError(t, err)
	require.Equal(t, map[string]int64{"audit_events": 1}, gone)
	events, err := s.ListAudit(ctx, store.AuditFilter{TenantID: tid})
	require.NoError(t, err)
	require.Len(t, events, 1)
	require.Equal(t, newEvent.ID, events[0].ID)
	require.NotEqual(t, oldEvent.ID, events[0].ID)

	gone, err = s.Purge(ctx, store.Retention{SignInBefore: at(24 * time.Hour)}, 10, false)
	require.NoError(t, err)
	require.Equal(t, map[string]int64{"sign_ins": 1}, gone)
	signIns, err := s.ListSignIns(ctx, store.SignInFilter{TenantID: tid})
	require.NoError(t, err)
	require.Len(t, signIns, 1)
	require.Equal(t, newSignIn.ID, signIns[0].ID)
}

// purgeDryRun counts what would go and deletes nothing.
func purgeDryRun(t *testing.T, s store.Store) {
	c := newClient(t, s)
	checks := oneOfEach(t, s, c, at(time.Minute))
	r := store.Retention{ExpiredBefore: at(time.Hour), MailBefore: at(time.Hour), AuditBefore: at(time.Hour)}
	would, err := s.Purge(t.Context(), r, 2, true)
	require.NoError(t, err)
	var n int
	for _, count := range would {
		n += int(count)
	}
	require.Equal(t, len(checks), n, "one of each expiring row: %v", would)
	// The checks would spend single-use rows: a second dry run shows the
	// first deleted nothing.
	again, err := s.Purge(t.Context(), r, 2, true)
	require.NoError(t, err)
	require.Equal(t, would, again)
	gone, err := s.Purge(t.Context(), r, 2, false)
	require.NoError(t, err)
	require.Equal(t, would, gone, "the dry run said what goes")
}
