package cli

import (
	"cmp"
	"context"
	"net/http"
	"net/url"
	"slices"

	"github.com/foyer-idp/foyer/internal/directory"
	"github.com/foyer-idp/foyer/internal/store"
)

// The users commands through the admin API: /v1.0/users in Graph's
// shape, whose properties carry the store's JSON names, so the output is
// the local one.

func userPath(ref string) string { return "/v1.0/users/" + url.PathEscape(ref) }

// maxAPITop is the largest $top the API takes.
const maxAPITop = 999

func (r remoteAdmin) users(ctx context.Context, f store.UserFilter) ([]store.User, error) {
	var clauses []string
	if f.UserType != "" {
		clauses = append(clauses, "userType eq "+odataString(f.UserType))
	}
	if f.ExternalUserState != "" {
		clauses = append(clauses, "externalUserState eq "+odataString(f.ExternalUserState))
	}
	// The API pages in id order, as the local list is: the first page of
	// $top users is the local list's first --top.
	if f.Limit > 0 && f.Limit <= maxAPITop {
		return firstPage[store.User](ctx, r.c, "/v1.0/users", clauses, f.Limit)
	}
	users, err := listAll[store.User](ctx, r.c, "/v1.0/users"+filterQuery(clauses))
	if f.Limit > 0 && len(users) > f.Limit {
		users = users[:f.Limit]
	}
	return users, err
}

func (r remoteAdmin) createMember(ctx context.Context, in directory.NewMember) (store.User, error) {
	body := map[string]any{"displayName": in.DisplayName}
	for name, v := range map[string]string{"mail": in.Mail, "userPrincipalName": in.UserPrincipalName,
		"givenName": in.GivenName, "surname": in.Surname} {
		if v != "" {
			body[name] = v
		}
	}
	if in.AccountEnabled != nil {
		body["accountEnabled"] = *in.AccountEnabled
	}
	if in.Password != "" {
		body["passwordProfile"] = map[string]any{"password": in.Password, "forceChangePasswordNextSignIn": false}
	}
	var u store.User
	err := r.c.call(ctx, http.MethodPost, "/v1.0/users", body, &u)
	return u, err
}

func (r remoteAdmin) updateUser(ctx context.Context, userID string, p directory.UserPatch) (store.User, error) {
	body := map[string]any{}
	for name, v := range map[string]*string{"displayName": p.DisplayName, "givenName": p.GivenName, "surname": p.Surname,
		"mail": p.Mail, "userPrincipalName": p.UserPrincipalName} {
		if v != nil {
			body[name] = *v
		}
	}
	if p.AccountEnabled != nil {
		body["accountEnabled"] = *p.AccountEnabled
	}
	if profile := passwordProfile(p.Password, p.ForceChangePassword); profile != nil {
		body["passwordProfile"] = profile
	}
	if err := r.c.call(ctx, http.MethodPatch, userPath(userID), body, nil); err != nil {
		return store.User{}, err
	}
	return r.user(ctx, userID)
}

func (r remoteAdmin) setPassword(ctx context.Context, userID, password string) error {
	body := map[string]any{"passwordProfile": passwordProfile(&password, nil)}
	return r.c.call(ctx, http.MethodPatch, userPath(userID), body, nil)
}

// passwordProfile is Graph's passwordProfile for a patch; nil when it
// changes neither. A new password without a word on the flag does not
// force a change, as a local reset does not (Graph would force one).
func passwordProfile(password *string, force *bool) map[string]any {
	if password == nil && force == nil {
		return nil
	}
	profile := map[string]any{}
	if password != nil {
		profile["password"] = *password
		profile["forceChangePasswordNextSignIn"] = false
	}
	if force != nil {
		profile["forceChangePasswordNextSignIn"] = *force
	}
	return profile
}

// remoteDirectoryObject is an item of a list of several types, such as
// memberOf: a group, or a directory role by its displayName.
type remoteDirectoryObject struct {
	Type string `json:"@odata.type"`
	store.Group
}

func (r remoteAdmin) memberships(ctx context.Context, userID string) ([]string, []store.Group, error) {
	list, err := listAll[remoteDirectoryObject](ctx, r.c, userPath(userID)+"/memberOf")
	if err != nil {
		return nil, nil, err
	}
	roles, groups := []string{}, []store.Group{}
	for _, o := range list {
		switch o.Type {
		case "#microsoft.graph.directoryRole":
			roles = append(roles, o.DisplayName)
		case "#microsoft.graph.group":
			groups = append(groups, o.Group)
		}
	}
	slices.Sort(roles)
	sortGroups(groups)
	return roles, groups, nil
}

// sortGroups puts groups the API answered in id order in the local
// lists' order: oldest first.
func sortGroups(groups []store.Group) {
	slices.SortStableFunc(groups, func(a, b store.Group) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.ID, b.ID))
	})
}
