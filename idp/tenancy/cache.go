package tenancy

import (
	"context"
	"time"

	"github.com/foyer-idp/foyer/internal/store"
	"github.com/foyer-idp/foyer/internal/ttlcache"
)

// maxCachedTenants bounds the cache. Only tenants that exist are cached,
// so random slugs cannot grow it.
const maxCachedTenants = 10_000

// Cache answers tenants by slug from memory for a short while. Every
// request on a tenant's routes resolves its slug, and a tenant changes
// rarely: the read it saves is a tenth of a token request. A change is
// seen at once where the node is told of it (Forget), and otherwise when
// the entry runs out. Unknown slugs and errors are not cached.
type Cache struct {
	tenants Tenants
	ttl     time.Duration
	now     func() time.Time
	entries *ttlcache.Cache[string, store.Tenant]
}

// NewCache answers a Cache in front of tenants; now is time.Now when nil.
func NewCache(tenants Tenants, ttl time.Duration, now func() time.Time) *Cache {
	if now == nil {
		now = time.Now
	}
	return &Cache{tenants: tenants, ttl: ttl, now: now, entries: ttlcache.New[string, store.Tenant](maxCachedTenants)}
}

// GetTenantBySlug answers the cached tenant, or asks the store.
func (c *Cache) GetTenantBySlug(ctx context.Context, slug string) (store.Tenant, error) {
	now := c.now()
	if t, ok := c.entries.Get(slug, now); ok {
		return t, nil
	}
	since := c.entries.Generation()
	t, err := c.tenants.GetTenantBySlug(ctx, slug)
	if err != nil {
		return store.Tenant{}, err
	}
	c.entries.Put(slug, t, now, now.Add(c.ttl), since)
	return t, nil
}

// Forget drops the tenant with this id (every tenant when id is empty):
// it is read again on its next request.
func (c *Cache) Forget(id string) {
	c.entries.Forget(func(_ string, t store.Tenant) bool { return id == "" || t.ID == id })
}
