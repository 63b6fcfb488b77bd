package httpx

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/internal/audit"
	"github.com/foyer-idp/foyer/internal/testlog"
)

func newLogger() (*slog.Logger, *testlog.Buffer) {
	buf := &testlog.Buffer{}
	return slog.New(slog.NewJSONHandler(buf, nil)), buf
}

func TestRequestID(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		incoming string
		keep     bool
	}{
		{name: "sane incoming id is kept", incoming: "lb-1234.abc:def_0", keep: true},
		{name: "no id gets one", incoming: ""},
		{name: "too long is replaced", incoming: strings.Repeat("a", 65)},
		{name: "unsafe characters are replaced", incoming: "abc\r\nSet-Cookie: x"},
		{name: "spaces are replaced", incoming: "a b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var seen string
			var req audit.Request
			h := RequestID(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				seen = RequestIDFrom(r.Context())
				req = audit.RequestFrom(r.Context())
			}))
			r := httptest.NewRequest(http.MethodGet, "/x", nil)
			r.RemoteAddr = "192.0.2.7:51234"
			r.Header.Set("User-Agent", "test-agent")
			if tt.incoming != "" {
				r.Header.Set(HeaderRequestID, tt.incoming)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)

			require.NotEmpty(t, seen)
			require.LessOrEqual(t, len(seen), maxRequestIDLen)
			require.True(t, validRequestID(seen))
			require.Equal(t, seen, w.Header().Get(HeaderRequestID), "the id is echoed")
			if tt.keep {
				require.Equal(t, tt.incoming, seen)
			} else {
				require.NotEqual(t, tt.incoming, seen)
			}
			require.Equal(t, audit.Request{ClientIP: "192.0.2.7", UserAgent: "test-agent", CorrelationID: seen}, req)
		})
	}
}

func TestRequestIDIgnoresForwardedFor(t *testing.T) {
	t.Parallel()
	var req audit.Request
	h := RequestID(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { req = audit.RequestFrom(r.Context()) }))
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.RemoteAddr = "192.0.2.7:1"
	r.Header.Set("X-Forwarded-For", "203.0.113.9")
	h.ServeHTTP(httptest.NewRecorder(), r)
	require.Equal(t, "192.0.2.7", req.ClientIP, "an untrusted client must not choose its audited address")
}

func TestRecover(t *testing.T) {
	t.Parallel()
	logger, logs := newLogger()
	h := Recover(logger)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		panic("secret internal detail")
	}))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/boom?code=abc", nil))

	require.Equal(t, http.StatusInternalServerError, w.Code)
	require.Equal(t, "Internal Server Error\n", w.Body.String())
	require.NotContains(t, w.Body.String(), "goroutine")
	require.Contains(t, logs.String(), "secret internal detail", "the log keeps what the client must not see")
	require.Contains(t, logs.String(), "stack")
	require.NotContains(t, logs.String(), "code=abc")
}

func TestRecoverKeepsAStatusAlreadySent(t *testing.T) {
	t.Parallel()
	logger, _ := newLogger()
	h := Recover(logger)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusAccepted)
		panic("late")
	}))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/", nil))
	require.Equal(t, http.StatusAccepted, w.Code)
	require.Empty(t, w.Body.String())
}

func TestRecoverLetsAbortThrough(t *testing.T) {
	t.Parallel()
	logger, _ := newLogger()
	h := Recover(logger)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		panic(http.ErrAbortHandler)
	}))
	require.PanicsWithValue(t, http.ErrAbortHandler, func() {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil))
	})
}

func TestAccessLogDropsTheQuery(t *testing.T) {
	t.Parallel()
	logger, logs := newLogger()
	h := RequestID(AccessLog(logger)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusTeapot)
	})))
	r := httptest.NewRequest(http.MethodPost, "/t/acme/callback?code=SECRETCODE&state=s", nil)
	r.Header.Set(HeaderRequestID, "req-1")
	h.ServeHTTP(httptest.NewRecorder(), r)

	var line map[string]any
	require.NoError(t, json.Unmarshal([]byte(logs.String()), &line))
	require.Equal(t, "POST", line["method"])
	require.Equal(t, "/t/acme/callback", line["path"])
	require.EqualValues(t, http.StatusTeapot, line["status"])
	require.Equal(t, "req-1", line["request_id"])
	require.Contains(t, line, "duration")
	require.NotContains(t, logs.String(), "SECRETCODE")
}

func TestMetricsLabelByPattern(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	m, err := NewMetrics(reg)
	require.NoError(t, err)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /t/{tenant}/keys", func(w http.ResponseWriter, r *http.Request) {})
	h := RequestID(m.Middleware(mux))

	for _, path := range []string{"/t/acme/keys", "/t/globex/keys", "/random/1", "/random/2"} {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, path, nil))
	}
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("BREW", "/t/acme/keys", nil))

	require.Equal(t, 2.0, testutil.ToFloat64(m.requests.WithLabelValues("GET /t/{tenant}/keys", "GET", "200")))
	require.Equal(t, 2.0, testutil.ToFloat64(m.requests.WithLabelValues(unmatchedRoute, "GET", "404")))
	require.Equal(t, 1.0, testutil.ToFloat64(m.requests.WithLabelValues(unmatchedRoute, "other", "405")))
	require.Equal(t, 3, testutil.CollectAndCount(m.requests), "raw paths never become label values")
	require.Equal(t, 3, testutil.CollectAndCount(m.duration))
}

func TestNewMetricsRefusesDoubleRegistration(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	_, err := NewMetrics(reg)
	require.NoError(t, err)
	_, err = NewMetrics(reg)
	require.Error(t, err)
	_, err = NewMetrics(nil)
	require.Error(t, err)
}

func TestSecurityHeaders(t *testing.T) {
	t.Parallel()
	for _, hsts := range []bool{false, true} {
		w := httptest.NewRecorder()
		SecurityHeaders(Security{HSTS: hsts})(http.NotFoundHandler()).ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/", nil))
		require.Equal(t, "nosniff", w.Header().Get("X-Content-Type-Options"))
		require.Equal(t, "DENY", w.Header().Get("X-Frame-Options"))
		require.Equal(t, "no-referrer", w.Header().Get("Referrer-Policy"))
		require.Contains(t, w.Header().Get("Content-Security-Policy"), "frame-ancestors 'none'")
		require.Equal(t, hsts, w.Header().Get("Strict-Transport-Security") != "")
	}
}

func TestWriteError(t *testing.T) {
	t.Parallel()
	w := httptest.NewRecorder()
	WriteError(w, http.StatusNotFound, "not_found", "unknown tenant")
	require.Equal(t, http.StatusNotFound, w.Code)
	require.Equal(t, "application/json", w.Header().Get("Content-Type"))
	require.Equal(t, "no-store", w.Header().Get("Cache-Control"))
	require.JSONEq(t, `{"error":"not_found","error_description":"unknown tenant"}`, w.Body.String())
}

// TestStack drives the assembled chain: the pattern reaches the metrics
// and the access log through RequestID, and a panic is logged, counted and
// answered as a plain 500.
func TestStack(t *testing.T) {
	t.Parallel()
	logger, logs := newLogger()
	reg := prometheus.NewRegistry()
	m, err := NewMetrics(reg)
	require.NoError(t, err)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /ok/{id}", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("fine")) })
	mux.HandleFunc("GET /boom", func(w http.ResponseWriter, r *http.Request) { panic("kaboom") })
	srv := httptest.NewServer(Stack(mux, logger, m, Security{}, AccessSampling{}))
	defer srv.Close()

	for _, path := range []string{"/ok/1", "/boom"} {
		resp, err := srv.Client().Get(srv.URL + path)
		require.NoError(t, err)
		resp.Body.Close()
		require.NotEmpty(t, resp.Header.Get(HeaderRequestID))
		require.Equal(t, "nosniff", resp.Header.Get("X-Content-Type-Options"))
	}
	require.Equal(t, 1.0, testutil.ToFloat64(m.requests.WithLabelValues("GET /ok/{id}", "GET", "200")))
	require.Equal(t, 1.0, testutil.ToFloat64(m.requests.WithLabelValues("GET /boom", "GET", "500")))
	require.Contains(t, logs.String(), `"route":"GET /ok/{id}"`)
	require.Contains(t, logs.String(), `"status":500`)
	require.Contains(t, logs.String(), "kaboom")
}

// A sampled route logs one in Every successful requests (the first of
// each run), with the rate; its errors and other routes log every line.
func TestAccessLogSampling(t *testing.T) {
	t.Parallel()
	logger, logs := newLogger()
	status := http.StatusOK
	mux := http.NewServeMux()
	mux.HandleFunc("GET /t/{tenant}/keys", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(status) })
	mux.HandleFunc("GET /other", func(w http.ResponseWriter, r *http.Request) {})
	h := RequestID(SampledAccessLog(logger, AccessSampling{Every: 4, Routes: []string{"GET /t/{tenant}/keys"}})(mux))
	get := func(path string, n int) {
		for range n {
			h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, path, nil))
		}
	}
	lines := func() []map[string]any {
		var out []map[string]any
		for _, l := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
			if l == "" {
				continue
			}
			var m map[string]any
			require.NoError(t, json.Unmarshal([]byte(l), &m))
			out = append(out, m)
		}
		return out
	}

	get("/t/acme/keys", 9)
	got := lines()
	require.Len(t, got, 3, "requests 1, 5 and 9 of 9")
	for _, l := range got {
		require.EqualValues(t, 4, l["sample"])
		require.Equal(t, "GET /t/{tenant}/keys", l["route"])
	}

	get("/other", 3)
	require.Len(t, lines(), 6, "other routes log every line")
	require.NotContains(t, lines()[5], "sample")

	status = http.StatusServiceUnavailable
	get("/t/acme/keys", 3)
	got = lines()
	require.Len(t, got, 9, "errors are always logged")
	require.EqualValues(t, http.StatusServiceUnavailable, got[8]["status"])
	require.NotContains(t, got[8], "sample")

	status = http.StatusNotModified
	get("/t/acme/keys", 4)
	require.Len(t, lines(), 10, "a 304 is a success, sampled")
}

// Every of 0 or 1 logs each request, as AccessLog does.
func TestAccessLogSamplingOffLogsEveryLine(t *testing.T) {
	t.Parallel()
	for _, every := range []int{0, 1} {
		logger, logs := newLogger()
		mux := http.NewServeMux()
		mux.HandleFunc("GET /k", func(w http.ResponseWriter, r *http.Request) {})
		h := SampledAccessLog(logger, AccessSampling{Every: every, Routes: []string{"GET /k"}})(mux)
		for range 5 {
			h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/k", nil))
		}
		require.Equal(t, 5, strings.Count(logs.String(), "\n"), "every=%d", every)
		require.NotContains(t, logs.String(), "sample")
	}
}

// The security headers' values are shared between responses: a handler
// that sets or adds to one changes its own response only.
func TestSecurityHeadersAreNotChangedByAHandler(t *testing.T) {
	t.Parallel()
	h := SecurityHeaders(Security{HSTS: true})(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/page" {
			w.Header().Set("Content-Security-Policy", "default-src 'self'")
			w.Header().Add("X-Frame-Options", "SAMEORIGIN")
			w.Header().Add("Referrer-Policy", "origin")
		}
	}))
	page := httptest.NewRecorder()
	h.ServeHTTP(page, httptest.NewRequest(http.MethodGet, "/page", nil))
	require.Equal(t, "default-src 'self'", page.Header().Get("Content-Security-Policy"))
	require.Equal(t, []string{"DENY", "SAMEORIGIN"}, page.Header().Values("X-Frame-Options"))

	next := httptest.NewRecorder()
	h.ServeHTTP(next, httptest.NewRequest(http.MethodGet, "/json", nil))
	require.Equal(t, "default-src 'none'; frame-ancestors 'none'; base-uri 'none'", next.Header().Get("Content-Security-Policy"))
	require.Equal(t, []string{"DENY"}, next.Header().Values("X-Frame-Options"))
	require.Equal(t, []string{"no-referrer"}, next.Header().Values("Referrer-Policy"))
	require.Equal(t, "nosniff", next.Header().Get("X-Content-Type-Options"))
	require.Equal(t, "max-age=31536000", next.Header().Get("Strict-Transport-Security"))
}
