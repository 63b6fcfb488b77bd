package signin

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/foyer-idp/foyer/internal/audit"
	"github.com/foyer-idp/foyer/internal/secret"
	"github.com/foyer-idp/foyer/internal/store"
)

// Sign-in throttling, after NIST SP 800-63B §5.2.2 and OWASP's advice on
// lock-out: failures are counted per account *and device*. A browser that
// has signed in to an account before carries a device cookie and keeps its
// own failure budget for that account, so failures from anywhere else
// never lock the owner's known device out. Every other device shares the
// account's budget: after Throttle.PerAccount failures each further
// attempt waits twice as long as the one before (BaseDelay, 2×, 4×, … up to
// MaxDelay) instead of a hard lock, and only Throttle.Ceiling failures in
// AccountWindow close the account to unknown devices for the rest of it.
// Unknown devices are also limited per client address (see
// internal/httpx for how the address is found behind proxies).
//
// Every counter lives in the database, so all nodes share them. Each
// attempt holds a slot of its budget while it is checked, claimed
// atomically (store.Counters.ClaimCounter), so a burst cannot try more
// passwords than the budget has left, however many arrive at once: while
// failures are still free, a budget has as many slots as free failures
// (others wait a moment for one); once the next failure would start a
// delay, there is one slot, the gate, held for that delay.

// attemptHold is how long a free slot is held while its attempt is
// checked. It ends early when the attempt does; it only runs out if the
// node dies mid-attempt.
const attemptHold = 10 * time.Second

// slotWait bounds how long an attempt waits for a free slot, and
// slotPoll how often it looks, before it is answered "too many attempts".
const (
	slotWait = 5 * time.Second
	slotPoll = 20 * time.Millisecond
)

// Throttle limits failed sign-ins; zero fields take the defaults.
type Throttle struct {
	// PerAccount failures of an account from unknown devices, or from one
	// known device, are free; each further attempt waits. Default 5.
	PerAccount int64
	// BaseDelay is the wait after the PerAccount-th failure; it doubles
	// with every further failure, up to MaxDelay. Defaults 30s and 15m.
	BaseDelay time.Duration
	MaxDelay  time.Duration
	// Ceiling failures of a budget in AccountWindow close it until the
	// window ends. Defaults 100 and 24h; failures are forgotten
	// AccountWindow after the first or at a successful sign-in.
	Ceiling       int64
	AccountWindow time.Duration
	// PerAddress failures from one client IP in Window refuse that
	// address (unknown devices only) until the window ends. Defaults 20
	// and 15 minutes.
	PerAddress int64
	Window     time.Duration
	// DeviceLifetime is how long a device stays known after its last
	// successful sign-in to an account. Default 90 days.
	DeviceLifetime time.Duration
}

// withDefaults fills the zero fields.
func (t Throttle) withDefaults() Throttle {
	def := func(v *int64, d int64) {
		if *v == 0 {
			*v = d
		}
	}
	dur := func(v *time.Duration, d time.Duration) {
		if *v == 0 {
			*v = d
		}
	}
	def(&t.PerAccount, 5)
	dur(&t.BaseDelay, 30*time.Second)
	dur(&t.MaxDelay, 15*time.Minute)
	def(&t.Ceiling, 100)
	dur(&t.AccountWindow, 24*time.Hour)
	def(&t.PerAddress, 20)
	dur(&t.Window, 15*time.Minute)
	dur(&t.DeviceLifetime, 90*24*time.Hour)
	return t
}

// delay is how long a budget waits after its failures-th failure: nothing
// before PerAccount, then BaseDelay doubling up to MaxDelay, and the rest of
// the window at the ceiling.
func (t Throttle) delay(failures int64) time.Duration {
	switch {
	case failures < t.PerAccount:
		return 0
	case failures >= t.Ceiling:
		return t.AccountWindow
	}
	d := t.BaseDelay
	for i := t.PerAccount; i < failures && d < t.MaxDelay; i++ {
		d *= 2
	}
	return min(d, t.MaxDelay)
}

// attempt is what one sign-in attempt counts against.
type attempt struct {
	// budget counts failures: the account's, or this known device's for
	// the account. gate is the budget's gate; slot the counter this
	// attempt holds while it is checked (the gate, or a free slot).
	budget, gate, slot string
	// device is the known device's mark; empty for an unknown device.
	device string
	// address counts the client address's failures; empty for a known
	// device or a request without an address.
	address string
	// failures is the budget's count when the attempt was let through.
	failures int64
}

// normalizeAccount is how an account name is compared: trimmed and
// lower-cased, as the directory stores mail and user principal names.
func normalizeAccount(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// deviceCookie names the cookie that makes a browser a known device.
func (c *Core) deviceCookie() string { return c.cookieName("foyer-device") }

// deviceMark is the counter key saying the device signed in to the typed
// account. Only a keyed hash of the cookie is stored.
func (c *Core) deviceMark(value, typed string) string {
	return "signin:device:" + c.hasher.Hash("device\x00"+value+"\x00"+normalizeAccount(typed))
}

// attemptFor names the counters of an attempt at the typed account. The
// account name is hashed: counters need not hold what people typed.
func (c *Core) attemptFor(r *http.Request, t store.Tenant, typed string) (attempt, error) {
	ctx := r.Context()
	a := attempt{budget: "signin:account:" + c.hasher.Hash("account\x00"+normalizeAccount(typed))}
	if value, ok := cookieValue(r, c.deviceCookie()); ok {
		mark := c.deviceMark(value, typed)
		n, err := c.store.GetCounter(ctx, t.ID, mark, c.clock())
		if err != nil {
			return attempt{}, err
		}
		if n > 0 {
			a.device, a.budget = mark, mark+":failures"
		}
	}
	a.gate = a.budget + ":gate"
	if ip := audit.RequestFrom(ctx).ClientIP; ip != "" && a.device == "" {
		a.address = "signin:address:" + ip
	}
	return a, nil
}

// admit decides whether an attempt may be checked now. When it may, it
// holds a slot of the budget: the gate, for the delay that applies if this
// attempt fails, or while failures are still free, one of as many slots as
// there are free failures left, waiting up to slotWait for one. When it
// may not, it answers how long to wait.
func (c *Core) admit(ctx context.Context, t store.Tenant, a *attempt) (time.Duration, error) {
	now := c.clock()
	if a.address != "" {
		n, err := c.store.GetCounter(ctx, t.ID, a.address, now)
		if err != nil {
			return 0, err
		}
		if n >= c.throttle.PerAddress {
			return c.throttle.Window, nil
		}
	}
	deadline := time.Now().Add(slotWait)
	for {
		now := c.clock()
		n, err := c.store.GetCounter(ctx, t.ID, a.budget, now)
		if err != nil {
			return 0, err
		}
		a.failures = n
		if hold := c.throttle.delay(n + 1); hold > 0 {
			ok, until, err := c.store.ClaimCounter(ctx, t.ID, a.gate, now.Add(hold), now)
			if err != nil || !ok {
				return max(until.Sub(now), time.Second), err
			}
			a.slot = a.gate
			return 0, nil
		}
		// Failures are still free (n+1 < PerAccount): one slot for each,
		// the lowest free one taken. Counted again once held, since others
		// may have failed meanwhile: a slot beyond the free failures left
		// is given back.
		for i := range c.throttle.PerAccount - 1 - n {
			slot := fmt.Sprintf("%s:slot:%d", a.gate, i)
			ok, _, err := c.store.ClaimCounter(ctx, t.ID, slot, now.Add(attemptHold), now)
			if err != nil {
				return 0, err
			}
			if !ok {
				continue
			}
			n, err := c.store.GetCounter(ctx, t.ID, a.budget, now)
			if err == nil && i < c.throttle.PerAccount-1-n {
				a.slot, a.failures = slot, n
				return 0, nil
			}
			c.deleteCounter(context.WithoutCancel(ctx), t, slot)
			if err != nil {
				return 0, err
			}
			break
		}
		// Every slot is in use: wait for one, counting again after.
		if time.Now().After(deadline) {
			return time.Second, nil
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(slotPoll):
		}
	}
}

// countFailure adds a failure to the attempt's budget and address, frees
// its slot, and shuts the gate for the delay the new count asks for. It
// runs to the end when the client has gone: a guesser must not escape the
// count, nor leave a slot held, by closing the connection.
func (c *Core) countFailure(ctx context.Context, t store.Tenant, a attempt) error {
	ctx = context.WithoutCancel(ctx)
	now := c.clock()
	n, err := c.store.IncrementCounter(ctx, t.ID, a.budget, now.Add(c.throttle.AccountWindow), now)
	if err != nil {
		return err
	}
	if a.address != "" {
		if _, err := c.store.IncrementCounter(ctx, t.ID, a.address, now.Add(c.throttle.Window), now); err != nil {
			return err
		}
	}
	d := c.throttle.delay(n)
	if a.slot == a.gate && d > 0 && n == a.failures+1 {
		return nil // admit shut the gate for exactly this delay
	}
	if a.slot == a.gate || d > 0 {
		// The gate's hold no longer fits the count: start it again.
		c.deleteCounter(ctx, t, a.gate)
	}
	if a.slot != a.gate {
		c.deleteCounter(ctx, t, a.slot)
	}
	if d == 0 {
		return nil
	}
	_, _, err = c.store.ClaimCounter(ctx, t.ID, a.gate, now.Add(d), now)
	return err
}

// countSuccess forgets the budget's failures and opens its gate, and
// makes this browser a known device of the typed account. The address
// keeps its count: one right password must not reset a spray over many
// accounts. A success on a known device leaves the account's budget
// alone, so the owner signing in does not reset an attacker's delays.
func (c *Core) countSuccess(w http.ResponseWriter, r *http.Request, t store.Tenant, a attempt, typed string) {
	ctx := context.WithoutCancel(r.Context())
	c.deleteCounter(ctx, t, a.budget)
	c.deleteCounter(ctx, t, a.gate)
	if a.slot != a.gate {
		c.deleteCounter(ctx, t, a.slot)
	}
	value, ok := cookieValue(r, c.deviceCookie())
	if !ok {
		value = secret.NewToken(cookieSecretBytes)
	}
	mark := c.deviceMark(value, typed)
	// Deleted first so the mark's lifetime starts again now.
	c.deleteCounter(ctx, t, mark)
	now := c.clock()
	if _, err := c.store.IncrementCounter(ctx, t.ID, mark, now.Add(c.throttle.DeviceLifetime), now); err != nil {
		c.logger.WarnContext(ctx, "remember sign-in device", "tenant", t.Slug, "err", err)
		return
	}
	c.setCookie(w, c.deviceCookie(), value, c.throttle.DeviceLifetime)
}

// release frees the slot of an attempt that neither failed nor succeeded
// (a disabled account, a store failure).
func (c *Core) release(ctx context.Context, t store.Tenant, a attempt) {
	c.deleteCounter(context.WithoutCancel(ctx), t, a.slot)
}

func (c *Core) deleteCounter(ctx context.Context, t store.Tenant, key string) {
	if err := c.store.DeleteCounter(ctx, t.ID, key); err != nil && !errors.Is(err, store.ErrNotFound) {
		c.logger.WarnContext(ctx, "reset sign-in counter", "tenant", t.Slug, "err", err)
	}
}

func equalStrings(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// retryAfter is a Retry-After value: whole seconds, rounded up.
func retryAfter(d time.Duration) string {
	return fmt.Sprint(int64((d + time.Second - 1) / time.Second))
}

// admitAttempt answers the counters of a sign-in attempt with the typed
// account, and false after answering a throttled one: audited, with
// Retry-After saying when to come back, the page (login or passcode) shown
// again saying so.
func (c *Core) admitAttempt(w http.ResponseWriter, r *http.Request, tx transaction, typed, page string, again View) (attempt, bool) {
	ctx := r.Context()
	a, err := c.attemptFor(r, tx.tenant, typed)
	if err != nil {
		c.Unavailable(w, r, tx.tenant, "read sign-in throttle", err)
		return a, false
	}
	wait, err := c.admit(ctx, tx.tenant, &a)
	if err != nil {
		c.Unavailable(w, r, tx.tenant, "read sign-in throttle", err)
		return a, false
	}
	if wait > 0 {
		o := c.typedFailure(ctx, tx, typed, "", CodeThrottled, "Too many failed attempts.")
		o.result = resultThrottled
		c.recordSignIn(ctx, o)
		w.Header().Set("Retry-After", retryAfter(wait))
		again.Error = throttledMessage(wait)
		c.Render(w, r, http.StatusTooManyRequests, page, again)
		return a, false
	}
	return a, true
}
