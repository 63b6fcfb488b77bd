package cli

import (
	"context"
	"net/http"

	"github.com/foyer-idp/foyer/internal/store"
)

// The tenants policy commands through the admin API: Graph's
// authorizationPolicy with Foyer's invitation-domain and redemption
// extensions, changed by one PATCH.

const authorizationPolicyPath = "/v1.0/policies/authorizationPolicy"

// domainRuleNone is how the API names the absence of a domain rule.
const domainRuleNone = "none"

// remoteAuthorizationPolicy is the part of the API's authorizationPolicy
// the commands read.
type remoteAuthorizationPolicy struct {
	AllowInvitesFrom     string   `json:"allowInvitesFrom"`
	InvitationDomainRule string   `json:"invitationDomainRule"`
	InvitationDomains    []string `json:"invitationDomains"`
	RedemptionOrder      []string `json:"redemptionOrder"`
	RedeemWithAnyAccount bool     `json:"redeemWithAnyAccount"`
}

func (r remoteAdmin) tenantSlug() string { return r.c.tenant }

func (r remoteAdmin) invitationPolicy(ctx context.Context) (store.InvitationPolicy, error) {
	var p remoteAuthorizationPolicy
	if err := r.c.call(ctx, http.MethodGet, authorizationPolicyPath, nil, &p); err != nil {
		return store.InvitationPolicy{}, err
	}
	rule := p.InvitationDomainRule
	if rule == domainRuleNone {
		rule = ""
	}
	return store.InvitationPolicy{AllowInvitesFrom: p.AllowInvitesFrom, DomainRule: rule, Domains: p.InvitationDomains,
		RedemptionOrder: p.RedemptionOrder, RedeemWithAnyAccount: p.RedeemWithAnyAccount}, nil
}

// updateInvitationPolicy sends p as one PATCH, which the server applies
// whole or refuses whole, and reads the policy back.
func (r remoteAdmin) updateInvitationPolicy(ctx context.Context, p invitationPolicyPatch) (store.InvitationPolicy, error) {
	body := map[string]any{}
	if p.AllowInvitesFrom != nil {
		body["allowInvitesFrom"] = *p.AllowInvitesFrom
	}
	if p.DomainRule != nil {
		rule := *p.DomainRule
		if rule == "" {
			rule = domainRuleNone
		}
		body["invitationDomainRule"], body["invitationDomains"] = rule, nonNil(p.Domains)
	}
	if p.RedemptionOrder != nil {
		body["redemptionOrder"] = nonNil(*p.RedemptionOrder)
	}
	if p.RedeemWithAnyAccount != nil {
		body["redeemWithAnyAccount"] = *p.RedeemWithAnyAccount
	}
	if err := r.c.call(ctx, http.MethodPatch, authorizationPolicyPath, body, nil); err != nil {
		return store.InvitationPolicy{}, err
	}
	return r.invitationPolicy(ctx)
}
