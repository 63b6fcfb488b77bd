package sqlstore

import (
	"context"
	"fmt"

	"github.com/foyer-idp/foyer/internal/store"
)

// AssignRole answers ErrConflict when the user already holds the role and
// ErrNotFound when the user is not in the tenant, like AddGroupMember.
func (s *Store) AssignRole(ctx context.Context, tenantID, userID, role string) error {
	_, err := s.write.ExecContext(ctx, `INSERT INTO role_assignments (tenant_id, user_id, role)
		VALUES ($1, $2, $3)`, tenantID, userID, role)
	if err != nil {
		return fmt.Errorf("assign role %q to %q: %w", role, userID, s.dbError(err))
	}
	return nil
}

// UnassignRole answers ErrNotFound when the user does not hold the role.
func (s *Store) UnassignRole(ctx context.Context, tenantID, userID, role string) error {
	err := execOne(ctx, s.write, `DELETE FROM role_assignments WHERE tenant_id = $1 AND user_id = $2 AND role = $3`,
		tenantID, userID, role)
	if err != nil {
		return fmt.Errorf("unassign role %q from %q: %w", role, userID, s.dbError(err))
	}
	return nil
}

// ListUserRoles answers the user's roles in name order.
func (s *Store) ListUserRoles(ctx context.Context, tenantID, userID string) ([]string, error) {
	roles, err := queryAll(ctx, s.read, scanColumn[string], `SELECT role FROM role_assignments
		WHERE tenant_id = $1 AND user_id = $2 ORDER BY role`, tenantID, userID)
	if err != nil {
		return nil, fmt.Errorf("list roles of %q: %w", userID, s.dbError(err))
	}
	return roles, nil
}

func (s *Store) ListRoleMembers(ctx context.Context, tenantID, role string) ([]store.User, error) {
	c := inTenant(tenantID)
	c.add(`u.id IN (SELECT r.user_id FROM role_assignments r WHERE r.tenant_id = u.tenant_id AND r.role = ?)`, role)
	users, err := selectUsers(ctx, s.read, c, 0)
	if err != nil {
		return nil, fmt.Errorf("list members of role %q: %w", role, s.dbError(err))
	}
	return users, nil
}
