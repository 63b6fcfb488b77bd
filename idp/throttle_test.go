package idp_test

import (
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/internal/store"
	"github.com/foyer-idp/foyer/internal/store/sqlstore/sqltest"
)

// The sign-in throttle attacked from outside: lock-out as denial of
// service, and client addresses behind proxies.

// runWoodgroveBehind is runWoodgrove with Foyer trusting the given proxies.
func runWoodgroveBehind(t *testing.T, proxies []netip.Prefix, fn func(t *testing.T, w woodgrove)) {
	t.Helper()
	sqltest.Run(t, func(t *testing.T, b sqltest.Backend) {
		e := newEnv(t, b, func(o *envOptions) { o.trustedProxies = proxies })
		fn(t, newWoodgrove(t, e))
	})
}

// loopbackProxies makes the test clients, all on loopback, trusted
// proxies: their X-Forwarded-For and Forwarded headers name the client.
var loopbackProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}

// signInAttempt starts a fresh sign-in in b and posts the password, from
// the given headers.
func (w woodgrove) signInAttempt(t *testing.T, b *rawBrowser, email, pass string, header ...string) response {
	t.Helper()
	_, id, csrf := b.startLogin(w.web.authURL(url.Values{"prompt": {"login"}}))
	return b.post(w.issuer("woodgrove")+"/login", loginValues(id, csrf, email, pass), header...)
}

// TestAttackerCannotLockOwnerOut: fifty wrong passwords for alice from
// another device and address do not stop alice signing in from the
// browser she used before; unknown devices stay throttled, and her
// sign-in does not reset the attacker's delays.
func TestAttackerCannotLockOwnerOut(t *testing.T) {
	t.Parallel()
	runWoodgroveBehind(t, loopbackProxies, func(t *testing.T, w woodgrove) {
		owner := newRawBrowser(t)
		ownerAt := []string{"X-Forwarded-For", "198.51.100.10"}
		r := w.signInAttempt(t, owner, w.alice.Mail, password, ownerAt...)
		require.Equal(t, http.StatusFound, r.status, r.body)
		require.Contains(t, owner.cookies, "foyer-device", "a successful sign-in makes the browser a known device")
		device := owner.cookies["foyer-device"]
		require.True(t, device.HttpOnly)

		attacker := newRawBrowser(t)
		refused := 0
		for i := range 50 {
			w.clock.Advance(time.Minute)
			r := w.signInAttempt(t, attacker, w.alice.Mail, "guess "+string(rune('a'+i%26)), "X-Forwarded-For", "203.0.113.66")
			require.Contains(t, []int{http.StatusUnauthorized, http.StatusTooManyRequests}, r.status, r.body)
			if r.status == http.StatusTooManyRequests {
				refused++
			}
		}
		require.Positive(t, refused, "the attacker was slowed down")

		r = w.signInAttempt(t, owner, w.alice.Mail, password, ownerAt...)
		require.Equal(t, http.StatusFound, r.status, "the owner's known device signs in: %s", pageError(r.body))
		require.NotContains(t, r.header.Get("Location"), "/login")

		// A device that never signed in to alice is still held back, even
		// with the right password, and even after the owner's success.
		stranger := newRawBrowser(t)
		r = w.signInAttempt(t, stranger, w.alice.Mail, password, "X-Forwarded-For", "198.51.100.77")
		require.Equal(t, http.StatusTooManyRequests, r.status)
		require.NotEmpty(t, r.header.Get("Retry-After"))

		// The device cookie is good for alice only.
		r = w.signInAttempt(t, owner, "Alice@Woodgrove.test ", password, ownerAt...)
		require.Equal(t, http.StatusFound, r.status, "another spelling is the same account")
		bob := w.member(t, w.tn, "bob@woodgrove.test")
		for range 5 {
			r = w.signInAttempt(t, owner, bob.Mail, "wrong", ownerAt...)
			require.Equal(t, http.StatusUnauthorized, r.status)
		}
		r = w.signInAttempt(t, owner, bob.Mail, password, ownerAt...)
		require.Equal(t, http.StatusTooManyRequests, r.status, "not a known device of bob's")

		// The known device has a budget of its own: it too waits after
		// failures, which does not help the attacker.
		for range 5 {
			r = w.signInAttempt(t, owner, w.alice.Mail, "typo", ownerAt...)
			require.Equal(t, http.StatusUnauthorized, r.status)
		}
		r = w.signInAttempt(t, owner, w.alice.Mail, password, ownerAt...)
		require.Equal(t, http.StatusTooManyRequests, r.status)
	})
}

// TestUnknownDeviceWaitsLongerAndLonger: after five failures each attempt
// must wait twice as long as the last, Retry-After saying how long, and
// the right password works once the wait is over: no 15-minute lock.
func TestUnknownDeviceWaitsLongerAndLonger(t *testing.T) {
	t.Parallel()
	runWoodgrove(t, func(t *testing.T, w woodgrove) {
		b := newRawBrowser(t)
		for range 5 {
			r := w.signInAttempt(t, b, w.alice.Mail, "wrong")
			require.Equal(t, http.StatusUnauthorized, r.status)
		}
		for _, wait := range []int{30, 60, 120, 240} {
			r := w.signInAttempt(t, b, w.alice.Mail, password)
			require.Equal(t, http.StatusTooManyRequests, r.status, "the right password waits too")
			require.Equal(t, map[int]string{30: "Wait 30 seconds", 60: "Wait 1 minute", 120: "Wait 2 minutes", 240: "Wait 4 minutes"}[wait], strings.TrimSuffix(strings.TrimPrefix(pageError(r.body), "Too many attempts. "), ", then try again."))
			require.Equal(t, strconv.Itoa(wait), strings.TrimSpace(r.header.Get("Retry-After")))
			w.clock.Advance(time.Duration(wait-1) * time.Second)
			r = w.signInAttempt(t, b, w.alice.Mail, "wrong")
			require.Equal(t, http.StatusTooManyRequests, r.status, "a second early")
			require.Equal(t, "1", r.header.Get("Retry-After"))
			w.clock.Advance(time.Second)
			r = w.signInAttempt(t, b, w.alice.Mail, "wrong")
			require.Equal(t, http.StatusUnauthorized, r.status, "after %ds", wait)
		}
		r := w.signInAttempt(t, b, w.alice.Mail, password)
		require.Equal(t, "480", r.header.Get("Retry-After"))
		w.clock.Advance(8 * time.Minute)
		r = w.signInAttempt(t, b, w.alice.Mail, password)
		require.Equal(t, http.StatusFound, r.status, pageError(r.body))

		// Success forgot the failures: five free attempts again.
		for range 5 {
			r = w.signInAttempt(t, b, w.alice.Mail, "wrong")
			require.Equal(t, http.StatusUnauthorized, r.status)
		}
	})
}

// TestThrottleBehindTrustedProxy: behind a trusted proxy each forwarded
// client has its own address limit, so twenty failures from one do not
// lock the proxy's other clients out; audit records the forwarded address.
func TestThrottleBehindTrustedProxy(t *testing.T) {
	t.Parallel()
	runWoodgroveBehind(t, loopbackProxies, func(t *testing.T, w woodgrove) {
		sprayer := newRawBrowser(t)
		for i := range 20 {
			r := w.signInAttempt(t, sprayer, "user"+strconv.Itoa(i)+"@woodgrove.test", "guess", "X-Forwarded-For", "203.0.113.9, 127.0.0.1")
			require.Equal(t, http.StatusUnauthorized, r.status)
		}
		r := w.signInAttempt(t, sprayer, "user99@woodgrove.test", "guess", "X-Forwarded-For", "203.0.113.9")
		require.Equal(t, http.StatusTooManyRequests, r.status, "the sprayer's address is spent")
		// Claiming another address left of its own does not help it.
		r = w.signInAttempt(t, sprayer, "user98@woodgrove.test", "guess", "X-Forwarded-For", "192.0.2.1, 203.0.113.9")
		require.Equal(t, http.StatusTooManyRequests, r.status)

		other := newRawBrowser(t)
		r = w.signInAttempt(t, other, w.alice.Mail, password, "Forwarded", `for="[2001:db8::7]:4711";proto=https`)
		require.Equal(t, http.StatusFound, r.status, "another client of the same proxy signs in: %s", pageError(r.body))

		events, err := w.raw.ListSignIns(t.Context(), store.SignInFilter{TenantID: w.tn.ID})
		require.NoError(t, err)
		require.Equal(t, "2001:db8::7", events[0].IPAddress, "the success, newest first")
		require.Zero(t, events[0].ErrorCode)
		require.Equal(t, "203.0.113.9", events[1].IPAddress)
	})
}

// TestForwardedHeadersFromUntrustedPeersIgnored: a client that is not a
// trusted proxy cannot pick its address: spoofed X-Forwarded-For and
// Forwarded headers neither reset nor dodge its limit, nor reach audit.
func TestForwardedHeadersFromUntrustedPeersIgnored(t *testing.T) {
	t.Parallel()
	for name, proxies := range map[string][]netip.Prefix{
		"by default":         nil,
		"another proxy only": {netip.MustParsePrefix("10.0.0.0/8")},
	} {
		t.Run(name, func(t *testing.T) {
			runWoodgroveBehind(t, proxies, func(t *testing.T, w woodgrove) {
				b := newRawBrowser(t)
				for i := range 20 {
					spoof := "198.51.100." + strconv.Itoa(i+1)
					r := w.signInAttempt(t, b, "user"+strconv.Itoa(i)+"@woodgrove.test", "guess",
						"X-Forwarded-For", spoof, "Forwarded", "for="+spoof)
					require.Equal(t, http.StatusUnauthorized, r.status)
				}
				r := w.signInAttempt(t, newRawBrowser(t), w.alice.Mail, password,
					"X-Forwarded-For", "192.0.2.200", "Forwarded", "for=192.0.2.200")
				require.Equal(t, http.StatusTooManyRequests, r.status, "a fresh spoofed address dodges nothing")

				events, err := w.raw.ListSignIns(t.Context(), store.SignInFilter{TenantID: w.tn.ID})
				require.NoError(t, err)
				require.NotEmpty(t, events)
				for _, e := range events {
					require.Equal(t, "127.0.0.1", e.IPAddress)
				}
			})
		})
	}
}

// signInAll posts n sign-ins of alice at once, each from a fresh browser
// with its own sign-in already started, and answers their statuses.
func (w woodgrove) signInAll(t *testing.T, n int, pass func(i int) string) map[int]int {
	t.Helper()
	type ready struct {
		b        *rawBrowser
		id, csrf string
	}
	starts := make([]ready, n)
	for i := range starts {
		b := newRawBrowser(t)
		_, id, csrf := b.startLogin(w.web.authURL(url.Values{"prompt": {"login"}}))
		starts[i] = ready{b, id, csrf}
	}
	statuses := make(chan int, n)
	var wg sync.WaitGroup
	for i, s := range starts {
		wg.Go(func() {
			statuses <- s.b.post(w.issuer("woodgrove")+"/login", loginValues(s.id, s.csrf, w.alice.Mail, pass(i))).status
		})
	}
	wg.Wait()
	close(statuses)
	count := map[int]int{}
	for s := range statuses {
		count[s]++
	}
	return count
}

// TestBurstTriesNoMoreThanTheBudget: wrong passwords sent all at once
// from fresh browsers are checked hardly more often than the five free
// failures and the first delayed attempt allow; the rest are told to wait.
// Without slots every one of them would be checked.
func TestBurstTriesNoMoreThanTheBudget(t *testing.T) {
	t.Parallel()
	runWoodgrove(t, func(t *testing.T, w woodgrove) {
		const burst = 24
		got := w.signInAll(t, burst, func(i int) string { return "guess " + strconv.Itoa(i) })
		require.Equal(t, burst, got[http.StatusUnauthorized]+got[http.StatusTooManyRequests], "%v", got)
		require.GreaterOrEqual(t, got[http.StatusUnauthorized], 5, "the free failures are checked: %v", got)
		// A few attempts that counted before others failed may slip in
		// beside the delayed one, never the whole burst.
		require.LessOrEqual(t, got[http.StatusUnauthorized], 10, "%v", got)
	})
}

// TestConcurrentSignInsOfOneAccount: the right password sent at once from
// many fresh browsers signs every one of them in; slots make them wait
// their turn, never refuse them.
func TestConcurrentSignInsOfOneAccount(t *testing.T) {
	t.Parallel()
	runWoodgrove(t, func(t *testing.T, w woodgrove) {
		const n = 12
		got := w.signInAll(t, n, func(int) string { return password })
		require.Equal(t, map[int]int{http.StatusFound: n}, got)
	})
}
