package sqlstore

import (
	"context"
	"fmt"

	"github.com/foyer-idp/foyer/internal/store"
)

// link is a table pairing a parent (group, application) with a user:
// group_members, group_owners, application_owners. Its primary key is
// (tenant_id, parent, user_id) and both halves are foreign keys, so a
// duplicate is a conflict and an unknown parent or user is not found.
type link struct {
	table  string // constant table name
	parent string // constant parent id column
	what   string // for error messages
}

// The link tables, as functions rather than package variables.
func groupMembers() link {
	return link{table: "group_members", parent: "group_id", what: "group member"}
}

func groupOwners() link {
	return link{table: "group_owners", parent: "group_id", what: "group owner"}
}

func applicationOwners() link {
	return link{table: "application_owners", parent: "app_id", what: "application owner"}
}

func (s *Store) addLink(ctx context.Context, l link, tenantID, parentID, userID string) error {
	_, err := s.write.ExecContext(ctx, `INSERT INTO `+l.table+` (tenant_id, `+l.parent+`, user_id)
		VALUES ($1, $2, $3)`, tenantID, parentID, userID)
	if err != nil {
		return fmt.Errorf("add %s %q to %q: %w", l.what, userID, parentID, s.dbError(err))
	}
	return nil
}

func (s *Store) removeLink(ctx context.Context, l link, tenantID, parentID, userID string) error {
	err := execOne(ctx, s.write, `DELETE FROM `+l.table+` WHERE tenant_id = $1 AND `+l.parent+` = $2
		AND user_id = $3`, tenantID, parentID, userID)
	if err != nil {
		return fmt.Errorf("remove %s %q from %q: %w", l.what, userID, parentID, s.dbError(err))
	}
	return nil
}

// linkedUsers answers the users linked to parentID, in id order; an unknown
// parent has none.
func (s *Store) linkedUsers(ctx context.Context, l link, tenantID, parentID string) ([]store.User, error) {
	c := inTenant(tenantID)
	c.add(`u.id IN (SELECT l.user_id FROM `+l.table+` l WHERE l.tenant_id = u.tenant_id AND l.`+l.parent+` = ?)`, parentID)
	users, err := selectUsers(ctx, s.read, c, 0)
	if err != nil {
		return nil, fmt.Errorf("list %ss of %q: %w", l.what, parentID, s.dbError(err))
	}
	return users, nil
}
