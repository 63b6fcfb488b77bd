package telemetry_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/internal/httpx"
	"github.com/foyer-idp/foyer/internal/telemetry"
	"github.com/foyer-idp/foyer/internal/testclock"
	"github.com/foyer-idp/foyer/internal/testlog"
)

// records decodes JSON log lines.
func records(t *testing.T, out string) []map[string]any {
	t.Helper()
	var recs []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &m), line)
		recs = append(recs, m)
	}
	return recs
}

func TestErrorLinesAreRateLimited(t *testing.T) {
	var buf testlog.Buffer
	clock := testclock.New(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
	logger := slog.New(telemetry.NewLogHandler(slog.NewJSONHandler(&buf, nil),
		telemetry.LogConfig{ErrorEvery: 10 * time.Second, ErrorBurst: 3, Now: clock.Now}))
	ctx := t.Context()

	for range 100 {
		logger.ErrorContext(ctx, "store unavailable", "err", "connection refused")
		logger.With("component", "mail").ErrorContext(ctx, "store unavailable")
	}
	logger.ErrorContext(ctx, "another failure")
	logger.WarnContext(ctx, "store unavailable") // warnings are not limited
	recs := records(t, buf.String())
	require.Len(t, recs, 3+1+1, "three of the repeated line, the other error, the warning")

	clock.Advance(10 * time.Second)
	logger.ErrorContext(ctx, "store unavailable")
	recs = records(t, buf.String())
	last := recs[len(recs)-1]
	require.Equal(t, "store unavailable", last["msg"])
	require.EqualValues(t, 197, last["suppressed"], "the line after a window says how many were dropped")
}

// TestDepartedClientIsInfo serves a request whose handler logs an error
// after its client hung up: the line is INFO with client_gone=true. An
// error in a request that is still there stays an error.
func TestDepartedClientIsInfo(t *testing.T) {
	var buf testlog.Buffer
	logger := slog.New(telemetry.NewLogHandler(slog.NewJSONHandler(&buf, nil), telemetry.LogConfig{}))
	logged := make(chan struct{}, 2)
	srv := httptest.NewServer(httpx.RequestID(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/hang" {
			<-r.Context().Done()
		}
		logger.ErrorContext(r.Context(), "load client", "path", r.URL.Path, "err", "query failed")
		logged <- struct{}{}
	})))
	t.Cleanup(srv.Close)

	resp, err := http.Get(srv.URL + "/present")
	require.NoError(t, err)
	resp.Body.Close()
	<-logged

	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	require.NoError(t, err)
	_, err = conn.Write([]byte("GET /hang HTTP/1.1\r\nHost: x\r\n\r\n"))
	require.NoError(t, err)
	time.Sleep(50 * time.Millisecond) // the request reaches the handler
	require.NoError(t, conn.Close())
	select {
	case <-logged:
	case <-time.After(5 * time.Second):
		t.Fatal("the handler never saw its client leave")
	}

	recs := records(t, buf.String())
	require.Len(t, recs, 2)
	require.Equal(t, "ERROR", recs[0]["level"], "a present client's error stays an error")
	require.Nil(t, recs[0]["client_gone"])
	require.Equal(t, "INFO", recs[1]["level"], "a departed client's error is not the server's")
	require.Equal(t, true, recs[1]["client_gone"])
	require.Equal(t, "/hang", recs[1]["path"])
}

// A cancelled context outside a request (a background job stopping) is
// not a departed client: its error stays an error.
func TestCancelledJobStaysError(t *testing.T) {
	var buf testlog.Buffer
	logger := slog.New(telemetry.NewLogHandler(slog.NewJSONHandler(&buf, nil), telemetry.LogConfig{}))
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	logger.ErrorContext(ctx, "rotation stopped")
	require.Equal(t, "ERROR", records(t, buf.String())[0]["level"])
}
