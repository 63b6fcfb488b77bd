package store

// Change says that records a node may keep in memory were changed by
// someone, on this node or another. An empty TenantID says that anything
// may have changed (the feed was interrupted and notices were missed).
type Change struct {
	Kind     ChangeKind
	TenantID string
}

// ChangeKind names the kind of cached record a Change touches.
type ChangeKind string

const (
	// ChangedTenant: the tenant's own record (policies, MFA policy,
	// branding, signing algorithm).
	ChangedTenant ChangeKind = "tenant"
	// ChangedApplications: one of the tenant's applications or their
	// secrets.
	ChangedApplications ChangeKind = "applications"
	// ChangedKeys: the tenant's signing keys (a rotation, a new key).
	ChangedKeys ChangeKind = "keys"
	// ChangedEverything: notices may have been missed; forget all.
	ChangedEverything ChangeKind = "everything"
)
