package directory_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/internal/directory"
	"github.com/foyer-idp/foyer/internal/secret"
	"github.com/foyer-idp/foyer/internal/store"
	"github.com/foyer-idp/foyer/internal/store/sqlstore/sqltest"
)

// TestFederation runs the federation tests on each storage back end.
func TestFederation(t *testing.T) {
	t.Parallel()
	tests := []sqltest.Case[*fixture]{
		{Name: "DomainBelongsToOneTenant", Fn: testDomainOneTenant},
		{Name: "DomainRefusals", Fn: testDomainRefusals},
		{Name: "CreateIdentityProviderPresets", Fn: testProviderPresets},
		{Name: "ProviderRefusalsNameFieldsAndWriteNothing", Fn: testProviderRefusals},
		{Name: "ProviderSecretSealedAtRest", Fn: testProviderSecretSealed},
		{Name: "CheckURLRefusalIsAnIssuerFieldError", Fn: testProviderCheckURL},
		{Name: "UpdateAndDeleteProvider", Fn: testUpdateDeleteProvider},
		{Name: "ProviderDomainsServedOnce", Fn: testProviderDomainsServedOnce},
		{Name: "PartnerProviderBothSides", Fn: testPartnerProvider},
		{Name: "PartnerProviderRaceMakesOne", Fn: testPartnerProviderRace},
		{Name: "PartnerProviderRefusals", Fn: testPartnerProviderRefusals},
		{Name: "PartnerProviderAfterDeleteRenewsSecret", Fn: testPartnerProviderRenews},
		{Name: "SetRedemptionPolicy", Fn: testSetRedemptionPolicy},
		{Name: "RefreshGuestProfile", Fn: testRefreshGuestProfile},
		{Name: "RefreshGuestMailRules", Fn: testRefreshGuestMail},
	}
	sqltest.RunSuite(t, tests, func(t *testing.T, b sqltest.Backend) *fixture { return newFixture(t, b) })
}

func TestFederationNotConfigured(t *testing.T) {
	t.Parallel()
	b := sqltest.Backends()[0] // SQLite: the answer does not depend on the store
	st := b.OpenMigrated(t)
	master := secret.GenerateMasterKey()
	d, err := directory.New(directory.Config{Store: st, SecretHasher: master.Hasher("client-secrets"),
		Passwords: secret.NewPasswordHasher(testArgon2, 1)})
	require.NoError(t, err)
	_, err = d.CreateIdentityProvider(t.Context(), "any", googleInput())
	require.ErrorIs(t, err, directory.ErrFederationNotConfigured)
	_, err = d.PartnerProvider(t.Context(), "a", "b")
	require.ErrorIs(t, err, directory.ErrFederationNotConfigured)
}

func (f *fixture) providers(t *testing.T, tenantID string) []store.IdentityProvider {
	t.Helper()
	list, err := f.store.ListIdentityProviders(t.Context(), tenantID)
	require.NoError(t, err)
	return list
}

func (f *fixture) events(t *testing.T, tenantID, activity string) []store.AuditEvent {
	t.Helper()
	list, err := f.store.ListAudit(t.Context(), store.AuditFilter{TenantID: tenantID, Activity: activity})
	require.NoError(t, err)
	return list
}
