package keys_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/x509"
	"database/sql"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/internal/secret"
	"github.com/foyer-idp/foyer/internal/store"
	"github.com/foyer-idp/foyer/keys"
)

// rawDB opens the env's SQLite file beside the store, as an attacker with
// a copy of the database would read it.
func rawDB(t *testing.T, e *env) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+e.db+"?_pragma=busy_timeout(5000)")
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	return db
}

func sealedBlob(t *testing.T, db *sql.DB, tenantID, kid string) []byte {
	t.Helper()
	var sealed []byte
	require.NoError(t, db.QueryRowContext(t.Context(),
		`SELECT sealed_private FROM signing_keys WHERE tenant_id = ? AND id = ?`, tenantID, kid).Scan(&sealed))
	return sealed
}

func setSealedBlob(t *testing.T, db *sql.DB, tenantID, kid string, sealed []byte) {
	t.Helper()
	res, err := db.ExecContext(t.Context(),
		`UPDATE signing_keys SET sealed_private = ? WHERE tenant_id = ? AND id = ?`, sealed, tenantID, kid)
	require.NoError(t, err)
	n, err := res.RowsAffected()
	require.NoError(t, err)
	require.EqualValues(t, 1, n)
}

func TestPrivateKeyIsSealedAtRest(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tenant := e.tenant(t, keys.ES256)
	signer, err := e.node(t).Signer(t.Context(), tenant)
	require.NoError(t, err)
	private := signer.Key().(*ecdsa.PrivateKey)

	sealed := sealedBlob(t, rawDB(t, e), tenant, signer.ID())

	_, err = x509.ParsePKCS8PrivateKey(sealed)
	assert.Error(t, err, "the stored private half is not PKCS#8 DER")
	der, err := x509.MarshalPKCS8PrivateKey(private)
	require.NoError(t, err)
	scalar, err := private.Bytes()
	require.NoError(t, err)
	assert.False(t, bytes.Contains(sealed, der), "no DER inside the blob")
	assert.False(t, bytes.Contains(sealed, scalar[len(scalar)-32:]), "no private scalar inside the blob")

	otherMaster := secret.GenerateMasterKey().Sealer("signing-keys")
	_, err = e.node(t, withSealer(otherMaster)).Signer(t.Context(), tenant)
	assert.ErrorIs(t, err, secret.ErrUnseal, "another master key cannot open it")

	reopened, err := e.node(t).Signer(t.Context(), tenant)
	require.NoError(t, err, "the right master key can")
	assert.True(t, private.Equal(reopened.Key()))
}

func TestSealedKeyOpensOnlyInItsOwnRow(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		// donor answers the tenant and kid whose blob is copied onto the
		// victim tenant's active key.
		donor func(t *testing.T, e *env, victim string, victimKeys []keys.KeyInfo) (tenant, kid string)
	}{
		{"another kid of the same tenant", func(t *testing.T, e *env, victim string, victimKeys []keys.KeyInfo) (string, string) {
			return victim, inState(victimKeys, store.KeyNext).ID
		}},
		{"the same kind of key of another tenant", func(t *testing.T, e *env, _ string, _ []keys.KeyInfo) (string, string) {
			other := e.tenant(t, keys.ES256)
			k, err := e.node(t).Signer(t.Context(), other)
			require.NoError(t, err)
			return other, k.ID()
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			victim := e.tenant(t, keys.ES256)
			active, err := e.node(t).Signer(t.Context(), victim)
			require.NoError(t, err)
			victimKeys, err := e.node(t).List(t.Context(), victim)
			require.NoError(t, err)
			donorTenant, donorKid := tc.donor(t, e, victim, victimKeys)

			db := rawDB(t, e)
			setSealedBlob(t, db, victim, active.ID(), sealedBlob(t, db, donorTenant, donorKid))

			_, err = e.node(t).Signer(t.Context(), victim)
			assert.ErrorIs(t, err, secret.ErrUnseal)
		})
	}
}

func withSealer(s *secret.Sealer) func(*keys.Config) {
	return func(c *keys.Config) { c.Sealer = s }
}
