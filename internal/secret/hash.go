package secret

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
)

// Hasher is a keyed SHA-256 (HMAC) for high-entropy secrets Foyer generates
// itself: client secrets, codes, refresh and invitation tokens. Guessing
// such a secret is hopeless, so a slow KDF would only tax the token
// endpoint; the key keeps a stolen table from being checked offline.
type Hasher struct {
	key []byte
}

// NewHasher answers a Hasher keyed with key (at least 32 bytes).
func NewHasher(key []byte) (*Hasher, error) {
	if len(key) < 32 {
		return nil, errors.New("hash key must be at least 32 bytes")
	}
	return &Hasher{key: append([]byte(nil), key...)}, nil
}

// Hash answers the base64url HMAC-SHA256 of s.
func (h *Hasher) Hash(s string) string {
	m := hmac.New(sha256.New, h.key)
	m.Write([]byte(s))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
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
