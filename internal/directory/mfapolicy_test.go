package directory_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/internal/audit"
	"github.com/foyer-idp/foyer/internal/directory"
	"github.com/foyer-idp/foyer/internal/store"
	"github.com/foyer-idp/foyer/internal/store/sqlstore/sqltest"
)

func TestMFAPolicy(t *testing.T) {
	t.Parallel()
	tests := []sqltest.Case[*fixture]{
		{Name: "NewTenantRequiresGuests", Fn: testNewTenantRequiresGuests},
		{Name: "SetMFAPolicyStoresAndAudits", Fn: testSetMFAPolicy},
		{Name: "SetMFAPolicyRefuses", Fn: testSetMFAPolicyRefuses},
		{Name: "PeriodFixedWhileRegistered", Fn: testMFAPeriodFixedWhileRegistered},
		{Name: "ApplicationRequiresMFA", Fn: testApplicationRequiresMFA},
	}
	sqltest.RunSuite(t, tests, func(t *testing.T, b sqltest.Backend) *fixture { return newFixture(t, b) })
}

func TestMFAPolicyDefaults(t *testing.T) {
	t.Parallel()
	require.Equal(t, store.MFARequiredGuests, directory.MFARequired(store.MFAPolicy{}))
	require.Equal(t, store.MFARequiredNobody, directory.MFARequired(store.MFAPolicy{Required: store.MFARequiredNobody}))
	require.Equal(t, 30, directory.MFAPeriodSeconds(store.MFAPolicy{}))
	require.Equal(t, 60, directory.MFAPeriodSeconds(store.MFAPolicy{PeriodSeconds: 60}))
}

func testNewTenantRequiresGuests(t *testing.T, f *fixture) {
	tn := f.tenant(t, "woodgrove")
	require.Equal(t, store.MFAPolicy{Required: store.MFARequiredGuests}, tn.MFA)
	stored, err := f.store.GetTenant(t.Context(), tn.ID)
	require.NoError(t, err)
	require.Equal(t, store.MFARequiredGuests, stored.MFA.Required, "stored, not implied")
}

func (f *fixture) mfaPolicyEvents(t *testing.T, tenantID string) []store.AuditEvent {
	t.Helper()
	events, err := f.store.ListAudit(t.Context(), store.AuditFilter{TenantID: tenantID, Activity: audit.ActivityUpdatePolicy})
	require.NoError(t, err)
	return events
}

func testSetMFAPolicy(t *testing.T, f *fixture) {
	ctx := t.Context()
	tn := f.tenant(t, "woodgrove")
	other := f.tenant(t, "contoso")
	for _, p := range []store.MFAPolicy{
		{Required: store.MFARequiredEveryone},
		{Required: store.MFARequiredNobody, PeriodSeconds: 15},
		{Required: store.MFARequiredGuests, PeriodSeconds: 120},
		{Required: store.MFARequiredGuests},
	} {
		got, err := f.dir.SetMFAPolicy(ctx, tn.ID, p)
		require.NoError(t, err)
		require.Equal(t, p, got.MFA)
		stored, err := f.store.GetTenant(ctx, tn.ID)
		require.NoError(t, err)
		require.Equal(t, p, stored.MFA)
		require.Equal(t, tn.Slug, stored.Slug, "the rest of the tenant stays")
		require.Equal(t, tn.Invitations, stored.Invitations)
	}
	events := f.mfaPolicyEvents(t, tn.ID)
	require.Len(t, events, 4)
	for _, e := range events {
		require.Equal(t, audit.CategoryPolicy, e.Category)
		require.Equal(t, audit.TargetPolicy, e.TargetType)
		require.Equal(t, directory.MFAPolicyID, e.TargetID)
		require.Equal(t, store.ResultSuccess, e.Result)
	}
	o, err := f.store.GetTenant(ctx, other.ID)
	require.NoError(t, err)
	require.Equal(t, store.MFARequiredGuests, o.MFA.Required, "another tenant's stays")
	require.Empty(t, f.mfaPolicyEvents(t, other.ID))

	_, err = f.dir.SetMFAPolicy(ctx, "no-such-tenant", store.MFAPolicy{Required: store.MFARequiredNobody})
	require.ErrorIs(t, err, store.ErrNotFound)
}

func testSetMFAPolicyRefuses(t *testing.T, f *fixture) {
	ctx := t.Context()
	tn := f.tenant(t, "woodgrove")
	for _, c := range []struct {
		name   string
		p      store.MFAPolicy
		fields []string
	}{
		{"empty level", store.MFAPolicy{}, []string{"required"}},
		{"unknown level", store.MFAPolicy{Required: "admins"}, []string{"required"}},
		{"level in another case", store.MFAPolicy{Required: "Guests"}, []string{"required"}},
		{"period too short", store.MFAPolicy{Required: "guests", PeriodSeconds: 14}, []string{"periodSeconds"}},
		{"period too long", store.MFAPolicy{Required: "guests", PeriodSeconds: 121}, []string{"periodSeconds"}},
		{"negative period", store.MFAPolicy{Required: "guests", PeriodSeconds: -30}, []string{"periodSeconds"}},
		{"both", store.MFAPolicy{Required: "x", PeriodSeconds: 1}, []string{"required", "periodSeconds"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := len(f.mfaPolicyEvents(t, tn.ID))
			_, err := f.dir.SetMFAPolicy(ctx, tn.ID, c.p)
			requireFields(t, err, directory.ErrInvalid, c.fields...)
			stored, err := f.store.GetTenant(ctx, tn.ID)
			require.NoError(t, err)
			require.Equal(t, store.MFAPolicy{Required: store.MFARequiredGuests}, stored.MFA, "nothing changed")
			events := f.mfaPolicyEvents(t, tn.ID)
			require.Len(t, events, before+1, "the refusal is audited")
			require.Equal(t, store.ResultFailure, events[len(events)-1].Result)
		})
	}
}

func testMFAPeriodFixedWhileRegistered(t *testing.T, f *fixture) {
	ctx := t.Context()
	tn := f.tenant(t, "woodgrove")
	u := f.member(t, tn.ID, "ada@woodgrove.example")
	// A pending enrolment is no registration yet.
	require.NoError(t, f.store.SaveTOTPFactor(ctx, store.TOTPFactor{TenantID: tn.ID, UserID: u.ID,
		PendingSealedSecret: []byte("sealed"), CreatedAt: f.now}))
	_, err := f.dir.SetMFAPolicy(ctx, tn.ID, store.MFAPolicy{Required: "guests", PeriodSeconds: 60})
	require.NoError(t, err)
	_, err = f.dir.SetMFAPolicy(ctx, tn.ID, store.MFAPolicy{Required: "guests"})
	require.NoError(t, err)

	require.NoError(t, f.store.ActivateTOTPFactor(ctx, tn.ID, u.ID, f.now.Unix()/30, f.now))
	_, err = f.dir.SetMFAPolicy(ctx, tn.ID, store.MFAPolicy{Required: "guests", PeriodSeconds: 60})
	requireFields(t, err, directory.ErrInvalid, "periodSeconds")
	require.ErrorContains(t, err, "cannot change while 1 users")
	// The same step spelt out is no change, and the level still changes.
	got, err := f.dir.SetMFAPolicy(ctx, tn.ID, store.MFAPolicy{Required: "everyone", PeriodSeconds: 30})
	require.NoError(t, err)
	require.Equal(t, store.MFAPolicy{Required: "everyone", PeriodSeconds: 30}, got.MFA)

	// Another tenant's registrations do not hold this one's step.
	other := f.tenant(t, "contoso")
	_, err = f.dir.SetMFAPolicy(ctx, other.ID, store.MFAPolicy{Required: "guests", PeriodSeconds: 45})
	require.NoError(t, err)

	require.NoError(t, f.store.DeleteMFA(ctx, tn.ID, u.ID))
	_, err = f.dir.SetMFAPolicy(ctx, tn.ID, store.MFAPolicy{Required: "everyone", PeriodSeconds: 60})
	require.NoError(t, err)
}

func testApplicationRequiresMFA(t *testing.T, f *fixture) {
	ctx := t.Context()
	tn := f.tenant(t, "woodgrove")
	app, _, err := f.dir.CreateApplication(ctx, tn.ID, directory.NewApplication{DisplayName: "Vault", ClientID: "vault",
		RedirectURIs: []string{"https://vault.example/cb"}, RequiresMFA: true})
	require.NoError(t, err)
	require.True(t, app.RequiresMFA)
	stored, err := f.store.GetApplication(ctx, tn.ID, app.ID)
	require.NoError(t, err)
	require.True(t, stored.RequiresMFA)

	off := false
	updated, err := f.dir.UpdateApplication(ctx, tn.ID, app.ID, directory.ApplicationPatch{RequiresMFA: &off})
	require.NoError(t, err)
	require.False(t, updated.RequiresMFA)
	stored, err = f.store.GetApplication(ctx, tn.ID, app.ID)
	require.NoError(t, err)
	require.False(t, stored.RequiresMFA)
	require.Equal(t, "Vault", stored.DisplayName)

	// Left out of a patch, it stays.
	on := true
	_, err = f.dir.UpdateApplication(ctx, tn.ID, app.ID, directory.ApplicationPatch{RequiresMFA: &on})
	require.NoError(t, err)
	name := "Vault 2"
	updated, err = f.dir.UpdateApplication(ctx, tn.ID, app.ID, directory.ApplicationPatch{DisplayName: &name})
	require.NoError(t, err)
	require.True(t, updated.RequiresMFA)
	require.Contains(t, f.auditActivities(t, tn.ID), audit.ActivityUpdateApplication+"/"+store.ResultSuccess)
}
