package api

import (
	"net/http"

	"github.com/foyer-idp/foyer/internal/directory"
	"github.com/foyer-idp/foyer/internal/store"
)

// applicationResource never lists a secret or its hash: store.Application
// holds neither, and project publishes only these fields.
//
// requiresMfa is Foyer's extension: every sign-in to the application
// proves a second factor, whatever the tenant's mfaPolicy says. PATCH
// changes displayName and requiresMfa only; the other properties are
// changed with the CLI or a bootstrap file, and a PATCH naming one is
// refused.
var applicationResource = resource{
	name:       "microsoft.graph.application",
	collection: "applications",
	fields: []string{"id", "appId", "displayName", "clientType", "redirectUris", "postLogoutRedirectUris",
		"grantTypes", "homePageUrl", "firstParty", "appRoleAssignmentRequired", "requiresMfa", "accessTokenFormat",
		"apiPermissions", "createdDateTime"},
	settable: []string{"displayName", "requiresMfa"},
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
	return writePage(a, w, r, q, p, applicationResource, apps, func(x store.Application) string { return x.ID })
}

// application finds the path's application (by object id or client id)
// in the caller's tenant.
func (a *API) application(r *http.Request, p Principal) (store.Application, error) {
	return byPathID(r, p, a.dir.Application)
}

func (a *API) getApplication(w http.ResponseWriter, r *http.Request, p Principal) error {
	q, err := a.parseQuery(r, p, applicationResource, false)
	if err != nil {
		return err
	}
	app, err := a.application(r, p)
	if err != nil {
		return err
	}
	return a.writeEntity(w, http.StatusOK, applicationResource, app, q.selects)
}

func (a *API) patchApplication(w http.ResponseWriter, r *http.Request, p Principal) error {
	obj, err := decodeBody(w, r, applicationResource)
	if err != nil {
		return err
	}
	var patch directory.ApplicationPatch
	d := fieldDecoder{obj: obj}
	d.str("displayName", &patch.DisplayName)
	d.boolean("requiresMfa", &patch.RequiresMFA)
	if err := d.err(); err != nil {
		return err
	}
	app, err := a.application(r, p)
	if err != nil {
		return err
	}
	if _, err := a.dir.UpdateApplication(r.Context(), p.TenantID, app.ID, patch); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
