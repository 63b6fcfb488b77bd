package ttlcache

import (
	"sync"
	"time"
)

// Cache holds at most about max values by key, each until a deadline.
// The zero value is not usable; call New.
type Cache[K comparable, V any] struct {
	max int

	mu        sync.RWMutex
	entries   map[K]entry[V]
	gen       uint64
	nextSweep time.Time
}

type entry[V any] struct {
	value V
	until time.Time
}

// New answers an empty cache of about max entries: past it, run-out
// entries are swept, and if that is not enough it starts afresh (only
// records that exist are cached, so a flood of unknown keys cannot grow
// it).
func New[K comparable, V any](max int) *Cache[K, V] {
	return &Cache[K, V]{max: max, entries: make(map[K]entry[V])}
}

// Get answers k's value while it has not run out at now.
func (c *Cache[K, V]) Get(k K, now time.Time) (V, bool) {
	c.mu.RLock()
	e, ok := c.entries[k]
	c.mu.RUnlock()
	if !ok || !now.Before(e.until) {
		var zero V
		return zero, false
	}
	return e.value, true
}

// Stale answers k's value even when it has run out or was forgotten, so
// a reload that finds nothing changed can keep what was built from it.
func (c *Cache[K, V]) Stale(k K) (V, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	e, ok := c.entries[k]
	return e.value, ok
}

// Generation answers a number that changes with every Forget; take it
// before reading what Put will store.
func (c *Cache[K, V]) Generation() uint64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.gen
}

// Put keeps v for k until until, unless a Forget came after since was
// taken: then v may be what the change replaced, and is not kept. Once a
// lifetime (until - now) at most, Put sweeps run-out entries out, so
// values of keys no longer asked for (a tenant's private key) do not
// linger.
func (c *Cache[K, V]) Put(k K, v V, now, until time.Time, since uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != since {
		return
	}
	if !now.Before(c.nextSweep) || len(c.entries) >= c.max {
		c.sweep(now)
		c.nextSweep = until
	}
	if len(c.entries) >= c.max {
		c.entries = make(map[K]entry[V])
	}
	c.entries[k] = entry[V]{value: v, until: until}
}

func (c *Cache[K, V]) sweep(now time.Time) {
	for k, e := range c.entries {
		if !now.Before(e.until) {
			delete(c.entries, k)
		}
	}
}

// Forget makes every entry for which match answers true run out at once
// (each stays for Stale until swept); a nil match forgets all. Loads
// already under way will not put back what they read.
func (c *Cache[K, V]) Forget(match func(K, V) bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	for k, e := range c.entries {
		if match == nil || match(k, e.value) {
			e.until = time.Time{}
			c.entries[k] = e
		}
	}
}
