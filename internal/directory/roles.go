package directory

import (
	"context"
	"slices"

	"github.com/foyer-idp/foyer/internal/audit"
	"github.com/foyer-idp/foyer/internal/store"
)

// Directory roles.
const (
	// RoleTenantAdministrator may do everything in the tenant.
	RoleTenantAdministrator = "Tenant Administrator"
	// RoleUserAdministrator manages users, groups and invitations.
	RoleUserAdministrator = "User Administrator"
	// RoleGuestInviter may invite guests even where members may not.
	RoleGuestInviter = "Guest Inviter"
)

// Roles lists the directory roles.
var Roles = []string{RoleTenantAdministrator, RoleUserAdministrator, RoleGuestInviter}

// AssignRole gives the user a directory role.
func (d *Directory) AssignRole(ctx context.Context, tenantID, userID, role string) error {
	return d.editRole(ctx, audit.ActivityAddRoleMember, store.Store.AssignRole, tenantID, userID, role)
}

// UnassignRole takes a directory role from the user.
func (d *Directory) UnassignRole(ctx context.Context, tenantID, userID, role string) error {
	return d.editRole(ctx, audit.ActivityRemoveRoleMember, store.Store.UnassignRole, tenantID, userID, role)
}

func (d *Directory) editRole(ctx context.Context, activity string,
	apply func(store.Store, context.Context, string, string, string) error, tenantID, userID, role string) error {
	e := audit.Entry{TenantID: tenantID, Category: audit.CategoryRole, Activity: activity,
		Target: audit.Target{Type: audit.TargetRole, ID: role, Name: role}}
	return d.change(ctx, e, func(tx store.Store, _ *audit.Entry) error {
		if !slices.Contains(Roles, role) {
			return invalid("role", "must be one of %v", Roles)
		}
		if _, err := tx.GetUser(ctx, tenantID, userID); err != nil {
			return notFoundAs(err, "user", userID)
		}
		return apply(tx, ctx, tenantID, userID, role)
	})
}

// UserRoles answers the user's directory roles.
func (d *Directory) UserRoles(ctx context.Context, tenantID, userID string) ([]string, error) {
	return d.store.ListUserRoles(ctx, tenantID, userID)
}

// RoleMembers answers who holds the role.
func (d *Directory) RoleMembers(ctx context.Context, tenantID, role string) ([]store.User, error) {
	return d.store.ListRoleMembers(ctx, tenantID, role)
}
