// Package directory is Foyer's domain model of who exists and who may do
// what: tenants and their domains, users (members and guests), groups,
// applications with their secrets, owners and assignments, directory
// roles, invitations and who may send them, identity providers and
// partner tenants, and redemption: the rules that bind a proven identity
// to an invited guest. It validates every change, writes it in one
// transaction with its audit event (and its email, through the outbox),
// and hashes or seals what must not be stored plainly. It knows nothing of
// HTTP, OIDC or signing keys.
package directory
