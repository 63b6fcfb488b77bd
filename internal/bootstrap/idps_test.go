package bootstrap_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/internal/bootstrap"
	"github.com/foyer-idp/foyer/internal/secret"
	"github.com/foyer-idp/foyer/internal/store"
	"github.com/foyer-idp/foyer/internal/store/sqlstore/sqltest"
)

func TestBootstrapFederation(t *testing.T) {
	t.Parallel()
	tests := []sqltest.Case[*fixture]{
		{Name: "IdentityProvidersAppliedAndIdempotent", Fn: testIdPsApplied},
		{Name: "IdentityProviderRefusals", Fn: testIdPRefusals},
		{Name: "RedemptionPolicy", Fn: testRedemptionPolicyApplied},
	}
	sqltest.RunSuite(t, tests, newFixture)
}

const idpFile = `
tenants:
  - slug: woodgrove
    displayName: Woodgrove
    identityProviders:
      - displayName: Fabrikam
        type: OpenIDConnect
        clientId: foyer-at-fabrikam
        clientSecretEnv: FABRIKAM_SECRET
        issuer: https://login.fabrikam.example
        scopes: [openid, email]
        claimsMapping:
          userId: sub
          email: upn
        domains: [Fabrikam.example]
        mfaTrusted: true
      - displayName: GitHub
        type: GitHub
        clientId: gh-client
        clientSecret: literal-github-secret
        enabled: false
`

func (f *fixture) idpByName(t *testing.T, tenantID, name string) store.IdentityProvider {
	t.Helper()
	list, err := f.dir.IdentityProviders(t.Context(), tenantID)
	require.NoError(t, err)
	for _, p := range list {
		if p.DisplayName == name {
			return p
		}
	}
	t.Fatalf("no identity provider %q", name)
	return store.IdentityProvider{}
}

func (f *fixture) openSecret(t *testing.T, p store.IdentityProvider) string {
	t.Helper()
	s, err := f.dir.ClientSecret(p)
	require.NoError(t, err)
	return s
}

// requireReportHoldsNoSecret asserts the report, as the CLI prints it as
// JSON, quotes no client secret.
func requireReportHoldsNoSecret(t *testing.T, r bootstrap.Report, secrets ...string) {
	t.Helper()
	raw, err := json.Marshal(r)
	require.NoError(t, err)
	for _, s := range secrets {
		require.NotContains(t, string(raw), s)
	}
}

func testIdPsApplied(t *testing.T, f *fixture) {
	ctx := t.Context()
	vars := map[string]string{"FABRIKAM_SECRET": "fabrikam-secret-from-env"}
	f.deps.LookupEnv = func(k string) (string, bool) { v, ok := vars[k]; return v, ok }
	r, err := bootstrap.Apply(ctx, f.deps, parse(t, idpFile))
	require.NoError(t, err)
	require.Equal(t, map[string]string{
		"tenant woodgrove/woodgrove":          "created",
		"identityProvider woodgrove/Fabrikam": "created",
		"identityProvider woodgrove/GitHub":   "created",
	}, results(r))
	requireReportHoldsNoSecret(t, r, "fabrikam-secret-from-env", "literal-github-secret")
	tn := f.tenant(t, "woodgrove")
	fab := f.idpByName(t, tn.ID, "Fabrikam")
	require.Equal(t, store.IdPOpenIDConnect, fab.Type)
	require.Equal(t, "foyer-at-fabrikam", fab.ClientID)
	require.Equal(t, "https://login.fabrikam.example", fab.Issuer)
	require.Equal(t, []string{"openid", "email"}, fab.Scopes)
	require.Equal(t, store.ClaimsMapping{UserID: "sub", Email: "upn"}, fab.ClaimsMapping)
	require.Equal(t, []string{"fabrikam.example"}, fab.Domains)
	require.True(t, fab.MFATrusted)
	require.True(t, fab.Enabled)
	require.Equal(t, "fabrikam-secret-from-env", f.openSecret(t, fab))
	gh := f.idpByName(t, tn.ID, "GitHub")
	require.False(t, gh.Enabled)
	require.Equal(t, "literal-github-secret", f.openSecret(t, gh))
	events := f.auditCount(t)

	// The same file again changes nothing and writes no audit event.
	r, err = bootstrap.Apply(ctx, f.deps, parse(t, idpFile))
	require.NoError(t, err)
	require.False(t, r.Changed(), "%+v", r.Objects)
	require.Equal(t, events, f.auditCount(t))

	// Each declared field is enforced; what the file leaves out stays.
	vars["FABRIKAM_SECRET"] = "rotated-fabrikam-secret"
	changed := strings.NewReplacer(
		"issuer: https://login.fabrikam.example", "issuer: https://login2.fabrikam.example",
		"          email: upn\n", "",
		"mfaTrusted: true", "mfaTrusted: false",
		"enabled: false", "enabled: true",
	).Replace(idpFile)
	r, err = bootstrap.Apply(ctx, f.deps, parse(t, changed))
	require.NoError(t, err)
	requireReportHoldsNoSecret(t, r, "rotated-fabrikam-secret", "literal-github-secret")
	got := map[string][]string{}
	for _, o := range r.Objects {
		got[o.Name] = o.Changed
	}
	require.ElementsMatch(t, []string{"issuer", "mfaTrusted", "clientSecretEnv"}, got["Fabrikam"])
	require.Equal(t, []string{"enabled"}, got["GitHub"])
	fab = f.idpByName(t, tn.ID, "Fabrikam")
	require.Equal(t, "https://login2.fabrikam.example", fab.Issuer)
	require.Equal(t, store.ClaimsMapping{UserID: "sub", Email: "upn"}, fab.ClaimsMapping, "a claim left out stays")
	require.Equal(t, "rotated-fabrikam-secret", f.openSecret(t, fab))
	require.False(t, fab.MFATrusted)
	require.True(t, f.idpByName(t, tn.ID, "GitHub").Enabled)
	r, err = bootstrap.Apply(ctx, f.deps, parse(t, changed))
	require.NoError(t, err)
	require.False(t, r.Changed(), "%+v", r.Objects)
}

func testIdPRefusals(t *testing.T, f *fixture) {
	ctx := t.Context()
	_, err := bootstrap.Apply(ctx, f.deps, parse(t, idpFile))
	require.Error(t, err, "FABRIKAM_SECRET is not set")
	require.Contains(t, err.Error(), "tenants[0].identityProviders[0].clientSecretEnv: environment variable FABRIKAM_SECRET is not set")
	before := f.auditCount(t)
	require.Zero(t, before, "nothing was written")

	// A Foyer partner provider already in the tenant.
	_, err = bootstrap.Apply(ctx, f.deps, parse(t, `
tenants:
  - slug: woodgrove
    displayName: Woodgrove
  - slug: contoso
    displayName: Contoso
`))
	require.NoError(t, err)
	tn := f.tenant(t, "woodgrove")
	partner := store.IdentityProvider{TenantID: tn.ID, ID: secret.NewID(), Type: store.IdPFoyer, DisplayName: "Contoso",
		ClientID: "partner", Issuer: "https://foyer.example/t/contoso", PartnerTenantID: f.tenant(t, "contoso").ID, Enabled: true,
		CreatedAt: f.now.Truncate(time.Microsecond), UpdatedAt: f.now.Truncate(time.Microsecond)}
	require.NoError(t, f.store.CreateIdentityProvider(ctx, partner))
	_, err = bootstrap.Apply(ctx, f.deps, parse(t, `
tenants:
  - slug: woodgrove
    displayName: Woodgrove
    identityProviders:
      - displayName: GitHub
        type: GitHub
        clientId: gh
        clientSecret: literal-github-secret
`))
	require.NoError(t, err)
	before = f.auditCount(t)

	file := `
tenants:
  - slug: woodgrove
    displayName: Woodgrove
    identityProviders:
      - displayName: Own Foyer
        type: Foyer
        clientId: x
      - displayName: Facebook
        type: Facebook
        clientId: x
      - displayName: Twice
        type: Google
        clientId: a
      - displayName: Twice
        type: Google
        clientId: b
      - displayName: Contoso
        type: OpenIDConnect
        clientId: c
        issuer: https://contoso.example
      - displayName: GitHub
        type: Google
        clientId: gh
      - displayName: Both
        type: Google
        clientId: both
        clientSecret: one-secret-value
        clientSecretEnv: ANOTHER
      - type: Google
`
	_, err = bootstrap.Apply(ctx, f.deps, parse(t, file))
	require.Error(t, err)
	msg := err.Error()
	for _, want := range []string{
		"tenants[0].identityProviders[0].type: Foyer providers are managed by Foyer",
		`tenants[0].identityProviders[1].type: "Facebook" is not one of`,
		`tenants[0].identityProviders[3].displayName: "Twice" is declared twice`,
		`tenants[0].identityProviders[4].displayName: "Contoso" is a Foyer partner provider`,
		"tenants[0].identityProviders[5].type: is GitHub and cannot change",
		"tenants[0].identityProviders[6].clientSecretEnv: give clientSecret or clientSecretEnv, not both",
		"tenants[0].identityProviders[7].displayName: is required",
		"tenants[0].identityProviders[7].clientId: is required",
	} {
		require.Contains(t, msg, want)
	}
	require.NotContains(t, msg, "one-secret-value")
	require.Equal(t, before, f.auditCount(t), "nothing was written")
	list, err := f.dir.IdentityProviders(ctx, tn.ID)
	require.NoError(t, err)
	require.Len(t, list, 2)

	// Without the federation configuration, providers cannot be applied.
	deps := f.deps
	deps.Federation = nil
	_, err = bootstrap.Apply(ctx, deps, parse(t, `
tenants:
  - slug: woodgrove
    displayName: Woodgrove
    identityProviders:
      - displayName: GitHub
        type: GitHub
        clientId: gh
`))
	require.ErrorContains(t, err, "tenants[0].identityProviders: cannot be applied here")
}

func testRedemptionPolicyApplied(t *testing.T, f *fixture) {
	ctx := t.Context()
	file := `
tenants:
  - slug: woodgrove
    displayName: Woodgrove
    invitationPolicy:
      allowInvitesFrom: everyone
      redemptionOrder: [emailPasscode, partnerTenant]
      redeemWithAnyAccount: true
`
	_, err := bootstrap.Apply(ctx, f.deps, parse(t, file))
	require.NoError(t, err)
	tn := f.tenant(t, "woodgrove")
	require.Equal(t, []string{"emailPasscode", "partnerTenant"}, tn.Invitations.RedemptionOrder)
	require.True(t, tn.Invitations.RedeemWithAnyAccount)
	require.Equal(t, store.InvitesFromEveryone, tn.Invitations.AllowInvitesFrom)
	events := f.policyEvents(t, tn.ID)

	r, err := bootstrap.Apply(ctx, f.deps, parse(t, file))
	require.NoError(t, err)
	require.False(t, r.Changed())
	require.Equal(t, events, f.policyEvents(t, tn.ID))

	// Only the declared field changes; [] restores the default order.
	r, err = bootstrap.Apply(ctx, f.deps, parse(t, `
tenants:
  - slug: woodgrove
    displayName: Woodgrove
    invitationPolicy:
      redemptionOrder: []
`))
	require.NoError(t, err)
	require.Equal(t, []string{"invitationPolicy.redemptionOrder"}, r.Objects[0].Changed)
	tn = f.tenant(t, "woodgrove")
	require.Empty(t, tn.Invitations.RedemptionOrder)
	require.True(t, tn.Invitations.RedeemWithAnyAccount)
	require.Equal(t, store.InvitesFromEveryone, tn.Invitations.AllowInvitesFrom)
	// The default order spelt out is no change.
	r, err = bootstrap.Apply(ctx, f.deps, parse(t, `
tenants:
  - slug: woodgrove
    displayName: Woodgrove
    invitationPolicy:
      redemptionOrder: [partnerTenant, identityProvider, socialProvider, emailPasscode]
      redeemWithAnyAccount: true
`))
	require.NoError(t, err)
	require.False(t, r.Changed())

	before := f.auditCount(t)
	_, err = bootstrap.Apply(ctx, f.deps, parse(t, `
tenants:
  - slug: woodgrove
    displayName: Woodgrove
    invitationPolicy:
      allowInvitesFrom: none
      redemptionOrder: [emailPasscode, sms, emailPasscode]
`))
	require.Error(t, err)
	require.Contains(t, err.Error(), `tenants[0].invitationPolicy.redemptionOrder[1]: "sms" is not one of`)
	require.Contains(t, err.Error(), `tenants[0].invitationPolicy.redemptionOrder[2]: "emailPasscode" is declared twice`)
	require.Equal(t, before, f.auditCount(t))
	require.Equal(t, store.InvitesFromEveryone, f.tenant(t, "woodgrove").Invitations.AllowInvitesFrom)
}
