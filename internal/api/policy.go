package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/foyer-idp/foyer/internal/directory"
	"github.com/foyer-idp/foyer/internal/store"
)

// The tenant's authorization policy, shaped like Graph's
// authorizationPolicy singleton (GET and PATCH
// /v1.0/policies/authorizationPolicy). Of Graph's properties Foyer has id,
// displayName, description and allowInvitesFrom. Foyer's extensions say
// from which domains guests may be invited:
//
//   - invitationDomainRule: "allow" (only invitationDomains), "deny" (any
//     but invitationDomains) or "none" (any domain);
//   - invitationDomains: host names such as "fabrikam.com", or
//     "*.fabrikam.com" for every subdomain (not fabrikam.com itself).
//
// Graph keeps this list in the B2B management policy; Foyer keeps it
// beside allowInvitesFrom, so one PATCH changes both.
//
// Two more extensions say how a guest redeems an invitation:
//
//   - redemptionOrder: the ways to try, in order, from partnerTenant,
//     identityProvider, socialProvider and emailPasscode (Entra's
//     redemption order; each at most once, the ways left out are not
//     offered; an empty array restores the default, all four in that
//     order);
//   - redeemWithAnyAccount: the account a guest redeems with need not
//     prove the invited address (Entra's looser rule; it is recorded and
//     audited instead).
var authorizationPolicyResource = resource{
	name:       "microsoft.graph.authorizationPolicy",
	collection: "policies/authorizationPolicy",
	fields: []string{"id", "displayName", "description", "allowInvitesFrom",
		"invitationDomainRule", "invitationDomains", "redemptionOrder", "redeemWithAnyAccount"},
	settable: []string{"allowInvitesFrom", "invitationDomainRule", "invitationDomains",
		"redemptionOrder", "redeemWithAnyAccount"},
}

// domainRuleNone is how the API names the absence of a domain rule.
const domainRuleNone = "none"

type authorizationPolicyView struct {
	ID                   string   `json:"id"`
	DisplayName          string   `json:"displayName"`
	Description          string   `json:"description"`
	AllowInvitesFrom     string   `json:"allowInvitesFrom"`
	InvitationDomainRule string   `json:"invitationDomainRule"`
	InvitationDomains    []string `json:"invitationDomains"`
	RedemptionOrder      []string `json:"redemptionOrder"`
	RedeemWithAnyAccount bool     `json:"redeemWithAnyAccount"`
}

func policyView(p store.InvitationPolicy) authorizationPolicyView {
	v := authorizationPolicyView{
		ID: directory.AuthorizationPolicyID, DisplayName: "Authorization Policy",
		Description:      "Used to manage authorization related settings across the company.",
		AllowInvitesFrom: directory.AllowInvitesFrom(p), InvitationDomainRule: p.DomainRule,
		InvitationDomains: slices.Clone(p.Domains), RedemptionOrder: slices.Clone(p.RedemptionOrder),
		RedeemWithAnyAccount: p.RedeemWithAnyAccount,
	}
	if len(v.RedemptionOrder) == 0 {
		v.RedemptionOrder = slices.Clone(store.DefaultRedemptionOrder)
	}
	if v.InvitationDomainRule == "" {
		v.InvitationDomainRule = domainRuleNone
	}
	if v.InvitationDomains == nil {
		v.InvitationDomains = []string{}
	}
	return v
}

func (a *API) getAuthorizationPolicy(w http.ResponseWriter, r *http.Request, p Principal) error {
	q, err := a.parseQuery(r, p, authorizationPolicyResource, false)
	if err != nil {
		return err
	}
	t, err := a.dir.Tenant(r.Context(), p.TenantID)
	if err != nil {
		return err
	}
	return a.writeEntity(w, http.StatusOK, authorizationPolicyResource, policyView(t.Invitations), q.selects)
}

// patchAuthorizationPolicy changes the properties the body holds; the
// others keep their values. Setting invitationDomainRule to "none" without
// invitationDomains also empties the list.
func (a *API) patchAuthorizationPolicy(w http.ResponseWriter, r *http.Request, p Principal) error {
	obj, err := decodeBody(w, r, authorizationPolicyResource)
	if err != nil {
		return err
	}
	d := fieldDecoder{obj: obj}
	var level, rule *string
	d.str("allowInvitesFrom", &level)
	d.str("invitationDomainRule", &rule)
	var domains *[]string
	if raw, ok := obj["invitationDomains"]; ok {
		var list []string
		if err := json.Unmarshal(raw, &list); err != nil {
			d.errs = append(d.errs, "Invalid value specified for property 'invitationDomains': must be an array of domain names.")
		} else {
			domains = &list
		}
	}
	if rule != nil && *rule == "" {
		d.errs = append(d.errs, "Invalid value specified for property 'invitationDomainRule': must be allow, deny or none.")
	}
	var order *[]string
	if raw, ok := obj["redemptionOrder"]; ok {
		var list []string
		if err := json.Unmarshal(raw, &list); err != nil || list == nil {
			d.errs = append(d.errs, "Invalid value specified for property 'redemptionOrder': must be an array of "+redemptionWays+".")
		} else if msg := checkRedemptionOrder(list); msg != "" {
			d.errs = append(d.errs, msg)
		} else {
			order = &list
		}
	}
	var anyAccount *bool
	d.boolean("redeemWithAnyAccount", &anyAccount)
	if err := d.err(); err != nil {
		return err
	}
	t, err := a.dir.Tenant(r.Context(), p.TenantID)
	if err != nil {
		return err
	}
	redemption := order != nil || anyAccount != nil
	invitation := level != nil || rule != nil || domains != nil
	if redemption && !invitation {
		return a.setRedemptionPolicy(w, r, t, order, anyAccount)
	}
	next := t.Invitations
	next.AllowInvitesFrom = directory.AllowInvitesFrom(next)
	if level != nil {
		next.AllowInvitesFrom = *level
	}
	if rule != nil {
		next.DomainRule = *rule
		if *rule == domainRuleNone {
			next.DomainRule = ""
			if domains == nil {
				next.Domains = nil
			}
		}
	}
	if domains != nil {
		next.Domains = *domains
	}
	if t, err = a.dir.SetInvitationPolicy(r.Context(), p.TenantID, next); err != nil {
		return err
	}
	if redemption {
		// The order was checked above, so this write does not refuse
		// after the first succeeded.
		return a.setRedemptionPolicy(w, r, t, order, anyAccount)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// redemptionWays lists the values of redemptionOrder, for messages.
var redemptionWays = strings.Join(store.DefaultRedemptionOrder, ", ")

// checkRedemptionOrder answers what is wrong with a redemptionOrder, or "".
// The directory checks it too; checking here first means a PATCH that
// also changes the invitation policy is refused before either write.
func checkRedemptionOrder(order []string) string {
	var bad []string
	seen := map[string]bool{}
	for _, w := range order {
		if !slices.Contains(store.DefaultRedemptionOrder, w) || seen[w] {
			bad = append(bad, strconv.Quote(w))
		}
		seen[w] = true
	}
	if len(bad) > 0 {
		return fmt.Sprintf("Invalid value specified for property 'redemptionOrder': %s: each must be one of %s, at most once.",
			strings.Join(bad, ", "), redemptionWays)
	}
	return ""
}

// setRedemptionPolicy changes the redemption order and rule the body
// names; the other keeps its value.
func (a *API) setRedemptionPolicy(w http.ResponseWriter, r *http.Request, t store.Tenant, order *[]string, anyAccount *bool) error {
	next, nextAny := t.Invitations.RedemptionOrder, t.Invitations.RedeemWithAnyAccount
	if order != nil {
		next = *order
	}
	if anyAccount != nil {
		nextAny = *anyAccount
	}
	if _, err := a.dir.SetRedemptionPolicy(r.Context(), t.ID, next, nextAny); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
