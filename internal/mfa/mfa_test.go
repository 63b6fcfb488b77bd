package mfa_test

import (
	"bytes"
	"encoding/base32"
	"errors"
	"image/png"
	"log/slog"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/internal/audit"
	"github.com/foyer-idp/foyer/internal/mail"
	"github.com/foyer-idp/foyer/internal/mfa"
	"github.com/foyer-idp/foyer/internal/secret"
	"github.com/foyer-idp/foyer/internal/store"
	"github.com/foyer-idp/foyer/internal/store/sqlstore/sqltest"
	"github.com/foyer-idp/foyer/internal/testclock"
)

// start is the clock's start: 10 s into a 30 s step, so ±a few seconds
// never cross a step by accident.
var start = time.Date(2026, 3, 10, 12, 0, 10, 0, time.UTC)

type fixture struct {
	b      sqltest.Backend
	db     string
	store  store.Store
	clock  *testclock.Clock
	master secret.MasterKey
	svc    *mfa.Service
	mailer *mail.Outbox
	tenant store.Tenant
	member store.User
	guest  store.User
}

func newService(t *testing.T, f *fixture, st store.Store) *mfa.Service {
	t.Helper()
	svc, err := mfa.New(mfa.Config{Store: st, Sealer: f.master.Sealer("mfa-secrets"),
		Hasher: f.master.Hasher("recovery-codes"), Mailer: f.mailer, Now: f.clock.Now})
	require.NoError(t, err)
	return svc
}

func newFixture(t *testing.T, b sqltest.Backend) *fixture {
	t.Helper()
	f := &fixture{b: b, db: b.NewDB(t), clock: testclock.New(start), master: secret.GenerateMasterKey()}
	st := b.OpenStore(t, f.db)
	require.NoError(t, st.Migrate(t.Context()))
	f.store = st
	var err error
	f.mailer, err = mail.NewOutbox(mail.OutboxConfig{Store: st, Sealer: f.master.Sealer("mail"),
		Sender: mail.DevSender{Logger: slog.New(slog.DiscardHandler)}, Logger: slog.New(slog.DiscardHandler),
		Rand: func() float64 { return 0.5 }, Now: f.clock.Now})
	require.NoError(t, err)
	f.svc = newService(t, f, st)

	ctx := t.Context()
	f.tenant = store.Tenant{ID: secret.NewID(), Slug: "woodgrove", DisplayName: "Woodgrove Bank", SigningAlg: "ES256",
		MFA: store.MFAPolicy{Required: store.MFARequiredGuests}, CreatedAt: start, UpdatedAt: start}
	require.NoError(t, st.CreateTenant(ctx, f.tenant))
	f.member = f.user(t, "alex", store.UserTypeMember, "alex@woodgrove.example")
	f.guest = f.user(t, "bo", store.UserTypeGuest, "bo@fabrikam.example")
	return f
}

func (f *fixture) user(t *testing.T, name, userType, mail string) store.User {
	t.Helper()
	u := store.User{TenantID: f.tenant.ID, ID: secret.NewID(), DisplayName: name, Mail: mail,
		UserPrincipalName: name + "@woodgrove.localhost", UserType: userType, AccountEnabled: true,
		CreatedAt: start, UpdatedAt: start}
	require.NoError(t, f.store.CreateUser(t.Context(), u))
	return u
}

// code is what an authenticator app holding key shows at tm.
func code(t *testing.T, key string, tm time.Time, period time.Duration) string {
	t.Helper()
	c, err := totp.GenerateCodeCustom(key, tm, totp.ValidateOpts{Period: uint(period / time.Second),
		Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	require.NoError(t, err)
	return c
}

// enrol registers an authenticator for u and answers its key and the
// recovery codes.
func (f *fixture) enrol(t *testing.T, u store.User) (string, []string) {
	t.Helper()
	e, err := f.svc.BeginEnrolment(t.Context(), f.tenant, u)
	require.NoError(t, err)
	codes, err := f.svc.ConfirmEnrolment(t.Context(), f.tenant, u, code(t, e.Secret, f.clock.Now(), mfa.DefaultPeriod))
	require.NoError(t, err)
	return e.Secret, codes
}

func (f *fixture) factor(t *testing.T, u store.User) store.TOTPFactor {
	t.Helper()
	fa, err := f.store.GetTOTPFactor(t.Context(), f.tenant.ID, u.ID)
	require.NoError(t, err)
	return fa
}

func (f *fixture) audit(t *testing.T, activity string) []store.AuditEvent {
	t.Helper()
	evs, err := f.store.ListAudit(t.Context(), store.AuditFilter{TenantID: f.tenant.ID, Activity: activity})
	require.NoError(t, err)
	return evs
}

func (f *fixture) mail(t *testing.T) []mail.Message {
	t.Helper()
	recs, err := f.store.ListMail(t.Context(), store.MailFilter{})
	require.NoError(t, err)
	out := make([]mail.Message, len(recs))
	for i, rec := range recs {
		require.Equal(t, mfa.MailKindSecurityInfo, rec.Kind)
		out[i], err = mail.Open(f.master.Sealer("mail"), rec)
		require.NoError(t, err)
	}
	return out
}

func TestService(t *testing.T) {
	t.Parallel()
	sqltest.RunSuite(t, []sqltest.Case[*fixture]{
		{Name: "Enrolment", Fn: testEnrolment},
		{Name: "EnrolmentShownAgainIsTheSame", Fn: testEnrolmentAgain},
		{Name: "AccountIsUPNWithoutMail", Fn: testAccountUPN},
		{Name: "ConfirmWindow", Fn: testConfirmWindow},
		{Name: "ReplaceKeepsOldUntilConfirmed", Fn: testReplace},
		{Name: "PeriodTravelsWithTheSecret", Fn: testPeriod},
		{Name: "WindowEdges", Fn: testWindowEdges},
		{Name: "ReplaySameStep", Fn: testReplay},
		{Name: "ReplayOnSecondNode", Fn: testReplaySecondNode},
		{Name: "DelaysLockAndLockExpiry", Fn: testLock},
		{Name: "Unlock", Fn: testUnlock},
		{Name: "SuccessResetsFailures", Fn: testSuccessResets},
		{Name: "RecoveryCodes", Fn: testRecoveryCodes},
		{Name: "RecoveryFailuresCount", Fn: testRecoveryFailures},
		{Name: "Reset", Fn: testReset},
		{Name: "SealedAtRest", Fn: testSealed},
	}, func(t *testing.T, b sqltest.Backend) *fixture { return newFixture(t, b) })
}

func testEnrolment(t *testing.T, f *fixture) {
	ctx := t.Context()
	u := f.guest
	st, err := f.svc.Status(ctx, f.tenant.ID, u.ID)
	require.NoError(t, err)
	require.Equal(t, mfa.Status{}, st)

	e, err := f.svc.BeginEnrolment(ctx, f.tenant, u)
	require.NoError(t, err)
	raw, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(e.Secret)
	require.NoError(t, err)
	require.Len(t, raw, 20, "160 bits")
	uri, err := url.Parse(e.URI)
	require.NoError(t, err)
	require.Equal(t, "otpauth", uri.Scheme)
	require.Equal(t, "totp", uri.Host)
	require.Equal(t, "/Woodgrove Bank:bo@fabrikam.example", uri.Path)
	q := uri.Query()
	require.Equal(t, e.Secret, q.Get("secret"))
	require.Equal(t, "Woodgrove Bank", q.Get("issuer"))
	require.Equal(t, "SHA1", q.Get("algorithm"))
	require.Equal(t, "6", q.Get("digits"))
	require.Equal(t, "30", q.Get("period"))
	img, err := png.Decode(bytes.NewReader(e.QRCode))
	require.NoError(t, err)
	require.Equal(t, 240, img.Bounds().Dx())
	require.Equal(t, 240, img.Bounds().Dy())

	// Pending is not registered: no sign-in with it yet.
	now := code(t, e.Secret, f.clock.Now(), mfa.DefaultPeriod)
	_, err = f.svc.Verify(ctx, f.tenant, u.ID, now)
	require.ErrorIs(t, err, mfa.ErrNotEnrolled)
	st, err = f.svc.Status(ctx, f.tenant.ID, u.ID)
	require.NoError(t, err)
	require.False(t, st.Registered)

	_, err = f.svc.ConfirmEnrolment(ctx, f.tenant, u, wrong(now))
	require.ErrorIs(t, err, mfa.ErrWrongCode)
	require.Empty(t, f.audit(t, audit.ActivityRegisterSecurityInfo))

	codes, err := f.svc.ConfirmEnrolment(ctx, f.tenant, u, now)
	require.NoError(t, err)
	require.Len(t, codes, mfa.RecoveryCodes)
	seen := map[string]bool{}
	for _, c := range codes {
		require.Regexp(t, regexp.MustCompile(`^[0-9a-hjkmnp-tv-z]{4}-[0-9a-hjkmnp-tv-z]{4}-[0-9a-hjkmnp-tv-z]{2}$`), c)
		require.False(t, seen[c])
		seen[c] = true
	}
	st, err = f.svc.Status(ctx, f.tenant.ID, u.ID)
	require.NoError(t, err)
	require.Equal(t, mfa.Status{Registered: true, RecoveryCodes: 10}, st)

	evs := f.audit(t, audit.ActivityRegisterSecurityInfo)
	require.Len(t, evs, 1)
	require.Equal(t, u.ID, evs[0].TargetID)
	require.Equal(t, audit.CategoryUser, evs[0].Category)
	msgs := f.mail(t)
	require.Len(t, msgs, 1)
	require.Equal(t, []string{"bo@fabrikam.example"}, msgs[0].To)
	require.Contains(t, msgs[0].Subject, "security info changed")
	require.Contains(t, msgs[0].Text, "An authenticator app was registered")
	require.NotContains(t, msgs[0].Text, e.Secret)

	// Nothing pending any more; the confirming code is spent.
	_, err = f.svc.ConfirmEnrolment(ctx, f.tenant, u, now)
	require.ErrorIs(t, err, mfa.ErrNotEnrolled)
	_, err = f.svc.Verify(ctx, f.tenant, u.ID, now)
	require.ErrorIs(t, err, mfa.ErrReplayed)
	f.clock.Advance(30 * time.Second)
	method, err := f.svc.Verify(ctx, f.tenant, u.ID, code(t, e.Secret, f.clock.Now(), mfa.DefaultPeriod))
	require.NoError(t, err)
	require.Equal(t, mfa.MethodTOTP, method)
}

// wrong answers another six-digit code.
func wrong(c string) string {
	if c == "000000" {
		return "000001"
	}
	return "000000"
}

func testAccountUPN(t *testing.T, f *fixture) {
	u := f.user(t, "nomail", store.UserTypeMember, "")
	e, err := f.svc.BeginEnrolment(t.Context(), f.tenant, u)
	require.NoError(t, err)
	uri, err := url.Parse(e.URI)
	require.NoError(t, err)
	require.Equal(t, "/Woodgrove Bank:nomail@woodgrove.localhost", uri.Path)

	// No mail address, no email; the audit event still.
	_, err = f.svc.ConfirmEnrolment(t.Context(), f.tenant, u, code(t, e.Secret, f.clock.Now(), mfa.DefaultPeriod))
	require.NoError(t, err)
	require.Empty(t, f.mail(t))
	require.Len(t, f.audit(t, audit.ActivityRegisterSecurityInfo), 1)

	other := store.Tenant{ID: secret.NewID()}
	_, err = f.svc.BeginEnrolment(t.Context(), other, u)
	require.Error(t, err, "a user of another tenant")
}

func testConfirmWindow(t *testing.T, f *fixture) {
	for _, c := range []struct {
		steps int
		ok    bool
	}{{-2, false}, {-1, true}, {0, true}, {1, true}, {2, false}} {
		u := f.user(t, "u"+strings.ReplaceAll(time.Duration(c.steps).String(), "-", "m"), store.UserTypeGuest, "")
		e, err := f.svc.BeginEnrolment(t.Context(), f.tenant, u)
		require.NoError(t, err)
		at := f.clock.Now().Add(time.Duration(c.steps) * mfa.DefaultPeriod)
		_, err = f.svc.ConfirmEnrolment(t.Context(), f.tenant, u, code(t, e.Secret, at, mfa.DefaultPeriod))
		if c.ok {
			require.NoError(t, err, "step %+d", c.steps)
		} else {
			require.ErrorIs(t, err, mfa.ErrWrongCode, "step %+d", c.steps)
		}
	}
}

func testReplace(t *testing.T, f *fixture) {
	ctx := t.Context()
	u := f.guest
	oldKey, oldCodes := f.enrol(t, u)
	e, err := f.svc.BeginEnrolment(ctx, f.tenant, u)
	require.NoError(t, err)
	f.clock.Advance(30 * time.Second)
	_, err = f.svc.Verify(ctx, f.tenant, u.ID, code(t, oldKey, f.clock.Now(), mfa.DefaultPeriod))
	require.NoError(t, err, "the old authenticator works until the new one is confirmed")

	f.clock.Advance(30 * time.Second)
	codes, err := f.svc.ConfirmEnrolment(ctx, f.tenant, u, code(t, e.Secret, f.clock.Now(), mfa.DefaultPeriod))
	require.NoError(t, err)
	require.NotEqual(t, oldCodes, codes)
	f.clock.Advance(30 * time.Second)
	_, err = f.svc.Verify(ctx, f.tenant, u.ID, code(t, oldKey, f.clock.Now(), mfa.DefaultPeriod))
	require.ErrorIs(t, err, mfa.ErrWrongCode, "the old authenticator is gone")
	_, err = f.svc.Verify(ctx, f.tenant, u.ID, oldCodes[0])
	require.ErrorIs(t, err, mfa.ErrWrongCode, "so are the old recovery codes")
	_, err = f.svc.Verify(ctx, f.tenant, u.ID, code(t, e.Secret, f.clock.Now(), mfa.DefaultPeriod))
	require.NoError(t, err)
	msgs := f.mail(t)
	require.Len(t, msgs, 2)
	require.Contains(t, msgs[0].Text, "was replaced", "newest first")
}

func testPeriod(t *testing.T, f *fixture) {
	ctx := t.Context()
	f.tenant.MFA.PeriodSeconds = 60
	require.NoError(t, f.store.UpdateTenant(ctx, f.tenant))
	e, err := f.svc.BeginEnrolment(ctx, f.tenant, f.guest)
	require.NoError(t, err)
	require.Contains(t, e.URI, "period=60")
	_, err = f.svc.ConfirmEnrolment(ctx, f.tenant, f.guest, code(t, e.Secret, f.clock.Now(), time.Minute))
	require.NoError(t, err)

	// The tenant goes back to 30 s: the enrolled app keeps its 60 s.
	f.tenant.MFA.PeriodSeconds = 0
	f.clock.Advance(time.Minute)
	_, err = f.svc.Verify(ctx, f.tenant, f.guest.ID, code(t, e.Secret, f.clock.Now(), time.Minute))
	require.NoError(t, err)
	f.clock.Advance(2 * time.Minute)
	_, err = f.svc.Verify(ctx, f.tenant, f.guest.ID, code(t, e.Secret, f.clock.Now().Add(-2*time.Minute), time.Minute))
	require.ErrorIs(t, err, mfa.ErrWrongCode, "two 60 s steps back")

	f.tenant.MFA.PeriodSeconds = 3600
	_, err = f.svc.BeginEnrolment(ctx, f.tenant, f.member)
	require.Error(t, err, "a period out of range")
}

func testWindowEdges(t *testing.T, f *fixture) {
	for _, c := range []struct {
		steps int
		err   error
	}{{-2, mfa.ErrWrongCode}, {-1, nil}, {0, nil}, {1, nil}, {2, mfa.ErrWrongCode}} {
		u := f.user(t, "edge"+strings.ReplaceAll(time.Duration(c.steps).String(), "-", "m"), store.UserTypeGuest, "")
		key, _ := f.enrol(t, u)
		f.clock.Advance(5 * time.Minute)
		at := f.clock.Now().Add(time.Duration(c.steps) * mfa.DefaultPeriod)
		method, err := f.svc.Verify(t.Context(), f.tenant, u.ID, code(t, key, at, mfa.DefaultPeriod))
		if c.err == nil {
			require.NoError(t, err, "step %+d", c.steps)
			require.Equal(t, mfa.MethodTOTP, method)
		} else {
			require.ErrorIs(t, err, c.err, "step %+d", c.steps)
		}
	}
	// The edges of a step: its first and last second.
	u := f.user(t, "seconds", store.UserTypeGuest, "")
	key, _ := f.enrol(t, u)
	f.clock.Advance(5*time.Minute - 10*time.Second) // the first second of a step
	_, err := f.svc.Verify(t.Context(), f.tenant, u.ID, code(t, key, f.clock.Now().Add(-31*time.Second), mfa.DefaultPeriod))
	require.ErrorIs(t, err, mfa.ErrWrongCode, "the last second of step -2")
	_, err = f.svc.Verify(t.Context(), f.tenant, u.ID, code(t, key, f.clock.Now().Add(-30*time.Second), mfa.DefaultPeriod))
	require.NoError(t, err, "the first second of step -1")
}

func testReplay(t *testing.T, f *fixture) {
	ctx := t.Context()
	key, _ := f.enrol(t, f.guest)
	f.clock.Advance(time.Minute)
	c := code(t, key, f.clock.Now(), mfa.DefaultPeriod)
	_, err := f.svc.Verify(ctx, f.tenant, f.guest.ID, c)
	require.NoError(t, err)
	_, err = f.svc.Verify(ctx, f.tenant, f.guest.ID, c)
	require.ErrorIs(t, err, mfa.ErrReplayed)
	f.clock.Advance(5 * time.Second)
	_, err = f.svc.Verify(ctx, f.tenant, f.guest.ID, code(t, key, f.clock.Now().Add(-mfa.DefaultPeriod), mfa.DefaultPeriod))
	require.ErrorIs(t, err, mfa.ErrReplayed, "an older step than the one used")
	require.Zero(t, f.factor(t, f.guest).Failures, "a replay is not a guess")
}

// testReplayOnSecondNode: a second Service on its own connection to the
// same database refuses the code the first accepted.
func testReplaySecondNode(t *testing.T, f *fixture) {
	ctx := t.Context()
	key, _ := f.enrol(t, f.guest)
	second := newService(t, f, f.b.OpenStore(t, f.db))
	f.clock.Advance(time.Minute)
	c := code(t, key, f.clock.Now(), mfa.DefaultPeriod)
	_, err := f.svc.Verify(ctx, f.tenant, f.guest.ID, c)
	require.NoError(t, err)
	_, err = second.Verify(ctx, f.tenant, f.guest.ID, c)
	require.ErrorIs(t, err, mfa.ErrReplayed)

	f.clock.Advance(30 * time.Second)
	c = code(t, key, f.clock.Now(), mfa.DefaultPeriod)
	_, err = second.Verify(ctx, f.tenant, f.guest.ID, c)
	require.NoError(t, err, "the second node accepts a fresh code")
	_, err = f.svc.Verify(ctx, f.tenant, f.guest.ID, c)
	require.ErrorIs(t, err, mfa.ErrReplayed)
}

// failUntilLocked makes wrong attempts, waiting out each delay, until the
// factor locks; it checks the delays on the way.
func failUntilLocked(t *testing.T, f *fixture, u store.User, bad string) time.Time {
	t.Helper()
	ctx := t.Context()
	for n := 1; n <= mfa.LockAt; n++ {
		_, err := f.svc.Verify(ctx, f.tenant, u.ID, bad)
		require.ErrorIs(t, err, mfa.ErrWrongCode, "failure %d", n)
		var locked *mfa.LockedError
		if n < mfa.LockAt {
			require.False(t, errors.As(err, &locked), "failure %d", n)
		} else {
			require.ErrorAs(t, err, &locked, "failure %d locks", n)
			require.Equal(t, f.clock.Now().Add(mfa.LockFor), locked.Until)
			return locked.Until
		}
		if n <= mfa.FreeFailures {
			continue
		}
		// Past the free failures, the next attempt must wait 1 s, 2 s, 4 s …
		want := time.Second << (n - mfa.FreeFailures - 1)
		_, err = f.svc.Verify(ctx, f.tenant, u.ID, bad)
		var wait *mfa.WaitError
		require.ErrorAs(t, err, &wait, "after failure %d", n)
		require.ErrorIs(t, err, mfa.ErrTooSoon)
		require.Equal(t, want, wait.Wait, "after failure %d", n)
		f.clock.Advance(want - time.Millisecond)
		_, err = f.svc.Verify(ctx, f.tenant, u.ID, bad)
		require.ErrorAs(t, err, &wait, "just before the wait ends")
		require.Equal(t, n, f.factor(t, u).Failures, "attempts inside the delay are not counted")
		f.clock.Advance(time.Millisecond)
	}
	t.Fatal("never locked")
	return time.Time{}
}

func testLock(t *testing.T, f *fixture) {
	ctx := t.Context()
	key, _ := f.enrol(t, f.guest)
	f.clock.Advance(time.Minute)
	until := failUntilLocked(t, f, f.guest, wrong(code(t, key, f.clock.Now(), mfa.DefaultPeriod)))

	st, err := f.svc.Status(ctx, f.tenant.ID, f.guest.ID)
	require.NoError(t, err)
	require.Equal(t, &until, st.LockedUntil)
	_, err = f.svc.Verify(ctx, f.tenant, f.guest.ID, code(t, key, f.clock.Now(), mfa.DefaultPeriod))
	var locked *mfa.LockedError
	require.ErrorAs(t, err, &locked, "even the right code")
	require.ErrorIs(t, err, mfa.ErrLocked)
	f.clock.Advance(until.Sub(f.clock.Now()) - time.Second)
	_, err = f.svc.Verify(ctx, f.tenant, f.guest.ID, code(t, key, f.clock.Now(), mfa.DefaultPeriod))
	require.ErrorIs(t, err, mfa.ErrLocked, "a second before the lock ends")
	_, err = f.svc.ConfirmEnrolment(ctx, f.tenant, f.guest, "123456")
	require.ErrorIs(t, err, mfa.ErrNotEnrolled)

	f.clock.Advance(time.Second)
	_, err = f.svc.Verify(ctx, f.tenant, f.guest.ID, code(t, key, f.clock.Now(), mfa.DefaultPeriod))
	require.NoError(t, err, "the lock has passed")
	st, err = f.svc.Status(ctx, f.tenant.ID, f.guest.ID)
	require.NoError(t, err)
	require.Nil(t, st.LockedUntil)
	require.Zero(t, f.factor(t, f.guest).Failures)
}

func testUnlock(t *testing.T, f *fixture) {
	ctx := t.Context()
	key, _ := f.enrol(t, f.guest)
	f.clock.Advance(time.Minute)
	failUntilLocked(t, f, f.guest, wrong(code(t, key, f.clock.Now(), mfa.DefaultPeriod)))

	// Enrolling again is no way around the lock.
	e, err := f.svc.BeginEnrolment(ctx, f.tenant, f.guest)
	require.NoError(t, err)
	_, err = f.svc.ConfirmEnrolment(ctx, f.tenant, f.guest, code(t, e.Secret, f.clock.Now(), mfa.DefaultPeriod))
	require.ErrorIs(t, err, mfa.ErrLocked)

	require.NoError(t, f.svc.Unlock(ctx, f.tenant, f.guest.ID))
	_, err = f.svc.Verify(ctx, f.tenant, f.guest.ID, code(t, key, f.clock.Now(), mfa.DefaultPeriod))
	require.NoError(t, err, "unlocked at once")
	evs := f.audit(t, audit.ActivityUnlockSecurityInfo)
	require.Len(t, evs, 1)
	require.Equal(t, f.guest.ID, evs[0].TargetID)

	require.ErrorIs(t, f.svc.Unlock(ctx, f.tenant, f.member.ID), mfa.ErrNotEnrolled)
	require.ErrorIs(t, f.svc.Unlock(ctx, f.tenant, secret.NewID()), store.ErrNotFound)
}

func testSuccessResets(t *testing.T, f *fixture) {
	ctx := t.Context()
	key, _ := f.enrol(t, f.member)
	f.clock.Advance(time.Minute)
	bad := wrong(code(t, key, f.clock.Now(), mfa.DefaultPeriod))
	for range mfa.FreeFailures + 1 {
		_, err := f.svc.Verify(ctx, f.tenant, f.member.ID, bad)
		require.ErrorIs(t, err, mfa.ErrWrongCode)
	}
	f.clock.Advance(time.Second)
	_, err := f.svc.Verify(ctx, f.tenant, f.member.ID, code(t, key, f.clock.Now(), mfa.DefaultPeriod))
	require.NoError(t, err)
	require.Zero(t, f.factor(t, f.member).Failures)
	// The count starts again: FreeFailures misses without delay.
	for range mfa.FreeFailures {
		_, err := f.svc.Verify(ctx, f.tenant, f.member.ID, bad)
		require.ErrorIs(t, err, mfa.ErrWrongCode)
	}
}

func testRecoveryCodes(t *testing.T, f *fixture) {
	ctx := t.Context()
	_, codes := f.enrol(t, f.guest)
	// Typed loosely: upper case, spaces for dashes.
	typed := strings.ToUpper(strings.ReplaceAll(codes[3], "-", " "))
	method, err := f.svc.Verify(ctx, f.tenant, f.guest.ID, typed)
	require.NoError(t, err)
	require.Equal(t, mfa.MethodRecovery, method)
	_, err = f.svc.Verify(ctx, f.tenant, f.guest.ID, codes[3])
	require.ErrorIs(t, err, mfa.ErrWrongCode, "single use")
	require.Equal(t, 1, f.factor(t, f.guest).Failures, "and counted")
	st, err := f.svc.Status(ctx, f.tenant.ID, f.guest.ID)
	require.NoError(t, err)
	require.Equal(t, 9, st.RecoveryCodes)

	// Another user's code is no good here.
	_, others := f.enrol(t, f.member)
	_, err = f.svc.Verify(ctx, f.tenant, f.guest.ID, others[0])
	require.ErrorIs(t, err, mfa.ErrWrongCode)

	fresh, err := f.svc.RegenerateRecoveryCodes(ctx, f.tenant, f.guest)
	require.NoError(t, err)
	require.Len(t, fresh, mfa.RecoveryCodes)
	_, err = f.svc.Verify(ctx, f.tenant, f.guest.ID, codes[5])
	require.ErrorIs(t, err, mfa.ErrWrongCode, "void after regeneration")
	method, err = f.svc.Verify(ctx, f.tenant, f.guest.ID, fresh[0])
	require.NoError(t, err)
	require.Equal(t, mfa.MethodRecovery, method)
	require.Zero(t, f.factor(t, f.guest).Failures, "a recovery code's success clears the count")

	require.Len(t, f.audit(t, audit.ActivityRegenerateRecoveryCodes), 1)
	msgs := f.mail(t)
	require.Contains(t, msgs[0].Text, "New recovery codes")
	require.Equal(t, []string{f.guest.Mail}, msgs[0].To)

	_, err = f.svc.RegenerateRecoveryCodes(ctx, f.tenant, f.user(t, "none", store.UserTypeGuest, ""))
	require.ErrorIs(t, err, mfa.ErrNotEnrolled)
}

func testRecoveryFailures(t *testing.T, f *fixture) {
	ctx := t.Context()
	_, codes := f.enrol(t, f.guest)
	failUntilLocked(t, f, f.guest, "zzzz-zzzz-zz")
	_, err := f.svc.Verify(ctx, f.tenant, f.guest.ID, codes[0])
	require.ErrorIs(t, err, mfa.ErrLocked, "a right recovery code while locked")
	st, err := f.svc.Status(ctx, f.tenant.ID, f.guest.ID)
	require.NoError(t, err)
	require.Equal(t, 10, st.RecoveryCodes, "and not spent")
}

func testReset(t *testing.T, f *fixture) {
	ctx := t.Context()
	_, codes := f.enrol(t, f.guest)
	require.NoError(t, f.svc.Reset(ctx, f.tenant, f.guest.ID))
	st, err := f.svc.Status(ctx, f.tenant.ID, f.guest.ID)
	require.NoError(t, err)
	require.Equal(t, mfa.Status{}, st)
	_, err = f.svc.Verify(ctx, f.tenant, f.guest.ID, codes[0])
	require.ErrorIs(t, err, mfa.ErrNotEnrolled)
	require.Len(t, f.audit(t, audit.ActivityAdminDeleteSecurityInfo), 1)
	msgs := f.mail(t)
	require.Contains(t, msgs[0].Text, "An administrator removed")

	// Nothing to remove: audited, no email.
	require.NoError(t, f.svc.Reset(ctx, f.tenant, f.guest.ID))
	require.Len(t, f.audit(t, audit.ActivityAdminDeleteSecurityInfo), 2)
	require.Len(t, f.mail(t), len(msgs))
	require.ErrorIs(t, f.svc.Reset(ctx, f.tenant, secret.NewID()), store.ErrNotFound)

	// They enrol again.
	f.enrol(t, f.guest)
}

func testSealed(t *testing.T, f *fixture) {
	ctx := t.Context()
	key, _ := f.enrol(t, f.guest)
	raw, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(key)
	require.NoError(t, err)
	row := f.factor(t, f.guest)
	require.NotEmpty(t, row.SealedSecret)
	require.NotContains(t, string(row.SealedSecret), key)
	require.False(t, bytes.Contains(row.SealedSecret, raw))

	// A sealed secret copied to another user's row does not open there.
	require.NoError(t, f.store.SaveTOTPFactor(ctx, store.TOTPFactor{TenantID: f.tenant.ID, UserID: f.member.ID,
		PendingSealedSecret: row.SealedSecret, CreatedAt: start}))
	_, err = f.svc.ConfirmEnrolment(ctx, f.tenant, f.member, code(t, key, f.clock.Now(), mfa.DefaultPeriod))
	require.Error(t, err)
	st, err := f.svc.Status(ctx, f.tenant.ID, f.member.ID)
	require.NoError(t, err)
	require.False(t, st.Registered)
}

func TestRequired(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		rule        string
		member      bool // member without the app's flag
		guest       bool
		appRequires bool // whatever the rule, with the flag
	}{
		{store.MFARequiredNobody, false, false, true},
		{store.MFARequiredGuests, false, true, true},
		{"", false, true, true},
		{store.MFARequiredEveryone, true, true, true},
		{"sometimes", true, true, true},
	} {
		t.Run(c.rule, func(t *testing.T) {
			tn := store.Tenant{MFA: store.MFAPolicy{Required: c.rule}}
			member := store.User{UserType: store.UserTypeMember}
			guest := store.User{UserType: store.UserTypeGuest}
			plain, strict := store.Application{}, store.Application{RequiresMFA: true}
			require.Equal(t, c.member, mfa.Required(tn, plain, member), "member")
			require.Equal(t, c.guest, mfa.Required(tn, plain, guest), "guest")
			require.Equal(t, c.appRequires, mfa.Required(tn, strict, member), "member, app requires MFA")
			require.Equal(t, c.appRequires, mfa.Required(tn, strict, guest), "guest, app requires MFA")
		})
	}
}

func TestInboundMFA(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		amr  []string
		want bool
	}{
		{nil, false},
		{[]string{}, false},
		{[]string{"pwd"}, false},
		{[]string{"otp"}, false}, // Foyer's own email passcode sign-in
		{[]string{"fed"}, false},
		{[]string{"hwk"}, false},
		{[]string{"pwd", "pin"}, false}, // two things known are one factor
		{[]string{"otp", "sms"}, false}, // two things held are one factor
		{[]string{"mca", "rba", "wia"}, false},
		{[]string{"MFA"}, false},
		{[]string{"mfa"}, true},
		{[]string{"pwd", "mfa"}, true},
		{[]string{"pwd", "otp"}, true},
		{[]string{"pwd", "hwk"}, true},
		{[]string{"swk", "pin"}, true},
		{[]string{"hwk", "fpt"}, true},
		{[]string{"sms", "pwd"}, true},
	} {
		require.Equal(t, c.want, mfa.InboundMFA(c.amr), "%q", c.amr)
	}
}

func TestNewChecksConfig(t *testing.T) {
	t.Parallel()
	_, err := mfa.New(mfa.Config{})
	require.Error(t, err)
	for _, want := range []string{"store", "sealer", "hasher", "mailer"} {
		require.Contains(t, err.Error(), want)
	}
}

// testEnrolmentAgain: the enrolment page shown twice shows the secret the
// person may have scanned; a new one only after it was confirmed.
func testEnrolmentAgain(t *testing.T, f *fixture) {
	ctx := t.Context()
	first, err := f.svc.Enrolment(ctx, f.tenant, f.guest)
	require.NoError(t, err)
	again, err := f.svc.Enrolment(ctx, f.tenant, f.guest)
	require.NoError(t, err)
	require.Equal(t, first.Secret, again.Secret)
	require.Equal(t, first.URI, again.URI)
	_, err = f.svc.ConfirmEnrolment(ctx, f.tenant, f.guest, code(t, first.Secret, f.clock.Now(), 30*time.Second))
	require.NoError(t, err)
	next, err := f.svc.Enrolment(ctx, f.tenant, f.guest)
	require.NoError(t, err)
	require.NotEqual(t, first.Secret, next.Secret, "a confirmed secret is never shown again")
}
