package cli

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/spf13/cobra"
	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/internal/loadtest"
)

// fakeTokenEndpoint serves discovery, a JWKS and client credentials.
func fakeTokenEndpoint(t *testing.T) string {
	t.Helper()
	var issuer string
	mux := http.NewServeMux()
	mux.HandleFunc("GET /t/w/.well-known/openid-configuration", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]string{
			"issuer": issuer, "authorization_endpoint": issuer + "/authorize",
			"token_endpoint": issuer + "/token", "jwks_uri": issuer + "/keys",
		})
	})
	mux.HandleFunc("GET /t/w/keys", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"keys":[{"kty":"oct","kid":"k"}]}`))
	})
	mux.HandleFunc("POST /t/w/token", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if id, secret, ok := r.BasicAuth(); !ok || id != "demo-app" || secret != "demo-secret" {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"error":"invalid_client"}`))
			return
		}
		_, _ = w.Write([]byte(`{"access_token":"at","token_type":"Bearer","expires_in":60}`))
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	issuer = srv.URL + "/t/w"
	return issuer
}

func (c *cli) bench(t *testing.T, args ...string) result {
	t.Helper()
	return c.runWith(t, "", []func(deps) *cobra.Command{newBenchCmd}, append([]string{"bench"}, args...)...)
}

func TestBenchCommand(t *testing.T) {
	t.Parallel()
	issuer := fakeTokenEndpoint(t)
	c := newCLI(t)
	c.env["FOYER_BENCH_CLIENT_SECRET"] = "demo-secret"
	r := c.bench(t, "-o", "json", "--issuer", issuer, "--client-id", "demo-app",
		"--scenario", "client_credentials", "--scenario", "jwks", "--workers", "2", "--duration", "200ms")
	require.Equal(t, exitOK, r.code, r.stderr)
	var report loadtest.Report
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &report))
	require.Len(t, report.Results, 2)
	for _, res := range report.Results {
		require.Positive(t, res.Operations, res.Scenario)
		require.Zero(t, res.Errors, "%+v", res.ErrorKinds)
		require.Positive(t, res.Latency.P99)
	}
	require.Contains(t, r.stderr, "bench client_credentials: 2 workers for 200ms")
	require.NotContains(t, r.stderr, "warning", "the secret came from the environment")

	r = c.bench(t, "--issuer", issuer, "--client-id", "demo-app", "--client-secret", "wrong",
		"--scenario", "client_credentials", "--workers", "1", "--duration", "100ms")
	require.Equal(t, exitOK, r.code, r.stderr)
	require.Contains(t, r.stderr, "warning: --client-secret shows in the process list")
	require.Regexp(t, `(?m)^SCENARIO\s+WORKERS\s+OPS\s+OPS/S\s+REQ/S\s+P50\s+P90\s+P99\s+MAX\s+ERRORS$`, r.stdout)
	require.Regexp(t, `(?m)^client_credentials\s+1\s+0\s+0\.0\s+[0-9.]+\s+-\s+-\s+-\s+-\s+[1-9][0-9]*$`, r.stdout)
	require.Contains(t, r.stdout, "status 401: invalid_client")
	require.NotContains(t, r.stdout, "wrong", "the secret is never printed")
}

func TestBenchRefusals(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	r := c.bench(t, "--issuer", "http://192.0.2.10:8080/t/woodgrove", "--duration", "1s")
	require.Equal(t, exitError, r.code)
	require.Contains(t, r.stderr, "not a loopback address")
	require.Contains(t, r.stderr, "--allow-remote")

	r = c.bench(t, "--issuer", "http://127.0.0.1:1/t/w", "--workers", "300")
	require.Equal(t, exitUsage, r.code)
	require.Contains(t, r.stderr, "--workers must be 1 to 256")
	r = c.bench(t, "--issuer", "http://127.0.0.1:1/t/w", "--duration", "11m")
	require.Equal(t, exitUsage, r.code)
	r = c.bench(t)
	require.Equal(t, exitUsage, r.code)
	require.Contains(t, r.stderr, "--issuer is required")
}
