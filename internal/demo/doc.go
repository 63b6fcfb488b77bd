// Package demo is the built-in demo relying party that serve --dev mounts
// at /demo: an ordinary OpenID Connect client of one tenant (code flow with
// PKCE, state and nonce, ID token verified with the keys and algorithms
// the tenant's discovery document names) that shows the signed-in user's
// ID token claims and signs out through RP-initiated logout. It talks to
// the provider only over HTTP, as any application would, and knows nothing
// of Foyer's insides.
package demo
