package directory_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/internal/audit"
	"github.com/foyer-idp/foyer/internal/directory"
	"github.com/foyer-idp/foyer/internal/store"
)

func testDomainOneTenant(t *testing.T, f *fixture) {
	ctx := t.Context()
	fabrikam := f.tenant(t, "fabrikam")
	contoso := f.tenant(t, "contoso")

	d, err := f.dir.AddDomain(ctx, fabrikam.ID, " Fabrikam.TEST ")
	require.NoError(t, err)
	require.Equal(t, store.Domain{TenantID: fabrikam.ID, Name: "fabrikam.test", CreatedAt: f.now}, d)
	require.Contains(t, f.auditActivities(t, fabrikam.ID), audit.ActivityAddVerifiedDomain+"/success")

	_, err = f.dir.AddDomain(ctx, contoso.ID, "fabrikam.test")
	requireFields(t, err, store.ErrConflict, "id")
	_, err = f.dir.AddDomain(ctx, fabrikam.ID, "FABRIKAM.test")
	requireFields(t, err, store.ErrConflict, "id")
	require.Contains(t, f.auditActivities(t, contoso.ID), audit.ActivityAddVerifiedDomain+"/failure")
	list, err := f.dir.Domains(ctx, contoso.ID)
	require.NoError(t, err)
	require.Empty(t, list)

	got, ok, err := f.dir.DomainTenant(ctx, "Sam@Fabrikam.Test")
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, fabrikam.ID, got.ID)
	for _, email := range []string{"sam@sub.fabrikam.test", "sam@contoso.test", "no-at-sign", "sam@"} {
		_, ok, err = f.dir.DomainTenant(ctx, email)
		require.NoError(t, err)
		require.False(t, ok, email)
	}

	require.ErrorIs(t, f.dir.RemoveDomain(ctx, contoso.ID, "fabrikam.test"), store.ErrNotFound, "another tenant's domain")
	require.NoError(t, f.dir.RemoveDomain(ctx, fabrikam.ID, "fabrikam.test"))
	require.Contains(t, f.auditActivities(t, fabrikam.ID), audit.ActivityRemoveVerifiedDomain+"/success")
	_, ok, err = f.dir.DomainTenant(ctx, "sam@fabrikam.test")
	require.NoError(t, err)
	require.False(t, ok)
	// Released, the domain may go to another tenant.
	_, err = f.dir.AddDomain(ctx, contoso.ID, "fabrikam.test")
	require.NoError(t, err)
}

func testDomainRefusals(t *testing.T, f *fixture) {
	ctx := t.Context()
	tn := f.tenant(t, "fabrikam")
	for _, bad := range []string{"", "localhost", "*.fabrikam.test", "fab rikam.test", "-x.test", "a..test", "sam@fabrikam.test"} {
		_, err := f.dir.AddDomain(ctx, tn.ID, bad)
		requireFields(t, err, directory.ErrInvalid, "id")
	}
	list, err := f.dir.Domains(ctx, tn.ID)
	require.NoError(t, err)
	require.Empty(t, list)
	_, err = f.dir.AddDomain(ctx, "no-such-tenant", "x.test")
	require.ErrorIs(t, err, store.ErrNotFound)
}
