package directory

import (
	"context"
	"slices"
	"strings"

	"github.com/foyer-idp/foyer/internal/store"
)

// RedemptionPolicyID names the redemption order in the audit log, as
// Graph names it.
const RedemptionPolicyID = "invitationRedemptionIdentityProviderConfiguration"

var redemptionWays = []string{store.RedeemPartnerTenant, store.RedeemIdentityProvider, store.RedeemSocialProvider, store.RedeemEmailPasscode}

// SetRedemptionPolicy sets the tenant's redemption order (store.Redeem…
// values, each at most once; empty for the default) and whether any
// account may redeem. Audited as "Update policy".
func (d *Directory) SetRedemptionPolicy(ctx context.Context, tenantID string, order []string, anyAccount bool) (store.Tenant, error) {
	check := func() error {
		if fe := checkRedemptionOrder(order); fe != nil {
			return fe
		}
		return nil
	}
	return d.setTenantPolicy(ctx, tenantID, RedemptionPolicyID, check, func(_ store.Store, t *store.Tenant) error {
		t.Invitations.RedemptionOrder = append([]string{}, order...)
		t.Invitations.RedeemWithAnyAccount = anyAccount
		return nil
	})
}

func checkRedemptionOrder(order []string) *FieldError {
	for i, way := range order {
		if !slices.Contains(redemptionWays, way) {
			return invalid("redemptionOrder", "%q is not one of %s", way, strings.Join(redemptionWays, ", "))
		}
		if slices.Contains(order[:i], way) {
			return invalid("redemptionOrder", "%q is listed twice", way)
		}
	}
	return nil
}

// RedemptionOrder answers the tenant's order, the default when unset.
func RedemptionOrder(p store.InvitationPolicy) []string {
	if len(p.RedemptionOrder) == 0 {
		return slices.Clone(store.DefaultRedemptionOrder)
	}
	return slices.Clone(p.RedemptionOrder)
}
