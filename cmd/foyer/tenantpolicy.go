package main

import (
	"context"
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
)

// invitationPolicyView is the policy as the commands print it, with the
// admin API's property names.
type invitationPolicyView struct {
	Tenant               string   `json:"tenant"`
	AllowInvitesFrom     string   `json:"allowInvitesFrom"`
	InvitationDomainRule string   `json:"invitationDomainRule"`
	InvitationDomains    []string `json:"invitationDomains"`
}

func newTenantsPolicyCmd(d deps) *cobra.Command {
	cmd := newGroupCmd("policy", "Show and change who may invite guests into a tenant, and from which domains")
	cmd.AddCommand(
		tenantCommand(d, "show --tenant SLUG", "Show the tenant's invitation policy", noArgs,
			func(_ context.Context, _ *app, t store.Tenant, cmd *cobra.Command, _ []string) error {
				return printInvitationPolicy(cmd, t)
			}),
		newTenantsPolicySetCmd(d),
	)
	return cmd
}

func newTenantsPolicySetCmd(d deps) *cobra.Command {
	cmd := tenantCommand(d, "set --tenant SLUG [--allow-invites-from LEVEL] [--allow-domains D,… | --deny-domains D,… | --no-domain-rule]",
		"Change who may invite guests, and from which domains", noArgs,
		func(ctx context.Context, a *app, t store.Tenant, cmd *cobra.Command, _ []string) error {
			f := cmd.Flags()
			p := t.Invitations
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
			t, err := a.dir.SetInvitationPolicy(ctx, t.ID, p)
			if err != nil {
				return err
			}
			return printInvitationPolicy(cmd, t)
		})
	f := cmd.Flags()
	f.String(flagAllowInvitesFrom, "", "who may invite guests: "+strings.Join([]string{
		store.InvitesFromNone, store.InvitesFromAdminsAndGuestInviters,
		store.InvitesFromAdminsInvitersMembers + " (default)", store.InvitesFromEveryone}, ", "))
	f.StringSlice(flagAllowDomains, nil, "invite only from these domains (comma-separated; *.example.com for its subdomains)")
	f.StringSlice(flagDenyDomains, nil, "invite from any domain but these (comma-separated; *.example.com for its subdomains)")
	f.Bool(flagNoDomainRule, false, "invite from any domain")
	cmd.MarkFlagsMutuallyExclusive(flagAllowDomains, flagDenyDomains, flagNoDomainRule)
	cmd.MarkFlagsOneRequired(flagAllowInvitesFrom, flagAllowDomains, flagDenyDomains, flagNoDomainRule)
	return cmd
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
		InvitationDomainRule: t.Invitations.DomainRule, InvitationDomains: slices.Clone(t.Invitations.Domains)}
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
	})
}
