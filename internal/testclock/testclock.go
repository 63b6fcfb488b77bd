// Package testclock is a settable clock for tests: expiry, rotation,
// backoff and lockout are tested by moving it, never by sleeping. It is
// safe for the concurrent use the servers under test make of it.
package testclock

import (
	"sync"
	"time"
)

// Clock answers the time it was last set to.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// New answers a clock standing at start.
func New(start time.Time) *Clock { return &Clock{now: start} }

// Now answers the clock's time; pass it where a func() time.Time goes.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock on by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}
