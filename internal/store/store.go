package store

import (
	"context"
	"errors"
	"time"
)

// Sentinel errors. Back ends wrap them with context; callers test with errors.Is.
var (
	// ErrNotFound: no row matches, or it belongs to another tenant.
	ErrNotFound = errors.New("not found")
	// ErrConflict: a unique key (slug, email, client id …) is taken, or a
	// conditional update lost a race.
	ErrConflict = errors.New("conflict")
	// ErrAlreadyUsed: a single-use record was consumed before.
	ErrAlreadyUsed = errors.New("already used")
	// ErrExpired: a single-use record is past its expiry.
	ErrExpired = errors.New("expired")
	// ErrMismatch: a secret was checked against a live record and did not
	// match; the failed attempt was counted.
	ErrMismatch = errors.New("secret does not match")
	// ErrUnavailable: the database could not be reached or answered with an
	// error that is not the caller's fault. Protocol handlers map it to 5xx.
	ErrUnavailable = errors.New("storage unavailable")
)

// Store is the whole storage contract. Consumers should declare the smaller
// interface they need; this aggregate exists for the back ends, the
// conformance suite and transactions.
type Store interface {
	Tenants
	Users
	Groups
	Applications
	Roles
	SigningKeys
	AuditLog
	SignInLog
	SingleUseTokens
	AuthRequests
	Sessions
	RefreshTokens
	AccessTokens
	Consents
	Counters
	Purger
	Outbox
	Invitations
	Redemptions
	Passcodes
	Domains
	IdentityProviders
	FederationLogins
	MFAFactors
	DeviceAuthorizations

	// InTx runs fn in one transaction: every call on tx commits together or
	// not at all. Returning an error rolls back. Nested InTx reuses the outer
	// transaction.
	InTx(ctx context.Context, fn func(tx Store) error) error
	// Ping reports whether the database answers.
	Ping(ctx context.Context) error
	// Close releases the connections.
	Close() error
}

// Tenants stores organisations.
type Tenants interface {
	CreateTenant(ctx context.Context, t Tenant) error
	GetTenant(ctx context.Context, id string) (Tenant, error)
	GetTenantBySlug(ctx context.Context, slug string) (Tenant, error)
	ListTenants(ctx context.Context) ([]Tenant, error)
	// UpdateTenant replaces the mutable fields (display name, branding,
	// signing algorithm, invitation policy, UpdatedAt).
	UpdateTenant(ctx context.Context, t Tenant) error
	// DeleteTenant removes the tenant and, by cascade, everything it owns
	// except its audit events.
	DeleteTenant(ctx context.Context, id string) error
	// LockTenant holds the tenant's row until the transaction ends, so
	// decisions that span several of its rows (is this its last Tenant
	// Administrator?) are taken one transaction at a time. It does not
	// block writers of the tenant's other rows. Outside InTx it holds
	// nothing. ErrNotFound for an unknown tenant.
	LockTenant(ctx context.Context, id string) error
}

// Users stores members and guests with their identities.
type Users interface {
	// CreateUser stores u and its identities. ErrConflict when the UPN, the
	// mail or an identity is taken in the tenant.
	CreateUser(ctx context.Context, u User) error
	GetUser(ctx context.Context, tenantID, id string) (User, error)
	// GetUserCore is GetUser without the identities (Identities is nil):
	// one indexed row, for the token and session paths, which need only
	// the account's state and profile.
	GetUserCore(ctx context.Context, tenantID, id string) (User, error)
	// GetUserByEmail matches mail or userPrincipalName, case-insensitively
	// (callers pass it lower-cased).
	GetUserByEmail(ctx context.Context, tenantID, email string) (User, error)
	GetUserByIdentity(ctx context.Context, tenantID, issuer, subject string) (User, error)
	ListUsers(ctx context.Context, tenantID string, f UserFilter) ([]User, error)
	// UpdateUser replaces the profile fields, the identities,
	// SignInSessionsValidFrom and ForceChangePassword of u (not the
	// password hash).
	UpdateUser(ctx context.Context, u User) error
	SetPasswordHash(ctx context.Context, tenantID, userID, hash string, at time.Time) error
	// ChangePasswordHash replaces the user's password hash with newHash
	// and clears ForceChangePassword, only while the hash is still
	// oldHash: ErrConflict when it moved on (a reset or another change
	// came first), ErrNotFound when there is no such user.
	ChangePasswordHash(ctx context.Context, tenantID, userID, oldHash, newHash string, at time.Time) error
	DeleteUser(ctx context.Context, tenantID, id string) error
}

// Groups stores groups, their members and owners.
type Groups interface {
	CreateGroup(ctx context.Context, g Group) error
	GetGroup(ctx context.Context, tenantID, id string) (Group, error)
	ListGroups(ctx context.Context, tenantID string) ([]Group, error)
	UpdateGroup(ctx context.Context, g Group) error
	DeleteGroup(ctx context.Context, tenantID, id string) error
	// AddGroupMember and AddGroupOwner answer ErrConflict when the user is
	// already there; the Remove methods ErrNotFound when not.
	AddGroupMember(ctx context.Context, tenantID, groupID, userID string) error
	RemoveGroupMember(ctx context.Context, tenantID, groupID, userID string) error
	ListGroupMembers(ctx context.Context, tenantID, groupID string) ([]User, error)
	AddGroupOwner(ctx context.Context, tenantID, groupID, userID string) error
	RemoveGroupOwner(ctx context.Context, tenantID, groupID, userID string) error
	ListGroupOwners(ctx context.Context, tenantID, groupID string) ([]User, error)
	// ListUserGroups answers the groups the user is a direct member of.
	ListUserGroups(ctx context.Context, tenantID, userID string) ([]Group, error)
	// ListOwnedGroups answers the groups the user owns.
	ListOwnedGroups(ctx context.Context, tenantID, userID string) ([]Group, error)
}

// Applications stores OIDC clients, their secrets, owners and assignments.
type Applications interface {
	CreateApplication(ctx context.Context, a Application) error
	GetApplication(ctx context.Context, tenantID, id string) (Application, error)
	GetApplicationByClientID(ctx context.Context, tenantID, clientID string) (Application, error)
	ListApplications(ctx context.Context, tenantID string) ([]Application, error)
	UpdateApplication(ctx context.Context, a Application) error
	DeleteApplication(ctx context.Context, tenantID, id string) error

	AddClientSecret(ctx context.Context, s ClientSecret) error
	// ListClientSecrets answers the secrets of an application, hashes
	// included, newest first.
	ListClientSecrets(ctx context.Context, tenantID, appID string) ([]ClientSecret, error)
	DeleteClientSecret(ctx context.Context, tenantID, appID, secretID string) error

	AddApplicationOwner(ctx context.Context, tenantID, appID, userID string) error
	RemoveApplicationOwner(ctx context.Context, tenantID, appID, userID string) error
	ListApplicationOwners(ctx context.Context, tenantID, appID string) ([]User, error)
	// ListOwnedApplications answers the applications the user owns,
	// oldest first.
	ListOwnedApplications(ctx context.Context, tenantID, userID string) ([]Application, error)

	AddAssignment(ctx context.Context, a Assignment) error
	RemoveAssignment(ctx context.Context, tenantID, appID, principalID string) error
	ListAssignments(ctx context.Context, tenantID, appID string) ([]Assignment, error)
	// IsAssigned reports whether the user is assigned to the app directly
	// or through a group it is a direct member of.
	IsAssigned(ctx context.Context, tenantID, appID, userID string) (bool, error)
}

// Roles stores directory role assignments.
type Roles interface {
	AssignRole(ctx context.Context, tenantID, userID, role string) error
	UnassignRole(ctx context.Context, tenantID, userID, role string) error
	ListUserRoles(ctx context.Context, tenantID, userID string) ([]string, error)
	ListRoleMembers(ctx context.Context, tenantID, role string) ([]User, error)
}

// SigningKeys stores per-tenant signing keys with their lifecycle.
type SigningKeys interface {
	CreateSigningKey(ctx context.Context, k SigningKey) error
	// ListSigningKeys answers the tenant's keys in every state, newest first.
	ListSigningKeys(ctx context.Context, tenantID string) ([]SigningKey, error)
	// RotateSigningKeys makes the key named promoteID (state next) active,
	// retires the current active key with PublishUntil = retireUntil, stores
	// newNext as the next key and deletes retired keys whose PublishUntil has
	// passed at 'at'. It succeeds only if expectActiveID is still the active
	// key and promoteID still the next one; otherwise ErrConflict (another
	// node rotated first). expectActiveID may be empty when the tenant has
	// no active key yet.
	RotateSigningKeys(ctx context.Context, r KeyRotation) error
}

// AuditLog is append-only.
type AuditLog interface {
	AppendAudit(ctx context.Context, e AuditEvent) error
	// ListAudit answers matching events, newest first.
	ListAudit(ctx context.Context, f AuditFilter) ([]AuditEvent, error)
}

// SignInLog keeps one row per interactive sign-in attempt.
type SignInLog interface {
	AppendSignIn(ctx context.Context, s SignIn) error
	// FailSignIn turns the row of s.AttemptKey into s's failure (keeping
	// its id and time), or appends s when the attempt has no row: a
	// sign-in refused at the end of its transaction stays one row.
	FailSignIn(ctx context.Context, s SignIn) error
	// ListSignIns answers matching attempts of one tenant, newest first.
	ListSignIns(ctx context.Context, f SignInFilter) ([]SignIn, error)
	// SignInActivity answers each listed user's activity; a user who
	// never tried is absent.
	SignInActivity(ctx context.Context, tenantID string, userIDs []string) (map[string]SignInActivity, error)
}

// SingleUseTokens stores hashed bearer secrets that may be redeemed once
// (authorization codes, invitation redeem tokens, passcodes).
type SingleUseTokens interface {
	CreateToken(ctx context.Context, t Token) error
	// ConsumeToken marks the token used at 'at' and returns it. Exactly one
	// of any number of concurrent callers wins; the others get
	// ErrAlreadyUsed, with the used token (so a caller can tell who it was
	// issued to before acting on a replay). An unknown hash (or one of
	// another tenant or kind) is ErrNotFound; one past ExpiresAt is
	// ErrExpired.
	ConsumeToken(ctx context.Context, tenantID, kind, hash string, at time.Time) (Token, error)
	// DeleteExpiredTokens removes tokens whose expiry is before 'before' and
	// answers how many went.
	DeleteExpiredTokens(ctx context.Context, before time.Time) (int64, error)
}
