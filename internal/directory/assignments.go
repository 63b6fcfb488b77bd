package directory

import (
	"context"

	"github.com/foyer-idp/foyer/internal/audit"
	"github.com/foyer-idp/foyer/internal/store"
)

// Assign grants a user or group access to the application.
func (d *Directory) Assign(ctx context.Context, tenantID, appID, principalType, principalID string) error {
	return d.changeApplication(ctx, tenantID, appID, audit.ActivityAddAppAssignment, "application", func(tx store.Store, _ store.Application) error {
		if err := principalExists(ctx, tx, tenantID, principalType, principalID); err != nil {
			return err
		}
		return tx.AddAssignment(ctx, store.Assignment{TenantID: tenantID, AppID: appID,
			PrincipalType: principalType, PrincipalID: principalID, CreatedAt: d.clock()})
	})
}

func principalExists(ctx context.Context, tx store.Store, tenantID, principalType, id string) error {
	switch principalType {
	case store.PrincipalUser:
		_, err := tx.GetUser(ctx, tenantID, id)
		return notFoundAs(err, "principalId", id)
	case store.PrincipalGroup:
		_, err := tx.GetGroup(ctx, tenantID, id)
		return notFoundAs(err, "principalId", id)
	default:
		return invalid("principalType", "must be %s or %s", store.PrincipalUser, store.PrincipalGroup)
	}
}

// Unassign withdraws a user's or group's access to the application.
func (d *Directory) Unassign(ctx context.Context, tenantID, appID, principalID string) error {
	return d.changeApplication(ctx, tenantID, appID, audit.ActivityRemoveAppAssignment, "application", func(tx store.Store, _ store.Application) error {
		return notFoundAs(tx.RemoveAssignment(ctx, tenantID, appID, principalID), "principalId", principalID)
	})
}

// Assignments answers who is assigned to the application.
func (d *Directory) Assignments(ctx context.Context, tenantID, appID string) ([]store.Assignment, error) {
	return d.store.ListAssignments(ctx, tenantID, appID)
}

// MayUse reports whether the user may sign in to the application: always,
// unless the application requires assignment, then only when the user is
// assigned directly or through a group.
func (d *Directory) MayUse(ctx context.Context, a store.Application, userID string) (bool, error) {
	if !a.AssignmentRequired {
		return true, nil
	}
	return d.store.IsAssigned(ctx, a.TenantID, a.ID, userID)
}

// AddApplicationOwner makes the user an owner of the application.
func (d *Directory) AddApplicationOwner(ctx context.Context, tenantID, appID, userID string) error {
	return d.editAppOwner(ctx, audit.ActivityAddAppOwner, store.Store.AddApplicationOwner, tenantID, appID, userID)
}

// RemoveApplicationOwner ends the user's ownership of the application.
func (d *Directory) RemoveApplicationOwner(ctx context.Context, tenantID, appID, userID string) error {
	return d.editAppOwner(ctx, audit.ActivityRemoveAppOwner, store.Store.RemoveApplicationOwner, tenantID, appID, userID)
}

func (d *Directory) editAppOwner(ctx context.Context, activity string,
	apply func(store.Store, context.Context, string, string, string) error, tenantID, appID, userID string) error {
	return d.changeApplication(ctx, tenantID, appID, activity, "application", func(tx store.Store, _ store.Application) error {
		if _, err := tx.GetUser(ctx, tenantID, userID); err != nil {
			return notFoundAs(err, "user", userID)
		}
		return apply(tx, ctx, tenantID, appID, userID)
	})
}

// ApplicationOwners answers the application's owners.
func (d *Directory) ApplicationOwners(ctx context.Context, tenantID, appID string) ([]store.User, error) {
	return d.store.ListApplicationOwners(ctx, tenantID, appID)
}
