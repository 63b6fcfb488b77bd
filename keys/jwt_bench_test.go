package keys_test

import (
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/foyer-idp/foyer/internal/secret"
	"github.com/foyer-idp/foyer/internal/store"
	"github.com/foyer-idp/foyer/internal/store/sqlstore/sqltest"
	"github.com/foyer-idp/foyer/keys"
)

// BenchmarkSignJWT compares the key's own JWT signer with go-jose, a
// signer built per token (as the provider did) and one built once.
func BenchmarkSignJWT(b *testing.B) {
	payload := []byte(`{"aud":"https://id.example","client_id":"daemon","exp":1772361015,"iat":1772357415,"iss":"https://id.example/t/bench",` +
		`"jti":"0123456789abcdef0123456789abcdef","nbf":1772357415,"roles":["User.Invite.All"],"scope":"https://id.example/.default","sub":"daemon","tid":"tenant"}`)
	for _, alg := range []string{keys.ES256, keys.RS256, keys.EdDSA} {
		k := benchKey(b, alg)
		opts := func() *jose.SignerOptions {
			return (&jose.SignerOptions{}).WithType("at+jwt").WithHeader(jose.HeaderKey("kid"), k.ID())
		}
		goJose := func(signer jose.Signer) {
			jws, err := signer.Sign(payload)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := jws.CompactSerialize(); err != nil {
				b.Fatal(err)
			}
		}
		b.Run(alg+"/direct", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := k.SignJWT("at+jwt", payload); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(alg+"/go-jose-cached-signer", func(b *testing.B) {
			signer, err := jose.NewSigner(jose.SigningKey{Algorithm: k.SignatureAlgorithm(), Key: k.Key()}, opts())
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				goJose(signer)
			}
		})
		b.Run(alg+"/go-jose-signer-per-token", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				signer, err := jose.NewSigner(jose.SigningKey{Algorithm: k.SignatureAlgorithm(), Key: k.Key()}, opts())
				if err != nil {
					b.Fatal(err)
				}
				goJose(signer)
			}
		})
	}
}

// benchKey answers a tenant's active key for alg.
func benchKey(b *testing.B, alg string) *keys.SigningKey {
	b.Helper()
	st := sqltest.Backends()[0].OpenMigrated(b)
	m, err := keys.New(keys.Config{Store: st, Sealer: secret.GenerateMasterKey().Sealer("signing-keys")})
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now()
	if err := st.CreateTenant(b.Context(), store.Tenant{ID: "t1", Slug: "bench", DisplayName: "Bench", SigningAlg: alg, CreatedAt: now, UpdatedAt: now}); err != nil {
		b.Fatal(err)
	}
	k, err := m.Signer(b.Context(), "t1")
	if err != nil {
		b.Fatal(err)
	}
	return k
}
