// Package signin is the browser side of signing in to a tenant: the login
// transaction's browser binding, server-side sessions behind a cookie,
// CSRF protection and throttling of failed attempts, and the pages —
// email + password, home-realm discovery and sign-in through an upstream
// provider or an email passcode, invitation redemption, the second factor
// and security info, "Review permissions", sign-out, and the branded
// layout and error page. It decides who the user is and what they
// allowed; it speaks no OAuth: the provider package validates requests,
// calls Begin, and turns a finished transaction into a code at its
// callback. Whether an identity may become an invited guest is
// internal/directory's decision.
package signin
