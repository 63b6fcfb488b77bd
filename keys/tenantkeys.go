package keys

import (
	"context"
	"fmt"
	"time"

	"github.com/foyer-idp/foyer/internal/store"
)

// tenantKeys is a tenant's stored keys sorted by state.
type tenantKeys struct {
	tenantID string
	active   *store.SigningKey
	next     *store.SigningKey
	retired  []store.SigningKey // newest first, as the store lists them
}

// loadKeys reads the tenant's keys. Two keys in the active or next state
// mean the lifecycle was broken outside this package; that is an error
// rather than a guess at which one to sign with.
func (m *Manager) loadKeys(ctx context.Context, tenantID string) (tenantKeys, error) {
	stored, err := m.store.ListSigningKeys(ctx, tenantID)
	if err != nil {
		return tenantKeys{}, fmt.Errorf("list signing keys of tenant %q: %w", tenantID, err)
	}
	keys := tenantKeys{tenantID: tenantID}
	for i := range stored {
		k := &stored[i]
		switch k.State {
		case store.KeyActive:
			if keys.active != nil {
				return tenantKeys{}, fmt.Errorf("tenant %q has more than one active signing key", tenantID)
			}
			keys.active = k
		case store.KeyNext:
			if keys.next != nil {
				return tenantKeys{}, fmt.Errorf("tenant %q has more than one next signing key", tenantID)
			}
			keys.next = k
		case store.KeyRetired:
			keys.retired = append(keys.retired, *k)
		default:
			return tenantKeys{}, fmt.Errorf("signing key %q of tenant %q has unknown state %q", k.ID, tenantID, k.State)
		}
	}
	return keys, nil
}

// complete reports whether the tenant has a key to sign with and one
// waiting to take over.
func (t tenantKeys) complete() bool { return t.active != nil && t.next != nil }

// published answers the keys the JWKS lists at now: active, next and the
// retired keys whose tokens may still be in use.
func (t tenantKeys) published(now time.Time) []store.SigningKey {
	var out []store.SigningKey
	for _, k := range []*store.SigningKey{t.active, t.next} {
		if k != nil {
			out = append(out, *k)
		}
	}
	for _, k := range t.retired {
		if k.PublishUntil != nil && now.Before(*k.PublishUntil) {
			out = append(out, k)
		}
	}
	return out
}

// activeSince answers when the active key started signing.
func (t tenantKeys) activeSince() time.Time {
	if t.active.ActivatedAt != nil {
		return *t.active.ActivatedAt
	}
	return t.active.CreatedAt
}

func (t tenantKeys) state() (KeyState, error) {
	if !t.complete() {
		return KeyState{}, fmt.Errorf("tenant %q lacks an active or next signing key", t.tenantID)
	}
	s := KeyState{Active: keyInfo(*t.active), Next: keyInfo(*t.next)}
	for _, k := range t.retired {
		s.Retired = append(s.Retired, keyInfo(k))
	}
	return s, nil
}
