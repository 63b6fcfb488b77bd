package api

import (
	"net/http"

	"github.com/foyer-idp/foyer/internal/store"
)

// applicationResource never lists a secret or its hash: store.Application
// holds neither, and project publishes only these fields.
var applicationResource = resource{
	name:       "microsoft.graph.application",
	collection: "applications",
	fields: []string{"id", "appId", "displayName", "clientType", "redirectUris", "postLogoutRedirectUris",
		"grantTypes", "homePageUrl", "firstParty", "appRoleAssignmentRequired", "accessTokenFormat",
		"apiPermissions", "createdDateTime"},
}

func (a *API) listApplications(w http.ResponseWriter, r *http.Request, p Principal) error {
	q, err := a.parseQuery(r, p, applicationResource, true)
	if err != nil {
		return err
	}
	apps, err := a.dir.Applications(r.Context(), p.TenantID)
	if err != nil {
		return err
	}
	apps, more := page(apps, func(x store.Application) string { return x.ID }, q)
	items, err := projectAll(apps, applicationResource, q.selects)
	if err != nil {
		return err
	}
	next := ""
	if more {
		next = a.nextLink(r, q, p, applicationResource, apps[len(apps)-1].ID)
	}
	a.writeCollection(w, applicationResource, items, next)
	return nil
}

func (a *API) getApplication(w http.ResponseWriter, r *http.Request, p Principal) error {
	q, err := a.parseQuery(r, p, applicationResource, false)
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	app, err := a.dir.Application(r.Context(), p.TenantID, id)
	if isNotFound(err) {
		return notFound(id)
	} else if err != nil {
		return err
	}
	return a.writeEntity(w, http.StatusOK, applicationResource, app, q.selects)
}
