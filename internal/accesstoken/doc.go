// Package accesstoken verifies the JWT access tokens Foyer's tenants
// issue: signature against the issuing tenant's published keys, type,
// lifetime, audience, revocation and, on request, the user behind it. It
// is the one verifier both the OpenID provider (userinfo, introspection)
// and the admin API use. It does not mint tokens, look up opaque tokens or
// decide what a token's roles and scopes allow.
package accesstoken
