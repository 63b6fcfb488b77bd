package directory

import (
	"context"
	"errors"
	"fmt"
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

// Roles lists the directory roles, highest first.
var Roles = []string{RoleTenantAdministrator, RoleUserAdministrator, RoleGuestInviter}

// Rank orders what roles let their holder change: 3 for a Tenant
// Administrator, 2 for a User Administrator, 1 for a Guest Inviter and 0
// for none, by the highest of roles. A change to a user needs a caller of
// at least the user's rank.
func Rank(roles []string) int {
	for i, r := range Roles {
		if slices.Contains(roles, r) {
			return len(Roles) - i
		}
	}
	return 0
}

// highestRole names the role that gives roles their rank.
func highestRole(roles []string) string {
	for _, r := range Roles {
		if slices.Contains(roles, r) {
			return r
		}
	}
	return ""
}

// privilegedRoles are the administrator roles whose holders an
// application acting as itself may not change, as Graph refuses
// privileged-administrator changes to User.ReadWrite.All apps.
var privilegedRoles = []string{RoleTenantAdministrator, RoleUserAdministrator}

// Caller is who asks for a change: the signed-in user of a delegated
// call, or an application acting as itself with an application
// permission (App).
type Caller struct {
	UserID string
	App    bool
}

// ErrPrivilegedTarget is what a refused change to a user who holds a
// higher role than the caller matches with errors.Is.
var ErrPrivilegedTarget = errors.New("not allowed to change a user holding a higher role")

// MayChangeUser decides whether caller may change the user (update,
// re-address, disable, delete, reset the redemption of): a signed-in user
// needs a Rank at least the user's, and an application may not change a
// Tenant Administrator or User Administrator. It does not ask whether the
// caller may change users at all: the caller's permissions say that. A
// refusal is a *DeniedError matching ErrPrivilegedTarget, audited as a
// failed activity on the user.
func (d *Directory) MayChangeUser(ctx context.Context, tenantID string, caller Caller, activity string, u store.User) error {
	if err := d.mayChange(ctx, d.store, tenantID, caller, u.ID); err != nil {
		return d.failed(ctx, tenantID, activity, u, err)
	}
	return nil
}

func (d *Directory) mayChange(ctx context.Context, tx store.Store, tenantID string, caller Caller, userID string) error {
	held, err := tx.ListUserRoles(ctx, tenantID, userID)
	if err != nil {
		return err
	}
	target := highestRole(held)
	if caller.App {
		if slices.Contains(privilegedRoles, target) {
			return &DeniedError{Err: ErrPrivilegedTarget, Reason: fmt.Sprintf(
				"An application may not change a user who holds the %s role; a signed-in administrator of that role or higher must.", target)}
		}
		return nil
	}
	if target == "" {
		return nil
	}
	var mine []string
	if caller.UserID != "" {
		if mine, err = tx.ListUserRoles(ctx, tenantID, caller.UserID); err != nil {
			return err
		}
	}
	if Rank(mine) < Rank(held) {
		return &DeniedError{Err: ErrPrivilegedTarget, Reason: fmt.Sprintf(
			"Only a %s or a higher administrator may change a user who holds the %s role.", target, target)}
	}
	return nil
}

// MayEditRole decides whether caller may give role to the user, or take
// it from them (activity says which): as MayChangeUser, and an
// application acting as itself may give or take only a role that is not
// privileged, where Graph lets an app with RoleManagement.ReadWrite.Directory
// make anyone a Global Administrator: a script's secret must not be the
// way to the whole tenant. A refusal is a *DeniedError, audited as a
// failed activity on the role.
func (d *Directory) MayEditRole(ctx context.Context, tenantID string, caller Caller, activity string, u store.User, role string) error {
	err := d.mayChange(ctx, d.store, tenantID, caller, u.ID)
	if err == nil && caller.App && slices.Contains(privilegedRoles, role) {
		err = &DeniedError{Err: ErrPrivilegedTarget, Reason: fmt.Sprintf(
			"An application may not give or take the %s role; a signed-in Tenant Administrator must.", role)}
	}
	if err != nil {
		e := roleEntry(tenantID, activity, role)
		e.Err = errors.New(auditReason(err))
		_ = audit.Record(ctx, d.store, d.clock(), e)
		return err
	}
	return nil
}

// ErrLastTenantAdministrator is what a change matches that would leave
// the tenant without an enabled Tenant Administrator: deleting,
// disabling or taking the role from the last one. It is bad input
// (ErrInvalid) to whoever asks.
var ErrLastTenantAdministrator = fmt.Errorf("last enabled Tenant Administrator: %w", ErrInvalid)

// keepTenantAdministrator refuses, as a field error on field, a change
// that takes u out of the tenant's enabled Tenant Administrators when u
// is the last. It runs in the change's transaction and locks the tenant
// before it counts, so of two changes to the last two administrators one
// waits for the other and then sees it.
func keepTenantAdministrator(ctx context.Context, tx store.Store, u store.User, field string) error {
	if !u.AccountEnabled {
		return nil
	}
	held, err := tx.ListUserRoles(ctx, u.TenantID, u.ID)
	if err != nil || !slices.Contains(held, RoleTenantAdministrator) {
		return err
	}
	if err := tx.LockTenant(ctx, u.TenantID); err != nil {
		return err
	}
	admins, err := tx.ListRoleMembers(ctx, u.TenantID, RoleTenantAdministrator)
	if err != nil {
		return err
	}
	others := slices.ContainsFunc(admins, func(a store.User) bool { return a.ID != u.ID && a.AccountEnabled })
	if others {
		return nil
	}
	return &FieldError{Field: field, Err: ErrLastTenantAdministrator, Message: fmt.Sprintf(
		"%s is the organisation's last enabled Tenant Administrator and can be neither deleted, disabled nor stripped of the role; make another user Tenant Administrator first",
		u.UserPrincipalName)}
}

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
	return d.change(ctx, roleEntry(tenantID, activity, role), func(tx store.Store, _ *audit.Entry) error {
		if !slices.Contains(Roles, role) {
			return invalid("role", "must be one of %v", Roles)
		}
		u, err := tx.GetUser(ctx, tenantID, userID)
		if err != nil {
			return notFoundAs(err, "user", userID)
		}
		if activity == audit.ActivityRemoveRoleMember && role == RoleTenantAdministrator {
			if err := keepTenantAdministrator(ctx, tx, u, "role"); err != nil {
				return err
			}
		}
		return apply(tx, ctx, tenantID, userID, role)
	})
}

func roleEntry(tenantID, activity, role string) audit.Entry {
	return audit.Entry{TenantID: tenantID, Category: audit.CategoryRole, Activity: activity,
		Target: audit.Target{Type: audit.TargetRole, ID: role, Name: role}}
}

// UserRoles answers the user's directory roles.
func (d *Directory) UserRoles(ctx context.Context, tenantID, userID string) ([]string, error) {
	return d.store.ListUserRoles(ctx, tenantID, userID)
}

// RoleMembers answers who holds the role.
func (d *Directory) RoleMembers(ctx context.Context, tenantID, role string) ([]store.User, error) {
	return d.store.ListRoleMembers(ctx, tenantID, role)
}
