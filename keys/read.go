package keys

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/foyer-idp/foyer/internal/audit"
)

// Signer answers the tenant's active private key, creating the tenant's
// keys on first use. It is cached for CacheFor: a node that has not yet
// seen another node's rotation signs with the old key, which stays
// published, so the cache never decides correctness.
func (m *Manager) Signer(ctx context.Context, tenantID string) (*SigningKey, error) {
	now := m.now()
	if k, ok := m.signers.get(tenantID, now); ok {
		return k, nil
	}
	// Keys made on first use are the system's doing, not the signing-in
	// user's, whatever actor the request carries.
	current, err := m.ensure(audit.WithActor(ctx, audit.System), tenantID)
	if err != nil {
		return nil, err
	}
	k, err := openSigningKey(m.sealer, *current.active)
	if err != nil {
		return nil, err
	}
	m.signers.put(tenantID, k, now, now.Add(m.cacheFor))
	return k, nil
}

// PublicKeys answers the keys a relying party may meet in the tenant's
// tokens: active, next, and retired keys not yet past PublishUntil. The
// set is cached for CacheFor: every JWKS request and token check reads
// it, and a key is published a whole rotation before it signs, so a set a
// few seconds old still holds every key in use.
func (m *Manager) PublicKeys(ctx context.Context, tenantID string) ([]*PublicKey, error) {
	now := m.now()
	if keys, ok := m.published.get(tenantID, now); ok {
		return keys, nil
	}
	current, err := m.loadKeys(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	published := current.published(m.now())
	out := make([]*PublicKey, 0, len(published))
	for _, k := range published {
		pk, err := parsePublicKey(k)
		if err != nil {
			return nil, err
		}
		out = append(out, pk)
	}
	m.published.put(tenantID, out, now, now.Add(m.cacheFor))
	return out, nil
}

// JWKS answers the tenant's published keys as a JSON Web Key Set.
func (m *Manager) JWKS(ctx context.Context, tenantID string) (jose.JSONWebKeySet, error) {
	public, err := m.PublicKeys(ctx, tenantID)
	if err != nil {
		return jose.JSONWebKeySet{}, err
	}
	set := jose.JSONWebKeySet{Keys: make([]jose.JSONWebKey, 0, len(public))}
	for _, k := range public {
		set.Keys = append(set.Keys, k.JSONWebKey())
	}
	return set, nil
}

// List describes every stored key of the tenant, newest first, without
// key material. An unknown tenant is store.ErrNotFound.
func (m *Manager) List(ctx context.Context, tenantID string) ([]KeyInfo, error) {
	if _, err := m.store.GetTenant(ctx, tenantID); err != nil {
		return nil, fmt.Errorf("load tenant %q: %w", tenantID, err)
	}
	stored, err := m.store.ListSigningKeys(ctx, tenantID)
	if err != nil {
		return nil, fmt.Errorf("list signing keys of tenant %q: %w", tenantID, err)
	}
	out := make([]KeyInfo, 0, len(stored))
	for _, k := range stored {
		out = append(out, keyInfo(k))
	}
	return out, nil
}

// ttlCache holds one value per tenant for a short while: unsealed
// active keys, and published key sets.
type ttlCache[V any] struct {
	mu      sync.Mutex
	entries map[string]cached[V]
}

type cached[V any] struct {
	value V
	until time.Time
}

func newTTLCache[V any]() *ttlCache[V] {
	return &ttlCache[V]{entries: map[string]cached[V]{}}
}

func (c *ttlCache[V]) get(tenantID string, now time.Time) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[tenantID]
	if !ok || !now.Before(e.until) {
		var zero V
		return zero, false
	}
	return e.value, true
}

// put caches v and drops expired entries, so private keys of tenants no
// longer served do not linger in memory.
func (c *ttlCache[V]) put(tenantID string, v V, now, until time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for id, e := range c.entries {
		if !now.Before(e.until) {
			delete(c.entries, id)
		}
	}
	c.entries[tenantID] = cached[V]{value: v, until: until}
}

func (c *ttlCache[V]) forget(tenantID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.entries, tenantID)
}
