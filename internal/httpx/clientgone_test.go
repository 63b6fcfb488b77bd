package httpx

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"
)

// TestClientGoneIs499: a request abandoned by its client is logged and
// counted as 499 at INFO, not as the 503 its handler answered; an answer
// completed before the client left, and a request still attended, keep
// their status.
func TestClientGoneIs499(t *testing.T) {
	for _, tc := range []struct {
		name     string
		gone     bool
		answer   int // 0: the handler writes nothing
		reported int
	}{
		{name: "server error to a departed client", gone: true, answer: http.StatusServiceUnavailable, reported: StatusClientClosed},
		{name: "nothing written to a departed client", gone: true, reported: StatusClientClosed},
		{name: "answer sent before the client left", gone: true, answer: http.StatusOK, reported: http.StatusOK},
		{name: "server error to a present client", answer: http.StatusServiceUnavailable, reported: http.StatusServiceUnavailable},
	} {
		t.Run(tc.name, func(t *testing.T) {
			logger, logs := newLogger()
			reg := prometheus.NewRegistry()
			m, err := NewMetrics(reg)
			require.NoError(t, err)
			mux := http.NewServeMux()
			mux.HandleFunc("POST /t/{tenant}/oauth/token", func(w http.ResponseWriter, r *http.Request) {
				if tc.answer != 0 {
					w.WriteHeader(tc.answer)
				}
			})
			h := RequestID(AccessLog(logger)(m.Middleware(mux)))
			ctx, cancel := context.WithCancel(t.Context())
			if tc.gone {
				cancel() // what net/http does when the connection closes
			}
			defer cancel()
			r := httptest.NewRequestWithContext(ctx, http.MethodPost, "/t/acme/oauth/token", nil)
			h.ServeHTTP(httptest.NewRecorder(), r)

			var line map[string]any
			require.NoError(t, json.Unmarshal([]byte(strings.TrimSpace(logs.String())), &line))
			require.EqualValues(t, tc.reported, line["status"])
			require.Equal(t, "INFO", line["level"])
			status := map[int]string{StatusClientClosed: "499", 200: "200", 503: "503"}[tc.reported]
			require.Equal(t, 1.0, testutil.ToFloat64(m.requests.WithLabelValues("POST /t/{tenant}/oauth/token", "POST", status)))
		})
	}
}
