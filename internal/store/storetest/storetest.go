package storetest

import (
	"testing"

	"github.com/foyer-idp/foyer/internal/store"
)

// testCase is one named check against a fresh, migrated, empty store.
type testCase struct {
	name string
	run  func(t *testing.T, s store.Store)
}

type suite struct {
	name  string
	cases []testCase
}

// Run checks the store contract. newStore must answer a fresh, migrated,
// empty store for each subtest and release it in t.Cleanup.
func Run(t *testing.T, newStore func(t *testing.T) store.Store) {
	t.Helper()
	runSuites(t, newStore, true, []suite{
		{"Tenants", tenantCases()},
		{"Users", userCases()},
		{"Groups", groupCases()},
		{"Applications", applicationCases()},
		{"Assignments", assignmentCases()},
		{"Roles", roleCases()},
		{"SigningKeys", signingKeyCases()},
		{"Audit", auditCases()},
		{"SignIns", signInCases()},
		{"Tokens", tokenCases()},
		{"AuthRequests", authRequestCases()},
		{"Sessions", sessionCases()},
		{"RefreshTokens", refreshTokenCases()},
		{"AccessTokens", accessTokenCases()},
		{"Consents", consentCases()},
		{"Counters", counterCases()},
		{"Purge", purgeCases()},
		{"Mail", mailCases()},
		{"Invitations", invitationCases()},
		{"Redemptions", redemptionCases()},
		{"Passcodes", passcodeCases()},
		{"Domains", domainCases()},
		{"IdentityProviders", identityProviderCases()},
		{"FederationLogins", federationLoginCases()},
		{"MFA", mfaCases()},
		{"DeviceAuthorizations", deviceCases()},
		{"Transactions", transactionCases()},
		{"TenantIsolation", isolationCases()},
		{"Times", timeCases()},
	})
}

// RunConcurrency checks that races are decided by the database: exactly one
// winner where there must be one, and no spurious failures where all should
// succeed.
func RunConcurrency(t *testing.T, newStore func(t *testing.T) store.Store) {
	t.Helper()
	// One case at a time: each measures contention it makes itself.
	runSuites(t, newStore, false, []suite{{"Concurrency", concurrencyCases()}})
}

// runSuites runs each case on a fresh store; parallel cases run beside
// each other and beside the package's other parallel tests.
func runSuites(t *testing.T, newStore func(t *testing.T) store.Store, parallel bool, suites []suite) {
	t.Helper()
	for _, su := range suites {
		t.Run(su.name, func(t *testing.T) {
			for _, c := range su.cases {
				t.Run(c.name, func(t *testing.T) {
					if parallel {
						t.Parallel()
					}
					c.run(t, newStore(t))
				})
			}
		})
	}
}
