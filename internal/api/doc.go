// Package api is Foyer's admin API under /v1.0, shaped like Microsoft
// Graph: its paths, field names, OData query subset, paging and error
// bodies, for users, groups, applications, invitations, domains, identity
// providers, policies and authentication methods. It authenticates each
// request by its bearer access token (Config.Verify, internal/accesstoken
// in the binary; tests may put a Principal in the context instead),
// authorizes it by the token's permissions and the user's directory role,
// and renders the answer. It owns no domain rule: every change goes
// through internal/directory (a user's second factor through
// internal/mfa), so it is validated and audited there. Its OpenAPI 3.1
// description, openapi.json, is served at /v1.0/openapi.json.
package api
