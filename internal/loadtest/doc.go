// Package loadtest drives an OpenID provider over HTTP the way its clients
// do (client credentials, refresh, full browser sign-ins through the HTML
// forms, sign-ins riding an existing session, JWKS and discovery fetches)
// with many concurrent workers for a bounded time, and measures each
// operation's latency exactly. It knows nothing of Foyer: any provider
// with plain-form sign-in pages will do. By default it refuses to send a
// request anywhere but a loopback address.
package loadtest
