// Package redeem serves the pages on which a guest redeems an invitation:
// the invitation, the ways to prove the invited address (a code by email,
// or a trip upstream through the sign-in core), the review and the
// landing, and the link that blocks further invitations. It renders pages
// and moves the browser; the directory keeps the redemption transactions
// and decides every binding rule (directory.Prove, directory.Redeem).
package redeem
