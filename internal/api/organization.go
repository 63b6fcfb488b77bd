package api

import (
	"net/http"
	"time"

	"github.com/foyer-idp/foyer/internal/directory"
	"github.com/foyer-idp/foyer/internal/store"
)

// The caller's tenant as Graph's organization: its id is the tenant id,
// the tokens' tid claim; verifiedDomains are the tenant's email domains
// (Foyer verifies by the admin's word: see domains). GET /organization
// answers a collection of one, as in Graph.
var organizationResource = resource{
	name:       "microsoft.graph.organization",
	collection: "organization",
	fields:     []string{"id", "displayName", "verifiedDomains", "createdDateTime"},
}

// brandingResource is the tenant's branding at
// /organization/{id}/branding. Graph's organizationalBranding has no
// property for what Foyer brands with, so they are Foyer's: logoUrl (an
// https URL shown on the pages and in emails), accentColor (#rrggbb) and
// senderName (the From name of the tenant's emails). An empty string
// clears one.
var brandingResource = resource{
	name:       "microsoft.graph.organizationalBranding",
	collection: "organization/branding",
	fields:     []string{"id", "logoUrl", "accentColor", "senderName"},
	settable:   []string{"logoUrl", "accentColor", "senderName"},
}

// readOrganization and writeBranding: Organization.ReadWrite.All as an
// application permission, or delegated to a Tenant Administrator.
var (
	readOrganization = permission{area: areaOrganization, grants: []string{"Organization.ReadWrite.All"}}
	writeBranding    = readOrganization
)

type organizationView struct {
	ID              string           `json:"id"`
	DisplayName     string           `json:"displayName"`
	VerifiedDomains []verifiedDomain `json:"verifiedDomains"`
	CreatedDateTime time.Time        `json:"createdDateTime"`
}

// verifiedDomain is Graph's verifiedDomain.
type verifiedDomain struct {
	Name         string `json:"name"`
	Type         string `json:"type"`
	Capabilities string `json:"capabilities"`
	IsDefault    bool   `json:"isDefault"`
	IsInitial    bool   `json:"isInitial"`
}

type brandingView struct {
	ID          string `json:"id"`
	LogoURL     string `json:"logoUrl"`
	AccentColor string `json:"accentColor"`
	SenderName  string `json:"senderName"`
}

// brandingID is the id Graph gives the default branding, its only one
// here.
const brandingID = "0"

func (a *API) organization(r *http.Request, p Principal) (organizationView, error) {
	t, err := a.dir.Tenant(r.Context(), p.TenantID)
	if err != nil {
		return organizationView{}, err
	}
	domains, err := a.dir.Domains(r.Context(), p.TenantID)
	if err != nil {
		return organizationView{}, err
	}
	v := organizationView{ID: t.ID, DisplayName: t.DisplayName, CreatedDateTime: t.CreatedAt,
		VerifiedDomains: make([]verifiedDomain, len(domains))}
	for i, d := range domains {
		v.VerifiedDomains[i] = verifiedDomain{Name: d.Name, Type: "Managed", Capabilities: "Email"}
	}
	return v, nil
}

func (a *API) listOrganization(w http.ResponseWriter, r *http.Request, p Principal) error {
	q, err := a.parseQuery(r, p, organizationResource, true)
	if err != nil {
		return err
	}
	v, err := a.organization(r, p)
	if err != nil {
		return err
	}
	return writePage(a, w, r, q, p, organizationResource, []organizationView{v}, func(v organizationView) string { return v.ID })
}

// ownOrganization refuses a path naming another organization than the
// caller's: it is not found, as another tenant's objects are.
func ownOrganization(r *http.Request, p Principal) error {
	if id := r.PathValue("id"); id != p.TenantID {
		return notFound(id)
	}
	return nil
}

func (a *API) getOrganization(w http.ResponseWriter, r *http.Request, p Principal) error {
	q, err := a.parseQuery(r, p, organizationResource, false)
	if err != nil {
		return err
	}
	if err := ownOrganization(r, p); err != nil {
		return err
	}
	v, err := a.organization(r, p)
	if err != nil {
		return err
	}
	return a.writeEntity(w, http.StatusOK, organizationResource, v, q.selects)
}

func brandingOf(t store.Tenant) brandingView {
	return brandingView{ID: brandingID, LogoURL: t.Branding.LogoURL, AccentColor: t.Branding.AccentColor, SenderName: t.Branding.SenderName}
}

func (a *API) getBranding(w http.ResponseWriter, r *http.Request, p Principal) error {
	q, err := a.parseQuery(r, p, brandingResource, false)
	if err != nil {
		return err
	}
	if err := ownOrganization(r, p); err != nil {
		return err
	}
	t, err := a.dir.Tenant(r.Context(), p.TenantID)
	if err != nil {
		return err
	}
	return a.writeEntity(w, http.StatusOK, brandingResource, brandingOf(t), q.selects)
}

// brandingFields renames the directory's tenant fields to the branding's
// properties.
var brandingFields = map[string]string{"branding.logoUrl": "logoUrl", "branding.accentColor": "accentColor",
	"branding.senderName": "senderName"}

func (a *API) patchBranding(w http.ResponseWriter, r *http.Request, p Principal) error {
	obj, err := decodeBody(w, r, brandingResource)
	if err != nil {
		return err
	}
	var patch directory.TenantPatch
	d := fieldDecoder{obj: obj}
	d.str("logoUrl", &patch.LogoURL)
	d.str("accentColor", &patch.AccentColor)
	d.str("senderName", &patch.SenderName)
	if err := d.err(); err != nil {
		return err
	}
	if err := ownOrganization(r, p); err != nil {
		return err
	}
	if _, err := a.dir.UpdateTenant(r.Context(), p.TenantID, patch); err != nil {
		return renameFields(err, brandingFields)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
