package cli

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/foyer-idp/foyer/internal/bootstrap"
	"github.com/foyer-idp/foyer/internal/secret"
	"github.com/foyer-idp/foyer/internal/store/sqlstore/sqltest"
	"github.com/foyer-idp/foyer/internal/webclient"
)

// TestDisablingThroughAPIAndCLIEndsSignIns disables a member with the
// admin API of a running serve --dev and enables them again with the CLI:
// from the disabling on, their access and refresh tokens introspect
// inactive, the refresh grant refuses, and their browser's session yields
// no code, and enabling the account revives none of it.
func TestDisablingThroughAPIAndCLIEndsSignIns(t *testing.T) {
	t.Parallel()
	for _, backend := range []string{"SQLite", "Postgres"} {
		t.Run(backend, func(t *testing.T) {
			env := map[string]string{}
			if backend == "Postgres" {
				env["FOYER_DATABASE"] = sqltest.PostgresSchema(t)
			}
			s := startDevServerWith(t, env)
			ctx := t.Context()
			const carol, pw = "carol@woodgrove.test", "carol-long-password-1"
			var u struct{ ID string }
			require.NoError(t, json.Unmarshal([]byte(s.cli.mustRun(t, "-o", "json", "users", "create", "--tenant", "woodgrove",
				"--mail", carol, "--name", "Carol", "--password", pw)), &u))

			iss := s.base + "/t/woodgrove"
			cfg := &oauth2.Config{ClientID: bootstrap.DevClientID, ClientSecret: bootstrap.DevClientSecret,
				RedirectURL: bootstrap.DevRedirectURI, Scopes: []string{oidc.ScopeOpenID, oidc.ScopeOfflineAccess},
				Endpoint: oauth2.Endpoint{AuthURL: iss + "/authorize", TokenURL: iss + "/oauth/token", AuthStyle: oauth2.AuthStyleInHeader}}
			br := webclient.New(webclient.Config{StopAt: []string{bootstrap.DevRedirectURI}})
			verifier := oauth2.GenerateVerifier()
			page := mustStep(t)(br.SignIn(ctx, cfg.AuthCodeURL(secret.NewToken(8), oauth2.S256ChallengeOption(verifier)),
				webclient.Credentials{Username: carol, Password: pw}))
			require.True(t, page.Stopped(), page.Summary())
			tok, err := cfg.Exchange(ctx, page.Query().Get("code"), oauth2.VerifierOption(verifier))
			require.NoError(t, err)

			post := func(endpoint string, form url.Values) map[string]any {
				t.Helper()
				req, err := http.NewRequestWithContext(ctx, http.MethodPost, iss+endpoint, strings.NewReader(form.Encode()))
				require.NoError(t, err)
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				req.SetBasicAuth(bootstrap.DevClientID, bootstrap.DevClientSecret)
				resp, err := http.DefaultClient.Do(req)
				require.NoError(t, err)
				defer resp.Body.Close()
				var out map[string]any
				require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
				return out
			}
			active := func(token string) any { return post("/oauth/introspect", url.Values{"token": {token}})["active"] }
			silent := func() url.Values {
				t.Helper()
				p := mustStep(t)(br.Get(ctx, cfg.AuthCodeURL(secret.NewToken(8), oauth2.S256ChallengeOption(verifier),
					oauth2.SetAuthURLParam("prompt", "none"))))
				require.True(t, p.Stopped(), p.Summary())
				return p.Query()
			}
			require.Equal(t, true, active(tok.AccessToken))
			require.Equal(t, true, active(tok.RefreshToken))
			require.NotEmpty(t, silent().Get("code"))

			requireDead := func(msg string) {
				t.Helper()
				require.Equal(t, false, active(tok.AccessToken), msg)
				require.Equal(t, false, active(tok.RefreshToken), msg)
				r := post("/oauth/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}})
				require.Equal(t, "invalid_grant", r["error"], msg)
				require.Equal(t, "login_required", silent().Get("error"), msg)
			}

			api := clientCredentials(t, s.base, s.base+"/.default")
			req, err := http.NewRequestWithContext(ctx, http.MethodPatch, s.base+"/v1.0/users/"+u.ID, strings.NewReader(`{"accountEnabled":false}`))
			require.NoError(t, err)
			req.Header.Set("Authorization", "Bearer "+api)
			req.Header.Set("Content-Type", "application/json")
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			resp.Body.Close()
			require.Equal(t, http.StatusNoContent, resp.StatusCode)
			requireDead("disabled through the API")

			s.cli.mustRun(t, "users", "update", "--tenant", "woodgrove", carol, "--enabled=true")
			requireDead("enabled again through the CLI")

			s.shutdown(t)
		})
	}
}
