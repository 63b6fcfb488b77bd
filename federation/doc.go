// Package federation holds the upstream identity providers guests sign in
// with: connectors for any OpenID provider (and its Google, Microsoft and
// Foyer-partner presets) and for GitHub's OAuth 2.0, the Registry that
// builds and caches them from a tenant's store.IdentityProvider, and the
// Guard that keeps their server-side requests off internal addresses. It
// is the only importer of zitadel's rp package. It does not own the
// sign-in pages, the state and PKCE secrets of a round trip (the caller
// keeps them), or the rules binding an upstream identity to a guest.
package federation
