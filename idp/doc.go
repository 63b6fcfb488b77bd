// Package idp is Foyer's HTTP face: it routes requests, tenant by tenant
// under /t/{tenant}, and serves the operational endpoints (/healthz,
// /readyz, /metrics). For now it publishes each tenant's signing keys; the
// full OpenID provider (zitadel's op, its storage adapter and the sign-in
// pages) lands here in the next step. It owns no storage and no keys: it
// declares the small interfaces it needs and is handed their implementations.
package idp
