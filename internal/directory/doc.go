// Package directory is Foyer's domain model of who exists: tenants, users
// (members and guests), groups, applications with their secrets, owners and
// assignments, and directory roles. It validates every change, writes it in
// one transaction with its audit event, and hashes what must not be stored
// plainly. It knows nothing of HTTP, OIDC or signing keys.
package directory
