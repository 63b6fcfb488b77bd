package mfa

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/foyer-idp/foyer/internal/mail"
	"github.com/foyer-idp/foyer/internal/secret"
	"github.com/foyer-idp/foyer/internal/store"
)

// formStore answers one factor whose sealed secrets do not open, so any
// attempt to open one shows in the error; it records recovery lookups.
type formStore struct {
	store.Store // nil: any other call panics, and the fuzzer reports it
	factor      store.TOTPFactor
	recoveries  []string
}

func (s *formStore) GetTOTPFactor(context.Context, string, string) (store.TOTPFactor, error) {
	return s.factor, nil
}

func (s *formStore) RecordMFAFailure(context.Context, string, string, time.Time, int, time.Time) (int, error) {
	return 1, nil
}

func (s *formStore) UseRecoveryCode(_ context.Context, _, _, hash string, _ time.Time) error {
	s.recoveries = append(s.recoveries, hash)
	return store.ErrNotFound
}

// FuzzCodeForm types any value into the code field of the enrolment and
// sign-in forms. Only a value that normalises to exactly Digits ASCII
// digits reaches the TOTP secret; one with a recovery code's shape is
// looked up by its hash; anything else is a wrong code at once.
func FuzzCodeForm(f *testing.F) {
	master := secret.GenerateMasterKey()
	st := &formStore{factor: store.TOTPFactor{Active: true, SealedSecret: []byte("not sealed"), PendingSealedSecret: []byte("not sealed")}}
	now := time.Date(2026, 3, 10, 12, 0, 10, 0, time.UTC)
	svc, err := New(Config{Store: st, Sealer: master.Sealer("mfa-secrets"), Hasher: master.Hasher("mfa-recovery"),
		Mailer: nopMailer{}, Now: func() time.Time { return now }})
	if err != nil {
		f.Fatal(err)
	}
	tn := store.Tenant{ID: "t1"}
	u := store.User{TenantID: "t1", ID: "u1"}
	f.Fuzz(func(t *testing.T, code string) {
		n := normalise(code)
		if normalise(n) != n {
			t.Fatalf("%q: normalise is not idempotent: %q then %q", code, n, normalise(n))
		}
		totp, recovery := isTOTPCode(n), isRecoveryCode(n)
		if totp && (len(n) != Digits || strings.Trim(n, "0123456789") != "") {
			t.Fatalf("%q (%q) taken for a TOTP code", code, n)
		}
		if recovery && (len(n) != recoveryLength || strings.Trim(n, recoveryAlphabet) != "") {
			t.Fatalf("%q (%q) taken for a recovery code", code, n)
		}
		if totp && recovery {
			t.Fatalf("%q (%q) has both shapes", code, n)
		}
		opened := func(err error) bool { return err != nil && strings.Contains(err.Error(), "open TOTP secret") }

		_, err := svc.ConfirmEnrolment(t.Context(), tn, u, code)
		switch {
		case totp && !opened(err):
			t.Fatalf("enrolment %q: want the secret opened, got %v", code, err)
		case !totp && (opened(err) || !errors.Is(err, ErrWrongCode)):
			t.Fatalf("enrolment %q: want ErrWrongCode before any crypto, got %v", code, err)
		}

		st.recoveries = nil
		_, err = svc.Verify(t.Context(), tn, u.ID, code)
		switch {
		case totp && !opened(err):
			t.Fatalf("verify %q: want the secret opened, got %v", code, err)
		case !totp && (opened(err) || !errors.Is(err, ErrWrongCode)):
			t.Fatalf("verify %q: want ErrWrongCode before any crypto, got %v", code, err)
		case recovery != (len(st.recoveries) == 1):
			t.Fatalf("verify %q: %d recovery lookups for a code of that shape (%v)", code, len(st.recoveries), recovery)
		case recovery && st.recoveries[0] != svc.recoveryHash(tn.ID, u.ID, n):
			t.Fatalf("verify %q: looked up another code than %q", code, n)
		}
	})
}

// nopMailer is never reached: no code here changes security info.
type nopMailer struct{}

func (nopMailer) Enqueue(context.Context, mail.Enqueuer, string, string, mail.Message) (string, error) {
	panic("no mail expected")
}
