package keys_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/internal/audit"
	"github.com/foyer-idp/foyer/internal/secret"
	"github.com/foyer-idp/foyer/internal/store"
	"github.com/foyer-idp/foyer/internal/store/sqlstore/sqltest"
	"github.com/foyer-idp/foyer/keys"
)

func TestNewReportsEveryProblem(t *testing.T) {
	t.Parallel()
	_, err := keys.New(keys.Config{RotationPeriod: -time.Hour, CacheFor: time.Minute, RetirePublishFor: time.Second})
	require.Error(t, err)
	for _, want := range []string{"Store is required", "Sealer is required", "RotationPeriod", "RetirePublishFor"} {
		assert.Contains(t, err.Error(), want)
	}
}

func TestParseAlgorithm(t *testing.T) {
	t.Parallel()
	for _, alg := range []string{"RS256", "ES256", "EdDSA"} {
		got, err := keys.ParseAlgorithm(alg)
		require.NoError(t, err, alg)
		assert.Equal(t, alg, got)
	}
	for _, alg := range []string{"", "none", "HS256", "rs256", "RS512", "ES384", "PS256", " RS256"} {
		_, err := keys.ParseAlgorithm(alg)
		assert.ErrorIs(t, err, keys.ErrUnknownAlgorithm, "%q", alg)
	}
}

func TestEnsureCreatesActiveAndNextOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	m := e.node(t)
	tenant := e.tenant(t, keys.ES256)

	require.NoError(t, m.Ensure(t.Context(), tenant))
	first, err := m.List(t.Context(), tenant)
	require.NoError(t, err)
	require.NoError(t, m.Ensure(t.Context(), tenant))
	again, err := m.List(t.Context(), tenant)
	require.NoError(t, err)

	assert.Equal(t, map[string]int{store.KeyActive: 1, store.KeyNext: 1}, e.statesOf(t, tenant))
	assert.Equal(t, first, again, "a second Ensure changes nothing")
	for _, k := range again {
		assert.Equal(t, keys.ES256, k.Algorithm)
		if k.State == store.KeyActive {
			require.NotNil(t, k.ActivatedAt)
			assert.True(t, k.ActivatedAt.Equal(e.clock.Now()))
		}
	}
}

func TestEnsureRefusesUnknownAlgorithm(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	m := e.node(t)
	tenant := e.tenant(t, "HS256")

	assert.ErrorIs(t, m.Ensure(t.Context(), tenant), keys.ErrUnknownAlgorithm)
	_, err := m.Signer(t.Context(), tenant)
	assert.ErrorIs(t, err, keys.ErrUnknownAlgorithm)
	assert.Empty(t, e.statesOf(t, tenant), "no key was stored")
}

func TestSignedTokenVerifiesWithJWKS(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		tenantAlg string
		wantAlg   string
		keyType   any
	}{
		{keys.RS256, keys.RS256, &rsa.PublicKey{}},
		{keys.ES256, keys.ES256, &ecdsa.PublicKey{}},
		{keys.EdDSA, keys.EdDSA, ed25519.PublicKey{}},
		{"", keys.DefaultAlgorithm, &rsa.PublicKey{}},
	} {
		t.Run("alg="+tc.tenantAlg, func(t *testing.T) {
			e := newEnv(t)
			m := e.node(t)
			tenant := e.tenant(t, tc.tenantAlg)

			token, kid := sign(t, m, tenant, `{"sub":"guest"}`)
			payload, err := verify(t.Context(), m, tenant, token)
			require.NoError(t, err)
			assert.Equal(t, `{"sub":"guest"}`, payload)

			public, err := m.PublicKeys(t.Context(), tenant)
			require.NoError(t, err)
			require.Len(t, public, 2, "active and next")
			assert.Equal(t, kid, public[0].ID(), "active first")
			for _, k := range public {
				assert.EqualValues(t, tc.wantAlg, k.Algorithm())
				assert.Equal(t, "sig", k.Use())
				assert.IsType(t, tc.keyType, k.Key())
			}
		})
	}
}

func TestJWKSCarriesNoPrivateKey(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	m := e.node(t)
	tenant := e.tenant(t, keys.EdDSA)
	require.NoError(t, m.Ensure(t.Context(), tenant))

	set, err := m.JWKS(t.Context(), tenant)
	require.NoError(t, err)
	raw, err := json.Marshal(set)
	require.NoError(t, err)
	var parsed struct{ Keys []map[string]any }
	require.NoError(t, json.Unmarshal(raw, &parsed))
	require.Len(t, parsed.Keys, 2)
	for _, k := range parsed.Keys {
		assert.NotContains(t, k, "d", "private exponent or seed")
		assert.Equal(t, "sig", k["use"])
		assert.Equal(t, keys.EdDSA, k["alg"])
	}
}

func TestRotateKeepsRetiredKeyPublishedUntilItExpires(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	m := e.node(t)
	tenant := e.tenant(t, keys.ES256)
	require.NoError(t, m.Ensure(t.Context(), tenant))
	before, err := m.List(t.Context(), tenant)
	require.NoError(t, err)
	e.clock.Advance(time.Hour)
	oldToken, oldKid := sign(t, m, tenant, "signed before rotation")

	state, err := m.Rotate(t.Context(), tenant)
	require.NoError(t, err)

	assert.NotEqual(t, oldKid, state.Active.ID)
	require.Len(t, state.Retired, 1)
	assert.Equal(t, oldKid, state.Retired[0].ID)
	require.NotNil(t, state.Retired[0].PublishUntil)
	assert.True(t, state.Retired[0].PublishUntil.Equal(e.clock.Now().Add(retirePublishFor)))
	assert.Equal(t, inState(before, store.KeyNext).ID, state.Active.ID, "the published next key took over")

	set, err := m.JWKS(t.Context(), tenant)
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{state.Active.ID, state.Next.ID, oldKid}, kidsOf(set))
	_, err = verify(t.Context(), m, tenant, oldToken)
	require.NoError(t, err, "a token signed before rotation still verifies")
	_, newKid := sign(t, m, tenant, "after")
	assert.Equal(t, state.Active.ID, newKid, "this node signs with the new key at once")

	e.clock.Advance(retirePublishFor)
	set, err = m.JWKS(t.Context(), tenant)
	require.NoError(t, err)
	assert.NotContains(t, kidsOf(set), oldKid, "past PublishUntil the key leaves the JWKS")
	_, err = verify(t.Context(), m, tenant, oldToken)
	assert.ErrorIs(t, err, errKidNotPublished)

	_, err = m.Rotate(t.Context(), tenant)
	require.NoError(t, err)
	listed, err := m.List(t.Context(), tenant)
	require.NoError(t, err)
	for _, k := range listed {
		assert.NotEqual(t, oldKid, k.ID, "the next rotation deleted the expired key")
	}
	assert.Equal(t, map[string]int{store.KeyActive: 1, store.KeyNext: 1, store.KeyRetired: 1}, e.statesOf(t, tenant))
}

// inState answers the key in state, which must be active or next: the
// states a tenant has exactly one of.
func inState(infos []keys.KeyInfo, state string) keys.KeyInfo {
	for _, k := range infos {
		if k.State == state {
			return k
		}
	}
	return keys.KeyInfo{}
}

func TestRotateDueRotatesOnlyWhenDue(t *testing.T) {
	t.Parallel()
	const period = 30 * 24 * time.Hour
	e := newEnv(t)
	m := e.node(t, func(c *keys.Config) { c.RotationPeriod = period })
	never := e.node(t)
	tenant := e.tenant(t, keys.EdDSA)
	empty := e.tenant(t, keys.EdDSA)
	require.NoError(t, m.Ensure(t.Context(), tenant))
	ids := []string{tenant, empty}

	rotations := func() int { return len(e.auditEvents(t, tenant, audit.ActivityRotateSigningKeys)) }

	require.NoError(t, m.RotateDue(t.Context(), ids))
	e.clock.Advance(period - time.Second)
	require.NoError(t, m.RotateDue(t.Context(), ids))
	assert.Equal(t, 0, rotations(), "not due yet")

	e.clock.Advance(time.Second)
	require.NoError(t, never.RotateDue(t.Context(), ids))
	assert.Equal(t, 0, rotations(), "RotationPeriod 0 never rotates")
	require.NoError(t, m.RotateDue(t.Context(), ids))
	assert.Equal(t, 1, rotations(), "due")
	require.NoError(t, m.RotateDue(t.Context(), ids))
	assert.Equal(t, 1, rotations(), "the new active key is not due")

	assert.Empty(t, e.statesOf(t, empty), "a tenant without keys is left to Ensure")
}

func TestRunRotatesDueTenantsUntilCancelled(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	m := e.node(t, func(c *keys.Config) { c.RotationPeriod = time.Hour })
	tenant := e.tenant(t, keys.EdDSA)
	require.NoError(t, m.Ensure(t.Context(), tenant))
	e.clock.Advance(time.Hour)

	ctx, cancel := context.WithCancel(t.Context())
	calls := 0
	list := func(context.Context) ([]string, error) {
		calls++
		if calls == 3 { // two whole rounds have run
			cancel()
		}
		return []string{tenant}, nil
	}
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx, time.Millisecond, list) }()
	require.NoError(t, <-done)

	assert.Len(t, e.auditEvents(t, tenant, audit.ActivityRotateSigningKeys), 1, "rotated once, then not due")
	assert.Error(t, m.Run(t.Context(), 0, list), "an interval is required")
}

func TestConcurrentRotateOnTwoNodesRotatesOnce(t *testing.T) {
	t.Parallel()
	sqltest.Run(t, func(t *testing.T, b sqltest.Backend) {
		e := newEnvOn(t, b)
		tenant := e.tenant(t, keys.ES256)
		require.NoError(t, e.node(t).Ensure(t.Context(), tenant))
		nodes := e.racingNodes(t, 2)

		states := make([]keys.KeyState, len(nodes))
		errs := make([]error, len(nodes))
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i, n := range nodes {
			wg.Go(func() {
				<-start
				states[i], errs[i] = n.Rotate(t.Context(), tenant)
			})
		}
		close(start)
		wg.Wait()

		require.NoError(t, errs[0])
		require.NoError(t, errs[1], "the loser reports the winner's rotation")
		assert.Equal(t, states[0], states[1])
		assert.Equal(t, map[string]int{store.KeyActive: 1, store.KeyNext: 1, store.KeyRetired: 1}, e.statesOf(t, tenant))
		assert.Len(t, e.auditEvents(t, tenant, audit.ActivityRotateSigningKeys), 1)
	})
}

func TestConcurrentEnsureOnTwoNodesCreatesOnce(t *testing.T) {
	t.Parallel()
	sqltest.Run(t, func(t *testing.T, b sqltest.Backend) {
		e := newEnvOn(t, b)
		tenant := e.tenant(t, keys.EdDSA)
		nodes := e.racingNodes(t, 2)

		errs := make([]error, len(nodes))
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i, n := range nodes {
			wg.Go(func() {
				<-start
				errs[i] = n.Ensure(t.Context(), tenant)
			})
		}
		close(start)
		wg.Wait()

		require.NoError(t, errors.Join(errs...))
		assert.Equal(t, map[string]int{store.KeyActive: 1, store.KeyNext: 1}, e.statesOf(t, tenant))
		assert.Len(t, e.auditEvents(t, tenant, audit.ActivityCreateSigningKeys), 1)
	})
}

func TestSignerCacheLagsAnotherNodesRotationHarmlessly(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a, b := e.node(t, func(c *keys.Config) { c.CacheFor = time.Minute }), e.node(t)
	tenant := e.tenant(t, keys.EdDSA)
	_, oldKid := sign(t, a, tenant, "warm the cache")

	state, err := b.Rotate(t.Context(), tenant)
	require.NoError(t, err)

	token, kid := sign(t, a, tenant, "stale but published")
	assert.Equal(t, oldKid, kid, "node a has not looked yet")
	_, err = verify(t.Context(), b, tenant, token)
	require.NoError(t, err)

	e.clock.Advance(time.Minute)
	_, kid = sign(t, a, tenant, "fresh")
	assert.Equal(t, state.Active.ID, kid, "after CacheFor node a reads the rotation")
}

// Told of another node's rotation (Forget), a node signs with the new key
// and publishes the new set at once, not after CacheFor.
func TestForgetTakesAnotherNodesRotationAtOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a, b := e.node(t, func(c *keys.Config) { c.CacheFor = time.Hour }), e.node(t)
	tenant := e.tenant(t, keys.EdDSA)
	_, oldKid := sign(t, a, tenant, "warm the cache")
	before, err := a.KeySet(t.Context(), tenant)
	require.NoError(t, err)

	state, err := b.Rotate(t.Context(), tenant)
	require.NoError(t, err)
	_, kid := sign(t, a, tenant, "stale")
	require.Equal(t, oldKid, kid, "not told yet")

	a.Forget("another-tenant")
	_, kid = sign(t, a, tenant, "still stale")
	require.Equal(t, oldKid, kid, "another tenant's change leaves this one cached")

	a.Forget(tenant)
	_, kid = sign(t, a, tenant, "fresh")
	require.Equal(t, state.Active.ID, kid)
	after, err := a.KeySet(t.Context(), tenant)
	require.NoError(t, err)
	require.NotEqual(t, before.ETag(), after.ETag(), "the new next key is published at once")
	require.Len(t, after.Keys(), len(before.Keys())+1)
}

func TestAuditEventsForEnsureAndRotate(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	m := e.node(t)
	tenant := e.tenant(t, keys.EdDSA)
	require.NoError(t, m.Ensure(t.Context(), tenant))
	admin := audit.Actor{Type: store.ActorUser, ID: secret.NewID(), Name: "admin@example.com"}
	state, err := m.Rotate(audit.WithActor(t.Context(), admin), tenant)
	require.NoError(t, err)

	created := e.auditEvents(t, tenant, audit.ActivityCreateSigningKeys)
	require.Len(t, created, 1)
	assert.Equal(t, audit.CategoryKey, created[0].Category)
	assert.Equal(t, store.ActorSystem, created[0].ActorType)
	assert.Equal(t, audit.TargetKey, created[0].TargetType)
	assert.Equal(t, state.Retired[0].ID, created[0].TargetID, "the first active key")
	assert.Equal(t, store.ResultSuccess, created[0].Result)

	rotated := e.auditEvents(t, tenant, audit.ActivityRotateSigningKeys)
	require.Len(t, rotated, 1)
	assert.Equal(t, admin.ID, rotated[0].ActorID)
	assert.Equal(t, admin.Name, rotated[0].ActorName)
	assert.Equal(t, state.Active.ID, rotated[0].TargetID, "the key that signs now")
	assert.True(t, rotated[0].Time.Equal(e.clock.Now()))
}

func TestListUnknownTenant(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, err := e.node(t).List(t.Context(), secret.NewID())
	assert.ErrorIs(t, err, store.ErrNotFound)
}

func TestKeyInfoJSONHasNoKeyMaterial(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	m := e.node(t)
	tenant := e.tenant(t, keys.EdDSA)
	require.NoError(t, m.Ensure(t.Context(), tenant))
	infos, err := m.List(t.Context(), tenant)
	require.NoError(t, err)
	raw, err := json.Marshal(infos)
	require.NoError(t, err)
	for _, field := range []string{`"kid"`, `"alg"`, `"state"`, `"created"`} {
		assert.Contains(t, string(raw), field)
	}
	assert.False(t, strings.Contains(string(raw), "Sealed") || strings.Contains(string(raw), "JWK"))
}

func TestEnsureRepairsAMissingKey(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		lost string
		// survivor answers the kid that must be active after the repair.
		survivor func(before []keys.KeyInfo) string
	}{
		{store.KeyNext, func(before []keys.KeyInfo) string { return inState(before, store.KeyActive).ID }},
		{store.KeyActive, func(before []keys.KeyInfo) string { return inState(before, store.KeyNext).ID }},
	} {
		t.Run("lost "+tc.lost, func(t *testing.T) {
			e := newEnv(t)
			m := e.node(t)
			tenant := e.tenant(t, keys.EdDSA)
			require.NoError(t, m.Ensure(t.Context(), tenant))
			before, err := m.List(t.Context(), tenant)
			require.NoError(t, err)
			_, err = rawDB(t, e).ExecContext(t.Context(),
				`DELETE FROM signing_keys WHERE tenant_id = ? AND state = ?`, tenant, tc.lost)
			require.NoError(t, err)

			require.NoError(t, m.Ensure(t.Context(), tenant))

			after, err := m.List(t.Context(), tenant)
			require.NoError(t, err)
			assert.Equal(t, map[string]int{store.KeyActive: 1, store.KeyNext: 1}, e.statesOf(t, tenant))
			assert.Equal(t, tc.survivor(before), inState(after, store.KeyActive).ID)
			token, _ := sign(t, m, tenant, "repaired")
			_, err = verify(t.Context(), m, tenant, token)
			require.NoError(t, err)
		})
	}
}

func TestPublishedSetIsCachedBrieflyAndRefreshedByRotation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tenant := e.tenant(t, keys.ES256)
	m := e.node(t, func(c *keys.Config) { c.CacheFor = time.Minute })
	other := e.node(t)

	empty, err := m.PublicKeys(t.Context(), tenant)
	require.NoError(t, err)
	require.Empty(t, empty)
	require.NoError(t, m.Ensure(t.Context(), tenant))
	set, err := m.JWKS(t.Context(), tenant)
	require.NoError(t, err)
	require.Len(t, set.Keys, 2, "keys made on this node show at once")

	_, err = other.Rotate(t.Context(), tenant)
	require.NoError(t, err)
	set, err = m.JWKS(t.Context(), tenant)
	require.NoError(t, err)
	require.Len(t, set.Keys, 2, "another node's rotation shows after the cache's lifetime")
	e.clock.Advance(time.Minute)
	set, err = m.JWKS(t.Context(), tenant)
	require.NoError(t, err)
	require.Len(t, set.Keys, 3)

	_, err = m.Rotate(t.Context(), tenant)
	require.NoError(t, err)
	set, err = m.JWKS(t.Context(), tenant)
	require.NoError(t, err)
	require.Len(t, set.Keys, 4, "this node's own rotation shows at once")
}
