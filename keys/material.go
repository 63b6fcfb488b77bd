package keys

import (
	"crypto"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/foyer-idp/foyer/internal/secret"
	"github.com/foyer-idp/foyer/internal/store"
)

// useSignature is the JWK "use" of every key Foyer publishes.
const useSignature = "sig"

// newKeyRecord generates a key for alg and answers it as the store keeps
// it: the private half sealed, the public half a JWK, in state next.
func newKeyRecord(sealer *secret.Sealer, tenantID, alg string, now time.Time) (store.SigningKey, error) {
	private, err := generatePrivateKey(alg)
	if err != nil {
		return store.SigningKey{}, fmt.Errorf("generate %s key: %w", alg, err)
	}
	kid := secret.NewID()
	der, err := x509.MarshalPKCS8PrivateKey(private)
	if err != nil {
		return store.SigningKey{}, fmt.Errorf("encode %s key: %w", alg, err)
	}
	defer clear(der)
	public, err := json.Marshal(jose.JSONWebKey{Key: private.Public(), KeyID: kid, Algorithm: alg, Use: useSignature})
	if err != nil {
		return store.SigningKey{}, fmt.Errorf("encode %s public key: %w", alg, err)
	}
	return store.SigningKey{
		TenantID:      tenantID,
		ID:            kid,
		Algorithm:     alg,
		State:         store.KeyNext,
		SealedPrivate: sealer.Seal(der, associatedData(tenantID, kid)),
		PublicJWK:     public,
		CreatedAt:     now,
	}, nil
}

// associatedData binds a sealed private key to its tenant and kid: a blob
// copied to another row does not open there. Ids never hold a NUL, so the
// joined form is unambiguous.
func associatedData(tenantID, kid string) []byte {
	return []byte("foyer signing key\x00" + tenantID + "\x00" + kid)
}

// openSigningKey unseals the private half of k.
func openSigningKey(sealer *secret.Sealer, k store.SigningKey) (*SigningKey, error) {
	der, err := sealer.Open(k.SealedPrivate, associatedData(k.TenantID, k.ID))
	if err != nil {
		return nil, fmt.Errorf("unseal signing key %q of tenant %q: %w", k.ID, k.TenantID, err)
	}
	defer clear(der)
	parsed, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("decode signing key %q: %w", k.ID, err)
	}
	signer, ok := parsed.(crypto.Signer)
	if !ok || !fitsAlgorithm(signer, k.Algorithm) {
		return nil, fmt.Errorf("signing key %q is not a %s key", k.ID, k.Algorithm)
	}
	return &SigningKey{id: k.ID, algorithm: jose.SignatureAlgorithm(k.Algorithm), key: signer}, nil
}

// parsePublicKey reads the public JWK of k and checks it says what the row
// says, so a tampered JWK cannot publish a key under another kid or
// algorithm, or leak a private key into the JWKS.
func parsePublicKey(k store.SigningKey) (*PublicKey, error) {
	var jwk jose.JSONWebKey
	if err := jwk.UnmarshalJSON(k.PublicJWK); err != nil {
		return nil, fmt.Errorf("decode public key %q: %w", k.ID, err)
	}
	if jwk.KeyID != k.ID || jwk.Algorithm != k.Algorithm || jwk.Use != useSignature || !jwk.IsPublic() || !jwk.Valid() {
		return nil, fmt.Errorf("public key %q does not match its record", k.ID)
	}
	return &PublicKey{id: k.ID, algorithm: jose.SignatureAlgorithm(k.Algorithm), key: jwk.Key}, nil
}
