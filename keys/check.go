package keys

import (
	"context"
	"errors"

	"github.com/foyer-idp/foyer/internal/store"
)

// ErrNoKeys says a tenant has no active signing key yet: serve makes the
// keys at start and on first use.
var ErrNoKeys = errors.New("no active signing key")

// Check opens a tenant's active and next signing keys under the sealer's
// master key, changing nothing: an error says the keys are missing
// (ErrNoKeys), their records are inconsistent, or the master key cannot
// unseal them (the wrong key for this database).
func (m *Manager) Check(ctx context.Context, tenantID string) error {
	current, err := m.loadKeys(ctx, tenantID)
	if err != nil {
		return err
	}
	if current.active == nil {
		return ErrNoKeys
	}
	for _, k := range []*store.SigningKey{current.active, current.next} {
		if k == nil {
			continue
		}
		if _, err := openSigningKey(m.sealer, *k); err != nil {
			return err
		}
	}
	return nil
}
