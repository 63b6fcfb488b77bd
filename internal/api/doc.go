// Package api is Foyer's admin API under /v1.0, shaped like Microsoft
// Graph: its paths, field names, OData query subset and error bodies. It
// owns request parsing, authorization by permission and directory role, and
// rendering; every change goes through internal/directory (a user's second
// factor through internal/mfa) so it is audited.
// Authentication arrives in the next step: handlers read the caller from
// the context (WithPrincipal) and refuse a request without one, and
// nothing serves this handler until a token-verifying middleware exists.
package api
