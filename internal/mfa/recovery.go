package mfa

import (
	"crypto/rand"
	"fmt"
	"strings"
)

// Recovery codes: ten characters of Crockford's base32 (no i, l, o or u),
// shown as xxxx-xxxx-xx, 50 bits each. Only a keyed hash bound to the
// tenant and user is stored.

const (
	recoveryAlphabet = "0123456789abcdefghjkmnpqrstvwxyz"
	recoveryLength   = 10
)

// newRecoveryCodes answers RecoveryCodes fresh codes, formatted, and
// their hashes.
func (s *Service) newRecoveryCodes(tenantID, userID string) (codes, hashes []string, err error) {
	seen := map[string]bool{}
	for len(codes) < RecoveryCodes {
		raw := make([]byte, recoveryLength)
		if _, err := rand.Read(raw); err != nil {
			return nil, nil, fmt.Errorf("new recovery code: %w", err)
		}
		for i, b := range raw {
			raw[i] = recoveryAlphabet[b&31] // 256 is a multiple of 32: no bias
		}
		code := string(raw)
		if seen[code] {
			continue
		}
		seen[code] = true
		codes = append(codes, code[:4]+"-"+code[4:8]+"-"+code[8:])
		hashes = append(hashes, s.recoveryHash(tenantID, userID, code))
	}
	return codes, hashes, nil
}

// recoveryHash is the stored form of a normalised code.
func (s *Service) recoveryHash(tenantID, userID, code string) string {
	return s.cfg.Hasher.Hash("mfa-recovery\x00" + tenantID + "\x00" + userID + "\x00" + code)
}

// normalise makes what a person typed comparable: no spaces or dashes,
// lower case, and the letters Crockford's base32 reads as digits (o as 0,
// i and l as 1).
func normalise(code string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(code) {
		switch {
		case r == '-' || r == ' ' || r == '\t' || r == '\u00a0':
		case r == 'o':
			b.WriteByte('0')
		case r == 'i' || r == 'l':
			b.WriteByte('1')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// isRecoveryCode reports whether code (normalised) has a recovery code's
// shape.
func isRecoveryCode(code string) bool {
	if len(code) != recoveryLength {
		return false
	}
	for _, c := range code {
		if !strings.ContainsRune(recoveryAlphabet, c) {
			return false
		}
	}
	return true
}
