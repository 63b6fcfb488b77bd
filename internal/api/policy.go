package api

import (
	"encoding/json"
	"net/http"
	"slices"

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
var authorizationPolicyResource = resource{
	name:       "microsoft.graph.authorizationPolicy",
	collection: "policies/authorizationPolicy",
	fields: []string{"id", "displayName", "description", "allowInvitesFrom",
		"invitationDomainRule", "invitationDomains"},
	settable: []string{"allowInvitesFrom", "invitationDomainRule", "invitationDomains"},
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
}

func policyView(p store.InvitationPolicy) authorizationPolicyView {
	v := authorizationPolicyView{
		ID: directory.AuthorizationPolicyID, DisplayName: "Authorization Policy",
		Description:      "Used to manage authorization related settings across the company.",
		AllowInvitesFrom: directory.AllowInvitesFrom(p), InvitationDomainRule: p.DomainRule,
		InvitationDomains: slices.Clone(p.Domains),
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
	if err := d.err(); err != nil {
		return err
	}
	t, err := a.dir.Tenant(r.Context(), p.TenantID)
	if err != nil {
		return err
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
	if _, err := a.dir.SetInvitationPolicy(r.Context(), p.TenantID, next); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
