package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/foyer-idp/foyer/internal/directory"
	"github.com/foyer-idp/foyer/internal/httpx"
	"github.com/foyer-idp/foyer/internal/store"
)

// applicationResource is Graph's application where Graph has the
// property: appId is the client id, a confidential client's redirect URIs
// and home page are under web, a public or native client's redirect URIs
// under publicClient, and passwordCredentials lists secrets by hint and
// dates, never their value or hash. The rest is Foyer's: clientType
// (confidential, public or native; set at creation only),
// postLogoutRedirectUris, grantTypes, firstParty (no consent screen),
// requiresMfa (every sign-in proves a second factor, whatever the
// tenant's mfaPolicy), accessTokenFormat (jwt or opaque) and
// apiPermissions (the admin API's application permissions granted to the
// app itself, by Graph's names). appRoleAssignmentRequired is Graph's
// servicePrincipal property; Foyer has no service principals and keeps it
// on the application.
var applicationResource = resource{
	name:       "microsoft.graph.application",
	collection: "applications",
	fields: []string{"id", "appId", "displayName", "createdDateTime", "isFallbackPublicClient", "web", "publicClient",
		"passwordCredentials", "clientType", "postLogoutRedirectUris", "grantTypes", "firstParty",
		"appRoleAssignmentRequired", "requiresMfa", "accessTokenFormat", "apiPermissions"},
	settable: []string{"displayName", "web", "publicClient", "postLogoutRedirectUris", "grantTypes", "firstParty",
		"appRoleAssignmentRequired", "requiresMfa", "accessTokenFormat", "apiPermissions"},
}

// newApplicationResource is what POST may set besides: the client id (a
// generated one when absent) and the client type, which never change
// afterwards because tokens and secrets were issued for them.
var newApplicationResource = func() resource {
	rs := applicationResource
	rs.settable = append(slices.Clone(rs.settable), "appId", "clientType")
	return rs
}()

// manageAppSecrets: Application.ReadWrite.All as an application
// permission or delegated to a role for applications, or delegated to one
// of the application's owners (API.mayManageSecrets). Owners manage
// secrets only: other changes, such as the app's own API permissions,
// would let an owner grant themselves more than they hold.
var manageAppSecrets = permission{area: areaApplications, grants: readApps.grants, anyUser: true}

// applicationView is what the API answers for an application.
type applicationView struct {
	ID                     string               `json:"id"`
	AppID                  string               `json:"appId"`
	DisplayName            string               `json:"displayName"`
	CreatedDateTime        time.Time            `json:"createdDateTime"`
	IsFallbackPublicClient bool                 `json:"isFallbackPublicClient"`
	Web                    webSection           `json:"web"`
	PublicClient           publicClientSection  `json:"publicClient"`
	PasswordCredentials    []passwordCredential `json:"passwordCredentials"`
	ClientType             string               `json:"clientType"`
	PostLogoutRedirectURIs []string             `json:"postLogoutRedirectUris"`
	GrantTypes             []string             `json:"grantTypes"`
	FirstParty             bool                 `json:"firstParty"`
	AssignmentRequired     bool                 `json:"appRoleAssignmentRequired"`
	RequiresMFA            bool                 `json:"requiresMfa"`
	AccessTokenFormat      string               `json:"accessTokenFormat"`
	APIPermissions         []string             `json:"apiPermissions"`
}

// webSection is Graph's webApplication, also as a request body: absent
// properties stay as they are.
type webSection struct {
	RedirectURIs *[]string `json:"redirectUris"`
	HomePageURL  *string   `json:"homePageUrl"`
}

// publicClientSection is Graph's publicClientApplication.
type publicClientSection struct {
	RedirectURIs *[]string `json:"redirectUris"`
}

// passwordCredential is Graph's passwordCredential. SecretText is set
// only in the answer to addPassword.
type passwordCredential struct {
	CustomKeyIdentifier *string    `json:"customKeyIdentifier"`
	DisplayName         *string    `json:"displayName"`
	EndDateTime         *time.Time `json:"endDateTime"`
	Hint                string     `json:"hint"`
	KeyID               string     `json:"keyId"`
	SecretText          *string    `json:"secretText,omitempty"`
	StartDateTime       time.Time  `json:"startDateTime"`
}

func credentialOf(s store.ClientSecret) passwordCredential {
	c := passwordCredential{EndDateTime: s.ExpiresAt, Hint: s.Hint, KeyID: s.ID, StartDateTime: s.CreatedAt}
	if s.DisplayName != "" {
		c.DisplayName = &s.DisplayName
	}
	return c
}

// isPublic reports whether a client of this type keeps its redirect URIs
// under publicClient.
func isPublic(clientType string) bool { return clientType != store.ClientConfidential }

func (a *API) applicationView(ctx context.Context, app store.Application) (applicationView, error) {
	v := applicationView{
		ID: app.ID, AppID: app.ClientID, DisplayName: app.DisplayName, CreatedDateTime: app.CreatedAt,
		IsFallbackPublicClient: isPublic(app.ClientType), ClientType: app.ClientType,
		PostLogoutRedirectURIs: nonNil(app.PostLogoutRedirectURIs), GrantTypes: nonNil(app.GrantTypes),
		FirstParty: app.FirstParty, AssignmentRequired: app.AssignmentRequired, RequiresMFA: app.RequiresMFA,
		AccessTokenFormat: app.AccessTokenFormat, APIPermissions: nonNil(app.APIPermissions),
		Web:          webSection{RedirectURIs: &[]string{}},
		PublicClient: publicClientSection{RedirectURIs: &[]string{}},
	}
	uris := nonNil(app.RedirectURIs)
	if isPublic(app.ClientType) {
		v.PublicClient.RedirectURIs = &uris
	} else {
		v.Web.RedirectURIs = &uris
	}
	if app.HomePageURL != "" {
		v.Web.HomePageURL = &app.HomePageURL
	}
	secrets, err := a.dir.ClientSecrets(ctx, app.TenantID, app.ID)
	if err != nil {
		return applicationView{}, err
	}
	v.PasswordCredentials = make([]passwordCredential, 0, len(secrets))
	for _, s := range secrets {
		v.PasswordCredentials = append(v.PasswordCredentials, credentialOf(s))
	}
	return v, nil
}

func nonNil[T any](list []T) []T {
	if list == nil {
		return []T{}
	}
	return list
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
	// Views (with their secrets' hints) only for the page answered.
	apps, more := page(apps, func(x store.Application) string { return x.ID }, q)
	views := make([]applicationView, 0, len(apps))
	for _, app := range apps {
		v, err := a.applicationView(r.Context(), app)
		if err != nil {
			return err
		}
		views = append(views, v)
	}
	return writeItems(a, w, r, q, p, applicationResource, views, more, func(v applicationView) string { return v.ID })
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
	return a.writeApplication(w, r, http.StatusOK, app, q.selects)
}

func (a *API) writeApplication(w http.ResponseWriter, r *http.Request, status int, app store.Application, selects []string) error {
	v, err := a.applicationView(r.Context(), app)
	if err != nil {
		return err
	}
	return a.writeEntity(w, status, applicationResource, v, selects)
}

// applicationBody is a POST or PATCH body, decoded.
type applicationBody struct {
	patch      directory.ApplicationPatch
	appID      *string
	clientType *string
	// web and publicClient carry the redirect URIs; which one a client
	// uses follows from its type (applyRedirectURIs).
	web          *webSection
	publicClient *publicClientSection
}

// decodeApplication reads the body's properties rs lets a client set.
func decodeApplication(w http.ResponseWriter, r *http.Request, rs resource) (applicationBody, error) {
	obj, err := decodeBody(w, r, rs)
	if err != nil {
		return applicationBody{}, err
	}
	var b applicationBody
	d := fieldDecoder{obj: obj}
	d.str("displayName", &b.patch.DisplayName)
	d.str("appId", &b.appID)
	d.str("clientType", &b.clientType)
	d.list("postLogoutRedirectUris", &b.patch.PostLogoutRedirectURIs)
	d.list("grantTypes", &b.patch.GrantTypes)
	d.list("apiPermissions", &b.patch.APIPermissions)
	d.boolean("firstParty", &b.patch.FirstParty)
	d.boolean("appRoleAssignmentRequired", &b.patch.AssignmentRequired)
	d.boolean("requiresMfa", &b.patch.RequiresMFA)
	d.str("accessTokenFormat", &b.patch.AccessTokenFormat)
	if raw, ok := obj["web"]; ok {
		d.errs = append(d.errs, strict(raw, &b.web, rs, "web", "must be an object with redirectUris and homePageUrl")...)
	}
	if raw, ok := obj["publicClient"]; ok {
		d.errs = append(d.errs, strict(raw, &b.publicClient, rs, "publicClient", "must be an object with redirectUris")...)
	}
	if b.web != nil {
		b.patch.HomePageURL = b.web.HomePageURL
	}
	return b, d.err()
}

// redirectURIs answers the redirect URIs the body sets for a client of
// this type, refusing them in the section the type does not use.
func (b applicationBody) redirectURIs(clientType string) (*[]string, error) {
	web, public := b.web != nil && b.web.RedirectURIs != nil, b.publicClient != nil && b.publicClient.RedirectURIs != nil
	switch {
	case isPublic(clientType) && web:
		return nil, badRequest("Invalid value specified for property 'web.redirectUris': a %s client's redirect URIs are publicClient.redirectUris.", clientType)
	case !isPublic(clientType) && public:
		return nil, badRequest("Invalid value specified for property 'publicClient.redirectUris': a confidential client's redirect URIs are web.redirectUris.")
	case web:
		return b.web.RedirectURIs, nil
	case public:
		return b.publicClient.RedirectURIs, nil
	}
	return nil, nil
}

// withGraphNames renames the directory's fields in err to the API's
// property paths, so a refusal names what the client sent.
func withGraphNames(err error, clientType string) error {
	uris := "web.redirectUris"
	if isPublic(clientType) {
		uris = "publicClient.redirectUris"
	}
	return renameFields(err, map[string]string{"redirectUris": uris, "homePageUrl": "web.homePageUrl"})
}

func (a *API) createApplication(w http.ResponseWriter, r *http.Request, p Principal) error {
	b, err := decodeApplication(w, r, newApplicationResource)
	if err != nil {
		return err
	}
	if err := p.mayGrant(b.patch.APIPermissions); err != nil {
		return err
	}
	in := directory.NewApplication{WithoutSecret: true}
	setFrom(&in.DisplayName, b.patch.DisplayName)
	setFrom(&in.ClientID, b.appID)
	setFrom(&in.ClientType, b.clientType)
	if in.ClientType == "" {
		in.ClientType = store.ClientConfidential
	}
	uris, err := b.redirectURIs(in.ClientType)
	if err != nil {
		return err
	}
	setFrom(&in.RedirectURIs, uris)
	setFrom(&in.PostLogoutRedirectURIs, b.patch.PostLogoutRedirectURIs)
	setFrom(&in.GrantTypes, b.patch.GrantTypes)
	setFrom(&in.HomePageURL, b.patch.HomePageURL)
	setFrom(&in.FirstParty, b.patch.FirstParty)
	setFrom(&in.AssignmentRequired, b.patch.AssignmentRequired)
	setFrom(&in.RequiresMFA, b.patch.RequiresMFA)
	setFrom(&in.AccessTokenFormat, b.patch.AccessTokenFormat)
	setFrom(&in.APIPermissions, b.patch.APIPermissions)
	app, _, err := a.dir.CreateApplication(r.Context(), p.TenantID, in)
	if err != nil {
		return withGraphNames(err, in.ClientType)
	}
	w.Header().Set("Location", a.baseURL+"/v1.0/applications/"+app.ID)
	return a.writeApplication(w, r, http.StatusCreated, app, nil)
}

// mayGrant refuses an application acting as itself API permissions it
// does not hold: Application.ReadWrite.All must not be a way to give any
// application, itself included, more than its own (Graph keeps granting
// behind a permission of its own). A signed-in administrator may grant
// any.
func (p Principal) mayGrant(perms *[]string) error {
	if perms == nil || !p.caller().App {
		return nil
	}
	for _, perm := range *perms {
		// A name Foyer does not know is the directory's to refuse (400).
		if slices.Contains(directory.APIPermissions, perm) && !slices.Contains(p.Roles, perm) {
			return &apiError{http.StatusForbidden, codeDenied, fmt.Sprintf(
				"An application may grant only API permissions it holds itself, and this one does not hold '%s'.", perm)}
		}
	}
	return nil
}

// setFrom sets *dst to *v when v is set.
func setFrom[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

func (a *API) patchApplication(w http.ResponseWriter, r *http.Request, p Principal) error {
	b, err := decodeApplication(w, r, applicationResource)
	if err != nil {
		return err
	}
	if err := p.mayGrant(b.patch.APIPermissions); err != nil {
		return err
	}
	app, err := a.application(r, p)
	if err != nil {
		return err
	}
	if b.patch.RedirectURIs, err = b.redirectURIs(app.ClientType); err != nil {
		return err
	}
	if _, err := a.dir.UpdateApplication(r.Context(), p.TenantID, app.ID, b.patch); err != nil {
		return withGraphNames(err, app.ClientType)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) deleteApplication(w http.ResponseWriter, r *http.Request, p Principal) error {
	app, err := a.application(r, p)
	if err != nil {
		return err
	}
	if err := a.dir.DeleteApplication(r.Context(), p.TenantID, app.ID); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// secretLifetime is how long a secret added without an endDateTime
// lasts: two years, as in Graph.
const secretLifetime = 2 * 365 * 24 * time.Hour

var addPasswordResource = resource{name: "microsoft.graph.application", settable: []string{"passwordCredential"}}

// managedApplication finds the path's application and checks the caller
// may manage its secrets: with the permission for applications, or as
// one of its owners signed in with the delegated permission.
func (a *API) managedApplication(r *http.Request, p Principal) (store.Application, error) {
	app, err := a.application(r, p)
	if err != nil {
		return store.Application{}, err
	}
	ok, err := allowed(r.Context(), a.dir, p, writeApps)
	if err != nil || ok {
		return app, err
	}
	owners, err := a.dir.ApplicationOwners(r.Context(), p.TenantID, app.ID)
	if err != nil {
		return store.Application{}, err
	}
	if !slices.ContainsFunc(owners, func(u store.User) bool { return u.ID == p.UserID }) {
		return store.Application{}, &apiError{http.StatusForbidden, codeDenied, msgDenied}
	}
	return app, nil
}

func (a *API) addPassword(w http.ResponseWriter, r *http.Request, p Principal) error {
	obj, err := decodeBody(w, r, addPasswordResource)
	if err != nil {
		return err
	}
	var body struct {
		DisplayName *string    `json:"displayName"`
		EndDateTime *time.Time `json:"endDateTime"`
	}
	if raw, ok := obj["passwordCredential"]; ok {
		if errs := strict(raw, &body, addPasswordResource, "passwordCredential",
			"must be an object with displayName and endDateTime (an ISO 8601 time)"); len(errs) > 0 {
			return badRequest("%s", joinSorted(errs))
		}
	}
	app, err := a.managedApplication(r, p)
	if err != nil {
		return err
	}
	in := directory.SecretInput{ExpiresAt: body.EndDateTime}
	setFrom(&in.DisplayName, body.DisplayName)
	if in.ExpiresAt == nil {
		in.ExpiresAt = new(a.now().Add(secretLifetime))
	}
	sec, err := a.dir.AddClientSecret(r.Context(), p.TenantID, app.ID, in)
	if err != nil {
		return withPath(err, "passwordCredential.")
	}
	c := credentialOf(sec.ClientSecret)
	c.SecretText = &sec.Value
	obj2 := map[string]any{"@odata.context": a.baseURL + "/v1.0/$metadata#microsoft.graph.passwordCredential",
		"customKeyIdentifier": c.CustomKeyIdentifier, "displayName": c.DisplayName, "endDateTime": c.EndDateTime,
		"hint": c.Hint, "keyId": c.KeyID, "secretText": c.SecretText, "startDateTime": c.StartDateTime}
	w.Header().Set("Cache-Control", "no-store")
	httpx.WriteJSON(w, http.StatusOK, obj2)
	return nil
}

// withPath puts prefix before the fields err names, other than the
// client type: a body's nested properties are named by their path.
func withPath(err error, prefix string) error {
	return renameFields(err, map[string]string{"displayName": prefix + "displayName", "endDateTime": prefix + "endDateTime"})
}

var removePasswordResource = resource{name: "microsoft.graph.application", settable: []string{"keyId"}}

func (a *API) removePassword(w http.ResponseWriter, r *http.Request, p Principal) error {
	obj, err := decodeBody(w, r, removePasswordResource)
	if err != nil {
		return err
	}
	var keyID string
	if err := json.Unmarshal(obj["keyId"], &keyID); err != nil || keyID == "" {
		return badRequest("Invalid value specified for property 'keyId': is required and must be a string.")
	}
	app, err := a.managedApplication(r, p)
	if err != nil {
		return err
	}
	switch err := a.dir.RemoveClientSecret(r.Context(), p.TenantID, app.ID, keyID); {
	case isNotFound(err):
		return notFound(keyID)
	case err != nil:
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// listApplicationOwners answers GET …/owners, and with refs GET
// …/owners/$ref.
func (a *API) listApplicationOwners(refs bool) handlerFunc {
	return atRequest(func() handlerFunc {
		return linkedUsers(a, "applications", "owners", a.application,
			func(app store.Application) string { return app.ID }, a.dir.ApplicationOwners, refs)
	})
}

func (a *API) addApplicationOwner(w http.ResponseWriter, r *http.Request, p Principal) error {
	return addReference(a, w, r, p, "owners", a.application, func(app store.Application, userID string) error {
		return a.dir.AddApplicationOwner(r.Context(), p.TenantID, app.ID, userID)
	})
}

func (a *API) removeApplicationOwner(w http.ResponseWriter, r *http.Request, p Principal) error {
	return removeReference(w, r, p, a.application, func(app store.Application, userID string) error {
		return a.dir.RemoveApplicationOwner(r.Context(), p.TenantID, app.ID, userID)
	})
}
