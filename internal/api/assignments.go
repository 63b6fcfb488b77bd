package api

import (
	"net/http"
	"time"

	"github.com/foyer-idp/foyer/internal/store"
)

// Assignments of users and groups to an application, in Graph's
// appRoleAssignment shape. Graph keeps them on the service principal
// (/servicePrincipals/{id}/appRoleAssignedTo); Foyer has no service
// principals and keeps them on the application, at
// /applications/{id}/appRoleAssignedTo. Foyer has no app roles: every
// assignment is to the default role, the zero GUID, and an assignment's
// id is its principal's.
var assignmentResource = resource{
	name:       "microsoft.graph.appRoleAssignment",
	collection: "appRoleAssignments",
	fields: []string{"id", "appRoleId", "principalId", "principalType", "principalDisplayName", "resourceId",
		"resourceDisplayName", "createdDateTime"},
	settable: []string{"principalId", "resourceId", "appRoleId"},
}

// defaultAppRole is Graph's id of an application's default access role.
const defaultAppRole = "00000000-0000-0000-0000-000000000000"

type assignmentView struct {
	ID                   string    `json:"id"`
	AppRoleID            string    `json:"appRoleId"`
	PrincipalID          string    `json:"principalId"`
	PrincipalType        string    `json:"principalType"`
	PrincipalDisplayName string    `json:"principalDisplayName"`
	ResourceID           string    `json:"resourceId"`
	ResourceDisplayName  string    `json:"resourceDisplayName"`
	CreatedDateTime      time.Time `json:"createdDateTime"`
}

// assignmentView answers as, an assignment to app, with its principal's
// display name.
func (a *API) assignmentView(r *http.Request, p Principal, app store.Application, as store.Assignment) (assignmentView, error) {
	v := assignmentView{ID: as.PrincipalID, AppRoleID: defaultAppRole, PrincipalID: as.PrincipalID,
		PrincipalType: as.PrincipalType, ResourceID: app.ID, ResourceDisplayName: app.DisplayName, CreatedDateTime: as.CreatedAt}
	if as.PrincipalType == store.PrincipalGroup {
		g, err := a.dir.Group(r.Context(), p.TenantID, as.PrincipalID)
		v.PrincipalDisplayName = g.DisplayName
		return v, err
	}
	u, err := a.dir.User(r.Context(), p.TenantID, as.PrincipalID)
	v.PrincipalDisplayName = u.DisplayName
	return v, err
}

func (a *API) listAssignments(w http.ResponseWriter, r *http.Request, p Principal) error {
	app, err := a.application(r, p)
	if err != nil {
		return err
	}
	rs := assignmentResource
	rs.collection = "applications/" + app.ID + "/appRoleAssignedTo"
	q, err := a.parseQuery(r, p, rs, true)
	if err != nil {
		return err
	}
	list, err := a.dir.Assignments(r.Context(), p.TenantID, app.ID)
	if err != nil {
		return err
	}
	list, more := page(list, func(as store.Assignment) string { return as.PrincipalID }, q)
	views := make([]assignmentView, 0, len(list))
	for _, as := range list {
		v, err := a.assignmentView(r, p, app, as)
		if err != nil {
			return err
		}
		views = append(views, v)
	}
	return writeItems(a, w, r, q, p, rs, views, more, func(v assignmentView) string { return v.ID })
}

func (a *API) addAssignment(w http.ResponseWriter, r *http.Request, p Principal) error {
	obj, err := decodeBody(w, r, assignmentResource)
	if err != nil {
		return err
	}
	var body struct{ PrincipalID, ResourceID, AppRoleID *string }
	d := fieldDecoder{obj: obj}
	d.str("principalId", &body.PrincipalID)
	d.str("resourceId", &body.ResourceID)
	d.str("appRoleId", &body.AppRoleID)
	if err := d.err(); err != nil {
		return err
	}
	if body.PrincipalID == nil || *body.PrincipalID == "" {
		return badRequest("Invalid value specified for property 'principalId': is required.")
	}
	if body.AppRoleID != nil && *body.AppRoleID != defaultAppRole {
		return badRequest("Invalid value specified for property 'appRoleId': Foyer has only the default role, %s.", defaultAppRole)
	}
	app, err := a.application(r, p)
	if err != nil {
		return err
	}
	if body.ResourceID != nil && *body.ResourceID != app.ID {
		return badRequest("Invalid value specified for property 'resourceId': must be the application's id, %s.", app.ID)
	}
	as, err := a.principal(r, p, *body.PrincipalID)
	if err != nil {
		return err
	}
	if err := a.dir.Assign(r.Context(), p.TenantID, app.ID, as.PrincipalType, as.PrincipalID); err != nil {
		return err
	}
	list, err := a.dir.Assignments(r.Context(), p.TenantID, app.ID)
	if err != nil {
		return err
	}
	for _, got := range list {
		if got.PrincipalID == as.PrincipalID {
			as = got
		}
	}
	v, err := a.assignmentView(r, p, app, as)
	if err != nil {
		return err
	}
	return a.writeEntity(w, http.StatusCreated, assignmentResource, v, nil)
}

// principal finds the user or group with this id, as an assignment's
// principal.
func (a *API) principal(r *http.Request, p Principal, id string) (store.Assignment, error) {
	u, err := a.dir.User(r.Context(), p.TenantID, id)
	if err == nil {
		return store.Assignment{PrincipalType: store.PrincipalUser, PrincipalID: u.ID}, nil
	} else if !isNotFound(err) {
		return store.Assignment{}, err
	}
	g, err := a.dir.Group(r.Context(), p.TenantID, id)
	if isNotFound(err) {
		return store.Assignment{}, notFound(id)
	}
	return store.Assignment{PrincipalType: store.PrincipalGroup, PrincipalID: g.ID}, err
}

func (a *API) removeAssignment(w http.ResponseWriter, r *http.Request, p Principal) error {
	app, err := a.application(r, p)
	if err != nil {
		return err
	}
	id := r.PathValue("assignmentId")
	if err := a.dir.Unassign(r.Context(), p.TenantID, app.ID, id); err != nil {
		if isNotFound(err) {
			return notFound(id)
		}
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
