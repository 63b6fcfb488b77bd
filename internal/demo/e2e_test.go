package demo_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/idp/idptest"
	"github.com/foyer-idp/foyer/internal/bootstrap"
	"github.com/foyer-idp/foyer/internal/demo"
	"github.com/foyer-idp/foyer/internal/store/sqlstore/sqltest"
	"github.com/foyer-idp/foyer/internal/webclient"
)

// TestDemoAgainstFoyer runs what serve --dev runs: the real provider over
// a real store seeded with the dev file, and the demo relying party on the
// same server, and signs in through the provider's forms as a person
// would.
func TestDemoAgainstFoyer(t *testing.T) {
	t.Parallel()
	sqltest.Run(t, func(t *testing.T, b sqltest.Backend) {
		ctx := t.Context()
		dev := idptest.StartDev(t, b, func(d *idptest.Dev) {
			h, err := demo.New(demo.Config{
				Issuer: d.URL + "/t/woodgrove", ClientID: bootstrap.DemoClientID,
				RedirectURL: d.URL + "/demo/callback", PostLogoutURL: d.URL + "/demo", Logger: d.Logger,
			})
			require.NoError(t, err)
			d.Server.Mount("/demo", h)
			d.Server.Mount("/demo/", h)
		})
		base := dev.URL

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
		// Back home, the demo tries a silent sign-in: the provider's
		// session is gone, so it answers login_required and the demo
		// shows its signed-out page.
		page, err = browser.Get(ctx, base+"/demo/logout")
		require.NoError(t, err)
		require.True(t, page.Stopped(), page.Summary())
		require.Equal(t, "login_required", page.Query().Get("error"))
		page, err = browser.Follow(ctx, page.Stop)
		require.NoError(t, err)
		require.Equal(t, "/demo", page.URL.Path, page.Summary())
		require.NotContains(t, page.Text(), "Signed in to")
		require.Contains(t, page.Text(), "Sign in")
		page, err = browser.Get(ctx, base+"/demo/login")
		require.NoError(t, err)
		_, err = page.FormWith("current-password")
		require.NoError(t, err, "the provider's session ended too: it asks for the password again")
	})
}
