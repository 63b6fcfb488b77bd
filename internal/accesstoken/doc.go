// Package accesstoken verifies the JWTs Foyer's tenants issue: signature
// against the issuing tenant's published keys, and for access tokens type,
// lifetime, audience, revocation and, on request, the user behind it. It
// is the one JWT verifier: the OpenID provider (userinfo, introspection,
// revocation, id_token_hint) and the admin API use it. It does not mint
// tokens, look up opaque tokens or decide what a token's roles and scopes
// allow.
package accesstoken
