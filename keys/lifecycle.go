package keys

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/foyer-idp/foyer/internal/audit"
	"github.com/foyer-idp/foyer/internal/store"
)

// Ensure gives the tenant an active and a next key if it lacks them, in
// one transaction with a "Create signing keys" audit event. It is
// idempotent, and when nodes race the database picks one; the others find
// its keys.
func (m *Manager) Ensure(ctx context.Context, tenantID string) error {
	_, err := m.ensure(ctx, tenantID)
	return err
}

// ensure is Ensure answering the tenant's keys.
func (m *Manager) ensure(ctx context.Context, tenantID string) (tenantKeys, error) {
	current, err := m.loadKeys(ctx, tenantID)
	if err != nil || current.complete() {
		return current, err
	}
	err = m.fillGaps(ctx, current)
	m.published.Forget(ofTenant[*KeySet](tenantID)) // a set cached before these keys existed
	if err != nil && !errors.Is(err, store.ErrConflict) {
		return tenantKeys{}, err
	}
	// Read back what was made: ours, or on a conflict another node's.
	current, err = m.loadKeys(ctx, tenantID)
	if err == nil && !current.complete() {
		err = fmt.Errorf("tenant %q still lacks signing keys after creating them", tenantID)
	}
	return current, err
}

// fillGaps creates what the tenant lacks. A missing active key is made by
// the conditional first rotation (no active key expected), so two nodes
// creating keys at once cannot both succeed.
func (m *Manager) fillGaps(ctx context.Context, current tenantKeys) error {
	alg, err := m.tenantAlgorithm(ctx, current.tenantID)
	if err != nil {
		return err
	}
	now := m.now()
	// Keys are generated before the transaction: RSA takes a while and the
	// transaction should not.
	next, createNext := current.next, current.next == nil
	if createNext {
		k, err := newKeyRecord(m.sealer, current.tenantID, alg, now)
		if err != nil {
			return err
		}
		next = &k
	}
	var firstRotation *store.KeyRotation
	if current.active == nil {
		r, err := m.rotation(current.tenantID, "", next.ID, alg, now)
		if err != nil {
			return err
		}
		firstRotation = &r
	}
	return m.store.InTx(ctx, func(tx store.Store) error {
		if createNext {
			if err := tx.CreateSigningKey(ctx, *next); err != nil {
				return fmt.Errorf("store next signing key: %w", err)
			}
		}
		if firstRotation != nil {
			if err := tx.RotateSigningKeys(ctx, *firstRotation); err != nil {
				return fmt.Errorf("activate first signing key: %w", err)
			}
		}
		return audit.Record(ctx, tx, now, keyEntry(current.tenantID, audit.ActivityCreateSigningKeys, next.ID, next.Algorithm))
	})
}

// Rotate rotates the tenant's keys now: next becomes active, active
// retires, a new next is made. When another node rotated at the same
// moment, its rotation stands for this one and Rotate answers the state it
// made. A tenant without keys gets them first.
func (m *Manager) Rotate(ctx context.Context, tenantID string) (KeyState, error) {
	current, err := m.ensure(ctx, tenantID)
	if err != nil {
		return KeyState{}, err
	}
	if err := m.rotate(ctx, current); err != nil && !errors.Is(err, store.ErrConflict) {
		return KeyState{}, err
	}
	after, err := m.loadKeys(ctx, tenantID)
	if err != nil {
		return KeyState{}, err
	}
	return after.state()
}

// RotateDue rotates each listed tenant whose active key has signed for
// RotationPeriod or longer. Tenants without keys are left to Ensure. A
// rotation another node won is no failure. Failures of one tenant do not
// stop the others; all are answered together.
func (m *Manager) RotateDue(ctx context.Context, tenantIDs []string) error {
	if m.rotationPeriod == 0 {
		return nil
	}
	var errs []error
	for _, id := range tenantIDs {
		if err := ctx.Err(); err != nil {
			return errors.Join(append(errs, err)...)
		}
		if err := m.rotateIfDue(ctx, id); err != nil {
			errs = append(errs, fmt.Errorf("tenant %q: %w", id, err))
		}
	}
	return errors.Join(errs...)
}

func (m *Manager) rotateIfDue(ctx context.Context, tenantID string) error {
	current, err := m.loadKeys(ctx, tenantID)
	if err != nil {
		return err
	}
	if !current.complete() || m.now().Before(current.activeSince().Add(m.rotationPeriod)) {
		return nil
	}
	err = m.rotate(ctx, current)
	if errors.Is(err, store.ErrConflict) {
		return nil
	}
	if err == nil {
		m.logger.InfoContext(ctx, "rotated signing keys", "tenant", tenantID, "active_kid", current.next.ID)
	}
	return err
}

// rotate makes one rotation step from the state current was read in. It
// answers store.ErrConflict when another node rotated since.
func (m *Manager) rotate(ctx context.Context, current tenantKeys) error {
	alg, err := m.tenantAlgorithm(ctx, current.tenantID)
	if err != nil {
		return err
	}
	now := m.now()
	// The new next key takes the tenant's algorithm of today, so a change
	// of algorithm reaches signing two rotations later, published all along.
	r, err := m.rotation(current.tenantID, current.active.ID, current.next.ID, alg, now)
	if err != nil {
		return err
	}
	err = m.store.InTx(ctx, func(tx store.Store) error {
		if err := tx.RotateSigningKeys(ctx, r); err != nil {
			return fmt.Errorf("rotate signing keys of tenant %q: %w", current.tenantID, err)
		}
		return audit.Record(ctx, tx, now, keyEntry(current.tenantID, audit.ActivityRotateSigningKeys, current.next.ID, current.next.Algorithm))
	})
	// Whoever won, this node's cached signer and key set are now stale.
	m.Forget(current.tenantID)
	return err
}

// rotation answers the step promoting promoteID over expectActiveID, with
// a freshly generated next key.
func (m *Manager) rotation(tenantID, expectActiveID, promoteID, alg string, now time.Time) (store.KeyRotation, error) {
	newNext, err := newKeyRecord(m.sealer, tenantID, alg, now)
	if err != nil {
		return store.KeyRotation{}, err
	}
	return store.KeyRotation{
		TenantID:       tenantID,
		ExpectActiveID: expectActiveID,
		PromoteID:      promoteID,
		NewNext:        newNext,
		At:             now,
		RetireUntil:    now.Add(m.retirePublishFor),
	}, nil
}

// keyEntry is the audit entry of a key change; the target is the key that
// signs (or will sign) from now on.
func keyEntry(tenantID, activity, kid, alg string) audit.Entry {
	return audit.Entry{
		TenantID: tenantID,
		Category: audit.CategoryKey,
		Activity: activity,
		Target:   audit.Target{Type: audit.TargetKey, ID: kid, Name: alg},
	}
}

// Run rotates due keys of the tenants listTenants answers, at once and
// then every 'every', until ctx ends. Failures are logged, not returned:
// the next round tries again.
func (m *Manager) Run(ctx context.Context, every time.Duration, listTenants func(context.Context) ([]string, error)) error {
	if every <= 0 || listTenants == nil {
		return errors.New("keys.Run needs a positive interval and a tenant lister")
	}
	if m.rotationPeriod == 0 {
		m.logger.InfoContext(ctx, "automatic signing key rotation is off")
		return nil
	}
	ticker := time.NewTicker(every)
	defer ticker.Stop()
	for {
		m.rotateRound(ctx, listTenants)
		select {
		case <-ctx.Done():
			return nil
		case <-ticker.C:
		}
	}
}

func (m *Manager) rotateRound(ctx context.Context, listTenants func(context.Context) ([]string, error)) {
	ids, err := listTenants(ctx)
	if err != nil {
		if ctx.Err() == nil {
			m.logger.ErrorContext(ctx, "list tenants for signing key rotation", "err", err)
		}
		return
	}
	if err := m.RotateDue(ctx, ids); err != nil && ctx.Err() == nil {
		m.logger.ErrorContext(ctx, "rotate due signing keys", "err", err)
	}
}
