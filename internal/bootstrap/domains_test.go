package bootstrap_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/internal/audit"
	"github.com/foyer-idp/foyer/internal/bootstrap"
	"github.com/foyer-idp/foyer/internal/store"
	"github.com/foyer-idp/foyer/internal/store/sqlstore/sqltest"
)

func TestBootstrapDomains(t *testing.T) {
	t.Parallel()
	tests := []sqltest.Case[*fixture]{
		{Name: "AddedAndIdempotent", Fn: testDomainsAdded},
		{Name: "Refusals", Fn: testDomainsRefused},
	}
	sqltest.RunSuite(t, tests, newFixture)
}

func (f *fixture) domainNames(t *testing.T, tenantID string) []string {
	t.Helper()
	list, err := f.dir.Domains(t.Context(), tenantID)
	require.NoError(t, err)
	var names []string
	for _, d := range list {
		names = append(names, d.Name)
	}
	return names
}

func testDomainsAdded(t *testing.T, f *fixture) {
	ctx := t.Context()
	file := `
tenants:
  - slug: fabrikam
    displayName: Fabrikam
    domains: [Fabrikam.test, fabrikam.example]
`
	r, err := bootstrap.Apply(ctx, f.deps, parse(t, file))
	require.NoError(t, err)
	require.Equal(t, bootstrap.Created, results(r)["tenant fabrikam/fabrikam"])
	fb := f.tenant(t, "fabrikam")
	require.Equal(t, []string{"fabrikam.example", "fabrikam.test"}, f.domainNames(t, fb.ID))
	events, err := f.store.ListAudit(ctx, store.AuditFilter{TenantID: fb.ID, Activity: audit.ActivityAddVerifiedDomain})
	require.NoError(t, err)
	require.Len(t, events, 2, "audited as an admin's change")

	// Again: nothing to do.
	n := f.auditCount(t)
	r, err = bootstrap.Apply(ctx, f.deps, parse(t, file))
	require.NoError(t, err)
	require.False(t, r.Changed())
	require.Equal(t, n, f.auditCount(t))

	// A domain more is an update; those left out stay.
	_, err = f.dir.AddDomain(ctx, fb.ID, "by-hand.example")
	require.NoError(t, err)
	r, err = bootstrap.Apply(ctx, f.deps, parse(t, `
tenants:
  - slug: fabrikam
    displayName: Fabrikam
    domains: [fabrikam.test, fabrikam.net]
`))
	require.NoError(t, err)
	require.Len(t, r.Objects, 1)
	require.Equal(t, bootstrap.Updated, r.Objects[0].Result)
	require.Equal(t, []string{"domains"}, r.Objects[0].Changed)
	require.Equal(t, []string{"by-hand.example", "fabrikam.example", "fabrikam.net", "fabrikam.test"}, f.domainNames(t, fb.ID))
}

func testDomainsRefused(t *testing.T, f *fixture) {
	ctx := t.Context()
	_, err := bootstrap.Apply(ctx, f.deps, parse(t, `
tenants:
  - slug: contoso
    displayName: Contoso
    domains: [contoso.example]
`))
	require.NoError(t, err)
	n := f.auditCount(t)

	for _, c := range []struct {
		name, domains string
		want          []string
	}{
		{"not a domain", `[fabrikam.test, "*.fabrikam.test", localhost]`,
			[]string{"tenants[0].domains[1]:", "tenants[0].domains[2]:"}},
		{"declared twice", `[fabrikam.test, FABRIKAM.test, ""]`,
			[]string{"tenants[0].domains[1]: \"FABRIKAM.test\" is declared twice", "tenants[0].domains[2]: is empty"}},
		{"another tenant's", `[contoso.example]`, []string{"tenants[0].domains[0]:", "already verified"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := bootstrap.Apply(ctx, f.deps, parse(t, "tenants:\n  - slug: fabrikam\n    displayName: Fabrikam\n    domains: "+c.domains+"\n"))
			require.Error(t, err)
			for _, want := range c.want {
				require.ErrorContains(t, err, want)
			}
			_, err = f.dir.Tenant(ctx, "fabrikam")
			require.ErrorIs(t, err, store.ErrNotFound, "nothing written")
			require.Equal(t, n, f.auditCount(t), "not even an audit event")
		})
	}
	owner, ok, err := f.dir.DomainTenant(ctx, "x@contoso.example")
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, "contoso", owner.Slug)
}
