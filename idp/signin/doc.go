// Package signin is the browser side of signing in to a tenant. Its Core
// is what every page shares: the branded pages, the login transaction's
// browser binding, server-side sessions behind a cookie, form tokens and
// cross-origin protection, the throttle gate, Begin, the end of a sign-in
// and sign-out. On it sit one handler type per capability, each with its
// own Config: Login (password, the forced password change after it,
// home-realm discovery, guests' passcodes),
// Upstream (the trip to an upstream identity provider and its callback),
// SecondFactor, SecurityInfo, Consent and Device (the device flow's
// verification page). It decides who the user is and
// what they allowed; it speaks no OAuth: the provider package validates
// requests, calls Begin, and turns a finished transaction into a code at
// its callback. Redemption's pages are idp/redeem's; MFA policy is
// internal/mfa's.
package signin
