// Package fedtest holds fake upstream identity providers for tests: an
// OpenID provider on zitadel's op (also shaped as Microsoft's
// multi-tenant endpoint) and a GitHub OAuth fake. Each runs on a real
// httptest listener, signs its configured user in without any page, and
// misbehaves on demand. It is for tests only; nothing in the binary
// imports it.
package fedtest
