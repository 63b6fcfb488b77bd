// Package audit writes and reads Foyer's append-only audit log: who did
// what to which object of which tenant, from where, and how it ended. It
// names the activities (Entra's names where Entra has one) and carries the
// actor and request details through the context; storage is the store's.
package audit
