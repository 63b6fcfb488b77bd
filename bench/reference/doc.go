// Command reference is the provider Foyer's performance is measured
// against: zitadel/oidc v3's example server, in memory, on a loopback
// listener. It uses the example's storage package (clients, users, auth
// requests, tokens, all in maps) under op.NewProvider with the example's
// provider settings, and changes three things so that it does what Foyer
// does: tokens are signed with a key of the chosen algorithm (ES256 by
// default, or RS256), access tokens are JWTs, and the login page keeps a
// session cookie so that a browser already signed in is sent straight
// back. It logs no request. It is a measuring stick for `go run ./bench`,
// never a server for anything else, and imports nothing of Foyer.
package main
