package bootstrap

import (
	"context"
	"errors"

	"github.com/foyer-idp/foyer/internal/directory"
	"github.com/foyer-idp/foyer/internal/store"
)

// appFields renames the directory's application fields to the file's keys.
var appFields = map[string]string{"appId": "clientId", "tenant": "", "endDateTime": "secret"}

func (a *applier) application(ctx context.Context, tn store.Tenant, path string, in Application) {
	value, hasSecret := a.secrets[path]
	app, err := a.dir.Application(ctx, tn.ID, in.ClientID)
	if err == nil && app.ClientID != in.ClientID {
		err = store.ErrNotFound // matched an object id, not the client id
	}
	var changed []string
	var generated *directory.NewSecret
	created := false
	switch {
	case errors.Is(err, store.ErrNotFound):
		app, generated, err = a.dir.CreateApplication(ctx, tn.ID, directory.NewApplication{
			DisplayName: in.DisplayName, ClientID: in.ClientID, ClientType: deref(in.ClientType),
			RedirectURIs: in.RedirectURIs, PostLogoutRedirectURIs: in.PostLogoutRedirectURIs,
			GrantTypes: in.GrantTypes, HomePageURL: deref(in.HomePageURL), FirstParty: deref(in.FirstParty),
			AssignmentRequired: deref(in.AssignmentRequired), RequiresMFA: deref(in.RequiresMFA),
			AccessTokenFormat: deref(in.AccessTokenFormat), APIPermissions: in.APIPermissions,
		})
		if err != nil {
			a.failed(path, appFields, err)
			return
		}
		created = true
		if hasSecret && generated != nil {
			// The operator's secret replaces the generated one, which
			// nobody would ever see.
			if err := a.dir.RemoveClientSecret(ctx, tn.ID, app.ID, generated.ID); err != nil {
				a.failed(path, appFields, err)
				return
			}
			generated = nil
		}
	case err != nil:
		a.failed(path, appFields, err)
		return
	default:
		if in.ClientType != nil && *in.ClientType != app.ClientType {
			a.problem(path+".clientType", "is %s and cannot change: register a new application", app.ClientType)
			return
		}
		p := directory.ApplicationPatch{
			DisplayName:            patchOf(&in.DisplayName, app.DisplayName, "displayName", &changed),
			RedirectURIs:           listPatch(in.RedirectURIs, app.RedirectURIs, "redirectUris", &changed),
			PostLogoutRedirectURIs: listPatch(in.PostLogoutRedirectURIs, app.PostLogoutRedirectURIs, "postLogoutRedirectUris", &changed),
			GrantTypes:             listPatch(in.GrantTypes, app.GrantTypes, "grantTypes", &changed),
			HomePageURL:            patchOf(in.HomePageURL, app.HomePageURL, "homePageUrl", &changed),
			FirstParty:             patchOf(in.FirstParty, app.FirstParty, "firstParty", &changed),
			AssignmentRequired:     patchOf(in.AssignmentRequired, app.AssignmentRequired, "assignmentRequired", &changed),
			RequiresMFA:            patchOf(in.RequiresMFA, app.RequiresMFA, "requiresMfa", &changed),
			AccessTokenFormat:      patchOf(in.AccessTokenFormat, app.AccessTokenFormat, "accessTokenFormat", &changed),
			APIPermissions:         listPatch(in.APIPermissions, app.APIPermissions, "apiPermissions", &changed),
		}
		if len(changed) > 0 {
			if app, err = a.dir.UpdateApplication(ctx, tn.ID, app.ID, p); err != nil {
				a.failed(path, appFields, err)
				return
			}
		}
		if hasSecret {
			switch _, err := a.dir.VerifyClientSecret(ctx, tn.ID, app.ClientID, value); {
			case err == nil:
				hasSecret = false // already one of its secrets
			case errors.Is(err, directory.ErrBadCredentials):
				changed = append(changed, "secret")
			default:
				a.failed(path, nil, err)
				return
			}
		}
	}
	if hasSecret && !a.fatal {
		if _, err := a.dir.ImportClientSecret(ctx, tn.ID, app.ID, value, nil, a.deps.MinSecretLength); err != nil {
			a.failed(path, appFields, err)
			return
		}
	}
	a.add(Object{Kind: KindApplication, Tenant: tn.Slug, Name: app.ClientID, ID: app.ID,
		Result: result(created, changed), Changed: changed, Secret: generated})
}
