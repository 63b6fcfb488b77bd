// Package passcode proves that a person reads a mailbox: it sends a
// one-time code to the address and checks what they type back. It is the
// way to redeem an invitation and sign in for guests without an identity
// provider Foyer can federate with. It owns codes, their email and their
// limits; the pages that ask for them live in idp/signin, and what a
// proven address entitles someone to is decided by internal/directory.
package passcode
