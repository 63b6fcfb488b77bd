package keys

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"fmt"
)

// Signing algorithms a tenant may choose, by their JOSE names.
const (
	RS256 = "RS256"
	ES256 = "ES256"
	EdDSA = "EdDSA"

	// DefaultAlgorithm signs for tenants that chose none: every relying
	// party supports it.
	DefaultAlgorithm = RS256
)

// rsaBits is the RSA modulus size Foyer generates and accepts.
const rsaBits = 2048

// ErrUnknownAlgorithm means an algorithm name other than RS256, ES256 or
// EdDSA.
var ErrUnknownAlgorithm = errors.New("unknown signing algorithm")

// ParseAlgorithm answers s when it names an algorithm Foyer signs with.
// JOSE names are case-sensitive, so "rs256" is refused like "HS256".
func ParseAlgorithm(s string) (string, error) {
	switch s {
	case RS256, ES256, EdDSA:
		return s, nil
	}
	return "", fmt.Errorf("%w %q: want %s, %s or %s", ErrUnknownAlgorithm, s, RS256, ES256, EdDSA)
}

// generatePrivateKey answers a fresh key for alg.
func generatePrivateKey(alg string) (crypto.Signer, error) {
	switch alg {
	case RS256:
		return rsa.GenerateKey(rand.Reader, rsaBits)
	case ES256:
		return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case EdDSA:
		_, key, err := ed25519.GenerateKey(rand.Reader)
		return key, err
	}
	_, err := ParseAlgorithm(alg)
	return nil, err
}

// fitsAlgorithm reports whether key is the kind alg signs with, so a row
// whose algorithm column was changed cannot make Foyer announce one
// algorithm and sign with another.
func fitsAlgorithm(key crypto.Signer, alg string) bool {
	switch k := key.(type) {
	case *rsa.PrivateKey:
		return alg == RS256 && k.N.BitLen() >= rsaBits
	case *ecdsa.PrivateKey:
		return alg == ES256 && k.Curve == elliptic.P256()
	case ed25519.PrivateKey:
		return alg == EdDSA
	}
	return false
}
