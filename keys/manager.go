package keys

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/foyer-idp/foyer/internal/secret"
	"github.com/foyer-idp/foyer/internal/store"
	"github.com/foyer-idp/foyer/internal/ttlcache"
)

// Store is the storage the Manager needs. Writes go through InTx so each
// change commits with its audit event.
type Store interface {
	GetTenant(ctx context.Context, id string) (store.Tenant, error)
	ListSigningKeys(ctx context.Context, tenantID string) ([]store.SigningKey, error)
	InTx(ctx context.Context, fn func(tx store.Store) error) error
}

// Defaults for the zero values of Config.
const (
	DefaultRetirePublishFor = 24 * time.Hour
	DefaultCacheFor         = 10 * time.Second
)

// Config is what a Manager needs.
type Config struct {
	Store Store
	// Sealer seals private keys at rest; it should be the master key's
	// sealer for signing keys and no other purpose.
	Sealer *secret.Sealer
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// RotationPeriod is how long a key signs before RotateDue replaces it;
	// 0 turns automatic rotation off.
	RotationPeriod time.Duration
	// RetirePublishFor keeps a retired key in the JWKS this long: the
	// longest lifetime of anything it signed, plus clock skew. Default 24h.
	RetirePublishFor time.Duration
	// CacheFor is how long an unsealed signer is reused before the store is
	// asked again. Default 10s.
	CacheFor time.Duration
	// Logger receives rotation failures; slog.Default() when nil.
	Logger *slog.Logger
}

// Manager creates, rotates and serves tenants' signing keys. It is safe
// for concurrent use, and several Managers (one per node) may share a
// database: they agree through it, not through memory.
type Manager struct {
	store            Store
	sealer           *secret.Sealer
	now              func() time.Time
	rotationPeriod   time.Duration
	retirePublishFor time.Duration
	cacheFor         time.Duration
	logger           *slog.Logger
	// signers and published are keyed by tenant id.
	signers   *ttlcache.Cache[string, *SigningKey]
	published *ttlcache.Cache[string, *KeySet]
}

// New checks cfg, reporting every problem at once, and answers a Manager.
func New(cfg Config) (*Manager, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("keys config: %w", err)
	}
	return &Manager{
		store:            cfg.Store,
		sealer:           cfg.Sealer,
		now:              cfg.Now,
		rotationPeriod:   cfg.RotationPeriod,
		retirePublishFor: cfg.RetirePublishFor,
		cacheFor:         cfg.CacheFor,
		logger:           cfg.Logger,
		signers:          ttlcache.New[string, *SigningKey](maxCachedTenants),
		published:        ttlcache.New[string, *KeySet](maxCachedTenants),
	}, nil
}

func (c Config) withDefaults() Config {
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.RetirePublishFor == 0 {
		c.RetirePublishFor = DefaultRetirePublishFor
	}
	if c.CacheFor == 0 {
		c.CacheFor = DefaultCacheFor
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}

func (c Config) validate() error {
	var errs []error
	if c.Store == nil {
		errs = append(errs, errors.New("Store is required"))
	}
	if c.Sealer == nil {
		errs = append(errs, errors.New("Sealer is required"))
	}
	if c.RotationPeriod < 0 {
		errs = append(errs, fmt.Errorf("RotationPeriod %v is negative", c.RotationPeriod))
	}
	if c.RetirePublishFor < 0 {
		errs = append(errs, fmt.Errorf("RetirePublishFor %v is negative", c.RetirePublishFor))
	}
	if c.CacheFor < 0 {
		errs = append(errs, fmt.Errorf("CacheFor %v is negative", c.CacheFor))
	}
	// A node may sign with a cached key for CacheFor after another node
	// retired it; that key must still be published when the token arrives.
	if c.CacheFor > 0 && c.RetirePublishFor > 0 && c.RetirePublishFor <= c.CacheFor {
		errs = append(errs, fmt.Errorf("RetirePublishFor %v must be longer than CacheFor %v", c.RetirePublishFor, c.CacheFor))
	}
	return errors.Join(errs...)
}

// maxCachedTenants bounds how many tenants' keys a node keeps in memory.
const maxCachedTenants = 10_000

// Forget drops this node's cached signer and key set of the tenant (of
// every tenant when tenantID is empty), as when another node rotated its
// keys: they are read again at their next use. A signer whose key is still
// the active one is not unsealed again.
func (m *Manager) Forget(tenantID string) {
	m.signers.Forget(ofTenant[*SigningKey](tenantID))
	m.published.Forget(ofTenant[*KeySet](tenantID))
}

// ofTenant matches a cached value of the tenant, or every one when
// tenantID is empty.
func ofTenant[V any](tenantID string) func(string, V) bool {
	return func(id string, _ V) bool { return tenantID == "" || id == tenantID }
}

// tenantAlgorithm answers the algorithm the tenant's new keys use.
func (m *Manager) tenantAlgorithm(ctx context.Context, tenantID string) (string, error) {
	t, err := m.store.GetTenant(ctx, tenantID)
	if err != nil {
		return "", fmt.Errorf("load tenant %q: %w", tenantID, err)
	}
	if t.SigningAlg == "" {
		return DefaultAlgorithm, nil
	}
	return ParseAlgorithm(t.SigningAlg)
}
