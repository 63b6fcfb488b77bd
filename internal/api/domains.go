package api

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/foyer-idp/foyer/internal/store"
)

// The tenant's verified email domains, shaped like Graph's domain resource
// (GET/POST /v1.0/domains, GET/DELETE /v1.0/domains/{id}); the id is the
// domain name. Foyer has no DNS verification: a domain added through the
// API is verified by the admin's word, so isVerified is always true. A
// domain belongs to one tenant of the Foyer at most; one another tenant
// holds is refused without saying which. Foyer's extension:
// createdDateTime (read-only), when the domain was added.
var domainResource = resource{
	name:       "microsoft.graph.domain",
	collection: "domains",
	fields:     []string{"id", "authenticationType", "isDefault", "isInitial", "isVerified", "createdDateTime"},
	settable:   []string{"id"},
}

// manageDomains: Domain.ReadWrite.All as an application permission, or
// delegated for a Tenant Administrator.
var manageDomains = permission{area: areaDomains, grants: []string{"Domain.ReadWrite.All"}}

type domainView struct {
	ID                 string    `json:"id"`
	AuthenticationType string    `json:"authenticationType"`
	IsDefault          bool      `json:"isDefault"`
	IsInitial          bool      `json:"isInitial"`
	IsVerified         bool      `json:"isVerified"`
	CreatedDateTime    time.Time `json:"createdDateTime"`
}

func viewDomain(d store.Domain) domainView {
	return domainView{ID: d.Name, AuthenticationType: "Managed", IsVerified: true, CreatedDateTime: d.CreatedAt.UTC()}
}

// domainFields renames the directory's field names for a domain to the
// API's.
var domainFields = map[string]string{"name": "id", "domain": "id", "Name": "id", "tenant": ""}

func (a *API) listDomains(w http.ResponseWriter, r *http.Request, p Principal) error {
	q, err := a.parseQuery(r, p, domainResource, true)
	if err != nil {
		return err
	}
	domains, err := a.dir.Domains(r.Context(), p.TenantID)
	if err != nil {
		return err
	}
	views := make([]domainView, len(domains))
	for i, d := range domains {
		views[i] = viewDomain(d)
	}
	return writePage(a, w, r, q, p, domainResource, views, func(v domainView) string { return v.ID })
}

// domain finds the path's domain among the caller's tenant's.
func (a *API) domain(r *http.Request, p Principal) (store.Domain, error) {
	id := r.PathValue("id")
	domains, err := a.dir.Domains(r.Context(), p.TenantID)
	if err != nil {
		return store.Domain{}, err
	}
	for _, d := range domains {
		if strings.EqualFold(d.Name, id) {
			return d, nil
		}
	}
	return store.Domain{}, notFound(id)
}

func (a *API) getDomain(w http.ResponseWriter, r *http.Request, p Principal) error {
	q, err := a.parseQuery(r, p, domainResource, false)
	if err != nil {
		return err
	}
	d, err := a.domain(r, p)
	if err != nil {
		return err
	}
	return a.writeEntity(w, http.StatusOK, domainResource, viewDomain(d), q.selects)
}

func (a *API) createDomain(w http.ResponseWriter, r *http.Request, p Principal) error {
	obj, err := decodeBody(w, r, domainResource)
	if err != nil {
		return err
	}
	d := fieldDecoder{obj: obj}
	var id *string
	d.str("id", &id)
	if err := d.err(); err != nil {
		return err
	}
	if id == nil || strings.TrimSpace(*id) == "" {
		return badRequest("Invalid value specified for property 'id': is required (the domain name, like fabrikam.com).")
	}
	dom, err := a.dir.AddDomain(r.Context(), p.TenantID, *id)
	if err != nil {
		// Taken, here or by another tenant: the answer is the same, so it
		// never tells which tenant holds a domain.
		if errors.Is(err, store.ErrConflict) {
			return &apiError{http.StatusBadRequest, codeConflict,
				"Another object with the same value for property id already exists."}
		}
		return renameFields(err, domainFields)
	}
	return a.writeEntity(w, http.StatusCreated, domainResource, viewDomain(dom), nil)
}

func (a *API) deleteDomain(w http.ResponseWriter, r *http.Request, p Principal) error {
	d, err := a.domain(r, p)
	if err != nil {
		return err
	}
	if err := a.dir.RemoveDomain(r.Context(), p.TenantID, d.Name); err != nil {
		if isNotFound(err) {
			return notFound(r.PathValue("id"))
		}
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
