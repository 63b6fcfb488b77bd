// Package httpx holds the HTTP plumbing every Foyer handler shares: request
// ids carried into the audit context, the client address (read from
// Forwarded or X-Forwarded-For only behind trusted proxies), panic
// recovery, access logs, Prometheus metrics by route pattern, security
// headers, and JSON answers. It knows no routes and no protocol; those
// belong to idp and internal/api.
package httpx
