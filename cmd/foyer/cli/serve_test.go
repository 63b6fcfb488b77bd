package cli

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/internal/bootstrap"
	"github.com/foyer-idp/foyer/internal/config"
	"github.com/foyer-idp/foyer/internal/secret"
	"github.com/foyer-idp/foyer/internal/store/sqlstore"
	"github.com/foyer-idp/foyer/internal/telemetry/telemetrytest"
	"github.com/foyer-idp/foyer/internal/testlog"
	"github.com/foyer-idp/foyer/internal/webclient"
)

// TestServe starts the real serve command on a kernel-chosen port, probes
// it over HTTP, then stops it the way a signal would.
func TestServe(t *testing.T) {
	c := newCLI(t)
	c.seedTenant(t, "acme")
	previous := slog.Default()
	t.Cleanup(func() { slog.SetDefault(previous) })

	base, stop, exited, logs := startServe(t, c)

	status, body := get(t, base+"/healthz")
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, "ok", body)
	require.Eventually(t, func() bool { s, _ := get(t, base+"/readyz"); return s == http.StatusOK }, 10*time.Second, 20*time.Millisecond)

	status, body = get(t, base+"/t/acme/keys")
	require.Equal(t, http.StatusOK, status)
	var set jose.JSONWebKeySet
	require.NoError(t, json.Unmarshal([]byte(body), &set))
	require.Len(t, set.Keys, 2, "active and next are published")

	// The OpenID provider answers under the tenant's issuer.
	status, body = get(t, base+"/t/acme/.well-known/openid-configuration")
	require.Equal(t, http.StatusOK, status)
	var discovery map[string]any
	require.NoError(t, json.Unmarshal([]byte(body), &discovery))
	require.Equal(t, config.Default().ExternalURL+"/t/acme", discovery["issuer"])
	require.Equal(t, true, discovery["authorization_response_iss_parameter_supported"])
	status, _ = get(t, base+"/t/nobody/.well-known/openid-configuration")
	require.Equal(t, http.StatusNotFound, status)

	// The operator rotates from another process while serve runs: the key
	// that signed until now stays published beside the new active (the old
	// next) and, once serve's short key-set cache has lapsed, the new next.
	c.mustRun(t, "keys", "rotate", "--tenant", "acme")
	jwks := func() jose.JSONWebKeySet {
		status, body := get(t, base+"/t/acme/keys")
		require.Equal(t, http.StatusOK, status)
		var set jose.JSONWebKeySet
		require.NoError(t, json.Unmarshal([]byte(body), &set))
		return set
	}
	require.Eventually(t, func() bool { return len(jwks().Keys) == 3 }, 30*time.Second, 100*time.Millisecond,
		"new next, new active (the old next) and the retired key")
	rotated := jwks()
	for _, k := range set.Keys {
		require.NotEmpty(t, rotated.Key(k.KeyID), "key %s published before the rotation is still published", k.KeyID)
	}

	status, body = get(t, base+"/metrics")
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, body, `foyer_http_requests_total{method="GET",route="GET /readyz",status="200"}`)
	require.Contains(t, body, "go_goroutines", "process collectors are registered")
	require.Contains(t, body, "\nfoyer_outbox_waiting_messages 0\n", "the outbox backlog, read at the scrape")
	require.Contains(t, body, "\nfoyer_outbox_oldest_waiting_seconds 0\n")
	require.Contains(t, body, "\nfoyer_invitations{state=\"Expired\"} 0\n", "every state, zero when empty")

	stop()
	select {
	case code := <-exited:
		require.Equal(t, exitOK, code, logs.String())
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not stop")
	}
	require.Contains(t, logs.String(), "listening")
	require.Contains(t, logs.String(), "stopped")
	_, err := http.Get(base + "/healthz")
	require.Error(t, err, "the port is closed after shutdown")
}

// startServe runs serve with c's configuration on a free loopback port,
// waits until it listens, and answers its base URL, the function that
// stops it as a signal would, the channel its exit code arrives on, and
// its log.
func startServe(t *testing.T, c *cli) (base string, stop context.CancelFunc, exited chan int, logs *testlog.Buffer) {
	t.Helper()
	ctx, stop := context.WithCancel(t.Context())
	t.Cleanup(stop)
	addrs := make(chan net.Addr, 1)
	d := c.deps()
	d.listening = func(a net.Addr) { addrs <- a }
	logs, exited = &testlog.Buffer{}, make(chan int, 1)
	go func() { exited <- run(ctx, []string{"serve", "--addr", "127.0.0.1:0"}, io.Discard, logs, d) }()
	select {
	case a := <-addrs:
		return "http://" + a.String(), stop, exited, logs
	case code := <-exited:
		t.Fatalf("serve exited with %d before listening:\n%s", code, logs.String())
	case <-time.After(30 * time.Second):
		t.Fatalf("serve did not listen:\n%s", logs.String())
	}
	return "", nil, nil, nil
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(body)
}

func TestReadyzWaitsForSigningKeys(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	c.mustRun(t, "migrate")
	st, err := sqlstore.OpenSQLite(t.Context(), filepath.Join(c.dataDir, "foyer.db"))
	require.NoError(t, err)
	defer st.Close()
	a := &app{cfg: config.Default(), logger: slog.New(slog.DiscardHandler), store: st, keys: c.keyManager(t, st)}

	var life lifecycle
	h, err := newHandler(a, &life)
	require.NoError(t, err)
	probe := func() *httptest.ResponseRecorder {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/readyz", nil))
		return w
	}
	w := probe()
	require.Equal(t, http.StatusServiceUnavailable, w.Code)
	require.JSONEq(t, `{"status":"unavailable","reason":"keys not ready"}`, w.Body.String())

	life.keysReady.Store(true)
	require.Equal(t, http.StatusOK, probe().Code)

	life.stopping.Store(true)
	w = probe()
	require.Equal(t, http.StatusServiceUnavailable, w.Code)
	require.JSONEq(t, `{"status":"unavailable","reason":"shutting down"}`, w.Body.String())
	life.stopping.Store(false)

	require.NoError(t, st.Close())
	w = probe()
	require.Equal(t, http.StatusServiceUnavailable, w.Code, "a closed store is not ready")
	require.Contains(t, w.Body.String(), "store not ready")
}

// TestServeHandsOver: told to stop, serve first answers 503 on /readyz
// for shutdownDelay while it still serves everything else, then closes.
func TestServeHandsOver(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	c.seedTenant(t, "acme")
	const delay = 1500 * time.Millisecond
	c.env["FOYER_SHUTDOWN_DELAY"] = delay.String()
	base, stop, exited, logs := startServe(t, c)
	require.Eventually(t, func() bool { s, _ := get(t, base+"/readyz"); return s == http.StatusOK }, 10*time.Second, 20*time.Millisecond)

	stopped := time.Now()
	stop()
	require.Eventually(t, func() bool { s, _ := get(t, base+"/readyz"); return s == http.StatusServiceUnavailable },
		time.Second, 10*time.Millisecond)
	status, body := get(t, base+"/readyz")
	require.Equal(t, http.StatusServiceUnavailable, status)
	require.JSONEq(t, `{"status":"unavailable","reason":"shutting down"}`, body)
	status, _ = get(t, base+"/t/acme/.well-known/openid-configuration")
	require.Equal(t, http.StatusOK, status, "still serving while the balancer catches up")
	status, _ = get(t, base+"/healthz")
	require.Equal(t, http.StatusOK, status, "alive: a restart now would be wrong")

	select {
	case code := <-exited:
		require.Equal(t, exitOK, code, logs.String())
		require.GreaterOrEqual(t, time.Since(stopped), delay, "not before the delay")
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not stop")
	}
	require.Contains(t, logs.String(), "not ready: serving until the load balancer has seen it")
	_, err := http.Get(base + "/healthz")
	require.Error(t, err, "the port is closed after the hand-over")
}

func TestServeRefusesAnAddressInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	c := newCLI(t)
	previous := slog.Default()
	t.Cleanup(func() { slog.SetDefault(previous) })
	r := c.run(t, "serve", "--addr", ln.Addr().String())
	require.Equal(t, exitError, r.code)
	require.Contains(t, r.stderr, "foyer: listen:")
	// The message names the address and the flag that changes it.
	require.Contains(t, r.stderr, ln.Addr().String()+" is already in use")
	require.Contains(t, r.stderr, "--addr")

	// serve --dev says where to go only once it listens: not here.
	r = c.run(t, "serve", "--dev", "--addr", ln.Addr().String())
	require.Equal(t, exitError, r.code)
	require.Contains(t, r.stderr, "--addr")
	require.NotContains(t, r.stderr, "development mode")
	require.NotContains(t, r.stderr, "sign_in_as")
}

// TestServeOnAnEmptyDatabaseSaysHowToStart: with no tenant, nobody can
// sign in; serve says how to make the first one.
func TestServeOnAnEmptyDatabaseSaysHowToStart(t *testing.T) {
	c := newCLI(t)
	previous := slog.Default()
	t.Cleanup(func() { slog.SetDefault(previous) })
	ctx, stop := context.WithCancel(t.Context())
	defer stop()
	d := c.deps()
	var logs testlog.Buffer
	exited := make(chan int, 1)
	go func() { exited <- run(ctx, []string{"serve", "--addr", "127.0.0.1:0"}, io.Discard, &logs, d) }()
	require.Eventually(t, func() bool { return strings.Contains(logs.String(), "no tenants yet") }, 30*time.Second, 20*time.Millisecond, logs.String())
	for _, hint := range []string{"foyer tenants create --slug", "foyer bootstrap --file", "foyer serve --dev"} {
		require.Contains(t, logs.String(), hint)
	}
	stop()
	require.Equal(t, exitOK, <-exited, logs.String())

	// With a tenant there is no such hint.
	c.seedTenant(t, "acme")
	ctx, stop = context.WithCancel(t.Context())
	defer stop()
	addrs := make(chan net.Addr, 1)
	d.listening = func(a net.Addr) { addrs <- a }
	var later testlog.Buffer
	go func() { exited <- run(ctx, []string{"serve", "--addr", "127.0.0.1:0"}, io.Discard, &later, d) }()
	base := "http://" + (<-addrs).String()
	require.Eventually(t, func() bool { s, _ := get(t, base+"/readyz"); return s == http.StatusOK }, 10*time.Second, 20*time.Millisecond)
	stop()
	require.Equal(t, exitOK, <-exited, later.String())
	require.NotContains(t, later.String(), "no tenants yet")
}

// devServer is serve --dev running in-process on a free loopback port.
type devServer struct {
	base   string
	cli    *cli
	logs   *testlog.Buffer
	stop   context.CancelFunc
	exited chan int
}

func startDevServer(t *testing.T) *devServer {
	t.Helper()
	return startDevServerWith(t, nil)
}

// startDevServerWith is startDevServer with more environment, e.g.
// FOYER_SMTP_URL, and tweaks of what the process hands in.
func startDevServerWith(t *testing.T, env map[string]string, tweaks ...func(*deps)) *devServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close()) // serve takes the port; the external URL must name it first
	s := &devServer{base: "http://" + addr, cli: newCLI(t), logs: &testlog.Buffer{}, exited: make(chan int, 1)}
	// The CLI run beside the server names the same external URL, as
	// two processes sharing one configuration do.
	s.cli.env["FOYER_EXTERNAL_URL"] = s.base
	maps.Copy(s.cli.env, env)
	previous := slog.Default()
	t.Cleanup(func() { slog.SetDefault(previous) })
	var ctx context.Context
	ctx, s.stop = context.WithCancel(t.Context())
	t.Cleanup(s.stop)
	d := s.cli.deps()
	for _, tweak := range tweaks {
		tweak(&d)
	}
	listening := make(chan struct{})
	d.listening = func(net.Addr) { close(listening) }
	go func() {
		s.exited <- run(ctx, []string{"serve", "--dev", "--addr", addr, "--external-url", s.base}, io.Discard, s.logs, d)
	}()
	select {
	case <-listening:
	case code := <-s.exited:
		t.Fatalf("serve --dev exited with %d:\n%s", code, s.logs.String())
	case <-time.After(60 * time.Second):
		t.Fatalf("serve --dev did not listen:\n%s", s.logs.String())
	}
	require.Eventually(t, func() bool { st, _ := get(t, s.base+"/readyz"); return st == http.StatusOK }, 20*time.Second, 50*time.Millisecond)
	return s
}

// shutdown stops serve as a signal would and checks it exits cleanly.
func (s *devServer) shutdown(t *testing.T) {
	t.Helper()
	s.stop()
	select {
	case code := <-s.exited:
		require.Equal(t, exitOK, code, s.logs.String())
	case <-time.After(20 * time.Second):
		t.Fatal("serve --dev did not stop")
	}
}

// TestServeDev runs serve --dev as a newcomer would and signs in at /demo
// through the provider's forms as the seeded admin.
func TestServeDev(t *testing.T) {
	t.Parallel()
	s := startDevServer(t)
	base, ctx := s.base, t.Context()
	require.Contains(t, s.logs.String(), base+"/demo")
	require.Contains(t, s.logs.String(), base+"/dev/mail")
	status, body := get(t, base+"/dev/mail")
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, body, "Development mailbox")
	require.Contains(t, s.logs.String(), base+"/t/woodgrove/.well-known/openid-configuration")

	browser := webclient.New(webclient.Config{StopAt: []string{base + "/demo/callback"}})
	back, err := browser.SignIn(ctx, base+"/demo/login", webclient.Credentials{Username: "admin@woodgrove.test", Password: "foyer-dev"})
	require.NoError(t, err)
	page, err := browser.Follow(ctx, back.Stop)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, page.Status, page.Summary())
	require.Contains(t, page.Text(), "as admin@woodgrove.test")
	require.Contains(t, page.Text(), "tid")

	s.shutdown(t)
	// A second start seeds nothing new.
	r := s.cli.run(t, "-o", "json", "bootstrap", "--dev")
	require.Equal(t, exitOK, r.code, r.stderr)
	require.NotContains(t, r.stdout, `"created"`)
}

func TestServeDevRefusedInProduction(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	c.env["FOYER_ENV"] = "production"
	c.env["FOYER_MASTER_KEY"] = secret.GenerateMasterKey().String()
	c.env["FOYER_EXTERNAL_URL"] = "https://id.example.com"
	r := c.run(t, "serve", "--dev")
	require.Equal(t, exitError, r.code)
	require.Contains(t, r.stderr, "refused in production")
}

// freePort answers a loopback port free a moment ago.
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	_, port, err := net.SplitHostPort(ln.Addr().String())
	require.NoError(t, err)
	return port
}

// serveRefused runs a serve command that must fail before it listens,
// and answers its standard error. Should it listen, it is stopped and the
// test fails.
func serveRefused(t *testing.T, c *cli, args ...string) string {
	t.Helper()
	ctx, stop := context.WithCancel(t.Context())
	defer stop()
	d := c.deps()
	var listened net.Addr
	d.listening = func(a net.Addr) { listened = a; stop() }
	var stderr testlog.Buffer
	code := run(ctx, args, io.Discard, &stderr, d)
	require.Nil(t, listened, "%v listened on %v", args, listened)
	require.Equal(t, exitError, code, stderr.String())
	return stderr.String()
}

// TestServeDevStaysOnLoopback: serve --dev with an --addr whose host is
// not a loopback address — none at all, every interface, another address
// or name — is refused before it listens, naming the --addr to use.
func TestServeDevStaysOnLoopback(t *testing.T) {
	previous := slog.Default()
	t.Cleanup(func() { slog.SetDefault(previous) })
	port := freePort(t)
	for _, addr := range []string{":" + port, "0.0.0.0:" + port, "[::]:" + port, "192.0.2.10:" + port, "foyer.example.com:" + port} {
		t.Run(addr, func(t *testing.T) {
			stderr := serveRefused(t, newCLI(t), "serve", "--dev", "--addr", addr)
			require.Contains(t, stderr, "loopback only")
			require.Contains(t, stderr, "--addr 127.0.0.1:"+port)
		})
	}
}

// TestServeDevExternalURLFollowsAddr: serve --dev --addr 127.0.0.1:P with
// the default external URL serves issuers on port P; an external URL set
// to another port is refused, naming the --external-url to add.
func TestServeDevExternalURLFollowsAddr(t *testing.T) {
	previous := slog.Default()
	t.Cleanup(func() { slog.SetDefault(previous) })
	port := freePort(t)

	c := newCLI(t)
	stderr := serveRefused(t, c, "serve", "--dev", "--addr", "127.0.0.1:"+port, "--external-url", "http://localhost:9")
	require.Contains(t, stderr, "add --external-url http://localhost:"+port)

	ctx, stop := context.WithCancel(t.Context())
	defer stop()
	d := c.deps()
	listening := make(chan struct{})
	d.listening = func(net.Addr) { close(listening) }
	logs := &testlog.Buffer{}
	exited := make(chan int, 1)
	go func() {
		exited <- run(ctx, []string{"serve", "--dev", "--addr", "127.0.0.1:" + port}, io.Discard, logs, d)
	}()
	select {
	case <-listening:
	case code := <-exited:
		t.Fatalf("serve --dev exited with %d:\n%s", code, logs.String())
	case <-time.After(60 * time.Second):
		t.Fatalf("serve --dev did not listen:\n%s", logs.String())
	}
	base := "http://127.0.0.1:" + port
	require.Eventually(t, func() bool { st, _ := get(t, base+"/readyz"); return st == http.StatusOK }, 20*time.Second, 50*time.Millisecond)
	status, body := get(t, base+"/t/woodgrove/.well-known/openid-configuration")
	require.Equal(t, http.StatusOK, status, body)
	require.Contains(t, body, `"issuer":"http://localhost:`+port+`/t/woodgrove"`)
	stop()
	select {
	case code := <-exited:
		require.Equal(t, exitOK, code, logs.String())
	case <-time.After(20 * time.Second):
		t.Fatal("serve --dev did not stop")
	}
}

// TestServeExportsTraces runs serve with OTEL_EXPORTER_OTLP_ENDPOINT
// pointing at an in-process collector: a client-credentials token request
// arrives there as a server span with the tenant and client id, and
// without the client's secret.
func TestServeExportsTraces(t *testing.T) {
	collector := telemetrytest.Start(t)
	s := startDevServerWith(t, map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": collector.URL})
	req, err := http.NewRequest(http.MethodPost, s.base+"/t/woodgrove/oauth/token",
		strings.NewReader(url.Values{"grant_type": {"client_credentials"}}.Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(bootstrap.DevClientID, bootstrap.DevClientSecret)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	s.shutdown(t) // flushes the batch

	var token *telemetrytest.Span
	var statements []telemetrytest.Span
	for _, span := range collector.Spans() {
		if span.Name == "POST /t/{tenant}/oauth/token" {
			token = &span
		}
		if strings.HasPrefix(span.Name, "db ") {
			statements = append(statements, span)
			require.Equal(t, "sqlite", span.Attributes["db.system.name"], "span %s", span.Name)
			require.NotEmpty(t, span.Attributes["db.query.text"])
		}
		for k, v := range span.Attributes {
			require.NotContains(t, v, bootstrap.DevClientSecret, "span attribute %s", k)
		}
	}
	require.NotNil(t, token, "no span of the token request among %v", collector.Spans())
	require.True(t, token.Server)
	require.Equal(t, "woodgrove", token.Attributes["foyer.tenant"])
	require.Equal(t, bootstrap.DevClientID, token.Attributes["foyer.client_id"])
	require.Equal(t, "client_credentials", token.Attributes["foyer.grant_type"])
	inRequest := slices.ContainsFunc(statements, func(s telemetrytest.Span) bool { return s.TraceID == token.TraceID })
	require.True(t, inRequest, "the token request's statements are spans in its trace (%d statement spans)", len(statements))
}

// TestServeMetricsAddr: with FOYER_METRICS_ADDR, /metrics answers on that
// listener only; the public one says 404.
func TestServeMetricsAddr(t *testing.T) {
	metricsAddr := "127.0.0.1:" + freePort(t)
	s := startDevServerWith(t, map[string]string{"FOYER_METRICS_ADDR": metricsAddr})
	st, _ := get(t, s.base+"/readyz")
	require.Equal(t, http.StatusOK, st)
	st, _ = get(t, s.base+"/metrics")
	require.Equal(t, http.StatusNotFound, st, "no /metrics on the public port")
	st, body := get(t, "http://"+metricsAddr+"/metrics")
	require.Equal(t, http.StatusOK, st)
	require.Contains(t, body, `foyer_http_requests_total{method="GET",route="GET /readyz",status="200"}`)
	s.shutdown(t)
	_, err := http.Get("http://" + metricsAddr + "/metrics")
	require.Error(t, err, "the metrics listener stops with serve")
}
