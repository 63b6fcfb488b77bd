package cli

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"

	"github.com/foyer-idp/foyer/internal/store"
)

// The roles commands through the admin API's role management, in Graph's
// shape: roles are role definitions, named on the command line by their
// displayName; who holds one is a role assignment.

const (
	roleDefinitionsAPI = "/v1.0/roleManagement/directory/roleDefinitions"
	roleAssignmentsAPI = "/v1.0/roleManagement/directory/roleAssignments"
)

type remoteRoleDefinition struct {
	ID          string `json:"id"`
	DisplayName string `json:"displayName"`
}

type remoteRoleAssignment struct {
	ID               string `json:"id"`
	PrincipalID      string `json:"principalId"`
	RoleDefinitionID string `json:"roleDefinitionId"`
}

// roleDefinitionIDs answers the server's role definition ids by role name.
func (r remoteAdmin) roleDefinitionIDs(ctx context.Context) (map[string]string, error) {
	defs, err := listAll[remoteRoleDefinition](ctx, r.c, roleDefinitionsAPI)
	if err != nil {
		return nil, err
	}
	ids := make(map[string]string, len(defs))
	for _, d := range defs {
		ids[d.DisplayName] = d.ID
	}
	return ids, nil
}

// roleAssignments answers the assignments of the user, of the role or of
// both (either may be empty), with the role definition ids by role name.
func (r remoteAdmin) roleAssignments(ctx context.Context, userID, role string) ([]remoteRoleAssignment, map[string]string, error) {
	ids, err := r.roleDefinitionIDs(ctx)
	if err != nil {
		return nil, nil, err
	}
	var clauses []string
	if userID != "" {
		clauses = append(clauses, "principalId eq "+odataString(userID))
	}
	if role != "" {
		def, ok := ids[role]
		if !ok {
			return nil, nil, fmt.Errorf("the server has no role %q", role)
		}
		clauses = append(clauses, "roleDefinitionId eq "+odataString(def))
	}
	list, err := listAll[remoteRoleAssignment](ctx, r.c, roleAssignmentsAPI+filterQuery(clauses))
	return list, ids, err
}

func (r remoteAdmin) assignRole(ctx context.Context, userID, role string) error {
	ids, err := r.roleDefinitionIDs(ctx)
	if err != nil {
		return err
	}
	def, ok := ids[role]
	if !ok {
		return fmt.Errorf("the server has no role %q", role)
	}
	body := map[string]string{"principalId": userID, "roleDefinitionId": def, "directoryScopeId": "/"}
	return r.c.call(ctx, http.MethodPost, roleAssignmentsAPI, body, nil)
}

func (r remoteAdmin) unassignRole(ctx context.Context, userID, role string) error {
	list, _, err := r.roleAssignments(ctx, userID, role)
	if err != nil {
		return err
	}
	if len(list) == 0 {
		return fmt.Errorf("user %q does not hold role %q: %w", userID, role, store.ErrNotFound)
	}
	return r.c.call(ctx, http.MethodDelete, roleAssignmentsAPI+"/"+url.PathEscape(list[0].ID), nil, nil)
}

func (r remoteAdmin) userRoles(ctx context.Context, userID string) ([]string, error) {
	list, ids, err := r.roleAssignments(ctx, userID, "")
	if err != nil {
		return nil, err
	}
	roles := []string{}
	for name, def := range ids {
		if slices.ContainsFunc(list, func(a remoteRoleAssignment) bool { return a.RoleDefinitionID == def }) {
			roles = append(roles, name)
		}
	}
	slices.Sort(roles)
	return roles, nil
}

func (r remoteAdmin) roleMembers(ctx context.Context, role string) ([]store.User, error) {
	list, _, err := r.roleAssignments(ctx, "", role)
	if err != nil {
		return nil, err
	}
	users := make([]store.User, 0, len(list))
	for _, a := range list {
		u, err := r.user(ctx, a.PrincipalID)
		if err != nil {
			return nil, err
		}
		users = append(users, u)
	}
	// In id order, as the local list.
	slices.SortFunc(users, func(a, b store.User) int { return cmp.Compare(a.ID, b.ID) })
	return users, nil
}
