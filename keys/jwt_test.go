package keys_test

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/keys"
)

// SignJWT's tokens verify with go-jose against the published key, for
// every algorithm Foyer signs with, and carry the header go-jose itself
// would write for the same key and type.
func TestSignJWTVerifiesWithGoJose(t *testing.T) {
	t.Parallel()
	for _, alg := range []string{keys.RS256, keys.ES256, keys.EdDSA} {
		t.Run(alg, func(t *testing.T) {
			e := newEnv(t)
			m := e.node(t)
			tenant := e.tenant(t, alg)
			k, err := m.Signer(t.Context(), tenant)
			require.NoError(t, err)

			for _, typ := range []string{"JWT", "at+jwt", "JWT"} {
				payload := `{"sub":"guest","typ_was":"` + typ + `"}`
				// Several signatures: ECDSA's R and S are sometimes short
				// and must be padded to 32 bytes each.
				for range 20 {
					token, err := k.SignJWT(typ, []byte(payload))
					require.NoError(t, err)
					got, err := verify(t.Context(), m, tenant, token)
					require.NoError(t, err)
					assert.Equal(t, payload, got)

					jws, err := jose.ParseSignedCompact(token, []jose.SignatureAlgorithm{jose.SignatureAlgorithm(alg)})
					require.NoError(t, err)
					assert.Equal(t, typ, jws.Signatures[0].Protected.ExtraHeaders[jose.HeaderType])
					assert.Equal(t, k.ID(), jws.Signatures[0].Protected.KeyID)
				}
				ours, err := k.SignJWT(typ, []byte(payload))
				require.NoError(t, err)
				assert.Equal(t, strings.Split(goJoseToken(t, k, typ, payload), ".")[0], strings.Split(ours, ".")[0],
					"the same protected header as go-jose's")
			}
		})
	}
}

// A token tampered with after signing does not verify: the signature
// covers header and payload.
func TestSignJWTSignatureCoversHeaderAndPayload(t *testing.T) {
	t.Parallel()
	for _, alg := range []string{keys.RS256, keys.ES256, keys.EdDSA} {
		t.Run(alg, func(t *testing.T) {
			e := newEnv(t)
			m := e.node(t)
			tenant := e.tenant(t, alg)
			k, err := m.Signer(t.Context(), tenant)
			require.NoError(t, err)
			token, err := k.SignJWT("JWT", []byte(`{"sub":"guest"}`))
			require.NoError(t, err)
			parts := strings.Split(token, ".")
			require.Len(t, parts, 3)

			other := base64.RawURLEncoding.EncodeToString([]byte(`{"sub":"admin"}`))
			_, err = verify(t.Context(), m, tenant, parts[0]+"."+other+"."+parts[2])
			assert.Error(t, err, "payload swapped")
			header, err := base64.RawURLEncoding.DecodeString(parts[0])
			require.NoError(t, err)
			var h map[string]any
			require.NoError(t, json.Unmarshal(header, &h))
			h["typ"] = "at+jwt"
			changed, err := json.Marshal(h)
			require.NoError(t, err)
			_, err = verify(t.Context(), m, tenant, base64.RawURLEncoding.EncodeToString(changed)+"."+parts[1]+"."+parts[2])
			assert.Error(t, err, "header changed")
		})
	}
}

// ES256 signatures are the 64-byte R||S of JWS, not ASN.1.
func TestSignJWTES256SignatureIsRaw(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	m := e.node(t)
	tenant := e.tenant(t, keys.ES256)
	k, err := m.Signer(t.Context(), tenant)
	require.NoError(t, err)
	for range 50 {
		token, err := k.SignJWT("JWT", []byte(`{}`))
		require.NoError(t, err)
		sig, err := base64.RawURLEncoding.DecodeString(token[strings.LastIndexByte(token, '.')+1:])
		require.NoError(t, err)
		require.Len(t, sig, 64)
	}
}

// The signer is unsealed once per active key: a cache refill that finds
// the same key keeps it, a rotation brings the next key.
func TestSignerIsKeptUntilRotation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	m := e.node(t, func(c *keys.Config) { c.CacheFor = time.Second })
	tenant := e.tenant(t, keys.ES256)
	first, err := m.Signer(t.Context(), tenant)
	require.NoError(t, err)

	e.clock.Advance(5 * time.Second)
	again, err := m.Signer(t.Context(), tenant)
	require.NoError(t, err)
	assert.Same(t, first, again, "the same key after the cache ran out")

	state, err := m.Rotate(t.Context(), tenant)
	require.NoError(t, err)
	rotated, err := m.Signer(t.Context(), tenant)
	require.NoError(t, err)
	assert.NotSame(t, first, rotated)
	assert.Equal(t, state.Active.ID, rotated.ID())
	token, err := rotated.SignJWT("JWT", []byte(`{"sub":"guest"}`))
	require.NoError(t, err)
	_, err = verify(t.Context(), m, tenant, token)
	require.NoError(t, err)
}

// The key set's document is the JWKS, encoded once: its ETag stays while
// the keys stay (across cache refills), and both change on rotation.
func TestKeySetDocumentChangesOnlyWithTheKeys(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	m := e.node(t, func(c *keys.Config) { c.CacheFor = time.Second })
	tenant := e.tenant(t, keys.ES256)
	require.NoError(t, m.Ensure(t.Context(), tenant))

	body, etag, err := m.JWKSDocument(t.Context(), tenant)
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(etag, `"`) && strings.HasSuffix(etag, `"`) && len(etag) > 2, "a strong, quoted ETag: %s", etag)
	assert.False(t, strings.HasPrefix(etag, "W/"))
	set, err := m.JWKS(t.Context(), tenant)
	require.NoError(t, err)
	want, err := json.Marshal(set)
	require.NoError(t, err)
	assert.Equal(t, string(want)+"\n", string(body), "the document is the key set")

	before, err := m.KeySet(t.Context(), tenant)
	require.NoError(t, err)
	e.clock.Advance(5 * time.Second)
	after, err := m.KeySet(t.Context(), tenant)
	require.NoError(t, err)
	assert.Same(t, before, after, "kept across a cache refill")
	_, again, err := m.JWKSDocument(t.Context(), tenant)
	require.NoError(t, err)
	assert.Equal(t, etag, again)

	// A second node, building its own set, answers the same ETag.
	_, otherNode, err := e.node(t).JWKSDocument(t.Context(), tenant)
	require.NoError(t, err)
	assert.Equal(t, etag, otherNode, "the ETag is the content's, the same on every node")

	_, err = m.Rotate(t.Context(), tenant)
	require.NoError(t, err)
	rotated, rotatedTag, err := m.JWKSDocument(t.Context(), tenant)
	require.NoError(t, err)
	assert.NotEqual(t, etag, rotatedTag)
	assert.NotEqual(t, string(body), string(rotated))
	assert.Len(t, mustKeySet(t, m, tenant).Keys(), 3, "active, next and the retired key")

	// The retired key leaves the set when its publication ends.
	e.clock.Advance(retirePublishFor + time.Second)
	_, expiredTag, err := m.JWKSDocument(t.Context(), tenant)
	require.NoError(t, err)
	assert.NotEqual(t, rotatedTag, expiredTag)
	assert.Len(t, mustKeySet(t, m, tenant).Keys(), 2)
}

func TestKeySetAlgorithms(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	m := e.node(t)
	tenant := e.tenant(t, keys.ES256)
	require.NoError(t, m.Ensure(t.Context(), tenant))
	assert.Equal(t, []jose.SignatureAlgorithm{jose.ES256}, mustKeySet(t, m, tenant).Algorithms(), "distinct")
}

func mustKeySet(t *testing.T, m *keys.Manager, tenant string) *keys.KeySet {
	t.Helper()
	s, err := m.KeySet(t.Context(), tenant)
	require.NoError(t, err)
	return s
}

// goJoseToken signs payload with go-jose as the provider used to.
func goJoseToken(t *testing.T, k *keys.SigningKey, typ, payload string) string {
	t.Helper()
	opts := (&jose.SignerOptions{}).WithType(jose.ContentType(typ)).WithHeader(jose.HeaderKey("kid"), k.ID())
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: k.SignatureAlgorithm(), Key: k.Key()}, opts)
	require.NoError(t, err)
	jws, err := signer.Sign([]byte(payload))
	require.NoError(t, err)
	token, err := jws.CompactSerialize()
	require.NoError(t, err)
	return token
}
