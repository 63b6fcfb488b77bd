package cli

import (
	"cmp"
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/foyer-idp/foyer/internal/directory"
	"github.com/foyer-idp/foyer/internal/store"
)

// The idps commands through the admin API: /v1.0/identity/identityProviders
// in Graph's shape with Foyer's extensions (issuer, partnerTenantId, the
// dates), turned back into the view the local commands print.

const idpsPath = "/v1.0/identity/identityProviders"

// remoteIdP is the part of the API's identity provider the commands read.
type remoteIdP struct {
	ID                   string  `json:"id"`
	DisplayName          string  `json:"displayName"`
	IdentityProviderType string  `json:"identityProviderType"`
	ClientID             string  `json:"clientId"`
	ClientSecret         *string `json:"clientSecret"` // "******", or null without one
	Issuer               *string `json:"issuer"`
	PartnerTenantID      *string `json:"partnerTenantId"`
	Scope                *string `json:"scope"`
	// ClaimsMapping carries Graph's names, which the store's are; an
	// unmapped claim is null.
	ClaimsMapping        store.ClaimsMapping `json:"claimsMapping"`
	Domains              []string            `json:"domains"`
	Enabled              bool                `json:"enabled"`
	IsMFAAccepted        bool                `json:"isMfaAccepted"`
	CreatedDateTime      time.Time           `json:"createdDateTime"`
	LastModifiedDateTime time.Time           `json:"lastModifiedDateTime"`
}

func (p remoteIdP) view() identityProviderView {
	return identityProviderView{
		ID: p.ID, DisplayName: p.DisplayName, Type: p.IdentityProviderType, ClientID: p.ClientID,
		HasClientSecret: p.ClientSecret != nil, Issuer: deref(p.Issuer), PartnerTenantID: deref(p.PartnerTenantID),
		Scopes: nonNil(strings.Fields(deref(p.Scope))), ClaimsMapping: p.ClaimsMapping, Domains: nonNil(p.Domains),
		Enabled: p.Enabled, MFATrusted: p.IsMFAAccepted, CreatedAt: p.CreatedDateTime, UpdatedAt: p.LastModifiedDateTime,
	}
}

func idpPath(id string) string { return idpsPath + "/" + url.PathEscape(id) }

func (r remoteAdmin) listIdPs(ctx context.Context) ([]identityProviderView, error) {
	list, err := listAll[remoteIdP](ctx, r.c, idpsPath)
	if err != nil {
		return nil, err
	}
	views := make([]identityProviderView, len(list))
	for i, p := range list {
		views[i] = p.view()
	}
	// The API pages in id order; the local list is oldest first.
	slices.SortStableFunc(views, func(a, b identityProviderView) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.ID, b.ID))
	})
	return views, nil
}

func (r remoteAdmin) getIdP(ctx context.Context, id string) (identityProviderView, error) {
	var p remoteIdP
	err := r.c.call(ctx, http.MethodGet, idpPath(id), nil, &p)
	return p.view(), r.notFoundAs(err, "identity provider", id)
}

// idpBody is p as the API's POST or PATCH body: only what p sets.
func idpBody(p directory.IdentityProviderPatch) map[string]any {
	body := map[string]any{}
	put := func(name string, set bool, v any) {
		if set {
			body[name] = v
		}
	}
	put("displayName", p.DisplayName != nil, p.DisplayName)
	put("clientId", p.ClientID != nil, p.ClientID)
	put("clientSecret", p.ClientSecret != nil, p.ClientSecret)
	// issuer, not metadataUrl: it keeps a trailing slash.
	put("issuer", p.Issuer != nil, p.Issuer)
	if p.Scopes != nil {
		body["scope"] = strings.Join(*p.Scopes, " ")
	}
	put("domains", p.Domains != nil, p.Domains)
	if p.ClaimsMapping != nil {
		body["claimsMapping"] = p.ClaimsMapping // the claims left out are unmapped
	}
	put("enabled", p.Enabled != nil, p.Enabled)
	put("isMfaAccepted", p.MFATrusted != nil, p.MFATrusted)
	return body
}

func (r remoteAdmin) createIdP(ctx context.Context, in directory.IdentityProviderInput) (identityProviderView, error) {
	body := idpBody(directory.IdentityProviderPatch{
		DisplayName: &in.DisplayName, ClientID: &in.ClientID, ClientSecret: nonZero(in.ClientSecret),
		Issuer: nonZero(in.Issuer), Scopes: nonEmpty(in.Scopes), Domains: nonEmpty(in.Domains),
		Enabled: in.Enabled, MFATrusted: in.MFATrusted,
	})
	if in.ClaimsMapping != (store.ClaimsMapping{}) {
		body["claimsMapping"] = in.ClaimsMapping
	}
	body["identityProviderType"] = in.Type
	var p remoteIdP
	err := r.c.call(ctx, http.MethodPost, idpsPath, body, &p)
	return p.view(), err
}

func (r remoteAdmin) updateIdP(ctx context.Context, id string, patch directory.IdentityProviderPatch) (identityProviderView, error) {
	if err := r.c.call(ctx, http.MethodPatch, idpPath(id), idpBody(patch), nil); err != nil {
		return identityProviderView{}, r.notFoundAs(err, "identity provider", id)
	}
	return r.getIdP(ctx, id)
}

func (r remoteAdmin) deleteIdP(ctx context.Context, id string) error {
	return r.notFoundAs(r.c.call(ctx, http.MethodDelete, idpPath(id), nil, nil), "identity provider", id)
}
