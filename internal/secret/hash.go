package secret

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"hash"
	"sync"
)

// Hasher is a keyed SHA-256 (HMAC) for high-entropy secrets Foyer generates
// itself: client secrets, codes, refresh and invitation tokens. Guessing
// such a secret is hopeless, so a slow KDF would only tax the token
// endpoint; the key keeps a stolen table from being checked offline.
type Hasher struct {
	key []byte
	// macs holds keyed HMAC states between uses: making one per hash
	// costs more than the hash of a short secret.
	macs sync.Pool
}

// NewHasher answers a Hasher keyed with key (at least 32 bytes).
func NewHasher(key []byte) (*Hasher, error) {
	if len(key) < 32 {
		return nil, errors.New("hash key must be at least 32 bytes")
	}
	h := &Hasher{key: append([]byte(nil), key...)}
	h.macs.New = func() any { return hmac.New(sha256.New, h.key) }
	return h, nil
}

// Hash answers the base64url HMAC-SHA256 of s.
func (h *Hasher) Hash(s string) string {
	m := h.macs.Get().(hash.Hash)
	defer h.macs.Put(m)
	m.Reset()
	m.Write([]byte(s))
	var sum [sha256.Size]byte
	return base64.RawURLEncoding.EncodeToString(m.Sum(sum[:0]))
}

// Equal reports in constant time whether s hashes to stored.
func (h *Hasher) Equal(s, stored string) bool {
	return EqualHashes(h.Hash(s), stored)
}

// EqualHashes compares two hashes in constant time, for callers that hash
// once and compare against several stored values.
func EqualHashes(a, b string) bool {
	return hmac.Equal([]byte(a), []byte(b))
}
