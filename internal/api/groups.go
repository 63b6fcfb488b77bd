package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/foyer-idp/foyer/internal/directory"
	"github.com/foyer-idp/foyer/internal/store"
)

var groupResource = resource{
	name:       "microsoft.graph.group",
	collection: "groups",
	fields:     []string{"id", "displayName", "description", "ownersCanInviteGuests", "createdDateTime"},
	settable:   []string{"displayName", "description", "ownersCanInviteGuests"},
}

// memberResource is a group member, a directoryObject that is a user.
var memberResource = resource{
	name:       "microsoft.graph.directoryObject",
	collection: "directoryObjects",
	fields:     userResource.fields,
}

func isNotFound(err error) bool { return errors.Is(err, store.ErrNotFound) }

func (a *API) listGroups(w http.ResponseWriter, r *http.Request, p Principal) error {
	q, err := a.parseQuery(r, p, groupResource, true)
	if err != nil {
		return err
	}
	groups, err := a.dir.Groups(r.Context(), p.TenantID)
	if err != nil {
		return err
	}
	return writePage(a, w, r, q, p, groupResource, groups, func(g store.Group) string { return g.ID })
}

func (a *API) group(r *http.Request, p Principal) (store.Group, error) {
	return byPathID(r, p, a.dir.Group)
}

func (a *API) getGroup(w http.ResponseWriter, r *http.Request, p Principal) error {
	q, err := a.parseQuery(r, p, groupResource, false)
	if err != nil {
		return err
	}
	g, err := a.group(r, p)
	if err != nil {
		return err
	}
	return a.writeEntity(w, http.StatusOK, groupResource, g, q.selects)
}

// decodeGroup reads a group's settable properties.
func decodeGroup(w http.ResponseWriter, r *http.Request) (directory.GroupPatch, error) {
	obj, err := decodeBody(w, r, groupResource)
	if err != nil {
		return directory.GroupPatch{}, err
	}
	var patch directory.GroupPatch
	d := fieldDecoder{obj: obj}
	d.str("displayName", &patch.DisplayName)
	d.str("description", &patch.Description)
	d.boolean("ownersCanInviteGuests", &patch.OwnersCanInviteGuests)
	return patch, d.err()
}

func (a *API) createGroup(w http.ResponseWriter, r *http.Request, p Principal) error {
	patch, err := decodeGroup(w, r)
	if err != nil {
		return err
	}
	var in directory.NewGroup
	if patch.DisplayName != nil {
		in.DisplayName = *patch.DisplayName
	}
	if patch.Description != nil {
		in.Description = *patch.Description
	}
	if patch.OwnersCanInviteGuests != nil {
		in.OwnersCanInviteGuests = *patch.OwnersCanInviteGuests
	}
	g, err := a.dir.CreateGroup(r.Context(), p.TenantID, in)
	if err != nil {
		return err
	}
	w.Header().Set("Location", a.baseURL+"/v1.0/groups/"+g.ID)
	return a.writeEntity(w, http.StatusCreated, groupResource, g, nil)
}

func (a *API) patchGroup(w http.ResponseWriter, r *http.Request, p Principal) error {
	patch, err := decodeGroup(w, r)
	if err != nil {
		return err
	}
	g, err := a.group(r, p)
	if err != nil {
		return err
	}
	if _, err := a.dir.UpdateGroup(r.Context(), p.TenantID, g.ID, patch); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) deleteGroup(w http.ResponseWriter, r *http.Request, p Principal) error {
	g, err := a.group(r, p)
	if err != nil {
		return err
	}
	if err := a.dir.DeleteGroup(r.Context(), p.TenantID, g.ID); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) listMembers(w http.ResponseWriter, r *http.Request, p Principal) error {
	return linkedUsers(a, "groups", "members", a.group, groupID, a.dir.GroupMembers, false)(w, r, p)
}

// listGroupOwners answers GET …/owners, and with refs GET …/owners/$ref.
func (a *API) listGroupOwners(refs bool) handlerFunc {
	return atRequest(func() handlerFunc {
		return linkedUsers(a, "groups", "owners", a.group, groupID, a.dir.GroupOwners, refs)
	})
}

// atRequest builds the handler when a request comes, not when the routes
// are listed: a.dir's method values need a directory (the route listing
// of the OpenAPI test has none).
func atRequest(build func() handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, p Principal) error { return build()(w, r, p) }
}

func groupID(g store.Group) string { return g.ID }

func (a *API) addGroupOwner(w http.ResponseWriter, r *http.Request, p Principal) error {
	return addReference(a, w, r, p, "owners", a.group, func(g store.Group, userID string) error {
		return a.dir.AddGroupOwner(r.Context(), p.TenantID, g.ID, userID)
	})
}

func (a *API) removeGroupOwner(w http.ResponseWriter, r *http.Request, p Principal) error {
	return removeReference(w, r, p, a.group, func(g store.Group, userID string) error {
		return a.dir.RemoveGroupOwner(r.Context(), p.TenantID, g.ID, userID)
	})
}

// linkedUsers answers a handler of GET /{set}/{id}/{property} (with refs,
// …/$ref): the users list links to the path's object, which parent finds
// and id names.
func linkedUsers[T any](a *API, set, property string, parent func(*http.Request, Principal) (T, error), id func(T) string,
	list func(ctx context.Context, tenantID, parentID string) ([]store.User, error), refs bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, p Principal) error {
		v, err := parent(r, p)
		if err != nil {
			return err
		}
		parentID := id(v)
		return a.writeDirectoryObjects(w, r, p, set+"/"+parentID+"/"+property, refs, func() ([]store.User, error) {
			return list(r.Context(), p.TenantID, parentID)
		})
	}
}

// writeDirectoryObjects answers the users list finds as a page of
// directoryObjects in collection (the path under /v1.0/, to which the
// skip token is bound), or with refs only their @odata.id, as GET
// …/$ref does.
func (a *API) writeDirectoryObjects(w http.ResponseWriter, r *http.Request, p Principal, collection string, refs bool,
	list func() ([]store.User, error)) error {
	rs := memberResource
	rs.collection = collection
	q, err := a.parseQuery(r, p, rs, true)
	if err != nil {
		return err
	}
	users, err := list()
	if err != nil {
		return err
	}
	users, more := page(users, func(u store.User) string { return u.ID }, q)
	items, err := projectAll(users, memberResource, q.selects)
	if err != nil {
		return err
	}
	for i, it := range items {
		if refs {
			items[i] = map[string]any{"@odata.id": a.baseURL + "/v1.0/directoryObjects/" + users[i].ID}
			continue
		}
		it["@odata.type"] = "#microsoft.graph.user"
	}
	next := ""
	if more {
		next = a.nextLink(r, q, p, rs, users[len(users)-1].ID)
	}
	a.writeCollection(w, memberResource, items, next)
	return nil
}

// refBody is the body of POST …/members/$ref.
var refResource = resource{name: "microsoft.graph.reference", settable: []string{"@odata.id"}}

func (a *API) addMember(w http.ResponseWriter, r *http.Request, p Principal) error {
	return addReference(a, w, r, p, "members", a.group, func(g store.Group, userID string) error {
		return a.dir.AddGroupMember(r.Context(), p.TenantID, g.ID, userID)
	})
}

// addReference adds the user the body's @odata.id names to the path's
// object (found with parent) with add: POST …/{property}/$ref.
func addReference[T any](a *API, w http.ResponseWriter, r *http.Request, p Principal, property string,
	parent func(*http.Request, Principal) (T, error), add func(parent T, userID string) error) error {
	obj, err := decodeBody(w, r, refResource)
	if err != nil {
		return err
	}
	var ref string
	if err := json.Unmarshal(obj["@odata.id"], &ref); err != nil || ref == "" {
		return badRequest("Property '@odata.id' is required and must be a string.")
	}
	userID, ok := refID(ref)
	if !ok {
		return badRequest("Invalid object identifier '%s': expected …/directoryObjects/{id}.", ref)
	}
	v, err := parent(r, p)
	if err != nil {
		return err
	}
	u, err := a.dir.User(r.Context(), p.TenantID, userID)
	if isNotFound(err) {
		return notFound(userID)
	} else if err != nil {
		return err
	}
	switch err := add(v, u.ID); {
	case errors.Is(err, store.ErrConflict):
		return badRequest("One or more added object references already exist for the following modified properties: '%s'.", property)
	case err != nil:
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// refID takes the object id from an @odata.id such as
// https://graph.microsoft.com/v1.0/directoryObjects/{id}.
func refID(ref string) (string, bool) {
	for _, seg := range []string{"/directoryObjects/", "/users/"} {
		if i := strings.LastIndex(ref, seg); i >= 0 {
			id := ref[i+len(seg):]
			if id != "" && !strings.ContainsAny(id, "/?#") {
				return id, true
			}
		}
	}
	return "", false
}

func (a *API) removeMember(w http.ResponseWriter, r *http.Request, p Principal) error {
	return removeReference(w, r, p, a.group, func(g store.Group, userID string) error {
		return a.dir.RemoveGroupMember(r.Context(), p.TenantID, g.ID, userID)
	})
}

// removeReference removes the path's user ({userId}) from the path's
// object (found with parent) with remove: DELETE …/{userId}/$ref.
func removeReference[T any](w http.ResponseWriter, r *http.Request, p Principal,
	parent func(*http.Request, Principal) (T, error), remove func(parent T, userID string) error) error {
	v, err := parent(r, p)
	if err != nil {
		return err
	}
	userID := r.PathValue("userId")
	switch err := remove(v, userID); {
	case isNotFound(err):
		return notFound(userID)
	case err != nil:
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
