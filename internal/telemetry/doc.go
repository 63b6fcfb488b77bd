// Package telemetry owns what Foyer tells operators about itself beyond
// the access log: the log handler that rates repeated error lines and
// files a departed client's errors at info, OpenTelemetry traces of every
// request (exported over OTLP when an endpoint is configured) and the
// metrics listener. It is the only importer of the OpenTelemetry SDK. It
// does not own the metrics themselves (each package registers its own) or
// the access log (internal/httpx).
package telemetry
