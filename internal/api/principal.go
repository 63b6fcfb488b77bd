package api

import (
	"context"
	"slices"

	"github.com/foyer-idp/foyer/internal/audit"
	"github.com/foyer-idp/foyer/internal/directory"
	"github.com/foyer-idp/foyer/internal/store"
)

// Principal is who calls the API, as the access token says.
type Principal struct {
	TenantID string
	// ClientID is the calling application's client id.
	ClientID string
	// UserID is the signed-in user for delegated calls, empty for
	// app-only calls.
	UserID string
	// Roles are application permissions granted to the app itself.
	Roles []string
	// Scp are delegated permissions: they grant an action only where the
	// user's own directory roles allow it too.
	Scp []string
}

type principalKey struct{}

// WithPrincipal answers ctx carrying the caller. Only the authenticating
// middleware (and tests) call it.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom answers the caller, and false when the request carries
// none or one without a tenant.
func PrincipalFrom(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	if !ok || p.TenantID == "" || p.ClientID == "" {
		return Principal{}, false
	}
	return p, true
}

// actor is the audit actor of the principal's changes: the user for
// delegated calls, the app otherwise.
func (p Principal) actor() audit.Actor {
	if p.UserID != "" {
		return audit.Actor{Type: store.ActorUser, ID: p.UserID}
	}
	return audit.Actor{Type: store.ActorApp, ID: p.ClientID, Name: p.ClientID}
}

// caller is the principal as the directory judges changes to users: the
// signed-in user of a delegated call, or else the application itself.
func (p Principal) caller() directory.Caller {
	return directory.Caller{UserID: p.UserID, App: p.UserID == ""}
}

// inviter is the principal as the directory judges invitations. An
// application permission makes the caller an application inviting as
// itself, even when the token also names a user.
func (p Principal) inviter() directory.Inviter {
	if slices.Contains(p.Roles, "User.Invite.All") {
		return directory.Inviter{App: true}
	}
	return directory.Inviter{UserID: p.UserID}
}

// area is a part of the directory an action touches; directory roles are
// granted by area.
type area string

const (
	areaUsers        area = "users"
	areaGroups       area = "groups"
	areaApplications area = "applications"
	areaInvitations  area = "invitations"
	areaPolicies     area = "policies"
	// areaIdentityProviders and areaDomains: federation, which decides
	// who may sign in as a guest; only Tenant Administrators act there.
	areaIdentityProviders area = "identityProviders"
	areaDomains           area = "domains"
	// areaAuthMethods: users' second factors (the registration report,
	// resets and unlocks).
	areaAuthMethods area = "authenticationMethods"
	// areaOrganization: the tenant itself and its branding.
	areaOrganization area = "organization"
	// areaAuditLogs: the audit and sign-in logs; they show every
	// account's activity, so only Tenant Administrators read them.
	areaAuditLogs area = "auditLogs"
	// areaRoles: who holds the directory roles; giving one is giving its
	// powers, so only Tenant Administrators do it.
	areaRoles area = "roleManagement"
)

// permission is what an action needs: any one of grants, in the area.
type permission struct {
	area   area
	grants []string
	// anyUser lets a delegated grant through for any signed-in user of
	// the tenant, whatever their directory roles: the handler leaves the
	// decision to a tenant policy (directory.MayInvite).
	anyUser bool
}

// What each action needs, by Graph's permission names. Foyer grants only
// the ReadWrite permissions (directory.APIPermissions), which in Graph
// also grant reading; a Read.All permission becomes a grant here when the
// directory learns to give it.
var (
	readUsers    = permission{area: areaUsers, grants: []string{"User.ReadWrite.All"}}
	writeUsers   = readUsers
	readGroups   = permission{area: areaGroups, grants: []string{"Group.ReadWrite.All"}}
	writeGroups  = readGroups
	readMembers  = readGroups
	writeMembers = readGroups
	readApps     = permission{area: areaApplications, grants: []string{"Application.ReadWrite.All"}}
	writeApps    = readApps
	// readPolicy and writePolicy: the authorization policy, which says who
	// may invite guests; only Tenant Administrators hold it delegated.
	readPolicy  = permission{area: areaPolicies, grants: []string{"Policy.ReadWrite.Authorization"}}
	writePolicy = readPolicy
	// manageMFAPolicy: who must use MFA; only Tenant Administrators hold
	// it delegated.
	manageMFAPolicy = permission{area: areaPolicies, grants: []string{"Policy.ReadWrite.AuthenticationMethod"}}
	// readMFAReport: Graph's userRegistrationDetails asks for
	// AuditLog.Read.All; holding UserAuthenticationMethod.ReadWrite.All
	// lets a caller read what it may change.
	readMFAReport = permission{area: areaAuthMethods, grants: []string{"AuditLog.Read.All", "UserAuthenticationMethod.ReadWrite.All"}}
	// manageAuthMethods: list, reset and unlock a user's second factor.
	manageAuthMethods = permission{area: areaAuthMethods, grants: []string{"UserAuthenticationMethod.ReadWrite.All"}}
	// readRoleAssignments: who holds which role is part of the users'
	// data, so a caller that may read users may read it (Graph: also
	// Directory.Read.All); writeRoleAssignments gives and takes roles.
	readRoleAssignments  = permission{area: areaUsers, grants: []string{"RoleManagement.ReadWrite.Directory", "User.ReadWrite.All"}}
	writeRoleAssignments = permission{area: areaRoles, grants: []string{"RoleManagement.ReadWrite.Directory"}}
	// readAuditLogs: directoryAudits and signIns.
	readAuditLogs = permission{area: areaAuditLogs, grants: []string{"AuditLog.Read.All"}}
)

// roleAreas says which areas each directory role may act in, for
// delegated calls. A role not listed grants nothing.
var roleAreas = map[string][]area{
	directory.RoleTenantAdministrator: {areaUsers, areaGroups, areaApplications, areaInvitations, areaPolicies,
		areaIdentityProviders, areaDomains, areaAuthMethods, areaOrganization, areaAuditLogs, areaRoles},
	// A User Administrator may reset and unlock second factors, but not a
	// Tenant Administrator's (API.methodsTarget).
	directory.RoleUserAdministrator: {areaUsers, areaGroups, areaInvitations, areaAuthMethods},
	directory.RoleGuestInviter:      {areaInvitations},
}

// RoleSource answers a user's directory roles; *directory.Directory is one.
type RoleSource interface {
	UserRoles(ctx context.Context, tenantID, userID string) ([]string, error)
}

// allowed reports whether p may take an action needing perm. An
// application permission in Roles grants it; a delegated one in Scp only
// when the signed-in user holds a directory role for the area (or, for an
// anyUser permission, is signed in: the handler decides the rest).
func allowed(ctx context.Context, roles RoleSource, p Principal, perm permission) (bool, error) {
	if hasAny(p.Roles, perm.grants) {
		return true, nil
	}
	if p.UserID == "" || !hasAny(p.Scp, perm.grants) {
		return false, nil
	}
	if perm.anyUser {
		return true, nil
	}
	held, err := roles.UserRoles(ctx, p.TenantID, p.UserID)
	if err != nil {
		return false, err
	}
	for _, r := range held {
		if slices.Contains(roleAreas[r], perm.area) {
			return true, nil
		}
	}
	return false, nil
}

func hasAny(have, want []string) bool {
	for _, w := range want {
		if slices.Contains(have, w) {
			return true
		}
	}
	return false
}
