// Package provider is Foyer's OpenID provider, one issuer per tenant
// ({external URL}/t/{slug}). zitadel/oidc's op.Server seam parses the
// token-side requests and writes their responses; Foyer decides: one small
// handler per grant (authorization code, refresh rotation with reuse
// detection, client credentials, the device code of RFC 8628 with its
// device authorization endpoint) over one shared token issuer (RFC 9068
// access tokens, ID tokens, the records a response leaves), introspection,
// userinfo and revocation. Discovery (encoded once per issuer and key
// set, with an ETag), the authorization endpoint and its callback (RFC 9207
// iss, exact redirect URIs, S256-only PKCE) and RP-initiated logout are its
// own handlers. It decides protocol; the
// browser's cookies and pages belong to the sign-in flow (the Flow
// interface), and JWTs are verified by internal/accesstoken.
package provider
