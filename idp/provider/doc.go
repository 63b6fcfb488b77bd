// Package provider is Foyer's OpenID provider: zitadel/oidc's op wired for
// one issuer per tenant ({external URL}/t/{slug}), with the parts op cannot
// do as Foyer needs overridden — the authorization endpoint and its
// callback (RFC 9207 iss, exact redirect URIs, S256-only PKCE), token
// minting (RFC 9068 access tokens, refresh rotation with reuse detection,
// single-use codes), introspection, userinfo, revocation, discovery and
// RP-initiated logout. It decides protocol; the signin package owns the
// browser's cookies and pages.
package provider
