package telemetry

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	noopmetric "go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	nooptrace "go.opentelemetry.io/otel/trace/noop"
)

// Span attributes Foyer adds to the HTTP server span. Never a secret: the
// client id, not its secret; the tenant's slug from the path.
const (
	AttrTenant   = "foyer.tenant"
	AttrClientID = "foyer.client_id"
)

// TracingConfig says where traces go.
type TracingConfig struct {
	// Endpoint is OTEL_EXPORTER_OTLP_ENDPOINT: the base URL of an OTLP/HTTP
	// collector; spans are posted to {Endpoint}/v1/traces. Empty: off.
	Endpoint string
	// TracesEndpoint is OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, the full URL,
	// winning over Endpoint.
	TracesEndpoint string
	// ServiceVersion is reported as service.version.
	ServiceVersion string
}

// Tracing makes a span of every request and exports them in batches. A
// nil *Tracing is tracing switched off: its methods do nothing.
type Tracing struct {
	provider *sdktrace.TracerProvider
}

// NewTracing answers nil (off) when cfg names no endpoint, else a tracer
// provider exporting to it. It keeps no global state: the provider is
// handed to otelhttp, not registered with otel.
func NewTracing(ctx context.Context, cfg TracingConfig) (*Tracing, error) {
	target := cfg.TracesEndpoint
	if target == "" && cfg.Endpoint != "" {
		target = strings.TrimRight(cfg.Endpoint, "/") + "/v1/traces"
	}
	if target == "" {
		return nil, nil
	}
	u, err := url.Parse(target)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("OTLP endpoint %q is not an http(s) URL", target)
	}
	exporter, err := otlptracehttp.New(ctx, otlptracehttp.WithEndpointURL(target))
	if err != nil {
		return nil, fmt.Errorf("OTLP trace exporter: %w", err)
	}
	res := resource.NewSchemaless(
		attribute.String("service.name", "foyer"),
		attribute.String("service.version", cfg.ServiceVersion),
	)
	return &Tracing{provider: sdktrace.NewTracerProvider(sdktrace.WithBatcher(exporter), sdktrace.WithResource(res))}, nil
}

// Middleware wraps h so each request is a server span (otelhttp: method,
// route-less path, status; never the query) continuing a caller's W3C
// traceparent, with the tenant and client id as attributes.
func (t *Tracing) Middleware(h http.Handler) http.Handler {
	if t == nil {
		return h
	}
	return otelhttp.NewHandler(annotate(h), "http.server",
		otelhttp.WithTracerProvider(t.provider),
		otelhttp.WithMeterProvider(noopmetric.NewMeterProvider()),
		otelhttp.WithPropagators(propagation.TraceContext{}),
		otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string {
			return r.Method + " " + spanPath(r.URL.Path)
		}),
	)
}

// Tracer answers a tracer of the exporting provider, or one that makes no
// spans when tracing is off.
func (t *Tracing) Tracer(name string) trace.Tracer {
	if t == nil {
		return nooptrace.NewTracerProvider().Tracer(name)
	}
	return t.provider.Tracer(name)
}

// Enabled reports whether spans are exported.
func (t *Tracing) Enabled() bool { return t != nil }

// Shutdown flushes the spans not yet exported.
func (t *Tracing) Shutdown(ctx context.Context) error {
	if t == nil {
		return nil
	}
	return t.provider.Shutdown(ctx)
}

// annotate adds what Foyer knows of a request before any handler reads its
// body: the tenant from /t/{tenant}/…, the client id from HTTP Basic
// authentication (client_secret_basic) or the client_id query parameter
// (the authorization endpoint).
func annotate(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		span := trace.SpanFromContext(r.Context())
		if tenant, ok := tenantOf(r.URL.Path); ok {
			span.SetAttributes(attribute.String(AttrTenant, tenant))
		}
		if id := clientIDOf(r); id != "" {
			span.SetAttributes(attribute.String(AttrClientID, id))
		}
		h.ServeHTTP(w, r)
	})
}

func tenantOf(path string) (string, bool) {
	rest, ok := strings.CutPrefix(path, "/t/")
	if !ok {
		return "", false
	}
	tenant, _, _ := strings.Cut(rest, "/")
	return tenant, tenant != ""
}

// clientIDOf never looks at the password half of Basic credentials.
func clientIDOf(r *http.Request) string {
	if user, _, ok := r.BasicAuth(); ok {
		// RFC 6749 §2.3.1: the client id is form-encoded in Basic.
		if id, err := url.QueryUnescape(user); err == nil {
			return id
		}
		return ""
	}
	return r.URL.Query().Get("client_id")
}

// spanPath names a span by its path with the tenant folded, so spans of
// one endpoint share a name across tenants.
func spanPath(path string) string {
	tenant, ok := tenantOf(path)
	if !ok {
		return path
	}
	return "/t/{tenant}" + strings.TrimPrefix(strings.TrimPrefix(path, "/t/"), tenant)
}
