package directory

import (
	"context"
	"errors"

	"github.com/foyer-idp/foyer/internal/secret"
	"github.com/foyer-idp/foyer/internal/store"
)

// Federation, one file per subject: a tenant's verified domains
// (domains.go), its upstream identity providers (identityproviders.go),
// partner providers for other tenants of this Foyer (partners.go), the
// redemption order (redemptionpolicy.go), and the profile a guest's
// upstream sign-in keeps up to date (profilerefresh.go). Their signatures
// are the contract the admin API, the CLI, the bootstrap files and the
// sign-in pages build on; this file holds what they share.

// ErrFederationNotConfigured answers the identity provider methods of a
// directory built without a FederationConfig.
var ErrFederationNotConfigured = errors.New("directory: federation is not configured")

// FederationConfig is what the directory needs for identity providers.
type FederationConfig struct {
	// Sealer seals upstream client secrets (the master key's "idp-secrets"
	// purpose); associated data binds each to its tenant and provider.
	Sealer *secret.Sealer
	// CheckURL refuses an issuer or endpoint URL that resolves to a
	// loopback, private or link-local address unless the operator allowed
	// those (federation's guard); nil checks nothing.
	CheckURL func(ctx context.Context, rawURL string) error
	// Issuer answers a tenant's issuer URL ({external}/t/{slug}).
	Issuer func(t store.Tenant) string
	// CallbackURL answers the URL upstream providers send a tenant's
	// guests back to ({external}/t/{slug}/federation/callback).
	CallbackURL func(t store.Tenant) string
}

func (c *FederationConfig) check() error {
	var errs []error
	if c.Sealer == nil {
		errs = append(errs, errors.New("directory: Federation.Sealer is required"))
	}
	if c.Issuer == nil || c.CallbackURL == nil {
		errs = append(errs, errors.New("directory: Federation.Issuer and CallbackURL are required"))
	}
	return errors.Join(errs...)
}
