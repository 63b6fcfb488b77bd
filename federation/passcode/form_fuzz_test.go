package passcode

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/foyer-idp/foyer/internal/secret"
	"github.com/foyer-idp/foyer/internal/store"
)

// lookupStore records the hashes Verify looks up and never matches.
type lookupStore struct {
	Store
	hashes []string
}

func (s *lookupStore) ConsumePasscode(_ context.Context, _, _, hash, _ string, _ int, _ time.Time) (store.Passcode, error) {
	s.hashes = append(s.hashes, hash)
	return store.Passcode{}, store.ErrMismatch
}

// FuzzPasscodeForm types any value into the passcode field: a value that
// is not Digits digits once spaces and dashes are dropped is a wrong code
// without a hash or a lookup (so it spends no try); a well-formed one is
// looked up by the hash of exactly those digits.
func FuzzPasscodeForm(f *testing.F) {
	st := &lookupStore{}
	svc := &Service{store: st, hasher: secret.GenerateMasterKey().Hasher("passcodes"), now: time.Now}
	f.Fuzz(func(t *testing.T, code string) {
		st.hashes = nil
		n := normalize(code)
		if normalize(n) != n {
			t.Fatalf("%q: normalize is not idempotent", code)
		}
		err := svc.Verify(t.Context(), "t1", "user:u1", code, "binding")
		if !errors.Is(err, ErrWrongCode) {
			t.Fatalf("%q: want ErrWrongCode, got %v", code, err)
		}
		formed := len(n) == Digits
		for _, c := range []byte(n) {
			formed = formed && c >= '0' && c <= '9'
		}
		switch {
		case !formed && len(st.hashes) != 0:
			t.Fatalf("%q (%q) is not %d digits but was looked up", code, n, Digits)
		case formed && (len(st.hashes) != 1 || st.hashes[0] != svc.hash("user:u1", n)):
			t.Fatalf("%q: want one lookup of the hash of %q, got %d", code, n, len(st.hashes))
		}
	})
}
