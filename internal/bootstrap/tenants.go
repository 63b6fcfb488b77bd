package bootstrap

import (
	"context"
	"errors"
	"fmt"

	"github.com/foyer-idp/foyer/internal/directory"
	"github.com/foyer-idp/foyer/internal/secret"
	"github.com/foyer-idp/foyer/internal/store"
)

func (a *applier) tenant(ctx context.Context, i int, t Tenant) (store.Tenant, bool) {
	path := fmt.Sprintf("tenants[%d]", i)
	if a.skip[path] {
		// Refused already; its children are still checked, in the tenant
		// itself when it exists (the transaction rolls back either way).
		if t.Slug != "" {
			if tn, err := a.dir.Tenant(ctx, t.Slug); err == nil {
				a.children(ctx, tn, path, t)
				return store.Tenant{}, false
			}
		}
		a.standIn(ctx, path, t)
		return store.Tenant{}, false
	}
	tn, err := a.dir.Tenant(ctx, t.Slug)
	var changed []string
	created := false
	switch {
	case errors.Is(err, store.ErrNotFound):
		tn, err = a.dir.CreateTenant(ctx, directory.NewTenant{
			Slug: t.Slug, DisplayName: t.DisplayName, SigningAlg: deref(t.SigningAlgorithm),
			Branding: store.Branding{
				LogoURL: deref(t.Branding.LogoURL), AccentColor: deref(t.Branding.AccentColor), SenderName: deref(t.Branding.SenderName),
			},
		})
		if err != nil {
			a.failed(path, nil, err)
			a.standIn(ctx, path, t)
			return store.Tenant{}, false
		}
		created = true
	case err != nil:
		a.failed(path, nil, err)
		return store.Tenant{}, false
	default:
		p := directory.TenantPatch{
			DisplayName: patchOf(&t.DisplayName, tn.DisplayName, "displayName", &changed),
			LogoURL:     patchOf(t.Branding.LogoURL, tn.Branding.LogoURL, "branding.logoUrl", &changed),
			AccentColor: patchOf(t.Branding.AccentColor, tn.Branding.AccentColor, "branding.accentColor", &changed),
			SenderName:  patchOf(t.Branding.SenderName, tn.Branding.SenderName, "branding.senderName", &changed),
			SigningAlg:  patchOf(t.SigningAlgorithm, tn.SigningAlg, "signingAlgorithm", &changed),
		}
		if len(changed) > 0 {
			if tn, err = a.dir.UpdateTenant(ctx, tn.ID, p); err != nil {
				a.failed(path, nil, err)
				return store.Tenant{}, false
			}
		}
	}
	if t.InvitationPolicy != nil && !a.invitationPolicy(ctx, path, &tn, *t.InvitationPolicy, created, &changed) {
		return store.Tenant{}, false
	}
	if t.MFAPolicy != nil && !a.mfaPolicy(ctx, path, &tn, *t.MFAPolicy, created, &changed) {
		return store.Tenant{}, false
	}
	if len(t.Domains) > 0 && !a.domains(ctx, path, tn, t.Domains, created, &changed) {
		return store.Tenant{}, false
	}
	a.add(Object{Kind: KindTenant, Tenant: tn.Slug, Name: tn.Slug, ID: tn.ID, Result: result(created, changed), Changed: changed})
	a.children(ctx, tn, path, t)
	return tn, true
}

// standIn checks the members, groups and applications of a tenant that
// could not be made, in a stand-in tenant, so one run names every problem
// of the file. The stand-in never commits: Apply rolls back whenever a
// problem was found, and one was.
func (a *applier) standIn(ctx context.Context, path string, t Tenant) {
	if a.fatal || len(t.Members)+len(t.Groups)+len(t.Applications)+len(t.IdentityProviders) == 0 {
		return
	}
	tn, err := a.dir.CreateTenant(ctx, directory.NewTenant{Slug: "check-" + secret.NewID(), DisplayName: "bootstrap check"})
	if err != nil {
		a.failed(path, nil, err)
		return
	}
	tn.Slug = t.Slug // for messages
	a.children(ctx, tn, path, t)
}

func (a *applier) children(ctx context.Context, tn store.Tenant, path string, t Tenant) {
	eachDeclared(a, path+".members", t.Members, func(mpath string, m Member) { a.member(ctx, tn, mpath, m) })
	if len(t.Groups) > 0 && !a.fatal {
		a.groups(ctx, tn, path, t.Groups, t.Members)
	}
	eachDeclared(a, path+".applications", t.Applications, func(apath string, app Application) { a.application(ctx, tn, apath, app) })
	if len(t.IdentityProviders) > 0 && !a.fatal {
		a.identityProviders(ctx, tn, path, t.IdentityProviders)
	}
}
