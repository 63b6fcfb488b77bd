package demo_test

import (
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/idp"
	"github.com/foyer-idp/foyer/internal/bootstrap"
	"github.com/foyer-idp/foyer/internal/config"
	"github.com/foyer-idp/foyer/internal/demo"
	"github.com/foyer-idp/foyer/internal/directory"
	"github.com/foyer-idp/foyer/internal/secret"
	"github.com/foyer-idp/foyer/internal/store/sqlstore/sqltest"
	"github.com/foyer-idp/foyer/internal/webclient"
	"github.com/foyer-idp/foyer/keys"
)

// TestDemoAgainstFoyer runs what serve --dev runs: the real provider over
// a real store seeded with the dev file, and the demo relying party on the
// same server, and signs in through the provider's forms as a person
// would.
func TestDemoAgainstFoyer(t *testing.T) {
	sqltest.Run(t, func(t *testing.T, b sqltest.Backend) {
		ctx := t.Context()
		st := b.OpenMigrated(t)
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
			OIDC: &idp.OIDC{
				Store: st, Directory: dir, Keys: km, Hasher: master.Hasher("tokens"), Lifetimes: config.DefaultTokens(),
			},
		})
		require.NoError(t, err)
		h, err := demo.New(demo.Config{
			Issuer: base + "/t/woodgrove", ClientID: bootstrap.DemoClientID,
			RedirectURL: base + "/demo/callback", PostLogoutURL: base + "/demo", Logger: logger,
		})
		require.NoError(t, err)
		s.Mount("/demo", h)
		s.Mount("/demo/", h)
		srv.Config.Handler = s.Handler()
		srv.Start()
		t.Cleanup(srv.Close)

		browser := webclient.New(webclient.Config{StopAt: []string{base + "/demo/callback"}})
		back, err := browser.SignIn(ctx, base+"/demo/login", webclient.Credentials{Username: bootstrap.DevAdmin, Password: bootstrap.DevPassword})
		require.NoError(t, err)
		require.Equal(t, base+"/t/woodgrove", back.Query().Get("iss"))
		page, err := browser.Follow(ctx, back.Stop)
		require.NoError(t, err)
		require.Equal(t, 200, page.Status, page.Summary())
		require.Equal(t, "/demo", page.URL.Path)
		require.Contains(t, page.Text(), "as admin@woodgrove.test")
		require.Contains(t, page.Text(), "tid")
		require.Contains(t, page.Text(), "iss "+base+"/t/woodgrove")

		// Sign-out goes through the provider's end_session_endpoint and
		// back to the demo, signed out at both.
		page, err = browser.Get(ctx, base+"/demo/logout")
		require.NoError(t, err)
		require.Equal(t, "/demo", page.URL.Path, page.Summary())
		require.NotContains(t, page.Text(), "Signed in to")
		page, err = browser.Get(ctx, base+"/demo/login")
		require.NoError(t, err)
		_, err = page.FormWith("current-password")
		require.NoError(t, err, "the provider's session ended too: it asks for the password again")
	})
}
