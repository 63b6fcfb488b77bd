package directory

import (
	"context"
	"errors"
	"time"

	"github.com/foyer-idp/foyer/internal/audit"
	"github.com/foyer-idp/foyer/internal/secret"
	"github.com/foyer-idp/foyer/internal/store"
)

// Config carries the directory's dependencies.
type Config struct {
	Store store.Store
	// SecretHasher hashes generated client secrets (keyed SHA-256).
	SecretHasher *secret.Hasher
	// Passwords hashes member passwords (argon2id).
	Passwords *secret.PasswordHasher
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Invitations configures Invite; without it Invite refuses.
	Invitations *InvitationConfig
	// Federation configures identity providers; without it the provider
	// methods refuse (domains and the redemption policy work regardless).
	Federation *FederationConfig
}

// Directory is the service over tenants, users, groups, applications and
// roles.
type Directory struct {
	store     store.Store
	secrets   *secret.Hasher
	passwords *secret.PasswordHasher
	now       func() time.Time
	invites   *InvitationConfig
	fed       *FederationConfig
}

// New checks cfg and answers a Directory.
func New(cfg Config) (*Directory, error) {
	var errs []error
	if cfg.Store == nil {
		errs = append(errs, errors.New("directory: Store is required"))
	}
	if cfg.SecretHasher == nil {
		errs = append(errs, errors.New("directory: SecretHasher is required"))
	}
	if cfg.Passwords == nil {
		errs = append(errs, errors.New("directory: Passwords is required"))
	}
	if cfg.Invitations != nil {
		errs = append(errs, cfg.Invitations.check())
	}
	if cfg.Federation != nil {
		errs = append(errs, cfg.Federation.check())
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Directory{store: cfg.Store, secrets: cfg.SecretHasher, passwords: cfg.Passwords, now: cfg.Now, invites: cfg.Invitations,
		fed: cfg.Federation}, nil
}

func (d *Directory) clock() time.Time { return d.now().UTC().Truncate(time.Microsecond) }

// change runs fn in one transaction and records e in it, so a change never
// lands without its audit event. fn may fill in e's target. When the change
// fails, a failure event is recorded on its own (best effort: the caller
// gets the change's error either way).
func (d *Directory) change(ctx context.Context, e audit.Entry, fn func(tx store.Store, e *audit.Entry) error) error {
	err := d.store.InTx(ctx, func(tx store.Store) error {
		if err := fn(tx, &e); err != nil {
			return err
		}
		return audit.Record(ctx, tx, d.clock(), e)
	})
	if err != nil && e.TenantID != "" {
		e.Err = errors.New(auditReason(err))
		_ = audit.Record(ctx, d.store, d.clock(), e)
	}
	return err
}
