package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/foyer-idp/foyer/internal/directory"
	"github.com/foyer-idp/foyer/internal/httpx"
	"github.com/foyer-idp/foyer/internal/store"
)

// A tenant's upstream identity providers, shaped like Graph's
// identityProviderBase collection (/v1.0/identity/identityProviders):
// Google, MicrosoftAccount and GitHub are
// #microsoft.graph.socialIdentityProvider, OpenIDConnect (and Foyer's own
// partner providers) #microsoft.graph.openIdConnectIdentityProvider. Every
// provider answers the same properties; one that does not apply is null
// (metadataUrl of GitHub).
//
//   - clientSecret is write-only: answers show "******", as Graph's do,
//     or null for a provider without one.
//     Foyer keeps it sealed under the master key.
//   - metadataUrl is the issuer + "/.well-known/openid-configuration"; a
//     client may send either form.
//   - scope is a space-separated string, as in Graph.
//
// Foyer's extensions: domains (the email domains the provider serves, for
// home realm discovery and the redemption order), enabled, and
// isMfaAccepted (an upstream sign-in with multi-factor satisfies the
// tenant's MFA policy, Entra's cross-tenant "trust MFA"); issuer, the
// issuer exactly as ID tokens carry it (metadataUrl drops a trailing "/",
// as OpenID Discovery builds it, so it cannot say whether the issuer ends
// in one; a body may send issuer instead of metadataUrl, or both when they
// agree); partnerTenantId (read-only: the other tenant of a Foyer
// provider, else null); createdDateTime and lastModifiedDateTime
// (read-only). Providers of type Foyer (another tenant of this Foyer, made on first use by a guest's
// redemption) are listed but managed by Foyer: PATCH and DELETE refuse
// them.
var identityProviderResource = resource{
	name:       "microsoft.graph.identityProviderBase",
	collection: "identity/identityProviders",
	fields: []string{"id", "displayName", "identityProviderType", "clientId", "clientSecret", "metadataUrl", "scope",
		"claimsMapping", "domains", "enabled", "isMfaAccepted", "issuer", "partnerTenantId", "createdDateTime",
		"lastModifiedDateTime"},
	// @odata.type is accepted when it names the provider's own type, as
	// Graph's PATCH examples send it.
	settable: []string{"@odata.type", "displayName", "clientId", "clientSecret", "metadataUrl", "issuer", "scope",
		"claimsMapping", "domains", "enabled", "isMfaAccepted"},
}

// newIdentityProviderResource is what POST takes: the settable properties,
// the type and @odata.type.
var newIdentityProviderResource = func() resource {
	rs := identityProviderResource
	rs.settable = append(slices.Clone(rs.settable), "identityProviderType")
	return rs
}()

// manageIdentityProviders: IdentityProvider.ReadWrite.All as an application
// permission, or delegated for a Tenant Administrator.
var manageIdentityProviders = permission{area: areaIdentityProviders, grants: []string{"IdentityProvider.ReadWrite.All"}}

// Graph's type names.
const (
	odataSocialProvider = "#microsoft.graph.socialIdentityProvider"
	odataOIDCProvider   = "#microsoft.graph.openIdConnectIdentityProvider"
	// maskedSecret is what answers show for a client secret.
	maskedSecret = "******"
	// discoveryPath is what a metadataUrl adds to the issuer.
	discoveryPath = "/.well-known/openid-configuration"
)

// providerTypes are the types a client may create, by @odata.type.
var providerTypes = map[string]string{
	store.IdPOpenIDConnect: odataOIDCProvider,
	store.IdPGoogle:        odataSocialProvider,
	store.IdPMicrosoft:     odataSocialProvider,
	store.IdPGitHub:        odataSocialProvider,
}

// identityProviderView is the answer for one provider. It has no field
// for the sealed secret: the view is built field by field.
type identityProviderView struct {
	ID                   string            `json:"id"`
	DisplayName          string            `json:"displayName"`
	IdentityProviderType string            `json:"identityProviderType"`
	ClientID             string            `json:"clientId"`
	ClientSecret         *string           `json:"clientSecret"`
	MetadataURL          *string           `json:"metadataUrl"`
	Scope                *string           `json:"scope"`
	ClaimsMapping        claimsMappingView `json:"claimsMapping"`
	Domains              []string          `json:"domains"`
	Enabled              bool              `json:"enabled"`
	IsMFAAccepted        bool              `json:"isMfaAccepted"`
	Issuer               *string           `json:"issuer"`
	PartnerTenantID      *string           `json:"partnerTenantId"`
	CreatedDateTime      time.Time         `json:"createdDateTime"`
	LastModifiedDateTime time.Time         `json:"lastModifiedDateTime"`
	// odataType is added to the projection: it is no $select field.
	odataType string
}

// claimsMappingView is Graph's claimsMapping: an unmapped claim is null
// (the OpenID Connect standard claim).
type claimsMappingView struct {
	UserID      *string `json:"userId"`
	DisplayName *string `json:"displayName"`
	GivenName   *string `json:"givenName"`
	Surname     *string `json:"surname"`
	Email       *string `json:"email"`
}

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func providerView(p store.IdentityProvider) identityProviderView {
	v := identityProviderView{
		ID: p.ID, DisplayName: p.DisplayName, IdentityProviderType: p.Type, ClientID: p.ClientID,
		Scope: nonEmpty(strings.Join(p.Scopes, " ")),
		ClaimsMapping: claimsMappingView{
			UserID: nonEmpty(p.ClaimsMapping.UserID), DisplayName: nonEmpty(p.ClaimsMapping.DisplayName),
			GivenName: nonEmpty(p.ClaimsMapping.GivenName), Surname: nonEmpty(p.ClaimsMapping.Surname),
			Email: nonEmpty(p.ClaimsMapping.Email),
		},
		Domains: slices.Clone(p.Domains), Enabled: p.Enabled, IsMFAAccepted: p.MFATrusted,
		Issuer: nonEmpty(p.Issuer), PartnerTenantID: nonEmpty(p.PartnerTenantID),
		CreatedDateTime: p.CreatedAt.UTC(), LastModifiedDateTime: p.UpdatedAt.UTC(),
		odataType: odataOIDCProvider,
	}
	if len(p.SealedClientSecret) > 0 {
		v.ClientSecret = new(maskedSecret)
	}
	if p.Issuer != "" {
		v.MetadataURL = new(strings.TrimSuffix(p.Issuer, "/") + discoveryPath)
	}
	if v.Domains == nil {
		v.Domains = []string{}
	}
	if t, ok := providerTypes[p.Type]; ok {
		v.odataType = t
	}
	return v
}

// projectProvider projects a provider's view and adds its @odata.type.
func projectProvider(p store.IdentityProvider, selects []string) (map[string]any, error) {
	v := providerView(p)
	obj, err := project(v, identityProviderResource, selects)
	if err != nil {
		return nil, err
	}
	obj["@odata.type"] = v.odataType
	return obj, nil
}

// issuerOf answers the issuer a metadataUrl names: the URL without the
// discovery path, if it has it.
func issuerOf(metadataURL string) string {
	s := strings.TrimSpace(metadataURL)
	return strings.TrimSuffix(strings.TrimSuffix(s, discoveryPath), "/")
}

// identityProviderFields renames the directory's field names to the API's.
var identityProviderFields = map[string]string{
	"type": "identityProviderType", "issuer": "metadataUrl", "scopes": "scope", "mfaTrusted": "isMfaAccepted",
	"Type": "identityProviderType", "Issuer": "metadataUrl", "Scopes": "scope", "MFATrusted": "isMfaAccepted",
	"tenant": "", "partner": "",
}

// renameFields answers err with the directory's field errors renamed by
// names ("" keeps the error without a field name changed).
func renameFields(err error, names map[string]string) error {
	if err == nil {
		return nil
	}
	parts := flatten(err)
	out := make([]error, 0, len(parts))
	renamed := false
	for _, e := range parts {
		var fe *directory.FieldError
		if !errors.As(e, &fe) {
			out = append(out, e)
			continue
		}
		name, ok := names[fe.Field]
		if !ok {
			name = fe.Field
		}
		if strings.HasPrefix(fe.Field, "claimsMapping.") || strings.HasPrefix(fe.Field, "ClaimsMapping.") {
			name = "claimsMapping"
		}
		if name == "" {
			name = fe.Field
		}
		renamed = true
		out = append(out, &directory.FieldError{Field: name, Message: fe.Message, Err: fe.Err})
	}
	if !renamed {
		return err
	}
	return errors.Join(out...)
}

// providerBody is a decoded POST or PATCH body.
type providerBody struct {
	typ, odataType *string
	patch          directory.IdentityProviderPatch
	// byIssuer: the body named the issuer as issuer, not metadataUrl.
	byIssuer bool
}

// fieldNames renames the directory's field errors to the properties the
// body sent.
func (b providerBody) fieldNames() map[string]string {
	if !b.byIssuer {
		return identityProviderFields
	}
	names := maps.Clone(identityProviderFields)
	names["issuer"], names["Issuer"] = "issuer", "issuer"
	return names
}

// decodeProvider reads a provider's properties strictly, naming every
// problem at once.
func decodeProvider(w http.ResponseWriter, r *http.Request, rs resource) (providerBody, error) {
	obj, err := decodeBody(w, r, rs)
	if err != nil {
		return providerBody{}, err
	}
	var b providerBody
	d := fieldDecoder{obj: obj}
	d.str("identityProviderType", &b.typ)
	d.str("@odata.type", &b.odataType)
	d.str("displayName", &b.patch.DisplayName)
	d.str("clientId", &b.patch.ClientID)
	d.str("clientSecret", &b.patch.ClientSecret)
	var metadataURL, issuer, scope *string
	d.str("metadataUrl", &metadataURL)
	d.str("issuer", &issuer)
	switch {
	case issuer != nil && metadataURL != nil && issuerOf(*metadataURL) != issuerOf(*issuer):
		d.errs = append(d.errs, "Invalid value specified for property 'issuer': it and metadataUrl name different issuers; send one of them.")
	case issuer != nil:
		b.patch.Issuer, b.byIssuer = new(strings.TrimSpace(*issuer)), true
	case metadataURL != nil:
		b.patch.Issuer = new(issuerOf(*metadataURL))
	}
	d.str("scope", &scope)
	if scope != nil {
		b.patch.Scopes = new(strings.Fields(*scope))
	}
	if raw, ok := obj["domains"]; ok {
		var list []string
		if err := json.Unmarshal(raw, &list); err != nil {
			d.errs = append(d.errs, "Invalid value specified for property 'domains': must be an array of domain names.")
		} else {
			if list == nil {
				list = []string{}
			}
			b.patch.Domains = &list
		}
	}
	if raw, ok := obj["claimsMapping"]; ok {
		m, msg := decodeClaimsMapping(raw)
		if msg != "" {
			d.errs = append(d.errs, msg)
		} else {
			b.patch.ClaimsMapping = &m
		}
	}
	d.boolean("enabled", &b.patch.Enabled)
	d.boolean("isMfaAccepted", &b.patch.MFATrusted)
	return b, d.err()
}

// decodeClaimsMapping reads Graph's claimsMapping strictly; null clears it.
func decodeClaimsMapping(raw json.RawMessage) (store.ClaimsMapping, string) {
	if string(bytes.TrimSpace(raw)) == "null" {
		return store.ClaimsMapping{}, ""
	}
	var m map[string]*string
	if err := json.Unmarshal(raw, &m); err != nil {
		return store.ClaimsMapping{}, "Invalid value specified for property 'claimsMapping': must be an object of claim names (userId, displayName, givenName, surname, email)."
	}
	var out store.ClaimsMapping
	dst := map[string]*string{"userId": &out.UserID, "displayName": &out.DisplayName, "givenName": &out.GivenName,
		"surname": &out.Surname, "email": &out.Email}
	var unknown []string
	for k, v := range m {
		p, ok := dst[k]
		if !ok {
			unknown = append(unknown, k)
			continue
		}
		if v != nil {
			*p = strings.TrimSpace(*v)
		}
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		return store.ClaimsMapping{}, fmt.Sprintf("Invalid value specified for property 'claimsMapping': unknown claims %q; it maps userId, displayName, givenName, surname and email.", unknown)
	}
	return out, ""
}

func (a *API) listIdentityProviders(w http.ResponseWriter, r *http.Request, p Principal) error {
	q, err := a.parseQuery(r, p, identityProviderResource, true)
	if err != nil {
		return err
	}
	providers, err := a.dir.IdentityProviders(r.Context(), p.TenantID)
	if err != nil {
		return err
	}
	providers, more := page(providers, func(x store.IdentityProvider) string { return x.ID }, q)
	items := make([]map[string]any, 0, len(providers))
	for _, x := range providers {
		obj, err := projectProvider(x, q.selects)
		if err != nil {
			return err
		}
		items = append(items, obj)
	}
	next := ""
	if more {
		next = a.nextLink(r, q, p, identityProviderResource, providers[len(providers)-1].ID)
	}
	a.writeCollection(w, identityProviderResource, items, next)
	return nil
}

// identityProvider finds the path's provider in the caller's tenant.
func (a *API) identityProvider(r *http.Request, p Principal) (store.IdentityProvider, error) {
	return byPathID(r, p, a.dir.IdentityProvider)
}

func (a *API) writeProvider(w http.ResponseWriter, status int, idp store.IdentityProvider, selects []string) error {
	obj, err := projectProvider(idp, selects)
	if err != nil {
		return err
	}
	obj["@odata.context"] = a.contextURL(identityProviderResource.collection, true)
	w.Header().Set("Cache-Control", "no-store")
	httpx.WriteJSON(w, status, obj)
	return nil
}

func (a *API) getIdentityProvider(w http.ResponseWriter, r *http.Request, p Principal) error {
	q, err := a.parseQuery(r, p, identityProviderResource, false)
	if err != nil {
		return err
	}
	idp, err := a.identityProvider(r, p)
	if err != nil {
		return err
	}
	return a.writeProvider(w, http.StatusOK, idp, q.selects)
}

func (a *API) createIdentityProvider(w http.ResponseWriter, r *http.Request, p Principal) error {
	b, err := decodeProvider(w, r, newIdentityProviderResource)
	if err != nil {
		return err
	}
	typ, err := providerType(b.typ, b.odataType)
	if err != nil {
		return err
	}
	in := directory.IdentityProviderInput{Type: typ, ClaimsMapping: deref(b.patch.ClaimsMapping),
		DisplayName: deref(b.patch.DisplayName), ClientID: deref(b.patch.ClientID), ClientSecret: deref(b.patch.ClientSecret),
		Issuer: deref(b.patch.Issuer), Scopes: deref(b.patch.Scopes), Domains: deref(b.patch.Domains),
		Enabled: b.patch.Enabled, MFATrusted: b.patch.MFATrusted}
	idp, err := a.dir.CreateIdentityProvider(r.Context(), p.TenantID, in)
	if err != nil {
		return renameFields(err, b.fieldNames())
	}
	return a.writeProvider(w, http.StatusCreated, idp, nil)
}

// providerType answers the type a POST asks for: identityProviderType,
// or OpenIDConnect for an @odata.type of openIdConnectIdentityProvider
// without one. The two must agree.
func providerType(typ, odataType *string) (string, error) {
	if odataType != nil && *odataType != odataSocialProvider && *odataType != odataOIDCProvider {
		return "", badRequest("Invalid value specified for property '@odata.type': must be %s or %s.", odataSocialProvider, odataOIDCProvider)
	}
	if typ == nil || *typ == "" {
		if odataType != nil && *odataType == odataOIDCProvider {
			return store.IdPOpenIDConnect, nil
		}
		return "", badRequest("Invalid value specified for property 'identityProviderType': is required (%s).", strings.Join(creatableTypes(), ", "))
	}
	if *typ == store.IdPFoyer {
		return "", badRequest("Invalid value specified for property 'identityProviderType': Foyer providers are managed by Foyer; they are made when a guest of another tenant redeems.")
	}
	t := canonical(*typ, creatableTypes()...)
	want, ok := providerTypes[t]
	if !ok {
		return "", badRequest("Invalid value specified for property 'identityProviderType': must be one of %s.", strings.Join(creatableTypes(), ", "))
	}
	if odataType != nil && *odataType != want {
		return "", badRequest("Invalid value specified for property '@odata.type': a %s provider is %s.", t, want)
	}
	return t, nil
}

func creatableTypes() []string {
	return []string{store.IdPOpenIDConnect, store.IdPGoogle, store.IdPMicrosoft, store.IdPGitHub}
}

// managedByFoyer refuses a change to a Foyer partner provider.
func managedByFoyer(idp store.IdentityProvider) error {
	if idp.Type == store.IdPFoyer {
		return badRequest("Identity provider '%s' is managed by Foyer (a partner tenant of this Foyer) and cannot be changed or deleted.", idp.ID)
	}
	return nil
}

func (a *API) patchIdentityProvider(w http.ResponseWriter, r *http.Request, p Principal) error {
	idp, err := a.identityProvider(r, p)
	if err != nil {
		return err
	}
	if err := managedByFoyer(idp); err != nil {
		return err
	}
	b, err := decodeProvider(w, r, identityProviderResource)
	if err != nil {
		return err
	}
	if want := providerView(idp).odataType; b.odataType != nil && *b.odataType != want {
		return badRequest("Invalid value specified for property '@odata.type': provider '%s' is %s.", idp.ID, want)
	}
	if _, err := a.dir.UpdateIdentityProvider(r.Context(), p.TenantID, idp.ID, b.patch); err != nil {
		if isNotFound(err) {
			return notFound(idp.ID)
		}
		return renameFields(err, b.fieldNames())
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) deleteIdentityProvider(w http.ResponseWriter, r *http.Request, p Principal) error {
	idp, err := a.identityProvider(r, p)
	if err != nil {
		return err
	}
	if err := managedByFoyer(idp); err != nil {
		return err
	}
	if err := a.dir.DeleteIdentityProvider(r.Context(), p.TenantID, idp.ID); err != nil {
		if isNotFound(err) {
			return notFound(idp.ID)
		}
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
