package httpx

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// unmatchedRoute labels requests no pattern matched (404s, 405s), so
// scanners probing random paths add one series, not one per path.
const unmatchedRoute = "unmatched"

// Metrics counts and times requests by route pattern, method and status.
type Metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

// NewMetrics registers the HTTP metrics with reg. A registry per server
// (never the global default) keeps tests and several servers apart.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	if reg == nil {
		return nil, errors.New("httpx metrics: registerer is required")
	}
	labels := []string{"route", "method", "status"}
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "foyer_http_requests_total",
			Help: "HTTP requests answered, by route pattern, method and status.",
		}, labels),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "foyer_http_request_duration_seconds",
			Help:    "Time to answer HTTP requests, by route pattern, method and status.",
			Buckets: prometheus.DefBuckets,
		}, labels),
	}
	if err := errors.Join(reg.Register(m.requests), reg.Register(m.duration)); err != nil {
		return nil, err
	}
	return m, nil
}

// Middleware observes each request under the ServeMux pattern that matched
// it, read from r.Pattern after the mux has run: never the raw path, whose
// values are unbounded. It must sit inside RequestID and wrap the mux
// without any request-replacing middleware in between.
func (m *Metrics) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := track(w)
		next.ServeHTTP(sw, r)
		route := r.Pattern
		if route == "" {
			route = unmatchedRoute
		}
		values := []string{route, methodLabel(r.Method), strconv.Itoa(reportedStatus(sw, r))}
		m.requests.WithLabelValues(values...).Inc()
		m.duration.WithLabelValues(values...).Observe(time.Since(start).Seconds())
	})
}

// methodLabel folds methods outside the standard set into one value: the
// method is the client's to choose, and each new value is a new series.
func methodLabel(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return m
	}
	return "other"
}
