package cli

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/internal/audit"
	"github.com/foyer-idp/foyer/internal/store"
)

func TestTenantsPolicySetAndShow(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	c.mustRun(t, "tenants", "create", "--slug", "woodgrove", "--name", "Woodgrove")
	c.mustRun(t, "tenants", "create", "--slug", "contoso", "--name", "Contoso")
	show := func(t *testing.T, slug string) invitationPolicyView {
		t.Helper()
		var v invitationPolicyView
		require.NoError(t, json.Unmarshal([]byte(c.mustRun(t, "tenants", "policy", "show", "--tenant", slug, "-o", "json")), &v))
		return v
	}
	require.Equal(t, invitationPolicyView{Tenant: "woodgrove", AllowInvitesFrom: "adminsGuestInvitersAndAllMembers",
		InvitationDomainRule: "none", InvitationDomains: []string{}, RedemptionOrder: store.DefaultRedemptionOrder}, show(t, "woodgrove"))

	for _, step := range []struct {
		args []string
		want invitationPolicyView
	}{
		{[]string{"--allow-invites-from", "adminsAndGuestInviters", "--allow-domains", "Fabrikam.example,*.partners.example"},
			policyView("woodgrove", "adminsAndGuestInviters", "allow", []string{"fabrikam.example", "*.partners.example"})},
		{[]string{"--allow-invites-from", "everyone"},
			policyView("woodgrove", "everyone", "allow", []string{"fabrikam.example", "*.partners.example"})},
		{[]string{"--deny-domains", "rival.example", "--deny-domains", "spam.example"},
			policyView("woodgrove", "everyone", "deny", []string{"rival.example", "spam.example"})},
		{[]string{"--no-domain-rule"}, policyView("woodgrove", "everyone", "none", []string{})},
		{[]string{"--allow-invites-from", "none"}, policyView("woodgrove", "none", "none", []string{})},
	} {
		var v invitationPolicyView
		out := c.mustRun(t, append([]string{"tenants", "policy", "set", "--tenant", "woodgrove", "-o", "json"}, step.args...)...)
		require.NoError(t, json.Unmarshal([]byte(out), &v), out)
		require.Equal(t, step.want, v, step.args)
		require.Equal(t, step.want, show(t, "woodgrove"))
	}
	table := c.mustRun(t, "tenants", "policy", "show", "--tenant", "woodgrove")
	require.Contains(t, table, "Allow invites from:")
	require.Contains(t, table, "none")

	// Refusals: usage mistakes exit 2, the directory's refusals name the
	// field; neither changes anything.
	for _, bad := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{}, exitUsage, "at least one of the flags"},
		{[]string{"--allow-domains", "a.example", "--deny-domains", "b.example"}, exitUsage, "none of the others can be"},
		{[]string{"--allow-invites-from", "admins"}, exitError, "allowInvitesFrom:"},
		{[]string{"--allow-domains", "not a domain"}, exitError, "invitationDomains:"},
		{[]string{"--allow-domains", ","}, exitError, "at least one domain"},
	} {
		r := c.run(t, append([]string{"tenants", "policy", "set", "--tenant", "woodgrove"}, bad.args...)...)
		require.Equal(t, bad.code, r.code, "%v: %s", bad.args, r.stderr)
		require.Contains(t, r.stderr, bad.msg)
	}
	require.Equal(t, policyView("woodgrove", "none", "none", []string{}), show(t, "woodgrove"))
	require.Equal(t, "adminsGuestInvitersAndAllMembers", show(t, "contoso").AllowInvitesFrom, "another tenant's stays")
	r := c.run(t, "tenants", "policy", "show", "--tenant", "nobody")
	require.Equal(t, exitError, r.code)

	events := c.auditOf(t.Context(), t, store.AuditFilter{Activity: audit.ActivityUpdatePolicy})
	var ok, failed int
	for _, e := range events {
		require.Equal(t, store.ActorSystem, e.ActorType)
		if e.Result == store.ResultSuccess {
			ok++
		} else {
			failed++
		}
	}
	require.Equal(t, 5, ok)
	require.Equal(t, 3, failed)
}

// policyView is a policy with the default redemption settings.
func policyView(tenant, level, rule string, domains []string) invitationPolicyView {
	return invitationPolicyView{Tenant: tenant, AllowInvitesFrom: level, InvitationDomainRule: rule,
		InvitationDomains: domains, RedemptionOrder: store.DefaultRedemptionOrder}
}
