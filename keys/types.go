package keys

import (
	"crypto"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/foyer-idp/foyer/internal/store"
)

// SigningKey is a tenant's active private key. Its method set is zitadel's
// op.SigningKey; SignJWT signs with it directly.
type SigningKey struct {
	id        string
	algorithm jose.SignatureAlgorithm
	key       crypto.Signer
	// headers are the protected headers encoded so far, one per typ.
	headers headerCache
}

// ID answers the kid.
func (k *SigningKey) ID() string { return k.id }

// SignatureAlgorithm answers the JOSE algorithm the key signs with.
func (k *SigningKey) SignatureAlgorithm() jose.SignatureAlgorithm { return k.algorithm }

// Key answers the private key, a crypto.Signer.
func (k *SigningKey) Key() any { return k.key }

// PublicKey is a key in a tenant's JWKS. Its method set is zitadel's op.Key.
type PublicKey struct {
	id        string
	algorithm jose.SignatureAlgorithm
	key       crypto.PublicKey
}

// ID answers the kid.
func (k *PublicKey) ID() string { return k.id }

// Algorithm answers the JOSE algorithm the key verifies.
func (k *PublicKey) Algorithm() jose.SignatureAlgorithm { return k.algorithm }

// Use answers "sig": Foyer's keys only sign.
func (k *PublicKey) Use() string { return useSignature }

// Key answers the public key (*rsa.PublicKey, *ecdsa.PublicKey or
// ed25519.PublicKey).
func (k *PublicKey) Key() any { return k.key }

// JSONWebKey answers the key as the JWKS lists it.
func (k *PublicKey) JSONWebKey() jose.JSONWebKey {
	return jose.JSONWebKey{Key: k.key, KeyID: k.id, Algorithm: string(k.algorithm), Use: useSignature}
}

// KeyInfo describes a key without its material, for operators.
type KeyInfo struct {
	ID           string     `json:"kid"`
	Algorithm    string     `json:"alg"`
	State        string     `json:"state"` // next, active or retired
	CreatedAt    time.Time  `json:"created"`
	ActivatedAt  *time.Time `json:"activated,omitempty"`
	RetiredAt    *time.Time `json:"retired,omitempty"`
	PublishUntil *time.Time `json:"publishUntil,omitempty"`
}

func keyInfo(k store.SigningKey) KeyInfo {
	return KeyInfo{
		ID:           k.ID,
		Algorithm:    k.Algorithm,
		State:        k.State,
		CreatedAt:    k.CreatedAt,
		ActivatedAt:  k.ActivatedAt,
		RetiredAt:    k.RetiredAt,
		PublishUntil: k.PublishUntil,
	}
}

// KeyState is a tenant's key lifecycle at one moment.
type KeyState struct {
	Active KeyInfo `json:"active"`
	Next   KeyInfo `json:"next"`
	// Retired are the keys still stored after leaving service, newest
	// first; those past PublishUntil are no longer published.
	Retired []KeyInfo `json:"retired,omitempty"`
}
