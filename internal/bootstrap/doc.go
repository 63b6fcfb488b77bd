// Package bootstrap applies a declarative YAML file of tenants with their
// members, groups and applications through the directory service, so every
// change is validated and audited like an admin's; a second run with the
// same file changes nothing. It also answers the development seed that
// serve --dev applies. It creates and updates, never deletes, and owns no
// storage of its own.
package bootstrap
