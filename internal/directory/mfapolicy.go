package directory

import (
	"context"
	"slices"
	"strings"

	"github.com/foyer-idp/foyer/internal/store"
)

// MFAPolicyID names the tenant's multi-factor policy in the admin API and
// the audit log.
const MFAPolicyID = "mfaPolicy"

// The TOTP time step a tenant may choose, in seconds.
const (
	DefaultMFAPeriodSeconds = 30
	MinMFAPeriodSeconds     = 15
	MaxMFAPeriodSeconds     = 120
)

// MFARequiredLevels are the values of MFAPolicy.Required.
var MFARequiredLevels = []string{store.MFARequiredNobody, store.MFARequiredGuests, store.MFARequiredEveryone}

// MFARequired answers the tenant's rule, guests when unset.
func MFARequired(p store.MFAPolicy) string { return p.Rule() }

// MFAPeriodSeconds answers the tenant's TOTP time step, 30 when unset.
func MFAPeriodSeconds(p store.MFAPolicy) int {
	if p.PeriodSeconds == 0 {
		return DefaultMFAPeriodSeconds
	}
	return p.PeriodSeconds
}

// SetMFAPolicy replaces the tenant's multi-factor policy after checking
// it: Required one of MFARequiredLevels, PeriodSeconds 0 (the default,
// 30) or from 15 to 120. The time step is built into every registered
// authenticator app, so it may change only while no user of the tenant
// has one (reset them first); otherwise every one of them would stop
// working. The change is audited as "Update policy".
func (d *Directory) SetMFAPolicy(ctx context.Context, tenantID string, p store.MFAPolicy) (store.Tenant, error) {
	return d.setTenantPolicy(ctx, tenantID, MFAPolicyID, func() error { return checkMFAPolicy(p) },
		func(tx store.Store, t *store.Tenant) error {
			if MFAPeriodSeconds(p) != MFAPeriodSeconds(t.MFA) {
				if err := periodMayChange(ctx, tx, *t); err != nil {
					return err
				}
			}
			t.MFA = p
			return nil
		})
}

// checkMFAPolicy names every problem with p by the admin API's property
// names.
func checkMFAPolicy(p store.MFAPolicy) error {
	var probs problems
	if !slices.Contains(MFARequiredLevels, p.Required) {
		probs.add(invalid("required", "must be one of %s", strings.Join(MFARequiredLevels, ", ")))
	}
	if p.PeriodSeconds != 0 && (p.PeriodSeconds < MinMFAPeriodSeconds || p.PeriodSeconds > MaxMFAPeriodSeconds) {
		probs.add(invalid("periodSeconds", "must be from %d to %d seconds (0 for the default, %d)",
			MinMFAPeriodSeconds, MaxMFAPeriodSeconds, DefaultMFAPeriodSeconds))
	}
	return probs.Err()
}

// periodMayChange refuses a new time step while users have an
// authenticator registered: their apps make codes at the old one.
func periodMayChange(ctx context.Context, tx store.Store, t store.Tenant) error {
	regs, err := tx.ListMFARegistrations(ctx, t.ID)
	if err != nil {
		return err
	}
	n := 0
	for _, r := range regs {
		if r.Registered {
			n++
		}
	}
	if n > 0 {
		return invalid("periodSeconds", "cannot change while %d users have an authenticator app registered "+
			"(their apps make a code every %d seconds); reset their MFA first", n, MFAPeriodSeconds(t.MFA))
	}
	return nil
}
