package sqlstore

import (
	"context"
	"fmt"

	"github.com/foyer-idp/foyer/internal/store"
)

const groupColumns = `tenant_id, id, display_name, description, owners_can_invite_guests, created_at, updated_at`

func scanGroup(r rowScanner) (store.Group, error) {
	var g store.Group
	err := r.Scan(&g.TenantID, &g.ID, &g.DisplayName, &g.Description, &g.OwnersCanInviteGuests,
		timeDest{&g.CreatedAt}, timeDest{&g.UpdatedAt})
	return g, err
}

func (s *Store) CreateGroup(ctx context.Context, g store.Group) error {
	_, err := s.write.ExecContext(ctx, `INSERT INTO groups (`+groupColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		g.TenantID, g.ID, g.DisplayName, g.Description, g.OwnersCanInviteGuests,
		s.timeArg(g.CreatedAt), s.timeArg(g.UpdatedAt))
	if err != nil {
		return fmt.Errorf("create group %q: %w", g.ID, s.dbError(err))
	}
	return nil
}

func (s *Store) GetGroup(ctx context.Context, tenantID, id string) (store.Group, error) {
	g, err := scanGroup(s.read.QueryRowContext(ctx, `SELECT `+groupColumns+` FROM groups
		WHERE tenant_id = $1 AND id = $2`, tenantID, id))
	if err != nil {
		return store.Group{}, fmt.Errorf("get group %q: %w", id, s.dbError(err))
	}
	return g, nil
}

func (s *Store) ListGroups(ctx context.Context, tenantID string) ([]store.Group, error) {
	groups, err := queryAll(ctx, s.read, scanGroup, `SELECT `+groupColumns+` FROM groups
		WHERE tenant_id = $1 ORDER BY created_at, id`, tenantID)
	if err != nil {
		return nil, fmt.Errorf("list groups: %w", s.dbError(err))
	}
	return groups, nil
}

func (s *Store) UpdateGroup(ctx context.Context, g store.Group) error {
	err := execOne(ctx, s.write, `UPDATE groups SET display_name = $3, description = $4,
		owners_can_invite_guests = $5, updated_at = $6 WHERE tenant_id = $1 AND id = $2`,
		g.TenantID, g.ID, g.DisplayName, g.Description, g.OwnersCanInviteGuests, s.timeArg(g.UpdatedAt))
	if err != nil {
		return fmt.Errorf("update group %q: %w", g.ID, s.dbError(err))
	}
	return nil
}

func (s *Store) DeleteGroup(ctx context.Context, tenantID, id string) error {
	if err := execOne(ctx, s.write, `DELETE FROM groups WHERE tenant_id = $1 AND id = $2`, tenantID, id); err != nil {
		return fmt.Errorf("delete group %q: %w", id, s.dbError(err))
	}
	return nil
}

func (s *Store) AddGroupMember(ctx context.Context, tenantID, groupID, userID string) error {
	return s.addLink(ctx, groupMembers(), tenantID, groupID, userID)
}

func (s *Store) RemoveGroupMember(ctx context.Context, tenantID, groupID, userID string) error {
	return s.removeLink(ctx, groupMembers(), tenantID, groupID, userID)
}

func (s *Store) ListGroupMembers(ctx context.Context, tenantID, groupID string) ([]store.User, error) {
	return s.linkedUsers(ctx, groupMembers(), tenantID, groupID)
}

func (s *Store) AddGroupOwner(ctx context.Context, tenantID, groupID, userID string) error {
	return s.addLink(ctx, groupOwners(), tenantID, groupID, userID)
}

func (s *Store) RemoveGroupOwner(ctx context.Context, tenantID, groupID, userID string) error {
	return s.removeLink(ctx, groupOwners(), tenantID, groupID, userID)
}

func (s *Store) ListGroupOwners(ctx context.Context, tenantID, groupID string) ([]store.User, error) {
	return s.linkedUsers(ctx, groupOwners(), tenantID, groupID)
}

func (s *Store) ListUserGroups(ctx context.Context, tenantID, userID string) ([]store.Group, error) {
	return s.userGroups(ctx, groupMembers(), tenantID, userID)
}

func (s *Store) ListOwnedGroups(ctx context.Context, tenantID, userID string) ([]store.Group, error) {
	return s.userGroups(ctx, groupOwners(), tenantID, userID)
}

// userGroups answers the groups l links the user to, oldest first.
func (s *Store) userGroups(ctx context.Context, l link, tenantID, userID string) ([]store.Group, error) {
	groups, err := queryAll(ctx, s.read, scanGroup, `SELECT `+groupColumns+` FROM groups g
		WHERE g.tenant_id = $1 AND g.id IN (SELECT l.group_id FROM `+l.table+` l
			WHERE l.tenant_id = $1 AND l.user_id = $2)
		ORDER BY g.created_at, g.id`, tenantID, userID)
	if err != nil {
		return nil, fmt.Errorf("list groups of %s %q: %w", l.what, userID, s.dbError(err))
	}
	return groups, nil
}
