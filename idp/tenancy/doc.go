// Package tenancy resolves the {tenant} segment of /t/{tenant}/… paths to
// the tenant it names and carries that tenant, and its issuer, through the
// request context. It owns the issuer URL's shape; it knows no protocol and
// renders no pages.
package tenancy
