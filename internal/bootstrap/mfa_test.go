package bootstrap_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/internal/bootstrap"
	"github.com/foyer-idp/foyer/internal/store"
	"github.com/foyer-idp/foyer/internal/store/sqlstore/sqltest"
)

func TestBootstrapMFA(t *testing.T) {
	t.Parallel()
	tests := []sqltest.Case[*fixture]{
		{Name: "AppliedAndIdempotent", Fn: testMFAPolicyApplied},
		{Name: "Refusals", Fn: testMFAPolicyRefusals},
		{Name: "ApplicationRequiresMFA", Fn: testAppRequiresMFA},
		{Name: "DevSeedRequiresGuests", Fn: testDevSeedMFA},
	}
	sqltest.RunSuite(t, tests, newFixture)
}

func testMFAPolicyApplied(t *testing.T, f *fixture) {
	ctx := t.Context()
	file := `
tenants:
  - slug: woodgrove
    displayName: Woodgrove
    mfaPolicy: {required: everyone, periodSeconds: 45}
  - slug: fabrikam
    displayName: Fabrikam
`
	r, err := bootstrap.Apply(ctx, f.deps, parse(t, file))
	require.NoError(t, err)
	require.Equal(t, bootstrap.Created, results(r)["tenant woodgrove/woodgrove"])
	tn := f.tenant(t, "woodgrove")
	require.Equal(t, store.MFAPolicy{Required: store.MFARequiredEveryone, PeriodSeconds: 45}, tn.MFA)
	require.Equal(t, 1, f.policyEvents(t, tn.ID), "audited as an admin's change")
	require.Equal(t, store.MFAPolicy{Required: store.MFARequiredGuests}, f.tenant(t, "fabrikam").MFA, "the default, stored")

	r, err = bootstrap.Apply(ctx, f.deps, parse(t, file))
	require.NoError(t, err)
	require.False(t, r.Changed())
	require.Equal(t, 1, f.policyEvents(t, tn.ID))

	for _, c := range []struct {
		name, policy string
		changed      []string
		want         store.MFAPolicy
	}{
		{"level only", `{required: nobody}`, []string{"mfaPolicy.required"},
			store.MFAPolicy{Required: store.MFARequiredNobody, PeriodSeconds: 45}},
		{"period only", `{periodSeconds: 30}`, []string{"mfaPolicy.periodSeconds"},
			store.MFAPolicy{Required: store.MFARequiredNobody, PeriodSeconds: 30}},
		{"both", `{required: guests, periodSeconds: 60}`, []string{"mfaPolicy.required", "mfaPolicy.periodSeconds"},
			store.MFAPolicy{Required: store.MFARequiredGuests, PeriodSeconds: 60}},
		{"empty declares nothing", `{}`, nil, store.MFAPolicy{Required: store.MFARequiredGuests, PeriodSeconds: 60}},
	} {
		t.Run(c.name, func(t *testing.T) {
			doc := "tenants:\n  - slug: woodgrove\n    displayName: Woodgrove\n    mfaPolicy: " + c.policy + "\n"
			r, err := bootstrap.Apply(ctx, f.deps, parse(t, doc))
			require.NoError(t, err)
			require.Len(t, r.Objects, 1)
			require.Equal(t, c.changed, r.Objects[0].Changed)
			require.Equal(t, c.want, f.tenant(t, "woodgrove").MFA)
			r, err = bootstrap.Apply(ctx, f.deps, parse(t, doc))
			require.NoError(t, err)
			require.False(t, r.Changed(), "a second run changes nothing")
		})
	}

	// The default period written out is no change to a tenant that never
	// set one.
	r, err = bootstrap.Apply(ctx, f.deps, parse(t, "tenants: [{slug: fabrikam, displayName: Fabrikam, mfaPolicy: {required: guests, periodSeconds: 30}}]"))
	require.NoError(t, err)
	require.False(t, r.Changed())
}

func testMFAPolicyRefusals(t *testing.T, f *fixture) {
	ctx := t.Context()
	_, err := bootstrap.Apply(ctx, f.deps, parse(t, "tenants: [{slug: woodgrove, displayName: Woodgrove}]"))
	require.NoError(t, err)
	events := f.auditCount(t)
	for _, c := range []struct{ name, policy, want string }{
		{"bad level", `{required: admins}`, "tenants[0].mfaPolicy.required: must be one of nobody, guests, everyone"},
		{"short period", `{periodSeconds: 5}`, "tenants[0].mfaPolicy.periodSeconds: must be from 15 to 120"},
	} {
		t.Run(c.name, func(t *testing.T) {
			doc := "tenants:\n  - slug: woodgrove\n    displayName: Woodgrove\n    mfaPolicy: " + c.policy + "\n"
			_, err := bootstrap.Apply(ctx, f.deps, parse(t, doc))
			require.ErrorContains(t, err, c.want)
			require.Equal(t, store.MFAPolicy{Required: store.MFARequiredGuests}, f.tenant(t, "woodgrove").MFA)
			require.Equal(t, events, f.auditCount(t), "nothing written, not even an audit event")
		})
	}
	_, err = bootstrap.Parse([]byte("tenants: [{slug: x, displayName: X, mfaPolicy: {require: everyone}}]"))
	require.ErrorContains(t, err, "require")

	// The period does not change under a registered authenticator.
	_, err = bootstrap.Apply(ctx, f.deps, parse(t, `
tenants:
  - slug: woodgrove
    displayName: Woodgrove
    members: [{mail: admin@woodgrove.test, displayName: Admin}]
`))
	require.NoError(t, err)
	tn := f.tenant(t, "woodgrove")
	u, err := f.dir.User(ctx, tn.ID, "admin@woodgrove.test")
	require.NoError(t, err)
	require.NoError(t, f.store.SaveTOTPFactor(ctx, store.TOTPFactor{TenantID: tn.ID, UserID: u.ID,
		PendingSealedSecret: []byte("sealed"), CreatedAt: f.now}))
	require.NoError(t, f.store.ActivateTOTPFactor(ctx, tn.ID, u.ID, f.now.Unix()/30, f.now.Add(time.Second)))
	_, err = bootstrap.Apply(ctx, f.deps, parse(t, "tenants: [{slug: woodgrove, displayName: Woodgrove, mfaPolicy: {periodSeconds: 60}}]"))
	require.ErrorContains(t, err, "tenants[0].mfaPolicy.periodSeconds: cannot change while 1 users")
}

func testAppRequiresMFA(t *testing.T, f *fixture) {
	ctx := t.Context()
	doc := func(flag string) string {
		return "tenants:\n  - slug: woodgrove\n    displayName: Woodgrove\n    applications:\n" +
			"      - {clientId: vault, displayName: Vault, redirectUris: [https://vault.example/cb]" + flag + "}\n"
	}
	_, err := bootstrap.Apply(ctx, f.deps, parse(t, doc(", requiresMfa: true")))
	require.NoError(t, err)
	tn := f.tenant(t, "woodgrove")
	app, err := f.dir.Application(ctx, tn.ID, "vault")
	require.NoError(t, err)
	require.True(t, app.RequiresMFA)
	r, err := bootstrap.Apply(ctx, f.deps, parse(t, doc(", requiresMfa: true")))
	require.NoError(t, err)
	require.False(t, r.Changed())
	// Left out, it stays.
	r, err = bootstrap.Apply(ctx, f.deps, parse(t, doc("")))
	require.NoError(t, err)
	require.False(t, r.Changed())
	r, err = bootstrap.Apply(ctx, f.deps, parse(t, doc(", requiresMfa: false")))
	require.NoError(t, err)
	require.Equal(t, []string{"requiresMfa"}, r.Objects[len(r.Objects)-1].Changed)
	app, err = f.dir.Application(ctx, tn.ID, "vault")
	require.NoError(t, err)
	require.False(t, app.RequiresMFA)
}

func testDevSeedMFA(t *testing.T, f *fixture) {
	ctx := t.Context()
	deps := f.deps
	deps.MinSecretLength = bootstrap.DevMinSecretLength
	deps.LookupEnv = nil
	_, err := bootstrap.Apply(ctx, deps, bootstrap.DevFile("http://localhost:8080"))
	require.NoError(t, err)
	wg := f.tenant(t, "woodgrove")
	require.Equal(t, store.MFARequiredGuests, wg.MFA.Required)
	// Declared, not defaulted: a changed rule is put back on the next seed.
	_, err = f.dir.SetMFAPolicy(ctx, wg.ID, store.MFAPolicy{Required: store.MFARequiredNobody})
	require.NoError(t, err)
	r, err := bootstrap.Apply(ctx, deps, bootstrap.DevFile("http://localhost:8080"))
	require.NoError(t, err)
	require.Equal(t, []string{"mfaPolicy.required"}, r.Objects[0].Changed)
	require.Equal(t, store.MFARequiredGuests, f.tenant(t, "woodgrove").MFA.Required)
}
