// Package keys owns each tenant's token signing keys: it generates them
// (RS256, ES256 or EdDSA), seals the private halves under the master key,
// rotates them through next → active → retired so relying parties always
// find a signature's key in the JWKS, signs JWTs with the active key, and
// answers the JWKS, encoded once per key set.
// It does not serve HTTP or import zitadel: its types satisfy op.SigningKey
// and op.Key by method set, and the idp package mounts them.
package keys
