package accesstoken

import (
	"strings"

	"github.com/foyer-idp/foyer/internal/secret"
)

// jtiSeparator parts a revocation reference from the random part of a jti.
// Neither a reference (a uuid, or base64url) nor the random part (a uuid)
// contains it.
const jtiSeparator = "."

// NewJTI answers a fresh, unique jti. A user's access token is not stored
// one row per token: its jti carries ref, the refresh family or grant
// whose revocation reaches it, and Verify asks the store about both. An
// empty ref gives a plain random jti (a stored or client-credentials
// token).
func NewJTI(ref string) string {
	if ref == "" {
		return secret.NewID()
	}
	return ref + jtiSeparator + secret.NewID()
}

// RefOf answers the revocation reference a jti carries, if any.
func RefOf(jti string) (string, bool) {
	ref, _, ok := strings.Cut(jti, jtiSeparator)
	return ref, ok && ref != ""
}
