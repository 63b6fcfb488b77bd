package secret

import (
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
)

// MasterKeySize is the length of the master key in bytes.
const MasterKeySize = 32

// MasterKey is the root secret. It is never used directly: each purpose
// gets its own key derived with HKDF, so a flaw in one use cannot leak
// another.
type MasterKey struct {
	raw []byte
}

// ParseMasterKey reads a 32-byte key written as base64 (standard or URL,
// padded or not) or hex.
func ParseMasterKey(s string) (MasterKey, error) {
	s = strings.TrimSpace(s)
	for _, dec := range []func(string) ([]byte, error){
		base64.StdEncoding.DecodeString,
		base64.RawStdEncoding.DecodeString,
		base64.URLEncoding.DecodeString,
		base64.RawURLEncoding.DecodeString,
		hex.DecodeString,
	} {
		if b, err := dec(s); err == nil && len(b) == MasterKeySize {
			return MasterKey{raw: b}, nil
		}
	}
	return MasterKey{}, fmt.Errorf("master key must be %d bytes in base64 or hex", MasterKeySize)
}

// GenerateMasterKey answers a fresh random key.
func GenerateMasterKey() MasterKey {
	b := make([]byte, MasterKeySize)
	_, _ = rand.Read(b)
	return MasterKey{raw: b}
}

// String answers the key in base64, the form ParseMasterKey reads.
func (k MasterKey) String() string { return base64.StdEncoding.EncodeToString(k.raw) }

// IsZero reports whether the key was never set.
func (k MasterKey) IsZero() bool { return len(k.raw) == 0 }

// Derive answers a 32-byte key for one purpose, e.g. "signing-keys".
func (k MasterKey) Derive(purpose string) []byte {
	out, err := hkdf.Key(sha256.New, k.raw, nil, "foyer "+purpose, 32)
	if err != nil {
		panic(err) // only for lengths beyond 255*32; ours is fixed
	}
	return out
}

// Sealer answers the AES-GCM sealer for one purpose.
func (k MasterKey) Sealer(purpose string) *Sealer {
	s, err := NewSealer(k.Derive(purpose))
	if err != nil {
		panic(err) // Derive always answers 32 bytes
	}
	return s
}

// Hasher answers the keyed hash for one purpose.
func (k MasterKey) Hasher(purpose string) *Hasher {
	h, err := NewHasher(k.Derive(purpose))
	if err != nil {
		panic(err) // Derive always answers 32 bytes
	}
	return h
}

// LoadOrCreateKeyFile reads the master key at path, or, when no file is
// there, creates one (mode 0600) with a new key. created says which. A file
// readable by others is refused: the key guards every secret at rest.
func LoadOrCreateKeyFile(path string) (key MasterKey, created bool, err error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		key = GenerateMasterKey()
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return MasterKey{}, false, fmt.Errorf("create master key file: %w", err)
		}
		if _, err := f.WriteString(key.String() + "\n"); err != nil {
			f.Close()
			return MasterKey{}, false, fmt.Errorf("write master key file: %w", err)
		}
		if err := f.Close(); err != nil {
			return MasterKey{}, false, fmt.Errorf("write master key file: %w", err)
		}
		return key, true, nil
	}
	if err != nil {
		return MasterKey{}, false, fmt.Errorf("read master key file: %w", err)
	}
	if info, err := os.Stat(path); err == nil && info.Mode().Perm()&0o077 != 0 {
		return MasterKey{}, false, fmt.Errorf("master key file %s is readable by others (mode %v): chmod 600 it", path, info.Mode().Perm())
	}
	key, err = ParseMasterKey(string(b))
	if err != nil {
		return MasterKey{}, false, fmt.Errorf("master key file %s: %w", path, err)
	}
	return key, false, nil
}
