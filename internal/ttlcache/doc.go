// Package ttlcache keeps values a node reads often and that change rarely
// — tenants, clients, signing keys — in memory for a short while, and
// lets the node forget them at once when it learns they changed.
//
// A load that read the database before a Forget must not put back what it
// read: Generation, taken before the load and handed to Put, makes such a
// Put a no-op, so a change is never hidden for a whole lifetime by a read
// that raced it.
package ttlcache
