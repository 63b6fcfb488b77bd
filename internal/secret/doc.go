// Package secret holds Foyer's small cryptographic helpers: random ids and
// bearer tokens, the keyed hash used for generated secrets, AES-256-GCM
// sealing under the master key, and argon2id for user passwords. It knows
// nothing of storage or HTTP.
package secret
