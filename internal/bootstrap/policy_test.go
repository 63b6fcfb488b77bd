package bootstrap_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/internal/audit"
	"github.com/foyer-idp/foyer/internal/bootstrap"
	"github.com/foyer-idp/foyer/internal/directory"
	"github.com/foyer-idp/foyer/internal/store"
	"github.com/foyer-idp/foyer/internal/store/sqlstore/sqltest"
)

func TestBootstrapInvitationPolicy(t *testing.T) {
	t.Parallel()
	tests := []sqltest.Case[*fixture]{
		{Name: "AppliedAndIdempotent", Fn: testInvitationPolicyApplied},
		{Name: "Refusals", Fn: testInvitationPolicyRefusals},
	}
	sqltest.RunSuite(t, tests, newFixture)
}

func (f *fixture) policyEvents(t *testing.T, tenantID string) int {
	t.Helper()
	events, err := f.store.ListAudit(t.Context(), store.AuditFilter{TenantID: tenantID, Activity: audit.ActivityUpdatePolicy})
	require.NoError(t, err)
	return len(events)
}

func testInvitationPolicyApplied(t *testing.T, f *fixture) {
	ctx := t.Context()
	file := `
tenants:
  - slug: woodgrove
    displayName: Woodgrove
    invitationPolicy:
      allowInvitesFrom: adminsAndGuestInviters
      allowDomains: [Fabrikam.example, "*.partners.example"]
  - slug: fabrikam
    displayName: Fabrikam
`
	r, err := bootstrap.Apply(ctx, f.deps, parse(t, file))
	require.NoError(t, err)
	require.Equal(t, bootstrap.Created, results(r)["tenant woodgrove/woodgrove"])
	tn := f.tenant(t, "woodgrove")
	require.Equal(t, store.InvitationPolicy{AllowInvitesFrom: store.InvitesFromAdminsAndGuestInviters,
		DomainRule: store.InviteDomainsAllow, Domains: []string{"fabrikam.example", "*.partners.example"}}, tn.Invitations)
	require.Equal(t, 1, f.policyEvents(t, tn.ID), "audited as an admin's change")
	require.Equal(t, directory.DefaultAllowInvitesFrom, f.tenant(t, "fabrikam").Invitations.AllowInvitesFrom)

	// The same file again changes nothing.
	r, err = bootstrap.Apply(ctx, f.deps, parse(t, file))
	require.NoError(t, err)
	require.False(t, r.Changed())
	require.Equal(t, 1, f.policyEvents(t, tn.ID))

	// Each declared field is enforced; what is left out stays.
	for _, c := range []struct {
		name, policy string
		changed      []string
		want         store.InvitationPolicy
	}{
		{"level only", `{allowInvitesFrom: everyone}`, []string{"invitationPolicy.allowInvitesFrom"},
			store.InvitationPolicy{AllowInvitesFrom: "everyone", DomainRule: "allow", Domains: []string{"fabrikam.example", "*.partners.example"}}},
		{"deny list", `{denyDomains: [rival.example]}`, []string{"invitationPolicy.denyDomains"},
			store.InvitationPolicy{AllowInvitesFrom: "everyone", DomainRule: "deny", Domains: []string{"rival.example"}}},
		{"empty deny list removes the rule", `{allowInvitesFrom: none, denyDomains: []}`,
			[]string{"invitationPolicy.allowInvitesFrom", "invitationPolicy.denyDomains"},
			store.InvitationPolicy{AllowInvitesFrom: "none"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			doc := "tenants:\n  - slug: woodgrove\n    displayName: Woodgrove\n    invitationPolicy: " + c.policy + "\n"
			r, err := bootstrap.Apply(ctx, f.deps, parse(t, doc))
			require.NoError(t, err)
			require.Len(t, r.Objects, 1)
			require.Equal(t, bootstrap.Updated, r.Objects[0].Result)
			require.Equal(t, c.changed, r.Objects[0].Changed)
			got := f.tenant(t, "woodgrove").Invitations
			if len(got.Domains) == 0 {
				got.Domains = nil
			}
			require.Equal(t, c.want, got)
			r, err = bootstrap.Apply(ctx, f.deps, parse(t, doc))
			require.NoError(t, err)
			require.False(t, r.Changed(), "a second run changes nothing")
		})
	}
}

func testInvitationPolicyRefusals(t *testing.T, f *fixture) {
	ctx := t.Context()
	_, err := bootstrap.Apply(ctx, f.deps, parse(t, "tenants: [{slug: woodgrove, displayName: Woodgrove}]"))
	require.NoError(t, err)
	events := f.auditCount(t)
	for _, c := range []struct {
		name, policy, want string
	}{
		{"both lists", `{allowDomains: [a.example], denyDomains: [b.example]}`,
			"tenants[0].invitationPolicy: declares both allowDomains and denyDomains"},
		{"bad level", `{allowInvitesFrom: admins}`, "tenants[0].invitationPolicy.allowInvitesFrom: must be one of"},
		{"bad domain", `{allowDomains: [a.example, "not a domain"]}`, `tenants[0].invitationPolicy.allowDomains: "not a domain"`},
		{"empty allow list", `{allowDomains: []}`, "tenants[0].invitationPolicy.allowDomains: an allow rule needs at least one domain"},
	} {
		t.Run(c.name, func(t *testing.T) {
			doc := "tenants:\n  - slug: woodgrove\n    displayName: Woodgrove\n    invitationPolicy: " + c.policy + "\n"
			_, err := bootstrap.Apply(ctx, f.deps, parse(t, doc))
			require.ErrorContains(t, err, c.want)
			require.Equal(t, directory.DefaultAllowInvitesFrom, f.tenant(t, "woodgrove").Invitations.AllowInvitesFrom)
			require.Equal(t, events, f.auditCount(t), "nothing written, not even an audit event")
		})
	}
	// A new tenant with a bad policy is not made either.
	_, err = bootstrap.Apply(ctx, f.deps, parse(t, "tenants: [{slug: contoso, displayName: C, invitationPolicy: {allowInvitesFrom: x}}]"))
	require.ErrorContains(t, err, "tenants[0].invitationPolicy.allowInvitesFrom")
	_, err = f.dir.Tenant(ctx, "contoso")
	require.ErrorIs(t, err, store.ErrNotFound)
	_, err = bootstrap.Parse([]byte("tenants: [{slug: x, displayName: X, invitationPolicy: {allowDomain: [a.example]}}]"))
	require.ErrorContains(t, err, "allowDomain")
}
