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
// tokens: active, next, and retired keys not yet past PublishUntil.
func (m *Manager) PublicKeys(ctx context.Context, tenantID string) ([]*PublicKey, error) {
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

// signerCache holds unsealed active keys per tenant for a short while.
type signerCache struct {
	mu      sync.Mutex
	entries map[string]cachedSigner
}

type cachedSigner struct {
	key   *SigningKey
	until time.Time
}

func (c *signerCache) get(tenantID string, now time.Time) (*SigningKey, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[tenantID]
	if !ok || !now.Before(e.until) {
		return nil, false
	}
	return e.key, true
}

// put caches key and drops expired entries, so private keys of tenants no
// longer served do not linger in memory.
func (c *signerCache) put(tenantID string, key *SigningKey, now, until time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for id, e := range c.entries {
		if !now.Before(e.until) {
			delete(c.entries, id)
		}
	}
	c.entries[tenantID] = cachedSigner{key: key, until: until}
}

func (c *signerCache) forget(tenantID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.entries, tenantID)
}
