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

func newTenantsPolicyCmd(d deps) *cobra.Command {
	cmd := newGroupCmd("policy", "Show and change who may invite guests into a tenant, from which domains, and how they redeem")
	cmd.AddCommand(
		tenantCommand(d, "show --tenant SLUG", "Show the tenant's invitation policy", noArgs,
			func(_ context.Context, a localAdmin, cmd *cobra.Command, _ []string) error {
				return printInvitationPolicy(cmd, a.t)
			}),
		newTenantsPolicySetCmd(d),
	)
	return cmd
}

func newTenantsPolicySetCmd(d deps) *cobra.Command {
	cmd := tenantCommand(d, "set --tenant SLUG [--allow-invites-from LEVEL] [--allow-domains D,… | --deny-domains D,… | --no-domain-rule] "+
		"[--redemption-order W,…] [--redeem-with-any-account[=false]]",
		"Change who may invite guests, from which domains, and how they redeem", noArgs,
		func(ctx context.Context, a localAdmin, cmd *cobra.Command, _ []string) error {
			f := cmd.Flags()
			order := changed(cmd, flagRedemptionOrder, f.GetStringSlice)
			anyAccount := changed(cmd, flagRedeemAnyAccount, f.GetBool)
			if order != nil {
				*order = domainsFlag(cmd, flagRedemptionOrder)
				// Checked before anything is written, so the invitation
				// policy does not change when the order is refused.
				if err := checkRedemptionOrder(*order); err != nil {
					return err
				}
			}
			if f.Changed(flagAllowInvitesFrom) || f.Changed(flagAllowDomains) || f.Changed(flagDenyDomains) || f.Changed(flagNoDomainRule) {
				var err error
				if a.t, err = setInvitationPolicy(ctx, a, cmd); err != nil {
					return err
				}
			}
			if order != nil || anyAccount != nil {
				next, nextAny := a.t.Invitations.RedemptionOrder, a.t.Invitations.RedeemWithAnyAccount
				if order != nil {
					next = *order
				}
				if anyAccount != nil {
					nextAny = *anyAccount
				}
				var err error
				if a.t, err = a.dir.SetRedemptionPolicy(ctx, a.t.ID, next, nextAny); err != nil {
					return err
				}
			}
			return printInvitationPolicy(cmd, a.t)
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

// setInvitationPolicy applies the invitation flags: who may invite and
// the domain rule.
func setInvitationPolicy(ctx context.Context, a localAdmin, cmd *cobra.Command) (store.Tenant, error) {
	f := cmd.Flags()
	p := a.t.Invitations
	p.AllowInvitesFrom = directory.AllowInvitesFrom(p)
	if v := changed(cmd, flagAllowInvitesFrom, f.GetString); v != nil {
		p.AllowInvitesFrom = *v
	}
	switch {
	case f.Changed(flagAllowDomains):
		p.DomainRule, p.Domains = store.InviteDomainsAllow, domainsFlag(cmd, flagAllowDomains)
	case f.Changed(flagDenyDomains):
		p.DomainRule, p.Domains = store.InviteDomainsDeny, domainsFlag(cmd, flagDenyDomains)
	case f.Changed(flagNoDomainRule):
		p.DomainRule, p.Domains = "", nil
	}
	return a.dir.SetInvitationPolicy(ctx, a.t.ID, p)
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

func printInvitationPolicy(cmd *cobra.Command, t store.Tenant) error {
	v := invitationPolicyView{Tenant: t.Slug, AllowInvitesFrom: directory.AllowInvitesFrom(t.Invitations),
		InvitationDomainRule: t.Invitations.DomainRule, InvitationDomains: slices.Clone(t.Invitations.Domains),
		RedemptionOrder: slices.Clone(t.Invitations.RedemptionOrder), RedeemWithAnyAccount: t.Invitations.RedeemWithAnyAccount}
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
