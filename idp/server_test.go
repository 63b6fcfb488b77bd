package idp

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/foyer-idp/foyer/internal/testlog"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/internal/store"
)

type fakeTenants map[string]store.Tenant

func (f fakeTenants) GetTenantBySlug(_ context.Context, slug string) (store.Tenant, error) {
	if slug == "broken" {
		return store.Tenant{}, errors.New("dial tcp 10.0.0.5:5432: connection refused")
	}
	t, ok := f[slug]
	if !ok {
		return store.Tenant{}, store.ErrNotFound
	}
	return t, nil
}

type fakeKeys map[string]jose.JSONWebKeySet

// JWKSDocument encodes the tenant's set as keys.Manager does, with an ETag
// of its bytes.
func (f fakeKeys) JWKSDocument(_ context.Context, tenantID string) ([]byte, string, error) {
	body, err := json.Marshal(f[tenantID])
	if err != nil {
		return nil, "", err
	}
	sum := sha256.Sum256(body)
	return append(body, '\n'), `"` + hex.EncodeToString(sum[:8]) + `"`, nil
}

type harness struct {
	srv  *httptest.Server
	logs *testlog.Buffer
}

func newHarness(t *testing.T, ready ...Check) harness {
	t.Helper()
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	logs := &testlog.Buffer{}
	s, err := New(Config{
		Tenants:      fakeTenants{"acme": {ID: "tenant-acme", Slug: "acme"}},
		Keys:         fakeKeys{"tenant-acme": {Keys: []jose.JSONWebKey{{Key: pub, KeyID: "kid-1", Algorithm: "EdDSA", Use: "sig"}}}},
		Ready:        ready,
		Registry:     prometheus.NewRegistry(),
		Logger:       slog.New(slog.NewTextHandler(logs, nil)),
		ReadyTimeout: 50 * time.Millisecond,
	})
	require.NoError(t, err)
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	return harness{srv: srv, logs: logs}
}

func (h harness) get(t *testing.T, path string) (*http.Response, string) {
	t.Helper()
	resp, err := h.srv.Client().Get(h.srv.URL + path)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, string(body)
}

func TestNewReportsEveryMissingDependency(t *testing.T) {
	t.Parallel()
	_, err := New(Config{Ready: []Check{{Name: "store"}}})
	require.Error(t, err)
	for _, want := range []string{"Tenants", "Keys", "Registry", "Logger", "Ready[0]"} {
		require.ErrorContains(t, err, want)
	}
}

func TestHealthz(t *testing.T) {
	t.Parallel()
	h := newHarness(t, Check{Name: "store", Func: func(context.Context) error { return errors.New("down") }})
	resp, body := h.get(t, "/healthz")
	require.Equal(t, http.StatusOK, resp.StatusCode, "liveness ignores readiness")
	require.Equal(t, "ok", body)
}

func TestReadyz(t *testing.T) {
	t.Parallel()
	ok := func(context.Context) error { return nil }
	hang := func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() }
	fail := func(context.Context) error { return errors.New("pq: password authentication failed for user foyer") }
	slow := func(context.Context) error { return fmt.Errorf("%w: ping took 400ms", ErrDegraded) }
	tests := []struct {
		name       string
		checks     []Check
		wantStatus int
		wantReason string
		wantState  string
	}{
		{name: "slow store is degraded, still ready", checks: []Check{{Name: "store", Func: slow}, {Name: "keys", Func: ok}},
			wantStatus: http.StatusOK, wantReason: "store slow", wantState: "degraded"},
		{name: "slow, then failing: not ready", checks: []Check{{Name: "store", Func: slow}, {Name: "keys", Func: fail}},
			wantStatus: http.StatusServiceUnavailable, wantReason: "keys not ready", wantState: "unavailable"},
		{name: "no checks", wantStatus: http.StatusOK},
		{name: "all pass", checks: []Check{{Name: "store", Func: ok}, {Name: "keys", Func: ok}}, wantStatus: http.StatusOK},
		{name: "store fails", checks: []Check{{Name: "store", Func: fail}, {Name: "keys", Func: ok}}, wantStatus: http.StatusServiceUnavailable, wantReason: "store not ready"},
		{name: "store hangs past the timeout", checks: []Check{{Name: "store", Func: hang}}, wantStatus: http.StatusServiceUnavailable, wantReason: "store not ready"},
		{name: "keys not loaded", checks: []Check{{Name: "store", Func: ok}, {Name: "keys", Func: fail}}, wantStatus: http.StatusServiceUnavailable, wantReason: "keys not ready"},
		{name: "a check with its own reason", checks: []Check{{Name: "shutdown", Func: fail, Reason: "shutting down"}}, wantStatus: http.StatusServiceUnavailable, wantReason: "shutting down"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, tt.checks...)
			resp, body := h.get(t, "/readyz")
			require.Equal(t, tt.wantStatus, resp.StatusCode)
			require.Equal(t, "application/json", resp.Header.Get("Content-Type"))
			var got readiness
			require.NoError(t, json.Unmarshal([]byte(body), &got))
			require.Equal(t, tt.wantReason, got.Reason)
			if tt.wantState != "" {
				require.Equal(t, tt.wantState, got.Status)
			}
			require.NotContains(t, body, "password", "driver messages stay in the log")
		})
	}
}

func TestMetricsEndpoint(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.get(t, "/t/acme/keys")
	resp, body := h.get(t, "/metrics")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, body, `foyer_http_requests_total{method="GET",route="GET /t/{tenant}/keys",status="200"} 1`)
	require.NotContains(t, body, "/t/acme/keys", "raw paths never become labels")
}

func TestJWKS(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	resp, body := h.get(t, "/t/acme/keys")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "application/json", resp.Header.Get("Content-Type"))
	require.Equal(t, "public, max-age=300", resp.Header.Get("Cache-Control"))
	var set jose.JSONWebKeySet
	require.NoError(t, json.Unmarshal([]byte(body), &set))
	require.Len(t, set.Keys, 1)
	require.Equal(t, "kid-1", set.Keys[0].KeyID)
	require.True(t, set.Keys[0].IsPublic())
}

func TestJWKSUnknownTenant(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	resp, body := h.get(t, "/t/nobody/keys")
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
	require.Equal(t, "application/json", resp.Header.Get("Content-Type"))
	require.JSONEq(t, `{"error":"not_found","error_description":"unknown tenant"}`, body)
}

func TestJWKSStoreFailureHidesTheCause(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	resp, body := h.get(t, "/t/broken/keys")
	require.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	require.NotContains(t, body, "10.0.0.5")
	require.Contains(t, h.logs.String(), "connection refused", "the operator still learns why")
}

func TestJWKSOnlyAnswersGET(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	resp, err := h.srv.Client().Post(h.srv.URL+"/t/acme/keys", "application/json", nil)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)
}
