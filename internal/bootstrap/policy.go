package bootstrap

import (
	"context"
	"slices"
	"strings"

	"github.com/foyer-idp/foyer/internal/directory"
	"github.com/foyer-idp/foyer/internal/store"
)

// invitationPolicy brings the tenant's invitation policy in line with
// the fields want declares, noting them as changed unless the tenant is
// new. It answers false when the directory refused.
func (a *applier) invitationPolicy(ctx context.Context, path string, tn *store.Tenant, want InvitationPolicy, created bool, changed *[]string) bool {
	path += ".invitationPolicy"
	next := tn.Invitations
	next.AllowInvitesFrom = directory.AllowInvitesFrom(next)
	var fields []string
	if want.AllowInvitesFrom != nil && *want.AllowInvitesFrom != next.AllowInvitesFrom {
		next.AllowInvitesFrom = *want.AllowInvitesFrom
		fields = append(fields, "invitationPolicy.allowInvitesFrom")
	}
	rename := map[string]string{"allowInvitesFrom": "allowInvitesFrom"}
	var rule, key string
	var domains []string
	switch {
	case want.AllowDomains != nil:
		rule, key, domains = store.InviteDomainsAllow, "allowDomains", want.AllowDomains
	case want.DenyDomains != nil:
		rule, key, domains = store.InviteDomainsDeny, "denyDomains", want.DenyDomains
	}
	if key != "" {
		rename["invitationDomains"], rename["invitationDomainRule"] = key, key
		// The directory keeps domains lower-cased, and a deny rule with
		// none as no rule.
		lower := make([]string, len(domains))
		for i, d := range domains {
			lower[i] = strings.ToLower(strings.TrimSpace(d))
		}
		if rule == store.InviteDomainsDeny && len(lower) == 0 {
			rule = ""
		}
		if rule != tn.Invitations.DomainRule || !sameSet(lower, tn.Invitations.Domains) {
			next.DomainRule, next.Domains = rule, domains
			fields = append(fields, "invitationPolicy."+key)
		}
	}
	if len(fields) > 0 {
		updated, err := a.dir.SetInvitationPolicy(ctx, tn.ID, next)
		if err != nil {
			a.failed(path, rename, err)
			return false
		}
		*tn = updated
	}
	redemption := a.redemptionPolicy(ctx, path, tn, want)
	if redemption == nil {
		return false
	}
	fields = append(fields, redemption...)
	if !created {
		*changed = append(*changed, fields...)
	}
	return true
}

// mfaPolicy brings the tenant's MFA policy in line with the fields want
// declares, compared by their effective values (an unset period is 30),
// noting them as changed unless the tenant is new. It answers false when
// the directory refused.
func (a *applier) mfaPolicy(ctx context.Context, path string, tn *store.Tenant, want MFAPolicy, created bool, changed *[]string) bool {
	next := store.MFAPolicy{Required: directory.MFARequired(tn.MFA), PeriodSeconds: tn.MFA.PeriodSeconds}
	var fields []string
	if want.Required != nil && *want.Required != next.Required {
		next.Required = *want.Required
		fields = append(fields, "mfaPolicy.required")
	}
	if want.PeriodSeconds != nil && directory.MFAPeriodSeconds(store.MFAPolicy{PeriodSeconds: *want.PeriodSeconds}) != directory.MFAPeriodSeconds(tn.MFA) {
		next.PeriodSeconds = *want.PeriodSeconds
		fields = append(fields, "mfaPolicy.periodSeconds")
	}
	if len(fields) == 0 {
		return true
	}
	updated, err := a.dir.SetMFAPolicy(ctx, tn.ID, next)
	if err != nil {
		a.failed(path+".mfaPolicy", nil, err)
		return false
	}
	*tn = updated
	if !created {
		*changed = append(*changed, fields...)
	}
	return true
}

// redemptionPolicy brings the tenant's redemption order and rule in line
// with want, answering the fields it changed, or nil when the directory
// refused.
func (a *applier) redemptionPolicy(ctx context.Context, path string, tn *store.Tenant, want InvitationPolicy) []string {
	effective := func(order []string) []string {
		if len(order) == 0 {
			return store.DefaultRedemptionOrder
		}
		return order
	}
	order, anyAccount := tn.Invitations.RedemptionOrder, tn.Invitations.RedeemWithAnyAccount
	fields := []string{}
	if want.RedemptionOrder != nil && !slices.Equal(effective(want.RedemptionOrder), effective(order)) {
		order = want.RedemptionOrder
		fields = append(fields, "invitationPolicy.redemptionOrder")
	}
	if want.RedeemWithAnyAccount != nil && *want.RedeemWithAnyAccount != anyAccount {
		anyAccount = *want.RedeemWithAnyAccount
		fields = append(fields, "invitationPolicy.redeemWithAnyAccount")
	}
	if len(fields) == 0 {
		return fields
	}
	updated, err := a.dir.SetRedemptionPolicy(ctx, tn.ID, order, anyAccount)
	if err != nil {
		a.failed(path, nil, err)
		return nil
	}
	*tn = updated
	return fields
}
