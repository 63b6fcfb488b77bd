package api

import (
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/foyer-idp/foyer/internal/audit"
	"github.com/foyer-idp/foyer/internal/directory"
	"github.com/foyer-idp/foyer/internal/store"
)

// Directory roles in Graph's role management shape: the roles are
// unifiedRoleDefinitions named by the template ids of the Entra roles
// they correspond to (roleTemplateIDs), and who holds one is a
// unifiedRoleAssignment scoped to the whole tenant ("/"). An assignment's
// id is its role definition id and its principal's id joined by "_":
// Foyer keeps no row id for it, and a stable id lets a script delete what
// it listed.

const (
	roleDefinitionsPath = "roleManagement/directory/roleDefinitions"
	roleAssignmentsPath = "roleManagement/directory/roleAssignments"
	// tenantScope is the one directoryScopeId: roles hold tenant-wide.
	tenantScope = "/"
)

var roleDefinitionResource = resource{
	name:       "microsoft.graph.unifiedRoleDefinition",
	collection: roleDefinitionsPath,
	fields:     []string{"id", "displayName", "description", "isBuiltIn", "isEnabled", "templateId"},
}

var roleAssignmentResource = resource{
	name:       "microsoft.graph.unifiedRoleAssignment",
	collection: roleAssignmentsPath,
	fields:     []string{"id", "principalId", "roleDefinitionId", "directoryScopeId"},
	settable:   []string{"principalId", "roleDefinitionId", "directoryScopeId"},
	filterable: []string{"principalId", "roleDefinitionId"},
}

type roleDefinition struct {
	ID          string `json:"id"`
	DisplayName string `json:"displayName"`
	Description string `json:"description"`
	IsBuiltIn   bool   `json:"isBuiltIn"`
	IsEnabled   bool   `json:"isEnabled"`
	TemplateID  string `json:"templateId"`
}

// roleDescriptions say what each role lets its holder do, as the API's
// permissions grant it (roleAreas).
var roleDescriptions = map[string]string{
	directory.RoleTenantAdministrator: "Can manage every part of the tenant.",
	directory.RoleUserAdministrator:   "Can manage users, groups and invitations, and reset users' second factors.",
	directory.RoleGuestInviter:        "Can invite guests, whatever the tenant's invitation policy lets members do.",
}

func roleDefinitionOf(role string) roleDefinition {
	id := roleTemplateIDs[role]
	return roleDefinition{ID: id, DisplayName: role, Description: roleDescriptions[role], IsBuiltIn: true, IsEnabled: true, TemplateID: id}
}

// roleByDefinitionID answers the role a role definition id names.
func roleByDefinitionID(id string) (string, bool) {
	for role, template := range roleTemplateIDs {
		if template == id {
			return role, true
		}
	}
	return "", false
}

type roleAssignment struct {
	ID               string `json:"id"`
	PrincipalID      string `json:"principalId"`
	RoleDefinitionID string `json:"roleDefinitionId"`
	DirectoryScopeID string `json:"directoryScopeId"`
}

func assignmentOf(role, userID string) roleAssignment {
	def := roleTemplateIDs[role]
	return roleAssignment{ID: def + "_" + userID, PrincipalID: userID, RoleDefinitionID: def, DirectoryScopeID: tenantScope}
}

func (a *API) listRoleDefinitions(w http.ResponseWriter, r *http.Request, p Principal) error {
	q, err := a.parseQuery(r, p, roleDefinitionResource, true)
	if err != nil {
		return err
	}
	defs := make([]roleDefinition, len(directory.Roles))
	for i, role := range directory.Roles {
		defs[i] = roleDefinitionOf(role)
	}
	return writePage(a, w, r, q, p, roleDefinitionResource, defs, func(d roleDefinition) string { return d.ID })
}

func (a *API) getRoleDefinition(w http.ResponseWriter, r *http.Request, p Principal) error {
	q, err := a.parseQuery(r, p, roleDefinitionResource, false)
	if err != nil {
		return err
	}
	role, ok := roleByDefinitionID(r.PathValue("id"))
	if !ok {
		return notFound(r.PathValue("id"))
	}
	return a.writeEntity(w, http.StatusOK, roleDefinitionResource, roleDefinitionOf(role), q.selects)
}

func (a *API) listRoleAssignments(w http.ResponseWriter, r *http.Request, p Principal) error {
	q, err := a.parseQuery(r, p, roleAssignmentResource, true)
	if err != nil {
		return err
	}
	roles := directory.Roles
	if def, ok := q.filter["roleDefinitionId"]; ok {
		role, known := roleByDefinitionID(def)
		if !known {
			return a.writeEmpty(w, roleAssignmentResource)
		}
		roles = []string{role}
	}
	var list []roleAssignment
	if userID, ok := q.filter["principalId"]; ok {
		// One user's roles: one read, not one a role.
		held, err := a.dir.UserRoles(r.Context(), p.TenantID, userID)
		if err != nil {
			return err
		}
		for _, role := range held {
			if slices.Contains(roles, role) {
				list = append(list, assignmentOf(role, userID))
			}
		}
	} else {
		for _, role := range roles {
			members, err := a.dir.RoleMembers(r.Context(), p.TenantID, role)
			if err != nil {
				return err
			}
			for _, u := range members {
				list = append(list, assignmentOf(role, u.ID))
			}
		}
	}
	return writePage(a, w, r, q, p, roleAssignmentResource, list, func(ra roleAssignment) string { return ra.ID })
}

// writeEmpty answers an empty collection of rs.
func (a *API) writeEmpty(w http.ResponseWriter, rs resource) error {
	a.writeCollection(w, rs, nil, "")
	return nil
}

// roleAssignmentAt resolves the path's assignment id to its role and
// user; an id that names no held role is not found.
func (a *API) roleAssignmentAt(r *http.Request, p Principal) (string, store.User, error) {
	id := r.PathValue("id")
	def, userID, _ := strings.Cut(id, "_")
	role, ok := roleByDefinitionID(def)
	if !ok || userID == "" {
		return "", store.User{}, notFound(id)
	}
	u, err := a.dir.User(r.Context(), p.TenantID, userID)
	if isNotFound(err) || (err == nil && u.ID != userID) { // an id, not an address
		return "", store.User{}, notFound(id)
	}
	if err != nil {
		return "", store.User{}, err
	}
	held, err := a.dir.UserRoles(r.Context(), p.TenantID, u.ID)
	if err != nil {
		return "", store.User{}, err
	}
	if !slices.Contains(held, role) {
		return "", store.User{}, notFound(id)
	}
	return role, u, nil
}

func (a *API) getRoleAssignment(w http.ResponseWriter, r *http.Request, p Principal) error {
	q, err := a.parseQuery(r, p, roleAssignmentResource, false)
	if err != nil {
		return err
	}
	role, u, err := a.roleAssignmentAt(r, p)
	if err != nil {
		return err
	}
	return a.writeEntity(w, http.StatusOK, roleAssignmentResource, assignmentOf(role, u.ID), q.selects)
}

func (a *API) createRoleAssignment(w http.ResponseWriter, r *http.Request, p Principal) error {
	obj, err := decodeBody(w, r, roleAssignmentResource)
	if err != nil {
		return err
	}
	var principalID, definitionID, scope *string
	d := fieldDecoder{obj: obj}
	d.str("principalId", &principalID)
	d.str("roleDefinitionId", &definitionID)
	d.str("directoryScopeId", &scope)
	if err := d.err(); err != nil {
		return err
	}
	switch {
	case principalID == nil || *principalID == "":
		return badRequest("Invalid value specified for property 'principalId': required.")
	case definitionID == nil || *definitionID == "":
		return badRequest("Invalid value specified for property 'roleDefinitionId': required.")
	case scope != nil && *scope != tenantScope:
		return badRequest("Invalid value specified for property 'directoryScopeId': Foyer's roles hold tenant-wide; must be '/'.")
	}
	role, ok := roleByDefinitionID(*definitionID)
	if !ok {
		return badRequest("Invalid value specified for property 'roleDefinitionId': '%s' is no role definition of the tenant.", *definitionID)
	}
	u, err := a.dir.User(r.Context(), p.TenantID, *principalID)
	if isNotFound(err) || (err == nil && u.ID != *principalID) {
		return badRequest("Invalid value specified for property 'principalId': no user with id '%s' in the tenant.", *principalID)
	}
	if err != nil {
		return err
	}
	if err := a.dir.MayEditRole(r.Context(), p.TenantID, p.caller(), audit.ActivityAddRoleMember, u, role); err != nil {
		return err
	}
	switch err := a.dir.AssignRole(r.Context(), p.TenantID, u.ID, role); {
	case errors.Is(err, store.ErrConflict):
		return &apiError{http.StatusBadRequest, codeConflict, "The user already holds the role: a conflicting object is present in the directory."}
	case err != nil:
		return renameFields(err, map[string]string{"role": "roleDefinitionId"})
	}
	ra := assignmentOf(role, u.ID)
	w.Header().Set("Location", a.baseURL+"/v1.0/"+roleAssignmentsPath+"/"+ra.ID)
	return a.writeEntity(w, http.StatusCreated, roleAssignmentResource, ra, nil)
}

func (a *API) deleteRoleAssignment(w http.ResponseWriter, r *http.Request, p Principal) error {
	role, u, err := a.roleAssignmentAt(r, p)
	if err != nil {
		return err
	}
	if err := a.dir.MayEditRole(r.Context(), p.TenantID, p.caller(), audit.ActivityRemoveRoleMember, u, role); err != nil {
		return err
	}
	switch err := a.dir.UnassignRole(r.Context(), p.TenantID, u.ID, role); {
	case isNotFound(err):
		return notFound(r.PathValue("id"))
	case err != nil:
		return renameFields(err, map[string]string{"role": "roleDefinitionId"})
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
