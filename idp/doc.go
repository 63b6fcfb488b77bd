// Package idp is Foyer's HTTP face: it routes requests, tenant by tenant
// under /t/{tenant} (tenancy.Gate resolves the slug and 404s unknown ones),
// and serves the operational endpoints (/healthz, /readyz, /metrics) and
// each tenant's JWKS. With Config.OIDC it mounts the OpenID provider
// (package provider, on zitadel's op) and its sign-in pages (package
// signin), and counts tokens issued and sign-ins. It owns no storage and
// no keys: it declares the small interfaces it needs and is handed their
// implementations. Server.Mount adds handlers beside its own.
package idp
