package keys

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/go-jose/go-jose/v4"

	"github.com/foyer-idp/foyer/internal/audit"
	"github.com/foyer-idp/foyer/internal/store"
)

// Signer answers the tenant's active private key, creating the tenant's
// keys on first use. It is cached for CacheFor: a node that has not yet
// seen another node's rotation signs with the old key, which stays
// published, so the cache never decides correctness. When the cache runs
// out and the active key is still the same, the key already unsealed (and
// the headers it encoded) stays in use: a key is opened once per rotation,
// not once per CacheFor.
func (m *Manager) Signer(ctx context.Context, tenantID string) (*SigningKey, error) {
	now := m.now()
	if k, ok := m.signers.Get(tenantID, now); ok {
		return k, nil
	}
	since := m.signers.Generation()
	// Keys made on first use are the system's doing, not the signing-in
	// user's, whatever actor the request carries.
	current, err := m.ensure(audit.WithActor(ctx, audit.System), tenantID)
	if err != nil {
		return nil, err
	}
	k, ok := m.signers.Stale(tenantID)
	if !ok || k.id != current.active.ID {
		if k, err = openSigningKey(m.sealer, *current.active); err != nil {
			return nil, err
		}
	}
	m.signers.Put(tenantID, k, now, now.Add(m.cacheFor), since)
	return k, nil
}

// KeySet is a tenant's published keys at one moment, with their JSON Web
// Key Set encoded once: JWKS requests are answered with the same bytes
// until the set changes, and its ETag, derived from those bytes, is the
// same on every node.
type KeySet struct {
	keys       []*PublicKey
	kids       []string
	algorithms []jose.SignatureAlgorithm
	jwks       []byte
	etag       string
}

// Keys answers the published keys: active, next, then retired ones.
func (s *KeySet) Keys() []*PublicKey { return s.keys }

// Algorithms answers the distinct algorithms of the keys, in key order.
func (s *KeySet) Algorithms() []jose.SignatureAlgorithm { return s.algorithms }

// JWKS answers the set as a JSON document (with a final newline); callers
// must not modify it.
func (s *KeySet) JWKS() []byte { return s.jwks }

// ETag answers a strong entity tag of JWKS, quoted as HTTP writes it.
func (s *KeySet) ETag() string { return s.etag }

// newKeySet parses the public halves of published and encodes the set.
func newKeySet(published []store.SigningKey) (*KeySet, error) {
	s := &KeySet{keys: make([]*PublicKey, 0, len(published)), kids: make([]string, 0, len(published))}
	doc := jose.JSONWebKeySet{Keys: make([]jose.JSONWebKey, 0, len(published))}
	for _, k := range published {
		pk, err := parsePublicKey(k)
		if err != nil {
			return nil, err
		}
		s.keys = append(s.keys, pk)
		s.kids = append(s.kids, pk.id)
		if !slices.Contains(s.algorithms, pk.algorithm) {
			s.algorithms = append(s.algorithms, pk.algorithm)
		}
		doc.Keys = append(doc.Keys, pk.JSONWebKey())
	}
	body, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("encode key set: %w", err)
	}
	s.jwks = append(body, '\n')
	sum := sha256.Sum256(s.jwks)
	s.etag = `"` + base64.RawURLEncoding.EncodeToString(sum[:18]) + `"`
	return s, nil
}

// sameKeys reports whether s holds exactly the keys published lists, in
// its order. A kid names one key for good, so equal kids are equal keys.
func (s *KeySet) sameKeys(published []store.SigningKey) bool {
	return slices.EqualFunc(s.kids, published, func(kid string, k store.SigningKey) bool { return kid == k.ID })
}

// PublicKeys answers the keys a relying party may meet in the tenant's
// tokens: active, next, and retired keys not yet past PublishUntil.
func (m *Manager) PublicKeys(ctx context.Context, tenantID string) ([]*PublicKey, error) {
	s, err := m.KeySet(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	return s.keys, nil
}

// KeySet answers the tenant's published keys (see PublicKeys) with their
// JWKS document. The set is cached for CacheFor: every JWKS request and
// token check reads it, and a key is published a whole rotation before it
// signs, so a set a few seconds old still holds every key in use. When the
// cache runs out and the store lists the same keys, the set already built
// (and its document) is kept: it is rebuilt only when the keys change.
func (m *Manager) KeySet(ctx context.Context, tenantID string) (*KeySet, error) {
	now := m.now()
	if s, ok := m.published.Get(tenantID, now); ok {
		return s, nil
	}
	since := m.published.Generation()
	current, err := m.loadKeys(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	published := current.published(m.now())
	s, ok := m.published.Stale(tenantID)
	if !ok || !s.sameKeys(published) {
		if s, err = newKeySet(published); err != nil {
			return nil, err
		}
	}
	m.published.Put(tenantID, s, now, now.Add(m.cacheFor), since)
	return s, nil
}

// JWKSDocument answers the tenant's JSON Web Key Set encoded, and its
// strong ETag.
func (m *Manager) JWKSDocument(ctx context.Context, tenantID string) ([]byte, string, error) {
	s, err := m.KeySet(ctx, tenantID)
	if err != nil {
		return nil, "", err
	}
	return s.jwks, s.etag, nil
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
