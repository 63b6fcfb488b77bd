package federation

import (
	"context"
	"errors"
	"fmt"
)

// Identity is what an upstream provider asserted about the person who
// signed in there. Email and EmailVerified always come from one source:
// the ID token when it carries an email, else the userinfo endpoint (or
// GitHub's API), never one from each.
type Identity struct {
	// Issuer and Subject identify the account for good: guests are linked
	// by this pair, never by email. For multi-tenant Microsoft, Issuer is
	// the account's home tenant issuer.
	Issuer        string
	Subject       string
	Email         string // lower-cased
	EmailVerified bool
	DisplayName   string
	GivenName     string
	Surname       string
	// AMR and ACR are the upstream's, kept for the MFA policy.
	AMR []string
	ACR string
}

// AuthRequest is what the browser carries to the upstream.
type AuthRequest struct {
	// State is opaque to the connector; the caller stores its hash and
	// checks it at the callback.
	State string
	// Nonce goes into the ID token (OpenID providers).
	Nonce string
	// CodeChallenge is the S256 PKCE challenge of the caller's verifier.
	CodeChallenge string
	// LoginHint pre-fills the upstream's sign-in form.
	LoginHint string
}

// Connector is one configured upstream identity provider.
type Connector interface {
	// AuthURL answers where to send the browser.
	AuthURL(ctx context.Context, r AuthRequest) (string, error)
	// Exchange redeems the callback's code with the PKCE verifier and
	// answers the identity, after every check the protocol asks for
	// (signature, iss, aud, exp, iat, nonce, alg never none). A refusal is
	// an *UpstreamError.
	Exchange(ctx context.Context, code, codeVerifier, nonce string) (Identity, error)
}

// ErrUpstream is what every *UpstreamError matches with errors.Is.
var ErrUpstream = errors.New("upstream identity provider refused or misbehaved")

// UpstreamError says why an upstream answer was not accepted. Reason is
// safe to show and to audit: it never carries a token or a secret.
type UpstreamError struct {
	Reason string
	Err    error
}

func (e *UpstreamError) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %v", e.Reason, e.Err)
	}
	return e.Reason
}

func (e *UpstreamError) Unwrap() []error { return []error{ErrUpstream, e.Err} }

// ErrPrivateAddress: a provider URL resolves to a loopback, private or
// link-local address and the operator did not allow those.
var ErrPrivateAddress = errors.New("address is loopback, private or link-local")
