// Package telemetrytest is an OpenTelemetry collector for tests: an
// OTLP/HTTP trace receiver on a real loopback listener that keeps the
// spans it is sent. It owns no part of Foyer's telemetry.
package telemetrytest
