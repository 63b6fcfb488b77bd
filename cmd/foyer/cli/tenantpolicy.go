package cli

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/foyer-idp/foyer/internal/directory"
	"github.com/foyer-idp/foyer/internal/store"
)

// Invitation policy flags.
const (
	flagAllowInvitesFrom = "allow-invites-from"
	flagAllowDomains     = "allow-domains"
	flagDenyDomains      = "deny-domains"
	flagNoDomainRule     = "no-domain-rule"
	flagRedemptionOrder  = "redemption-order"
	flagRedeemAnyAccount = "redeem-with-any-account"
)

// invitationPolicyView is the policy as the commands print it, with the
// admin API's property names.
type invitationPolicyView struct {
	Tenant               string   `json:"tenant"`
	AllowInvitesFrom     string   `json:"allowInvitesFrom"`
	InvitationDomainRule string   `json:"invitationDomainRule"`
	InvitationDomains    []string `json:"invitationDomains"`
	RedemptionOrder      []string `json:"redemptionOrder"`
	RedeemWithAnyAccount bool     `json:"redeemWithAnyAccount"`
}

// invitationPolicyAdmin is what the tenants policy commands do in one
// tenant, locally or through the admin API (its authorizationPolicy).
type invitationPolicyAdmin interface {
	// tenantSlug is the tenant's slug, as the policy's output names it.
	tenantSlug() string
	invitationPolicy(ctx context.Context) (store.InvitationPolicy, error)
	// updateInvitationPolicy changes what p sets and answers the policy.
	updateInvitationPolicy(ctx context.Context, p invitationPolicyPatch) (store.InvitationPolicy, error)
}

// invitationPolicyPatch is a change to the invitation and redemption
// policy; nil leaves a setting as it is.
type invitationPolicyPatch struct {
	AllowInvitesFrom *string
	// DomainRule and Domains change together: the rule (allow, deny, or
	// "" for none) and its domains.
	DomainRule           *string
	Domains              []string
	RedemptionOrder      *[]string
	RedeemWithAnyAccount *bool
}

// invitationPart and redemptionPart say which of the policy's two halves
// the patch changes.
func (p invitationPolicyPatch) invitationPart() bool {
	return p.AllowInvitesFrom != nil || p.DomainRule != nil
}
func (p invitationPolicyPatch) redemptionPart() bool {
	return p.RedemptionOrder != nil || p.RedeemWithAnyAccount != nil
}

func newTenantsPolicyCmd(d deps) *cobra.Command {
	cmd := newGroupCmd("policy", "Show and change who may invite guests into a tenant, from which domains, and how they redeem")
	cmd.AddCommand(
		policyShowCommand(d, "Show the tenant's invitation policy", directoryAdmin.invitationPolicy, printInvitationPolicy),
		newTenantsPolicySetCmd(d),
	)
	return cmd
}

// policyShowCommand is a policy's show command: get reads the policy,
// print prints it, named by the tenant's slug.
func policyShowCommand[P any](d deps, short string, get func(directoryAdmin, context.Context) (P, error),
	print func(*cobra.Command, string, P) error) *cobra.Command {
	return adminCommand(d, "show --tenant SLUG", short, noArgs,
		func(ctx context.Context, g directoryAdmin, cmd *cobra.Command, _ []string) error {
			p, err := get(g, ctx)
			if err != nil {
				return err
			}
			return print(cmd, g.tenantSlug(), p)
		})
}

func newTenantsPolicySetCmd(d deps) *cobra.Command {
	cmd := adminCommand(d, "set --tenant SLUG [--allow-invites-from LEVEL] [--allow-domains D,… | --deny-domains D,… | --no-domain-rule] "+
		"[--redemption-order W,…] [--redeem-with-any-account[=false]]",
		"Change who may invite guests, from which domains, and how they redeem", noArgs,
		func(ctx context.Context, g directoryAdmin, cmd *cobra.Command, _ []string) error {
			f := cmd.Flags()
			patch := invitationPolicyPatch{
				AllowInvitesFrom:     changed(cmd, flagAllowInvitesFrom, f.GetString),
				RedeemWithAnyAccount: changed(cmd, flagRedeemAnyAccount, f.GetBool),
			}
			if f.Changed(flagRedemptionOrder) {
				order := domainsFlag(cmd, flagRedemptionOrder)
				// Checked before anything is written, so the invitation
				// policy does not change when the order is refused.
				if err := checkRedemptionOrder(order); err != nil {
					return err
				}
				patch.RedemptionOrder = &order
			}
			switch {
			case f.Changed(flagAllowDomains):
				patch.DomainRule, patch.Domains = new(store.InviteDomainsAllow), domainsFlag(cmd, flagAllowDomains)
			case f.Changed(flagDenyDomains):
				patch.DomainRule, patch.Domains = new(store.InviteDomainsDeny), domainsFlag(cmd, flagDenyDomains)
			case f.Changed(flagNoDomainRule):
				patch.DomainRule = new("")
			}
			p, err := g.updateInvitationPolicy(ctx, patch)
			if err != nil {
				return err
			}
			return printInvitationPolicy(cmd, g.tenantSlug(), p)
		})
	f := cmd.Flags()
	f.String(flagAllowInvitesFrom, "", "who may invite guests: "+strings.Join([]string{
		store.InvitesFromNone, store.InvitesFromAdminsAndGuestInviters,
		store.InvitesFromAdminsInvitersMembers + " (default)", store.InvitesFromEveryone}, ", "))
	f.StringSlice(flagAllowDomains, nil, "invite only from these domains (comma-separated; *.example.com for its subdomains)")
	f.StringSlice(flagDenyDomains, nil, "invite from any domain but these (comma-separated; *.example.com for its subdomains)")
	f.Bool(flagNoDomainRule, false, "invite from any domain")
	f.StringSlice(flagRedemptionOrder, nil, "the ways a guest may redeem, in order (comma-separated; \"\" restores the default): "+
		strings.Join(store.DefaultRedemptionOrder, ","))
	f.Bool(flagRedeemAnyAccount, false, "a guest may redeem with an account that does not prove the invited address (recorded and audited)")
	cmd.MarkFlagsMutuallyExclusive(flagAllowDomains, flagDenyDomains, flagNoDomainRule)
	cmd.MarkFlagsOneRequired(flagAllowInvitesFrom, flagAllowDomains, flagDenyDomains, flagNoDomainRule,
		flagRedemptionOrder, flagRedeemAnyAccount)
	return cmd
}

func (a localAdmin) tenantSlug() string { return a.t.Slug }

func (a localAdmin) invitationPolicy(context.Context) (store.InvitationPolicy, error) {
	return a.t.Invitations, nil
}

// updateInvitationPolicy writes the invitation half, then the redemption
// half, of what p changes.
func (a localAdmin) updateInvitationPolicy(ctx context.Context, p invitationPolicyPatch) (store.InvitationPolicy, error) {
	t := a.t
	if p.invitationPart() {
		next := t.Invitations
		next.AllowInvitesFrom = directory.AllowInvitesFrom(next)
		if p.AllowInvitesFrom != nil {
			next.AllowInvitesFrom = *p.AllowInvitesFrom
		}
		if p.DomainRule != nil {
			next.DomainRule, next.Domains = *p.DomainRule, p.Domains
		}
		var err error
		if t, err = a.dir.SetInvitationPolicy(ctx, t.ID, next); err != nil {
			return store.InvitationPolicy{}, err
		}
	}
	if p.redemptionPart() {
		order, anyAccount := t.Invitations.RedemptionOrder, t.Invitations.RedeemWithAnyAccount
		if p.RedemptionOrder != nil {
			order = *p.RedemptionOrder
		}
		if p.RedeemWithAnyAccount != nil {
			anyAccount = *p.RedeemWithAnyAccount
		}
		var err error
		if t, err = a.dir.SetRedemptionPolicy(ctx, t.ID, order, anyAccount); err != nil {
			return store.InvitationPolicy{}, err
		}
	}
	return t.Invitations, nil
}

// checkRedemptionOrder refuses a way to redeem that does not exist, or
// one named twice.
func checkRedemptionOrder(order []string) error {
	seen := map[string]bool{}
	for _, w := range order {
		if !slices.Contains(store.DefaultRedemptionOrder, w) || seen[w] {
			return fmt.Errorf("redemptionOrder: %q: each way must be one of %s, at most once", w,
				strings.Join(store.DefaultRedemptionOrder, ", "))
		}
		seen[w] = true
	}
	return nil
}

// domainsFlag answers a comma-separated flag's values, leaving out empty
// ones.
func domainsFlag(cmd *cobra.Command, name string) []string {
	values, err := cmd.Flags().GetStringSlice(name)
	if err != nil {
		panic(err) // not a slice flag: a programming error
	}
	return slices.DeleteFunc(values, func(s string) bool { return strings.TrimSpace(s) == "" })
}

func printInvitationPolicy(cmd *cobra.Command, slug string, p store.InvitationPolicy) error {
	v := invitationPolicyView{Tenant: slug, AllowInvitesFrom: directory.AllowInvitesFrom(p),
		InvitationDomainRule: p.DomainRule, InvitationDomains: slices.Clone(p.Domains),
		RedemptionOrder: slices.Clone(p.RedemptionOrder), RedeemWithAnyAccount: p.RedeemWithAnyAccount}
	if len(v.RedemptionOrder) == 0 {
		v.RedemptionOrder = slices.Clone(store.DefaultRedemptionOrder)
	}
	if v.InvitationDomainRule == "" {
		v.InvitationDomainRule = "none"
	}
	if v.InvitationDomains == nil {
		v.InvitationDomains = []string{}
	}
	return printOut(cmd, v, func(w io.Writer) {
		field(w, "Tenant", v.Tenant)
		field(w, "Allow invites from", v.AllowInvitesFrom)
		field(w, "Domain rule", v.InvitationDomainRule)
		field(w, "Domains", listCell(v.InvitationDomains))
		field(w, "Redemption order", listCell(v.RedemptionOrder))
		field(w, "Redeem with any account", boolCell(v.RedeemWithAnyAccount))
	})
}
