package api

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/foyer-idp/foyer/internal/directory"
)

// /me is the signed-in user of a delegated token: their user, the groups
// and directory roles they are a member of, and the groups and
// applications they own. Any signed-in user may read their own, whatever
// the token's scopes; an app-only token has no user and is refused with
// 400, as in Graph.

// directoryObjectsResource is a list of several types: Foyer answers
// each item with its @odata.type and whole, and refuses $select.
var directoryObjectsResource = resource{name: "microsoft.graph.directoryObject", collection: "directoryObjects"}

// roleTemplateIDs are Graph's template ids of the built-in roles that
// Foyer's directory roles correspond to: a Tenant Administrator is a
// Global Administrator.
var roleTemplateIDs = map[string]string{
	directory.RoleTenantAdministrator: "62e90394-69f5-4237-9190-012177145e10",
	directory.RoleUserAdministrator:   "fe930be7-5e62-47db-91af-98c3a49a38b1",
	directory.RoleGuestInviter:        "95e79109-95c0-4d8e-aee3-d01accf2d47b",
}

// signedIn runs h for a delegated principal only.
func signedIn(h handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, p Principal) error {
		if p.UserID == "" {
			return badRequest("/me request is only valid with delegated authentication flow.")
		}
		return h(w, r, p)
	}
}

func (a *API) getMe(w http.ResponseWriter, r *http.Request, p Principal) error {
	q, err := a.parseQuery(r, p, userResource, false)
	if err != nil {
		return err
	}
	u, err := a.dir.User(r.Context(), p.TenantID, p.UserID)
	if err != nil {
		return err
	}
	return a.writeEntity(w, http.StatusOK, userResource, u, q.selects)
}

// typed projects v as rs with its @odata.type.
func typed(v any, rs resource) (map[string]any, error) {
	obj, err := project(v, rs, nil)
	if err != nil {
		return nil, err
	}
	obj["@odata.type"] = "#" + rs.name
	return obj, nil
}

// writeObjects answers items, a list of several types, one page at a time
// in id order.
func (a *API) writeObjects(w http.ResponseWriter, r *http.Request, p Principal, collection string, items func() ([]map[string]any, error)) error {
	rs := directoryObjectsResource
	rs.collection = collection
	q, err := a.parseQuery(r, p, rs, true)
	if err != nil {
		return err
	}
	list, err := items()
	if err != nil {
		return err
	}
	id := func(m map[string]any) string {
		switch v := m["id"].(type) {
		case string:
			return v
		case json.RawMessage: // as project answers it
			var s string
			_ = json.Unmarshal(v, &s)
			return s
		}
		return ""
	}
	list, more := page(list, id, q)
	next := ""
	if more {
		next = a.nextLink(r, q, p, rs, id(list[len(list)-1]))
	}
	a.writeCollection(w, directoryObjectsResource, list, next)
	return nil
}

func (a *API) listMyMemberOf(w http.ResponseWriter, r *http.Request, p Principal) error {
	return a.writeObjects(w, r, p, "me/memberOf", func() ([]map[string]any, error) {
		return a.memberOf(r.Context(), p.TenantID, p.UserID)
	})
}

// listMemberOf answers GET /users/{id}/memberOf: what /me/memberOf
// answers, for any user of the tenant.
func (a *API) listMemberOf(w http.ResponseWriter, r *http.Request, p Principal) error {
	u, err := a.user(r, p)
	if err != nil {
		return err
	}
	return a.writeObjects(w, r, p, "users/"+u.ID+"/memberOf", func() ([]map[string]any, error) {
		return a.memberOf(r.Context(), p.TenantID, u.ID)
	})
}

// memberOf answers the groups the user is a member of and the directory
// roles they hold, each with its @odata.type.
func (a *API) memberOf(ctx context.Context, tenantID, userID string) ([]map[string]any, error) {
	groups, err := a.dir.MemberOf(ctx, tenantID, userID)
	if err != nil {
		return nil, err
	}
	roles, err := a.dir.UserRoles(ctx, tenantID, userID)
	if err != nil {
		return nil, err
	}
	items, err := typedAll(groups, groupResource)
	if err != nil {
		return nil, err
	}
	for _, role := range roles {
		items = append(items, map[string]any{"@odata.type": "#microsoft.graph.directoryRole",
			"id": roleTemplateIDs[role], "roleTemplateId": roleTemplateIDs[role], "displayName": role})
	}
	return items, nil
}

func (a *API) listMyOwnedObjects(w http.ResponseWriter, r *http.Request, p Principal) error {
	return a.writeObjects(w, r, p, "me/ownedObjects", func() ([]map[string]any, error) {
		groups, apps, err := a.dir.OwnedObjects(r.Context(), p.TenantID, p.UserID)
		if err != nil {
			return nil, err
		}
		items, err := typedAll(groups, groupResource)
		if err != nil {
			return nil, err
		}
		for _, app := range apps {
			v, err := a.applicationView(r.Context(), app)
			if err != nil {
				return nil, err
			}
			obj, err := typed(v, applicationResource)
			if err != nil {
				return nil, err
			}
			items = append(items, obj)
		}
		return items, nil
	})
}

func typedAll[T any](list []T, rs resource) ([]map[string]any, error) {
	out := make([]map[string]any, 0, len(list))
	for _, v := range list {
		obj, err := typed(v, rs)
		if err != nil {
			return nil, err
		}
		out = append(out, obj)
	}
	return out, nil
}
