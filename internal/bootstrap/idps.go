package bootstrap

import (
	"context"
	"strings"

	"github.com/foyer-idp/foyer/internal/directory"
	"github.com/foyer-idp/foyer/internal/store"
)

// idpFields renames the directory's identity provider fields to the
// file's keys.
var idpFields = map[string]string{"tenant": "", "identityProviderType": "type", "isMfaAccepted": "mfaTrusted"}

func (a *applier) identityProviders(ctx context.Context, tn store.Tenant, tenantPath string, providers []IdentityProvider) {
	existing, err := a.dir.IdentityProviders(ctx, tn.ID)
	if err != nil {
		a.failed(tenantPath+".identityProviders", nil, err)
		return
	}
	eachDeclared(a, tenantPath+".identityProviders", providers, func(path string, p IdentityProvider) {
		matches, ok := matchByName(a, path, "identity providers", p.DisplayName, existing,
			func(e store.IdentityProvider) string { return e.DisplayName })
		switch {
		case !ok:
		case len(matches) == 1 && matches[0].Type == store.IdPFoyer:
			a.problem(path+".displayName", "%q is a Foyer partner provider, managed by Foyer; give yours another name", p.DisplayName)
		case len(matches) == 1:
			a.updateIdentityProvider(ctx, tn, path, p, matches[0])
		default:
			a.createIdentityProvider(ctx, tn, path, p)
		}
	})
}

func (a *applier) createIdentityProvider(ctx context.Context, tn store.Tenant, path string, p IdentityProvider) {
	in := directory.IdentityProviderInput{
		Type: p.Type, DisplayName: p.DisplayName, ClientID: p.ClientID, ClientSecret: a.secrets[path],
		Issuer: deref(p.Issuer), Scopes: p.Scopes, Domains: p.Domains, Enabled: p.Enabled, MFATrusted: p.MFATrusted,
	}
	if p.ClaimsMapping != nil {
		in.ClaimsMapping = mergeClaims(*p.ClaimsMapping, store.ClaimsMapping{})
	}
	idp, err := a.dir.CreateIdentityProvider(ctx, tn.ID, in)
	if err != nil {
		a.failed(path, idpFields, err)
		return
	}
	a.add(Object{Kind: KindIdP, Tenant: tn.Slug, Name: idp.DisplayName, ID: idp.ID, Result: Created})
}

func (a *applier) updateIdentityProvider(ctx context.Context, tn store.Tenant, path string, p IdentityProvider, idp store.IdentityProvider) {
	if p.Type != idp.Type {
		a.problem(path+".type", "is %s and cannot change: declare a new provider", idp.Type)
		return
	}
	var changed []string
	patch := directory.IdentityProviderPatch{
		ClientID:   patchOf(&p.ClientID, idp.ClientID, "clientId", &changed),
		Enabled:    patchOf(p.Enabled, idp.Enabled, "enabled", &changed),
		MFATrusted: patchOf(p.MFATrusted, idp.MFATrusted, "mfaTrusted", &changed),
		Scopes:     listPatch(p.Scopes, idp.Scopes, "scopes", &changed),
		Domains:    listPatch(lower(p.Domains), idp.Domains, "domains", &changed),
	}
	// The directory may keep an issuer without its trailing slash.
	if p.Issuer != nil && strings.TrimSuffix(strings.TrimSpace(*p.Issuer), "/") != strings.TrimSuffix(idp.Issuer, "/") {
		patch.Issuer = p.Issuer
		changed = append(changed, "issuer")
	}
	if p.ClaimsMapping != nil {
		if m := mergeClaims(*p.ClaimsMapping, idp.ClaimsMapping); m != idp.ClaimsMapping {
			patch.ClaimsMapping = &m
			changed = append(changed, "claimsMapping")
		}
	}
	if value, ok := a.secrets[path]; ok {
		have, err := a.dir.ClientSecret(idp)
		if err != nil {
			a.failed(path, nil, err)
			return
		}
		if have != value {
			patch.ClientSecret = &value
			key := "clientSecret"
			if p.ClientSecretEnv != "" {
				key = "clientSecretEnv"
			}
			changed = append(changed, key)
		}
	}
	if len(changed) > 0 {
		var err error
		if idp, err = a.dir.UpdateIdentityProvider(ctx, tn.ID, idp.ID, patch); err != nil {
			a.failed(path, idpFields, err)
			return
		}
	}
	a.add(Object{Kind: KindIdP, Tenant: tn.Slug, Name: idp.DisplayName, ID: idp.ID, Result: result(false, changed), Changed: changed})
}

// mergeClaims answers have with the claims want declares.
func mergeClaims(want ClaimsMapping, have store.ClaimsMapping) store.ClaimsMapping {
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = strings.TrimSpace(*v)
		}
	}
	set(&have.UserID, want.UserID)
	set(&have.DisplayName, want.DisplayName)
	set(&have.GivenName, want.GivenName)
	set(&have.Surname, want.Surname)
	set(&have.Email, want.Email)
	return have
}

// lower answers domains as the directory keeps them; nil stays nil.
func lower(domains []string) []string {
	if domains == nil {
		return nil
	}
	out := make([]string, len(domains))
	for i, d := range domains {
		out[i] = strings.ToLower(strings.TrimSpace(d))
	}
	return out
}
