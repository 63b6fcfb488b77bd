package signin

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/foyer-idp/foyer/internal/audit"
	"github.com/foyer-idp/foyer/internal/store"
)

// throttleKeys are the counters one attempt touches.
type throttleKeys struct {
	account string
	address string // empty when the request carries no client address
}

// normalizeAccount is how an account name is compared: trimmed and
// lower-cased, as the directory stores mail and user principal names.
func normalizeAccount(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// throttleKeys names the counters of an attempt. The account name is
// hashed: counters need not hold what people typed.
func (f *Flow) throttleKeys(ctx context.Context, typed string) throttleKeys {
	k := throttleKeys{account: "signin:account:" + f.hasher.Hash("account\x00"+normalizeAccount(typed))}
	if ip := audit.RequestFrom(ctx).ClientIP; ip != "" {
		k.address = "signin:address:" + ip
	}
	return k
}

// throttled reports whether the account or the address has failed too
// often in the current window. Once it has, even the right password is
// refused until the window ends.
func (f *Flow) throttled(ctx context.Context, t store.Tenant, k throttleKeys) (bool, error) {
	now := f.clock()
	n, err := f.store.GetCounter(ctx, t.ID, k.account, now)
	if err != nil {
		return false, err
	}
	if n >= f.throttle.PerAccount {
		return true, nil
	}
	if k.address == "" {
		return false, nil
	}
	n, err = f.store.GetCounter(ctx, t.ID, k.address, now)
	if err != nil {
		return false, err
	}
	return n >= f.throttle.PerAddress, nil
}

// countFailure adds a failure to both counters. Each window starts at its
// counter's first failure and is not extended by later ones.
func (f *Flow) countFailure(ctx context.Context, t store.Tenant, k throttleKeys) error {
	now := f.clock()
	until := now.Add(f.throttle.Window)
	if _, err := f.store.IncrementCounter(ctx, t.ID, k.account, until, now); err != nil {
		return err
	}
	if k.address == "" {
		return nil
	}
	_, err := f.store.IncrementCounter(ctx, t.ID, k.address, until, now)
	return err
}

// clearAccountFailures forgets the account's failures after a success. The
// address keeps its count: one right password must not reset a spray over
// many accounts.
func (f *Flow) clearAccountFailures(ctx context.Context, t store.Tenant, k throttleKeys) {
	if err := f.store.DeleteCounter(ctx, t.ID, k.account); err != nil && !errors.Is(err, store.ErrNotFound) {
		f.logger.WarnContext(ctx, "clear sign-in failures", "tenant", t.Slug, "err", err)
	}
}

func equalStrings(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// admitAttempt answers the throttle keys of a sign-in attempt with the
// typed account, and false after answering a throttled one: audited, with
// Retry-After, the page (login or passcode) shown again saying so.
func (f *Flow) admitAttempt(w http.ResponseWriter, r *http.Request, tx transaction, typed, page string, again view) (throttleKeys, bool) {
	ctx := r.Context()
	keys := f.throttleKeys(ctx, typed)
	throttled, err := f.throttled(ctx, tx.tenant, keys)
	if err != nil {
		f.Unavailable(w, r, tx.tenant, "read sign-in throttle", err)
		return keys, false
	}
	if throttled {
		f.signInEvent(ctx, tx.tenant, tx.app, f.typedActor(ctx, tx.tenant, typed), ActivitySignIn, resultThrottled, "too many failed attempts")
		w.Header().Set("Retry-After", fmt.Sprint(int(f.throttle.Window.Seconds())))
		again.Error = throttledMessage(f.throttle.Window)
		f.render(w, r, http.StatusTooManyRequests, page, again)
		return keys, false
	}
	return keys, true
}
