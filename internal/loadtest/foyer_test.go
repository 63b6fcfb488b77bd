package loadtest_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/idp/idptest"
	"github.com/foyer-idp/foyer/internal/bootstrap"
	"github.com/foyer-idp/foyer/internal/loadtest"
	"github.com/foyer-idp/foyer/internal/store/sqlstore/sqltest"
)

// TestAgainstFoyer drives the real provider, seeded with the dev file,
// through every scenario briefly: the forms, consent, PKCE, refresh
// rotation and client credentials all work as a load test meets them.
func TestAgainstFoyer(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	base := idptest.StartDev(t, sqltest.Backends()[0], nil).URL

	report, err := loadtest.Run(ctx, loadtest.Config{
		Issuer: base + "/t/woodgrove", ClientID: bootstrap.DevClientID, ClientSecret: bootstrap.DevClientSecret,
		RedirectURI: bootstrap.DevRedirectURI, Username: bootstrap.DevAdmin, Password: bootstrap.DevPassword,
		Workers: 2, Duration: 250 * time.Millisecond,
	})
	require.NoError(t, err)
	require.Len(t, report.Results, len(loadtest.Scenarios))
	for _, r := range report.Results {
		require.Empty(t, r.Setup, r.Scenario)
		require.Zero(t, r.Errors, "%s: %+v", r.Scenario, r.ErrorKinds)
		require.Positive(t, r.Operations, r.Scenario)
		require.LessOrEqual(t, r.Latency.P50, r.Latency.P99)
	}
}
