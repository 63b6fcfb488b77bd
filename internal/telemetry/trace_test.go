package telemetry_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/internal/telemetry"
	"github.com/foyer-idp/foyer/internal/telemetry/telemetrytest"
)

// TestTraceReachesCollector: a token request through the middleware is
// exported to an OTLP collector as a server span carrying the tenant and
// client id, and neither the client secret nor the query's code.
func TestTraceReachesCollector(t *testing.T) {
	c := telemetrytest.Start(t)
	tr, err := telemetry.NewTracing(t.Context(), telemetry.TracingConfig{Endpoint: c.URL, ServiceVersion: "test"})
	require.NoError(t, err)
	require.NotNil(t, tr)

	mux := http.NewServeMux()
	mux.HandleFunc("POST /t/{tenant}/oauth/token", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, `{"access_token":"x"}`)
	})
	srv := httptest.NewServer(tr.Middleware(mux))
	t.Cleanup(srv.Close)

	req, err := http.NewRequest(http.MethodPost, srv.URL+"/t/woodgrove/oauth/token?code=SECRETCODE",
		strings.NewReader("grant_type=client_credentials"))
	require.NoError(t, err)
	req.SetBasicAuth("demo-app", "TOPSECRET")
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.NoError(t, tr.Shutdown(t.Context()), "flushes the batch")

	spans := c.Spans()
	require.Len(t, spans, 1)
	span := spans[0]
	require.Equal(t, "/v1/traces", span.Path)
	require.True(t, span.Server, "a server span")
	require.Equal(t, "POST /t/{tenant}/oauth/token", span.Name)
	a := span.Attributes
	require.Equal(t, "woodgrove", a[telemetry.AttrTenant])
	require.Equal(t, "demo-app", a[telemetry.AttrClientID])
	require.Equal(t, "/t/woodgrove/oauth/token", a["url.path"])
	for k, v := range a {
		require.NotContains(t, v, "TOPSECRET", k)
		require.NotContains(t, v, "SECRETCODE", k)
	}
}

func TestTracingOffWithoutEndpoint(t *testing.T) {
	tr, err := telemetry.NewTracing(t.Context(), telemetry.TracingConfig{})
	require.NoError(t, err)
	require.Nil(t, tr)
	h := http.NotFoundHandler()
	require.NotNil(t, tr.Middleware(h))
	require.NoError(t, tr.Shutdown(t.Context()))

	_, err = telemetry.NewTracing(t.Context(), telemetry.TracingConfig{Endpoint: "collector:4318"})
	require.ErrorContains(t, err, "not an http(s) URL")
}
