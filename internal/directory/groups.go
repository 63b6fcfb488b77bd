package directory

import (
	"context"
	"fmt"

	"github.com/foyer-idp/foyer/internal/audit"
	"github.com/foyer-idp/foyer/internal/secret"
	"github.com/foyer-idp/foyer/internal/store"
)

// NewGroup is what creating a group takes.
type NewGroup struct {
	DisplayName           string
	Description           string
	OwnersCanInviteGuests bool
}

// GroupPatch changes the fields that are set.
type GroupPatch struct {
	DisplayName           *string
	Description           *string
	OwnersCanInviteGuests *bool
}

func checkGroup(g store.Group) error {
	var p problems
	p.add(checkName("displayName", g.DisplayName, 256))
	p.add(checkText("description", g.Description, 1024))
	return p.Err()
}

func groupEntry(tenantID, activity string, g store.Group) audit.Entry {
	return audit.Entry{TenantID: tenantID, Category: audit.CategoryGroup, Activity: activity,
		Target: audit.Target{Type: audit.TargetGroup, ID: g.ID, Name: g.DisplayName}}
}

// CreateGroup validates and stores a group.
func (d *Directory) CreateGroup(ctx context.Context, tenantID string, in NewGroup) (store.Group, error) {
	now := d.clock()
	g := store.Group{TenantID: tenantID, ID: secret.NewID(), DisplayName: in.DisplayName,
		Description: in.Description, OwnersCanInviteGuests: in.OwnersCanInviteGuests, CreatedAt: now, UpdatedAt: now}
	err := d.change(ctx, groupEntry(tenantID, audit.ActivityAddGroup, g), func(tx store.Store, _ *audit.Entry) error {
		if err := checkGroup(g); err != nil {
			return err
		}
		return notFoundAs(tx.CreateGroup(ctx, g), "tenant", tenantID)
	})
	if err != nil {
		return store.Group{}, err
	}
	return g, nil
}

// Group answers the group with this id.
func (d *Directory) Group(ctx context.Context, tenantID, id string) (store.Group, error) {
	g, err := d.store.GetGroup(ctx, tenantID, id)
	if err != nil {
		return store.Group{}, fmt.Errorf("group %q: %w", id, err)
	}
	return g, nil
}

// Groups answers the tenant's groups.
func (d *Directory) Groups(ctx context.Context, tenantID string) ([]store.Group, error) {
	return d.store.ListGroups(ctx, tenantID)
}

// UpdateGroup applies p to the group.
func (d *Directory) UpdateGroup(ctx context.Context, tenantID, groupID string, p GroupPatch) (store.Group, error) {
	var g store.Group
	err := d.change(ctx, groupEntry(tenantID, audit.ActivityUpdateGroup, store.Group{ID: groupID}), func(tx store.Store, e *audit.Entry) error {
		var err error
		if g, err = tx.GetGroup(ctx, tenantID, groupID); err != nil {
			return err
		}
		setIf(&g.DisplayName, p.DisplayName)
		setIf(&g.Description, p.Description)
		setIf(&g.OwnersCanInviteGuests, p.OwnersCanInviteGuests)
		e.Target.Name = g.DisplayName
		if err := checkGroup(g); err != nil {
			return err
		}
		g.UpdatedAt = d.clock()
		return tx.UpdateGroup(ctx, g)
	})
	if err != nil {
		return store.Group{}, err
	}
	return g, nil
}

// DeleteGroup removes the group with its memberships and assignments.
func (d *Directory) DeleteGroup(ctx context.Context, tenantID, groupID string) error {
	return d.change(ctx, groupEntry(tenantID, audit.ActivityDeleteGroup, store.Group{ID: groupID}), func(tx store.Store, e *audit.Entry) error {
		g, err := tx.GetGroup(ctx, tenantID, groupID)
		if err != nil {
			return err
		}
		e.Target.Name = g.DisplayName
		return tx.DeleteGroup(ctx, tenantID, groupID)
	})
}

// editGroup applies one of the four membership edits (add or remove a
// member or an owner) after checking both ends exist in the tenant.
func (d *Directory) editGroup(ctx context.Context, activity string,
	apply func(store.Store, context.Context, string, string, string) error, tenantID, groupID, userID string) error {
	return d.change(ctx, groupEntry(tenantID, activity, store.Group{ID: groupID}), func(tx store.Store, e *audit.Entry) error {
		g, err := tx.GetGroup(ctx, tenantID, groupID)
		if err != nil {
			return notFoundAs(err, "group", groupID)
		}
		e.Target.Name = g.DisplayName
		if _, err := tx.GetUser(ctx, tenantID, userID); err != nil {
			return notFoundAs(err, "user", userID)
		}
		return apply(tx, ctx, tenantID, groupID, userID)
	})
}

// AddGroupMember adds the user to the group.
func (d *Directory) AddGroupMember(ctx context.Context, tenantID, groupID, userID string) error {
	return d.editGroup(ctx, audit.ActivityAddGroupMember, store.Store.AddGroupMember, tenantID, groupID, userID)
}

// RemoveGroupMember takes the user out of the group.
func (d *Directory) RemoveGroupMember(ctx context.Context, tenantID, groupID, userID string) error {
	return d.editGroup(ctx, audit.ActivityRemoveGroupMember, store.Store.RemoveGroupMember, tenantID, groupID, userID)
}

// AddGroupOwner makes the user an owner of the group.
func (d *Directory) AddGroupOwner(ctx context.Context, tenantID, groupID, userID string) error {
	return d.editGroup(ctx, audit.ActivityAddGroupOwner, store.Store.AddGroupOwner, tenantID, groupID, userID)
}

// RemoveGroupOwner ends the user's ownership of the group.
func (d *Directory) RemoveGroupOwner(ctx context.Context, tenantID, groupID, userID string) error {
	return d.editGroup(ctx, audit.ActivityRemoveGroupOwner, store.Store.RemoveGroupOwner, tenantID, groupID, userID)
}

// GroupMembers answers the group's members.
func (d *Directory) GroupMembers(ctx context.Context, tenantID, groupID string) ([]store.User, error) {
	return d.store.ListGroupMembers(ctx, tenantID, groupID)
}

// GroupOwners answers the group's owners.
func (d *Directory) GroupOwners(ctx context.Context, tenantID, groupID string) ([]store.User, error) {
	return d.store.ListGroupOwners(ctx, tenantID, groupID)
}
