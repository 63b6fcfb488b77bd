// Package federation will hold the upstream identity providers guests sign
// in with (generic OIDC, Google, Microsoft, GitHub, another Foyer tenant,
// email passcode) and the rules that bind an upstream identity to a guest.
// It is the only importer of zitadel's rp package. Nothing is here yet: the
// federation issue builds it on the directory and provider laid before it.
package federation
