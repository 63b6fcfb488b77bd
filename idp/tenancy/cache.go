package tenancy

import (
	"context"
	"sync"
	"time"

	"github.com/foyer-idp/foyer/internal/store"
)

// maxCachedTenants bounds the cache; past it the cache starts afresh.
// Only tenants that exist are cached, so random slugs cannot grow it.
const maxCachedTenants = 10_000

// Cache answers tenants by slug from memory for a short while. Every
// request on a tenant's routes resolves its slug, and a tenant changes
// rarely: a few seconds of staleness (a new display name, a deletion
// whose rows are already gone) costs nothing, while the read it saves is
// a tenth of a token request. Unknown slugs and errors are not cached.
type Cache struct {
	tenants Tenants
	ttl     time.Duration
	now     func() time.Time

	mu      sync.RWMutex
	entries map[string]cachedTenant
}

type cachedTenant struct {
	tenant store.Tenant
	until  time.Time
}

// NewCache answers a Cache in front of tenants; now is time.Now when nil.
func NewCache(tenants Tenants, ttl time.Duration, now func() time.Time) *Cache {
	if now == nil {
		now = time.Now
	}
	return &Cache{tenants: tenants, ttl: ttl, now: now, entries: make(map[string]cachedTenant)}
}

// GetTenantBySlug answers the cached tenant, or asks the store.
func (c *Cache) GetTenantBySlug(ctx context.Context, slug string) (store.Tenant, error) {
	now := c.now()
	c.mu.RLock()
	e, ok := c.entries[slug]
	c.mu.RUnlock()
	if ok && now.Before(e.until) {
		return e.tenant, nil
	}
	t, err := c.tenants.GetTenantBySlug(ctx, slug)
	if err != nil {
		return store.Tenant{}, err
	}
	c.mu.Lock()
	if len(c.entries) >= maxCachedTenants {
		c.entries = make(map[string]cachedTenant)
	}
	c.entries[slug] = cachedTenant{tenant: t, until: now.Add(c.ttl)}
	c.mu.Unlock()
	return t, nil
}
