package secret

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestNewIDSortsByCreation(t *testing.T) {
	t.Parallel()
	a := NewID()
	time.Sleep(2 * time.Millisecond)
	b := NewID()
	require.Len(t, a, 36)
	require.Less(t, a, b)
}

func TestNewTokenIsRandomAndSized(t *testing.T) {
	t.Parallel()
	a, b := NewToken(32), NewToken(32)
	require.Len(t, a, 43) // 32 bytes, base64url unpadded
	require.NotEqual(t, a, b)
}

func TestHasherIsKeyed(t *testing.T) {
	t.Parallel()
	k1, k2 := GenerateMasterKey(), GenerateMasterKey()
	h1, h2 := k1.Hasher("client-secrets"), k2.Hasher("client-secrets")
	require.True(t, h1.Equal("s3cret", h1.Hash("s3cret")))
	require.False(t, h1.Equal("s3cret!", h1.Hash("s3cret")))
	require.NotEqual(t, h1.Hash("s3cret"), h2.Hash("s3cret"), "another master key must give another hash")
	require.NotEqual(t, h1.Hash("x"), k1.Hasher("other").Hash("x"), "purposes must not share a key")
	_, err := NewHasher([]byte("short"))
	require.Error(t, err)
}

func TestSealerRoundTripAndTamper(t *testing.T) {
	t.Parallel()
	s := GenerateMasterKey().Sealer("signing-keys")
	sealed := s.Seal([]byte("private key"), []byte("tenant-a/kid-1"))
	require.NotContains(t, string(sealed), "private key")

	plain, err := s.Open(sealed, []byte("tenant-a/kid-1"))
	require.NoError(t, err)
	require.Equal(t, "private key", string(plain))

	_, err = s.Open(sealed, []byte("tenant-b/kid-1"))
	require.ErrorIs(t, err, ErrUnseal, "associated data binds the value to its row")

	flipped := append([]byte(nil), sealed...)
	flipped[len(flipped)-1] ^= 1
	_, err = s.Open(flipped, []byte("tenant-a/kid-1"))
	require.ErrorIs(t, err, ErrUnseal)

	_, err = GenerateMasterKey().Sealer("signing-keys").Open(sealed, []byte("tenant-a/kid-1"))
	require.ErrorIs(t, err, ErrUnseal, "another master key must not open it")

	_, err = s.Open([]byte{1, 2}, nil)
	require.ErrorIs(t, err, ErrUnseal)
}

func TestParseMasterKey(t *testing.T) {
	t.Parallel()
	k := GenerateMasterKey()
	for _, form := range []string{k.String(), strings.TrimRight(k.String(), "="), " " + k.String() + "\n"} {
		got, err := ParseMasterKey(form)
		require.NoError(t, err, form)
		require.Equal(t, k.String(), got.String())
	}
	_, err := ParseMasterKey("c2hvcnQ=")
	require.Error(t, err)
	_, err = ParseMasterKey("")
	require.Error(t, err)
}

func TestLoadOrCreateKeyFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "master.key")
	k1, created, err := LoadOrCreateKeyFile(path)
	require.NoError(t, err)
	require.True(t, created)
	info, err := os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), info.Mode().Perm())

	k2, created, err := LoadOrCreateKeyFile(path)
	require.NoError(t, err)
	require.False(t, created)
	require.Equal(t, k1.String(), k2.String())

	require.NoError(t, os.Chmod(path, 0o644))
	_, _, err = LoadOrCreateKeyFile(path)
	require.ErrorContains(t, err, "readable by others")
}

// cheap parameters keep the tests fast; the format and checks are the same.
var testArgon2 = Argon2Params{MemoryKiB: 64, Time: 1, Threads: 1}

func TestPasswordHashVerify(t *testing.T) {
	t.Parallel()
	h := NewPasswordHasher(testArgon2, 2)
	phc, err := h.Hash(t.Context(), "correct horse")
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(phc, "$argon2id$v=19$m=64,t=1,p=1$"))
	require.NoError(t, h.Verify(t.Context(), "correct horse", phc))
	require.ErrorIs(t, h.Verify(t.Context(), "correct horsf", phc), ErrPasswordMismatch)
	require.False(t, h.NeedsRehash(phc))
	require.True(t, NewPasswordHasher(OWASPArgon2, 1).NeedsRehash(phc))

	for _, bad := range []string{"", "plain", "$argon2i$v=19$m=64,t=1,p=1$c2FsdA$aGFzaA", "$argon2id$v=19$m=99999999,t=1,p=1$c2FsdA$aGFzaGhhc2hoYXNoaGFzaA"} {
		require.Error(t, h.Verify(t.Context(), "x", bad), bad)
	}
}

func TestPasswordHasherBoundsConcurrency(t *testing.T) {
	t.Parallel()
	h := NewPasswordHasher(testArgon2, 2)
	var running, peak atomic.Int32
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			require.NoError(t, h.acquire(t.Context()))
			n := running.Add(1)
			for {
				p := peak.Load()
				if n <= p || peak.CompareAndSwap(p, n) {
					break
				}
			}
			time.Sleep(time.Millisecond)
			running.Add(-1)
			h.release()
		}()
	}
	wg.Wait()
	require.Equal(t, int32(2), peak.Load())
}

func TestPasswordHasherHonoursContext(t *testing.T) {
	t.Parallel()
	h := NewPasswordHasher(testArgon2, 1)
	require.NoError(t, h.acquire(t.Context()))
	defer h.release()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := h.Hash(ctx, "pw")
	require.ErrorIs(t, err, context.Canceled)
}

// Reused HMAC states answer what a fresh HMAC does, whatever was hashed
// before and however many hash at once.
func TestHasherReusesNoState(t *testing.T) {
	t.Parallel()
	key := bytes.Repeat([]byte{7}, 32)
	h, err := NewHasher(key)
	require.NoError(t, err)
	want := func(s string) string {
		m := hmac.New(sha256.New, key)
		m.Write([]byte(s))
		return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
	}
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 200 {
				s := strings.Repeat("x", (i*200+j)%97)
				if got := h.Hash(s); got != want(s) {
					t.Errorf("Hash(%q) = %s, want %s", s, got, want(s))
					return
				}
			}
		})
	}
	wg.Wait()
}
