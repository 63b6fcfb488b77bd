package cli

import (
	"context"
	"net/http"
	"net/url"

	"github.com/foyer-idp/foyer/internal/directory"
	"github.com/foyer-idp/foyer/internal/store"
)

// The groups commands through the admin API: /v1.0/groups, their members
// and owners as Graph's $ref links.

func groupPath(id string) string { return "/v1.0/groups/" + url.PathEscape(id) }

func (r remoteAdmin) groups(ctx context.Context) ([]store.Group, error) {
	groups, err := listAll[store.Group](ctx, r.c, "/v1.0/groups")
	sortGroups(groups)
	return groups, err
}

// groupBody is a group's settable properties as a POST or PATCH body:
// those p sets.
func groupBody(p directory.GroupPatch) map[string]any {
	body := map[string]any{}
	if p.DisplayName != nil {
		body["displayName"] = *p.DisplayName
	}
	if p.Description != nil {
		body["description"] = *p.Description
	}
	if p.OwnersCanInviteGuests != nil {
		body["ownersCanInviteGuests"] = *p.OwnersCanInviteGuests
	}
	return body
}

func (r remoteAdmin) createGroup(ctx context.Context, in directory.NewGroup) (store.Group, error) {
	var g store.Group
	err := r.c.call(ctx, http.MethodPost, "/v1.0/groups", groupBody(directory.GroupPatch{DisplayName: &in.DisplayName,
		Description: &in.Description, OwnersCanInviteGuests: &in.OwnersCanInviteGuests}), &g)
	return g, err
}

func (r remoteAdmin) updateGroup(ctx context.Context, groupID string, p directory.GroupPatch) (store.Group, error) {
	if err := r.c.call(ctx, http.MethodPatch, groupPath(groupID), groupBody(p), nil); err != nil {
		return store.Group{}, err
	}
	return r.group(ctx, groupID)
}

func (r remoteAdmin) deleteGroup(ctx context.Context, groupID string) error {
	return r.c.call(ctx, http.MethodDelete, groupPath(groupID), nil, nil)
}

func (r remoteAdmin) groupMembers(ctx context.Context, groupID string) ([]store.User, error) {
	return listAll[store.User](ctx, r.c, groupPath(groupID)+"/members")
}

func (r remoteAdmin) addGroupMember(ctx context.Context, groupID, userID string) error {
	return r.addRef(ctx, groupPath(groupID)+"/members", userID)
}

func (r remoteAdmin) removeGroupMember(ctx context.Context, groupID, userID string) error {
	return r.removeRef(ctx, groupPath(groupID)+"/members", userID)
}

func (r remoteAdmin) groupOwners(ctx context.Context, groupID string) ([]store.User, error) {
	return listAll[store.User](ctx, r.c, groupPath(groupID)+"/owners")
}

func (r remoteAdmin) addGroupOwner(ctx context.Context, groupID, userID string) error {
	return r.addRef(ctx, groupPath(groupID)+"/owners", userID)
}

func (r remoteAdmin) removeGroupOwner(ctx context.Context, groupID, userID string) error {
	return r.removeRef(ctx, groupPath(groupID)+"/owners", userID)
}

// addRef links the user to a collection of users (…/members, …/owners)
// as Graph does: POST {collection}/$ref with the user's @odata.id.
func (r remoteAdmin) addRef(ctx context.Context, collection, userID string) error {
	ref := map[string]string{"@odata.id": r.c.server + "/v1.0/directoryObjects/" + url.PathEscape(userID)}
	return r.c.call(ctx, http.MethodPost, collection+"/$ref", ref, nil)
}

// removeRef unlinks the user: DELETE {collection}/{userId}/$ref.
func (r remoteAdmin) removeRef(ctx context.Context, collection, userID string) error {
	return r.c.call(ctx, http.MethodDelete, collection+"/"+url.PathEscape(userID)+"/$ref", nil, nil)
}
