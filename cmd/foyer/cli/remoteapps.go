package cli

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/foyer-idp/foyer/internal/directory"
	"github.com/foyer-idp/foyer/internal/store"
)

// The apps commands through the admin API: /v1.0/applications in Graph's
// shape, turned back into the store's records so that the output is the
// local one.

// remoteApplication is the part of the API's application the commands
// read.
type remoteApplication struct {
	ID          string `json:"id"`
	AppID       string `json:"appId"`
	DisplayName string `json:"displayName"`
	ClientType  string `json:"clientType"`
	Web         struct {
		RedirectURIs []string `json:"redirectUris"`
		HomePageURL  *string  `json:"homePageUrl"`
	} `json:"web"`
	PublicClient struct {
		RedirectURIs []string `json:"redirectUris"`
	} `json:"publicClient"`
	PostLogoutRedirectURIs []string  `json:"postLogoutRedirectUris"`
	GrantTypes             []string  `json:"grantTypes"`
	FirstParty             bool      `json:"firstParty"`
	AssignmentRequired     bool      `json:"appRoleAssignmentRequired"`
	RequiresMFA            bool      `json:"requiresMfa"`
	AccessTokenFormat      string    `json:"accessTokenFormat"`
	APIPermissions         []string  `json:"apiPermissions"`
	CreatedDateTime        time.Time `json:"createdDateTime"`
	// PasswordCredentials carry the store's JSON names, which are Graph's.
	PasswordCredentials []store.ClientSecret `json:"passwordCredentials"`
}

func (ra remoteApplication) record() store.Application {
	app := store.Application{ID: ra.ID, ClientID: ra.AppID, DisplayName: ra.DisplayName, ClientType: ra.ClientType,
		RedirectURIs: ra.Web.RedirectURIs, PostLogoutRedirectURIs: ra.PostLogoutRedirectURIs, GrantTypes: ra.GrantTypes,
		FirstParty: ra.FirstParty, AssignmentRequired: ra.AssignmentRequired, RequiresMFA: ra.RequiresMFA,
		AccessTokenFormat: ra.AccessTokenFormat, APIPermissions: ra.APIPermissions, CreatedAt: ra.CreatedDateTime}
	if ra.ClientType != store.ClientConfidential {
		app.RedirectURIs = ra.PublicClient.RedirectURIs
	}
	if ra.Web.HomePageURL != nil {
		app.HomePageURL = *ra.Web.HomePageURL
	}
	return app
}

// notFoundAs says a 404 as the local commands do: no KIND "REF" in tenant
// "SLUG".
func (r remoteAdmin) notFoundAs(err error, kind, ref string) error {
	var ge *graphError
	if errors.As(err, &ge) && ge.Status == http.StatusNotFound {
		return fmt.Errorf("no %s %q in tenant %q", kind, ref, r.c.tenant)
	}
	return err
}

func appPath(appID string) string { return "/v1.0/applications/" + url.PathEscape(appID) }

func (r remoteAdmin) getApplication(ctx context.Context, ref string) (remoteApplication, error) {
	var ra remoteApplication
	err := r.c.call(ctx, http.MethodGet, appPath(ref), nil, &ra)
	return ra, r.notFoundAs(err, "application", ref)
}

func (r remoteAdmin) application(ctx context.Context, ref string) (store.Application, error) {
	ra, err := r.getApplication(ctx, ref)
	return ra.record(), err
}

func (r remoteAdmin) applications(ctx context.Context) ([]store.Application, error) {
	list, err := listAll[remoteApplication](ctx, r.c, "/v1.0/applications")
	if err != nil {
		return nil, err
	}
	apps := make([]store.Application, len(list))
	for i, ra := range list {
		apps[i] = ra.record()
	}
	// The API pages in id order; the local list is oldest first.
	slices.SortStableFunc(apps, func(a, b store.Application) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.ID, b.ID))
	})
	return apps, nil
}

// applicationPatchBody is p as the API's PATCH (or POST) body for a client
// of clientType, whose redirect URIs are web's or publicClient's.
func applicationPatchBody(p directory.ApplicationPatch, clientType string) map[string]any {
	body := map[string]any{}
	put := func(name string, set bool, v any) {
		if set {
			body[name] = v
		}
	}
	put("displayName", p.DisplayName != nil, p.DisplayName)
	put("postLogoutRedirectUris", p.PostLogoutRedirectURIs != nil, p.PostLogoutRedirectURIs)
	put("grantTypes", p.GrantTypes != nil, p.GrantTypes)
	put("firstParty", p.FirstParty != nil, p.FirstParty)
	put("appRoleAssignmentRequired", p.AssignmentRequired != nil, p.AssignmentRequired)
	put("requiresMfa", p.RequiresMFA != nil, p.RequiresMFA)
	put("accessTokenFormat", p.AccessTokenFormat != nil, p.AccessTokenFormat)
	put("apiPermissions", p.APIPermissions != nil, p.APIPermissions)
	web := map[string]any{}
	if p.RedirectURIs != nil {
		if clientType == store.ClientConfidential {
			web["redirectUris"] = p.RedirectURIs
		} else {
			body["publicClient"] = map[string]any{"redirectUris": p.RedirectURIs}
		}
	}
	if p.HomePageURL != nil {
		web["homePageUrl"] = p.HomePageURL
	}
	put("web", len(web) > 0, web)
	return body
}

// nonZero is v when it is not the zero value, else nil: a create leaves
// unset what the server defaults.
func nonZero[T comparable](v T) *T {
	var zero T
	if v == zero {
		return nil
	}
	return &v
}

func nonEmpty(list []string) *[]string {
	if len(list) == 0 {
		return nil
	}
	return &list
}

func (r remoteAdmin) createApplication(ctx context.Context, in directory.NewApplication) (store.Application, *directory.NewSecret, error) {
	clientType := cmp.Or(in.ClientType, store.ClientConfidential)
	body := applicationPatchBody(directory.ApplicationPatch{
		DisplayName: &in.DisplayName, RedirectURIs: nonEmpty(in.RedirectURIs), PostLogoutRedirectURIs: nonEmpty(in.PostLogoutRedirectURIs),
		GrantTypes: nonEmpty(in.GrantTypes), HomePageURL: nonZero(in.HomePageURL), FirstParty: nonZero(in.FirstParty),
		AssignmentRequired: nonZero(in.AssignmentRequired), RequiresMFA: nonZero(in.RequiresMFA),
		AccessTokenFormat: nonZero(in.AccessTokenFormat), APIPermissions: nonEmpty(in.APIPermissions),
	}, clientType)
	if in.ClientID != "" {
		body["appId"] = in.ClientID
	}
	if in.ClientType != "" {
		body["clientType"] = in.ClientType
	}
	var ra remoteApplication
	if err := r.c.call(ctx, http.MethodPost, "/v1.0/applications", body, &ra); err != nil {
		return store.Application{}, nil, err
	}
	app := ra.record()
	if app.ClientType != store.ClientConfidential {
		return app, nil, nil
	}
	// The API registers no secret, as Graph does: add the first one, as a
	// local create does.
	sec, err := r.addSecret(ctx, app.ID, directory.SecretInput{})
	if err != nil {
		return store.Application{}, nil, fmt.Errorf("registered application %q (%s), but could not add its first secret (add one with apps secrets add): %w",
			app.DisplayName, app.ClientID, err)
	}
	return app, sec, nil
}

func (r remoteAdmin) updateApplication(ctx context.Context, app store.Application, p directory.ApplicationPatch) (store.Application, error) {
	if err := r.c.call(ctx, http.MethodPatch, appPath(app.ID), applicationPatchBody(p, app.ClientType), nil); err != nil {
		return store.Application{}, err
	}
	return r.application(ctx, app.ID)
}

func (r remoteAdmin) deleteApplication(ctx context.Context, appID string) error {
	return r.c.call(ctx, http.MethodDelete, appPath(appID), nil, nil)
}

func (r remoteAdmin) addSecret(ctx context.Context, appID string, in directory.SecretInput) (*directory.NewSecret, error) {
	cred := map[string]any{}
	if in.DisplayName != "" {
		cred["displayName"] = in.DisplayName
	}
	if in.ExpiresAt != nil {
		cred["endDateTime"] = in.ExpiresAt.UTC()
	}
	var sec directory.NewSecret
	if err := r.c.call(ctx, http.MethodPost, appPath(appID)+"/addPassword", map[string]any{"passwordCredential": cred}, &sec); err != nil {
		return nil, err
	}
	return &sec, nil
}

func (r remoteAdmin) removeSecret(ctx context.Context, appID, keyID string) error {
	err := r.c.call(ctx, http.MethodPost, appPath(appID)+"/removePassword", map[string]string{"keyId": keyID}, nil)
	return r.notFoundAs(err, "client secret", keyID)
}

func (r remoteAdmin) secrets(ctx context.Context, appID string) ([]store.ClientSecret, error) {
	ra, err := r.getApplication(ctx, appID)
	return ra.PasswordCredentials, err
}

func (r remoteAdmin) applicationOwners(ctx context.Context, appID string) ([]store.User, error) {
	return listAll[store.User](ctx, r.c, appPath(appID)+"/owners")
}

func (r remoteAdmin) addApplicationOwner(ctx context.Context, appID, userID string) error {
	return r.addRef(ctx, appPath(appID)+"/owners", userID)
}

func (r remoteAdmin) removeApplicationOwner(ctx context.Context, appID, userID string) error {
	return r.removeRef(ctx, appPath(appID)+"/owners", userID)
}

// remoteAssignment is the part of the API's appRoleAssignment the
// commands read.
type remoteAssignment struct {
	PrincipalID          string    `json:"principalId"`
	PrincipalType        string    `json:"principalType"`
	PrincipalDisplayName string    `json:"principalDisplayName"`
	ResourceID           string    `json:"resourceId"`
	CreatedDateTime      time.Time `json:"createdDateTime"`
}

func (r remoteAdmin) assignments(ctx context.Context, appID string) ([]store.Assignment, map[string]string, error) {
	list, err := listAll[remoteAssignment](ctx, r.c, appPath(appID)+"/appRoleAssignedTo")
	if err != nil {
		return nil, nil, err
	}
	out := make([]store.Assignment, len(list))
	names := make(map[string]string, len(list))
	for i, ra := range list {
		out[i] = store.Assignment{AppID: ra.ResourceID, PrincipalType: ra.PrincipalType, PrincipalID: ra.PrincipalID, CreatedAt: ra.CreatedDateTime}
		names[ra.PrincipalID] = ra.PrincipalDisplayName
		if ra.PrincipalType == store.PrincipalUser {
			// The tables name users by user principal name.
			u, err := r.user(ctx, ra.PrincipalID)
			if err != nil {
				return nil, nil, err
			}
			names[ra.PrincipalID] = u.UserPrincipalName
		}
	}
	slices.SortStableFunc(out, func(a, b store.Assignment) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.PrincipalID, b.PrincipalID))
	})
	return out, names, nil
}

func (r remoteAdmin) assign(ctx context.Context, appID, _, principalID string) error {
	return r.c.call(ctx, http.MethodPost, appPath(appID)+"/appRoleAssignedTo", map[string]string{"principalId": principalID}, nil)
}

func (r remoteAdmin) unassign(ctx context.Context, appID, principalID string) error {
	return r.c.call(ctx, http.MethodDelete, appPath(appID)+"/appRoleAssignedTo/"+url.PathEscape(principalID), nil, nil)
}

func (r remoteAdmin) group(ctx context.Context, id string) (store.Group, error) {
	var g store.Group
	err := r.c.call(ctx, http.MethodGet, "/v1.0/groups/"+url.PathEscape(id), nil, &g)
	return g, r.notFoundAs(err, "group", id)
}
