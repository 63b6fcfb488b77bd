package tenancy

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/internal/store"
)

type countingTenants struct {
	calls   int
	tenants map[string]store.Tenant
}

func (c *countingTenants) GetTenantBySlug(_ context.Context, slug string) (store.Tenant, error) {
	c.calls++
	t, ok := c.tenants[slug]
	if !ok {
		return store.Tenant{}, store.ErrNotFound
	}
	return t, nil
}

func TestCacheServesFromMemoryUntilTTL(t *testing.T) {
	t.Parallel()
	backing := &countingTenants{tenants: map[string]store.Tenant{"woodgrove": {ID: "1", Slug: "woodgrove", DisplayName: "Old"}}}
	now := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	c := NewCache(backing, 5*time.Second, func() time.Time { return now })

	for range 3 {
		got, err := c.GetTenantBySlug(t.Context(), "woodgrove")
		require.NoError(t, err)
		require.Equal(t, "Old", got.DisplayName)
	}
	require.Equal(t, 1, backing.calls)

	backing.tenants["woodgrove"] = store.Tenant{ID: "1", Slug: "woodgrove", DisplayName: "New"}
	now = now.Add(5 * time.Second)
	got, err := c.GetTenantBySlug(t.Context(), "woodgrove")
	require.NoError(t, err)
	require.Equal(t, "New", got.DisplayName, "an expired entry is read again")
	require.Equal(t, 2, backing.calls)
}

func TestCacheDoesNotCacheMisses(t *testing.T) {
	t.Parallel()
	backing := &countingTenants{tenants: map[string]store.Tenant{}}
	c := NewCache(backing, time.Minute, nil)
	for range 3 {
		_, err := c.GetTenantBySlug(t.Context(), "nobody")
		require.ErrorIs(t, err, store.ErrNotFound)
	}
	require.Equal(t, 3, backing.calls)
	backing.tenants["nobody"] = store.Tenant{ID: "2", Slug: "nobody"}
	_, err := c.GetTenantBySlug(t.Context(), "nobody")
	require.NoError(t, err, "a tenant created after a miss is found at once")
}

func TestCacheForgetsATenantWhenTold(t *testing.T) {
	t.Parallel()
	backing := &countingTenants{tenants: map[string]store.Tenant{
		"woodgrove": {ID: "1", Slug: "woodgrove", DisplayName: "Old"},
		"fabrikam":  {ID: "2", Slug: "fabrikam", DisplayName: "Fabrikam"},
	}}
	c := NewCache(backing, time.Hour, nil)
	for _, slug := range []string{"woodgrove", "fabrikam"} {
		_, err := c.GetTenantBySlug(t.Context(), slug)
		require.NoError(t, err)
	}
	backing.tenants["woodgrove"] = store.Tenant{ID: "1", Slug: "woodgrove", DisplayName: "New"}
	c.Forget("1")
	got, err := c.GetTenantBySlug(t.Context(), "woodgrove")
	require.NoError(t, err)
	require.Equal(t, "New", got.DisplayName, "read again at once, long before the hour")
	_, err = c.GetTenantBySlug(t.Context(), "fabrikam")
	require.NoError(t, err)
	require.Equal(t, 3, backing.calls, "the other tenant was kept")
	c.Forget("")
	_, err = c.GetTenantBySlug(t.Context(), "fabrikam")
	require.NoError(t, err)
	require.Equal(t, 4, backing.calls, "forgetting everything reaches every tenant")
}
