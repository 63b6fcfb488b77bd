package ttlcache_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/internal/ttlcache"
)

var t0 = time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)

func TestGetUntilItRunsOut(t *testing.T) {
	c := ttlcache.New[string, int](10)
	c.Put("a", 1, t0, t0.Add(time.Second), c.Generation())
	v, ok := c.Get("a", t0.Add(999*time.Millisecond))
	require.True(t, ok)
	require.Equal(t, 1, v)
	_, ok = c.Get("a", t0.Add(time.Second))
	require.False(t, ok, "run out at its deadline")
	v, ok = c.Stale("a")
	require.True(t, ok, "a run-out value stays for Stale until swept")
	require.Equal(t, 1, v)
	_, ok = c.Get("b", t0)
	require.False(t, ok)
}

func TestForgetMatchingOnly(t *testing.T) {
	c := ttlcache.New[string, int](10)
	until := t0.Add(time.Hour)
	for k, v := range map[string]int{"a": 1, "b": 2, "c": 3} {
		c.Put(k, v, t0, until, c.Generation())
	}
	c.Forget(func(_ string, v int) bool { return v == 2 })
	_, ok := c.Get("b", t0)
	require.False(t, ok, "forgotten")
	v, ok := c.Stale("b")
	require.True(t, ok, "forgotten values stay for Stale")
	require.Equal(t, 2, v)
	for _, k := range []string{"a", "c"} {
		_, ok := c.Get(k, t0)
		require.True(t, ok, "%s not forgotten", k)
	}
	c.Forget(nil)
	for _, k := range []string{"a", "c"} {
		_, ok := c.Get(k, t0)
		require.False(t, ok, "%s forgotten with everything", k)
	}
}

// A load that read before a Forget must not put back what it read.
func TestPutAfterForgetIsDropped(t *testing.T) {
	c := ttlcache.New[string, int](10)
	since := c.Generation()
	c.Forget(func(k string, _ int) bool { return k == "a" })
	c.Put("a", 1, t0, t0.Add(time.Hour), since)
	_, ok := c.Get("a", t0)
	require.False(t, ok)
	_, ok = c.Stale("a")
	require.False(t, ok)
	c.Put("a", 2, t0, t0.Add(time.Hour), c.Generation())
	v, ok := c.Get("a", t0)
	require.True(t, ok)
	require.Equal(t, 2, v)
}

func TestPutSweepsAndStaysBounded(t *testing.T) {
	c := ttlcache.New[int, int](3)
	c.Put(1, 1, t0, t0.Add(time.Second), c.Generation())
	c.Put(2, 2, t0, t0.Add(time.Minute), c.Generation())
	// A lifetime later the next Put sweeps the run-out entry out.
	later := t0.Add(2 * time.Second)
	c.Put(3, 3, later, later.Add(time.Minute), c.Generation())
	_, ok := c.Stale(1)
	require.False(t, ok, "swept")
	_, ok = c.Stale(2)
	require.True(t, ok, "still fresh, kept")
	// Full of fresh entries: it starts afresh rather than grow.
	c.Put(4, 4, later, later.Add(time.Minute), c.Generation())
	c.Put(5, 5, later, later.Add(time.Minute), c.Generation())
	for _, k := range []int{2, 3} {
		_, ok := c.Stale(k)
		require.False(t, ok, "%d dropped when the cache started afresh", k)
	}
	_, ok = c.Get(5, later)
	require.True(t, ok)
}
