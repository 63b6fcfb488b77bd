package sqlstore

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/foyer-idp/foyer/internal/store"
)

// Assignments live in two tables, one per principal type, so that each
// principal column is a real foreign key: assigning an unknown user or group
// (or one of another tenant) is ErrNotFound, and deleting a principal
// removes its assignments.

// assignmentTable answers the table and principal column for a type.
func assignmentTable(principalType string) (table, column string, ok bool) {
	switch principalType {
	case store.PrincipalUser:
		return "application_user_assignments", "user_id", true
	case store.PrincipalGroup:
		return "application_group_assignments", "group_id", true
	}
	return "", "", false
}

func (s *Store) AddAssignment(ctx context.Context, a store.Assignment) error {
	table, column, ok := assignmentTable(a.PrincipalType)
	if !ok {
		return fmt.Errorf("assign %q to application %q: no principal type %q: %w",
			a.PrincipalID, a.AppID, a.PrincipalType, store.ErrNotFound)
	}
	_, err := s.write.ExecContext(ctx, `INSERT INTO `+table+` (tenant_id, app_id, `+column+`, created_at)
		VALUES ($1, $2, $3, $4)`, a.TenantID, a.AppID, a.PrincipalID, s.timeArg(a.CreatedAt))
	if err != nil {
		return fmt.Errorf("assign %q to application %q: %w", a.PrincipalID, a.AppID, s.dbError(err))
	}
	return nil
}

func (s *Store) RemoveAssignment(ctx context.Context, tenantID, appID, principalID string) error {
	err := s.atomically(ctx, func(tx *Store) error {
		var removed int64
		for _, principalType := range []string{store.PrincipalUser, store.PrincipalGroup} {
			table, column, _ := assignmentTable(principalType)
			n, err := execCount(ctx, tx.write, `DELETE FROM `+table+`
				WHERE tenant_id = $1 AND app_id = $2 AND `+column+` = $3`, tenantID, appID, principalID)
			if err != nil {
				return err
			}
			removed += n
		}
		if removed == 0 {
			return sql.ErrNoRows
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("remove assignment of %q to application %q: %w", principalID, appID, s.dbError(err))
	}
	return nil
}

func scanAssignment(r rowScanner) (store.Assignment, error) {
	var a store.Assignment
	err := r.Scan(&a.TenantID, &a.AppID, &a.PrincipalType, &a.PrincipalID, timeDest{&a.CreatedAt})
	return a, err
}

// ListAssignments answers the assignments in the order they were made. The
// literals are store.PrincipalUser and store.PrincipalGroup.
func (s *Store) ListAssignments(ctx context.Context, tenantID, appID string) ([]store.Assignment, error) {
	assignments, err := queryAll(ctx, s.read, scanAssignment, `
		SELECT tenant_id, app_id, 'User' AS principal_type, user_id AS principal_id, created_at
		FROM application_user_assignments WHERE tenant_id = $1 AND app_id = $2
		UNION ALL
		SELECT tenant_id, app_id, 'Group', group_id, created_at
		FROM application_group_assignments WHERE tenant_id = $1 AND app_id = $2
		ORDER BY created_at, principal_id`, tenantID, appID)
	if err != nil {
		return nil, fmt.Errorf("list assignments of application %q: %w", appID, s.dbError(err))
	}
	return assignments, nil
}

func (s *Store) IsAssigned(ctx context.Context, tenantID, appID, userID string) (bool, error) {
	var assigned bool
	err := s.read.QueryRowContext(ctx, `SELECT
		EXISTS (SELECT 1 FROM application_user_assignments
			WHERE tenant_id = $1 AND app_id = $2 AND user_id = $3)
		OR EXISTS (SELECT 1 FROM application_group_assignments a
			JOIN group_members m ON m.tenant_id = a.tenant_id AND m.group_id = a.group_id
			WHERE a.tenant_id = $1 AND a.app_id = $2 AND m.user_id = $3)`,
		tenantID, appID, userID).Scan(&assigned)
	if err != nil {
		return false, fmt.Errorf("is %q assigned to application %q: %w", userID, appID, s.dbError(err))
	}
	return assigned, nil
}
