package keys_test

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/internal/secret"
	"github.com/foyer-idp/foyer/internal/store"
	"github.com/foyer-idp/foyer/internal/store/sqlstore"
	"github.com/foyer-idp/foyer/internal/store/sqlstore/sqltest"
	"github.com/foyer-idp/foyer/internal/testclock"
	"github.com/foyer-idp/foyer/keys"
)

// The method sets of zitadel/oidc v3's op.SigningKey and op.Key, copied so
// the fit is checked without importing zitadel here.
type opSigningKey interface {
	SignatureAlgorithm() jose.SignatureAlgorithm
	Key() any
	ID() string
}

type opKey interface {
	ID() string
	Algorithm() jose.SignatureAlgorithm
	Use() string
	Key() any
}

var (
	_ opSigningKey = (*keys.SigningKey)(nil)
	_ opKey        = (*keys.PublicKey)(nil)
)

const retirePublishFor = 2 * time.Hour

func newClock() *testclock.Clock {
	return testclock.New(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
}

// env is one database with the means to build nodes on it.
type env struct {
	store   *sqlstore.Store
	backend sqltest.Backend
	db      string // the SQLite file or PostgreSQL DSN
	clock   *testclock.Clock
	sealer  *secret.Sealer
}

// newEnv answers an env on SQLite.
func newEnv(t *testing.T) *env {
	t.Helper()
	return newEnvOn(t, sqltest.Backends()[0])
}

// newEnvOn answers an env on a fresh database of back end b.
func newEnvOn(t *testing.T, b sqltest.Backend) *env {
	t.Helper()
	db := b.NewDB(t)
	st := b.OpenStore(t, db)
	require.NoError(t, st.Migrate(t.Context()))
	return &env{store: st, backend: b, db: db, clock: newClock(), sealer: secret.GenerateMasterKey().Sealer("signing-keys")}
}

// node answers a Manager on the env's database, as one Foyer node would
// hold. edit adjusts the config.
func (e *env) node(t *testing.T, edit ...func(*keys.Config)) *keys.Manager {
	t.Helper()
	cfg := keys.Config{
		Store:            e.store,
		Sealer:           e.sealer,
		Now:              e.clock.Now,
		RetirePublishFor: retirePublishFor,
		Logger:           slog.New(slog.NewTextHandler(t.Output(), nil)),
	}
	for _, f := range edit {
		f(&cfg)
	}
	m, err := keys.New(cfg)
	require.NoError(t, err)
	return m
}

// tenant creates a tenant signing with alg and answers its id.
func (e *env) tenant(t *testing.T, alg string) string {
	t.Helper()
	id := secret.NewID()
	now := e.clock.Now()
	require.NoError(t, e.store.CreateTenant(t.Context(), store.Tenant{
		ID: id, Slug: "t-" + id[len(id)-12:], DisplayName: "Tenant " + alg,
		SigningAlg: alg, CreatedAt: now, UpdatedAt: now,
	}))
	return id
}

// statesOf counts the tenant's stored keys by state.
func (e *env) statesOf(t *testing.T, tenantID string) map[string]int {
	t.Helper()
	stored, err := e.store.ListSigningKeys(t.Context(), tenantID)
	require.NoError(t, err)
	counts := map[string]int{}
	for _, k := range stored {
		counts[k.State]++
	}
	return counts
}

// auditEvents answers the tenant's audit events of one activity.
func (e *env) auditEvents(t *testing.T, tenantID, activity string) []store.AuditEvent {
	t.Helper()
	events, err := e.store.ListAudit(t.Context(), store.AuditFilter{TenantID: tenantID, Activity: activity})
	require.NoError(t, err)
	return events
}

// sign makes a compact JWS over payload with the tenant's current signer,
// naming its kid in the header as the OIDC provider does.
func sign(t *testing.T, m *keys.Manager, tenantID, payload string) (token, kid string) {
	t.Helper()
	k, err := m.Signer(t.Context(), tenantID)
	require.NoError(t, err)
	signer, err := jose.NewSigner(
		jose.SigningKey{Algorithm: k.SignatureAlgorithm(), Key: k.Key()},
		(&jose.SignerOptions{}).WithHeader(jose.HeaderKey("kid"), k.ID()),
	)
	require.NoError(t, err)
	jws, err := signer.Sign([]byte(payload))
	require.NoError(t, err)
	token, err = jws.CompactSerialize()
	require.NoError(t, err)
	return token, k.ID()
}

// verify checks token as a relying party would: find the key by kid in
// the tenant's JWKS, refuse algorithms the key does not announce.
func verify(ctx context.Context, m *keys.Manager, tenantID, token string) (string, error) {
	set, err := m.JWKS(ctx, tenantID)
	if err != nil {
		return "", err
	}
	jws, err := jose.ParseSigned(token, []jose.SignatureAlgorithm{jose.RS256, jose.ES256, jose.EdDSA})
	if err != nil {
		return "", err
	}
	found := set.Key(jws.Signatures[0].Header.KeyID)
	if len(found) != 1 {
		return "", errKidNotPublished
	}
	if found[0].Algorithm != jws.Signatures[0].Header.Algorithm {
		return "", errAlgMismatch
	}
	payload, err := jws.Verify(found[0])
	return string(payload), err
}

type testError string

func (e testError) Error() string { return string(e) }

const (
	errKidNotPublished = testError("kid not in JWKS")
	errAlgMismatch     = testError("token alg differs from JWK alg")
)

func kidsOf(set jose.JSONWebKeySet) []string {
	var kids []string
	for _, k := range set.Keys {
		kids = append(kids, k.KeyID)
	}
	return kids
}

// racingNodes answers n Managers, each with its own connections to the
// env's database file as separate nodes would have, whose first
// transaction waits until all n have reached theirs. Each has read the
// tenant's keys by then, so all write against the same state at once: the
// race the database must settle, made certain instead of left to timing.
func (e *env) racingNodes(t *testing.T, n int) []*keys.Manager {
	t.Helper()
	var arrived sync.WaitGroup
	arrived.Add(n)
	nodes := make([]*keys.Manager, n)
	for i := range nodes {
		own := e.backend.OpenStore(t, e.db)
		st := &barrierStore{Store: own, arrived: &arrived}
		nodes[i] = e.node(t, func(c *keys.Config) { c.Store = st })
	}
	return nodes
}

type barrierStore struct {
	*sqlstore.Store
	arrived *sync.WaitGroup
	once    sync.Once
}

func (s *barrierStore) InTx(ctx context.Context, fn func(tx store.Store) error) error {
	s.once.Do(func() {
		s.arrived.Done()
		s.arrived.Wait()
	})
	return s.Store.InTx(ctx, fn)
}
