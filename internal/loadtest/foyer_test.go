package loadtest_test

import (
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/idp"
	"github.com/foyer-idp/foyer/internal/bootstrap"
	"github.com/foyer-idp/foyer/internal/config"
	"github.com/foyer-idp/foyer/internal/directory"
	"github.com/foyer-idp/foyer/internal/loadtest"
	"github.com/foyer-idp/foyer/internal/secret"
	"github.com/foyer-idp/foyer/internal/store/sqlstore/sqltest"
	"github.com/foyer-idp/foyer/keys"
)

// TestAgainstFoyer drives the real provider, seeded with the dev file,
// through every scenario briefly: the forms, consent, PKCE, refresh
// rotation and client credentials all work as a load test meets them.
func TestAgainstFoyer(t *testing.T) {
	ctx := t.Context()
	st := sqltest.Backends()[0].OpenMigrated(t)
	master := secret.GenerateMasterKey()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	passwords := secret.NewPasswordHasher(secret.Argon2Params{MemoryKiB: 64, Time: 1, Threads: 1}, 4)
	km, err := keys.New(keys.Config{Store: st, Sealer: master.Sealer("signing-keys"), Logger: logger})
	require.NoError(t, err)
	dir, err := directory.New(directory.Config{Store: st, SecretHasher: master.Hasher("client-secrets"), Passwords: passwords})
	require.NoError(t, err)
	srv := httptest.NewUnstartedServer(nil)
	base := "http://" + srv.Listener.Addr().String()
	_, err = bootstrap.Apply(ctx, bootstrap.Deps{
		Store: st, SecretHasher: master.Hasher("client-secrets"), Passwords: passwords, Keys: km,
		MinSecretLength: bootstrap.DevMinSecretLength,
	}, bootstrap.DevFile(base))
	require.NoError(t, err)
	s, err := idp.New(idp.Config{
		Tenants: st, Keys: km, Registry: prometheus.NewRegistry(), Logger: logger, ExternalURL: base,
		OIDC: &idp.OIDC{Store: st, Directory: dir, Keys: km, Hasher: master.Hasher("tokens"), Lifetimes: config.DefaultTokens()},
	})
	require.NoError(t, err)
	srv.Config.Handler = s.Handler()
	srv.Start()
	t.Cleanup(srv.Close)

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
