package loadtest_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/internal/loadtest"
)

func requireSane(t *testing.T, r loadtest.Result) {
	t.Helper()
	require.Positive(t, r.Operations, "%s ran no operation: %+v", r.Scenario, r)
	require.Zero(t, r.Errors, "%s: %+v", r.Scenario, r.ErrorKinds)
	require.Empty(t, r.Setup)
	l := r.Latency
	require.Positive(t, l.P50)
	require.LessOrEqual(t, l.P50, l.P90)
	require.LessOrEqual(t, l.P90, l.P99)
	require.LessOrEqual(t, l.P99, l.Max)
	require.Equal(t, int(r.Operations), l.Samples, "below the cap every duration is kept")
	require.GreaterOrEqual(t, r.Requests, r.Operations)
	require.InDelta(t, float64(r.Operations)/r.Seconds, r.OpsPerSecond, 0.001)
}

func TestClientCredentialsJWKSAndDiscovery(t *testing.T) {
	t.Parallel()
	op := newFakeOP(t, "127.0.0.1")
	op.tokenDelay = 2 * time.Millisecond
	var progress []string
	start := time.Now()
	report, err := loadtest.Run(t.Context(), loadtest.Config{
		Issuer: op.issuer, ClientID: confidentialID, ClientSecret: clientSecret,
		Scenarios: []string{loadtest.ClientCredentials, loadtest.JWKS},
		Workers:   4, Duration: 300 * time.Millisecond,
		Progress: func(s string, _ int, _ time.Duration) { progress = append(progress, s) },
	})
	require.NoError(t, err)
	took := time.Since(start)
	require.Equal(t, []string{"client_credentials", "jwks"}, progress)
	require.Len(t, report.Results, 2)
	for _, r := range report.Results {
		requireSane(t, r)
		require.Equal(t, 4, r.Workers)
		require.InDelta(t, 0.3, r.Seconds, 0.25, "the duration is honoured")
	}
	require.Less(t, took, 2*time.Second, "the run stops by itself")
	cc := report.Results[0]
	require.GreaterOrEqual(t, cc.Latency.P50, 2.0, "the token endpoint's 2ms are measured")
	cutOff := op.hitsOf("token") - cc.Operations - cc.Errors
	require.True(t, cutOff >= 0 && cutOff <= 4, "one token request per operation, but those the end cut off (one a worker at most): %d", cutOff)
	require.EqualValues(t, 1, op.hitsOf("discovery"), "discovery once at the start, never per request")

	report, err = loadtest.Run(t.Context(), loadtest.Config{
		Issuer: op.issuer, Scenarios: []string{loadtest.Discovery}, Workers: 2, Duration: 100 * time.Millisecond,
	})
	require.NoError(t, err)
	requireSane(t, report.Results[0])
}

func TestBrowserScenarios(t *testing.T) {
	t.Parallel()
	op := newFakeOP(t, "localhost")
	report, err := loadtest.Run(t.Context(), loadtest.Config{
		Issuer: op.issuer, ClientID: publicID, RedirectURI: redirectURI, Username: username, Password: password,
		Workers: 3, Duration: 300 * time.Millisecond,
	})
	require.NoError(t, err)
	var names []string
	for _, r := range report.Results {
		names = append(names, r.Scenario)
		requireSane(t, r)
	}
	require.Equal(t, []string{"refresh", "password-flow", "session-flow", "jwks", "discovery"}, names,
		"without a secret every scenario but client_credentials")

	byName := map[string]loadtest.Result{}
	for _, r := range report.Results {
		byName[r.Scenario] = r
	}
	pw := byName["password-flow"]
	require.GreaterOrEqual(t, pw.Requests, 3*pw.Operations, "a full sign-in is authorize, login and token")
	// session-flow signs in through the form once per worker, then rides
	// the session: login posts = refresh's 3 setups + password-flow's
	// sign-ins + session-flow's 3 setups (+ cut-off ones).
	logins := op.hitsOf("login")
	require.GreaterOrEqual(t, logins, 6+pw.Operations)
	require.LessOrEqual(t, logins, 6+pw.Operations+int64(pw.Workers))
}

func TestWrongPasswordCountsErrors(t *testing.T) {
	t.Parallel()
	op := newFakeOP(t, "127.0.0.1")
	report, err := loadtest.Run(t.Context(), loadtest.Config{
		Issuer: op.issuer, ClientID: publicID, RedirectURI: redirectURI, Username: username, Password: "wrong",
		Scenarios: []string{loadtest.PasswordFlow, loadtest.SessionFlow}, Workers: 2, Duration: 100 * time.Millisecond,
	})
	require.NoError(t, err)
	pw := report.Results[0]
	require.Zero(t, pw.Operations)
	require.Positive(t, pw.Errors)
	require.Contains(t, pw.ErrorKinds[0].Message, "sign-in refused")
	session := report.Results[1]
	require.Zero(t, session.Workers, "no worker got past its first sign-in")
	require.EqualValues(t, 2, session.Setup[0].Count)
}

func TestRefusesRemoteTargets(t *testing.T) {
	t.Parallel()
	for name, issuer := range map[string]string{
		"public address":  "http://203.0.113.7/t/w",
		"private address": "http://10.0.0.8:8080/t/w",
		"a name":          "https://id.example.com/t/w",
	} {
		t.Run(name, func(t *testing.T) {
			_, err := loadtest.Run(t.Context(), loadtest.Config{Issuer: issuer, Duration: time.Second})
			require.ErrorIs(t, err, loadtest.ErrNotLoopback)
			require.ErrorContains(t, err, "--allow-remote")
		})
	}

	// A loopback issuer whose discovery sends the token endpoint away.
	op := newFakeOP(t, "127.0.0.1")
	mux := newRedirectingDiscovery(t, op)
	_, err := loadtest.Run(t.Context(), loadtest.Config{Issuer: mux, ClientID: confidentialID, ClientSecret: clientSecret, Duration: time.Second})
	require.ErrorIs(t, err, loadtest.ErrNotLoopback)
	require.ErrorContains(t, err, "token_endpoint")
}

func TestChecksConfig(t *testing.T) {
	t.Parallel()
	_, err := loadtest.Run(t.Context(), loadtest.Config{
		Issuer: "http://127.0.0.1:1/t/w", Workers: 257, Duration: 11 * time.Minute,
		Scenarios: []string{"ping", loadtest.ClientCredentials, loadtest.PasswordFlow},
	})
	for _, want := range []string{
		"workers must be 1 to 256", "duration must be at most 10m0s", `unknown scenario "ping"`,
		"client_credentials needs a client id and secret", "password-flow needs a client id, a redirect URI",
	} {
		require.ErrorContains(t, err, want)
	}
	_, err = loadtest.Run(t.Context(), loadtest.Config{Issuer: "http://127.0.0.1:1/t/w", Duration: 2 * time.Minute})
	require.ErrorContains(t, err, "discovery:", "jwks and discovery for 2m each is fine: the run gets as far as discovery")
	_, err = loadtest.Run(t.Context(), loadtest.Config{Issuer: "http://127.0.0.1:1/t/w", Duration: 6 * time.Minute})
	require.ErrorContains(t, err, "2 scenarios × 6m0s = 12m0s is more than the 10m0s a run may take")
}

// newRedirectingDiscovery answers the issuer of a provider on loopback
// whose discovery names a token endpoint elsewhere.
func newRedirectingDiscovery(t *testing.T, op *fakeOP) string {
	t.Helper()
	var issuer string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{
			"issuer": issuer, "authorization_endpoint": op.issuer + "/authorize",
			"token_endpoint": "http://203.0.113.7/t/w/token", "jwks_uri": op.issuer + "/keys",
		})
	}))
	t.Cleanup(srv.Close)
	issuer = srv.URL + "/t/w"
	return issuer
}
