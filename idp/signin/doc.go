// Package signin is the browser side of signing in to a tenant: the login
// transaction's browser binding, server-side sessions behind a cookie, the
// email + password and "Review permissions" pages, CSRF protection,
// throttling of failed sign-ins, sign-out, and the branded error page. It
// decides who the user is and what they allowed; it speaks no OAuth: the
// provider package validates requests, calls Begin, and turns a finished
// transaction into a code at its callback.
package signin
