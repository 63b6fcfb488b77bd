// Package signin is the browser side of signing in to a tenant. Its Core
// is what every page shares: the branded pages, the login transaction's
// browser binding, server-side sessions behind a cookie, form tokens and
// cross-origin protection, and the throttle gate. On it sit one handler
// type per capability: login and home-realm discovery with passcodes and
// upstream sign-in (Flow), the second-factor step, security info, consent
// and sign-out. It decides who the user is and what they allowed; it
// speaks no OAuth: the provider package validates requests, calls Begin,
// and turns a finished transaction into a code at its callback.
// Redemption's pages are idp/redeem's; MFA policy is internal/mfa's.
package signin
