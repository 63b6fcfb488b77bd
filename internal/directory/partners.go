package directory

import (
	"context"
	"errors"
	"fmt"

	"github.com/foyer-idp/foyer/internal/audit"
	"github.com/foyer-idp/foyer/internal/secret"
	"github.com/foyer-idp/foyer/internal/store"
)

const (
	// partnerAttempts bounds the retries of PartnerProvider when a
	// concurrent first call wins the race to register the pair.
	partnerAttempts = 3
	// PartnerClientIDPrefix starts the client id of the application a
	// partner tenant holds for a tenant's guests: foyer-partner-{slug}.
	PartnerClientIDPrefix = "foyer-partner-"
)

// errPartnerRace marks a lost race to register a partner pair: the call
// is tried again and finds the winner's provider.
var errPartnerRace = errors.New("partner provider created concurrently")

// PartnerProvider answers the tenant's Foyer provider for another tenant
// of this Foyer. On first use it registers, in one transaction, a
// confidential application in the partner tenant (redirect URI:
// CallbackURL(tenant), authorization_code, a generated secret) and the
// provider in the tenant with that client, the partner's issuer and the
// secret sealed; both tenants' audit logs record it.
func (d *Directory) PartnerProvider(ctx context.Context, tenantID, partnerTenantID string) (store.IdentityProvider, error) {
	e := idpEntry(tenantID, audit.ActivityAddIdentityProvider, store.IdentityProvider{})
	if d.fed == nil {
		return store.IdentityProvider{}, ErrFederationNotConfigured
	}
	if partnerTenantID == tenantID {
		return store.IdentityProvider{}, invalid("partnerTenantId", "must be another tenant than the one it serves")
	}
	if p, ok, err := findPartnerProvider(ctx, d.store, tenantID, partnerTenantID); err != nil || ok {
		return p, err
	}
	var (
		p   store.IdentityProvider
		err error
	)
	for range partnerAttempts {
		ev := e
		err = d.store.InTx(ctx, func(tx store.Store) error {
			var created bool
			p, created, err = d.partnerProvider(ctx, tx, tenantID, partnerTenantID, &ev)
			if err != nil || !created {
				return err
			}
			return audit.Record(ctx, tx, d.clock(), ev)
		})
		e = ev
		if !errors.Is(err, errPartnerRace) {
			break
		}
	}
	if errors.Is(err, errPartnerRace) {
		err = fmt.Errorf("partner provider: %w", store.ErrConflict)
	}
	if err != nil {
		e.Err = errors.New(auditReason(err))
		_ = audit.Record(ctx, d.store, d.clock(), e)
		return store.IdentityProvider{}, err
	}
	return p, nil
}

func findPartnerProvider(ctx context.Context, st store.Store, tenantID, partnerTenantID string) (store.IdentityProvider, bool, error) {
	list, err := st.ListIdentityProviders(ctx, tenantID)
	if err != nil {
		return store.IdentityProvider{}, false, err
	}
	for _, p := range list {
		if p.Type == store.IdPFoyer && p.PartnerTenantID == partnerTenantID {
			return p, true, nil
		}
	}
	return store.IdentityProvider{}, false, nil
}

// partnerProvider does PartnerProvider's work in tx, answering whether it
// created the provider; e is the tenant's event, the partner's is recorded
// here.
func (d *Directory) partnerProvider(ctx context.Context, tx store.Store, tenantID, partnerTenantID string, e *audit.Entry) (store.IdentityProvider, bool, error) {
	if p, ok, err := findPartnerProvider(ctx, tx, tenantID, partnerTenantID); err != nil || ok {
		return p, false, err
	}
	t, err := tx.GetTenant(ctx, tenantID)
	if err != nil {
		return store.IdentityProvider{}, false, notFoundAs(err, "tenant", tenantID)
	}
	partner, err := tx.GetTenant(ctx, partnerTenantID)
	if err != nil {
		return store.IdentityProvider{}, false, notFoundAs(err, "partnerTenantId", partnerTenantID)
	}
	app, sec, activity, err := d.partnerApplication(ctx, tx, t, partner)
	if err != nil {
		return store.IdentityProvider{}, false, err
	}
	now := d.clock()
	p := store.IdentityProvider{
		TenantID: tenantID, ID: secret.NewID(), Type: store.IdPFoyer, DisplayName: partner.DisplayName,
		ClientID: app.ClientID, Issuer: d.fed.Issuer(partner), PartnerTenantID: partnerTenantID,
		Scopes: []string{"openid", "profile", "email"}, Domains: []string{}, Enabled: true,
		CreatedAt: now, UpdatedAt: now,
	}
	p.SealedClientSecret = d.fed.Sealer.Seal([]byte(sec.Value), secretAD(tenantID, p.ID))
	e.Target.ID, e.Target.Name = p.ID, p.DisplayName
	if err := tx.CreateIdentityProvider(ctx, p); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return store.IdentityProvider{}, false, errPartnerRace
		}
		return store.IdentityProvider{}, false, err
	}
	pe := appEntry(partnerTenantID, activity, app)
	if err := audit.Record(ctx, tx, now, pe); err != nil {
		return store.IdentityProvider{}, false, err
	}
	return p, true, nil
}

// partnerApplication registers, in the partner tenant, the client the
// tenant's guests sign in through, with a fresh secret. An application
// left from an earlier pair (its provider was deleted) is brought back
// to the pair's settings and its old secrets, which nobody holds any
// more, are replaced.
func (d *Directory) partnerApplication(ctx context.Context, tx store.Store, t, partner store.Tenant) (store.Application, *NewSecret, string, error) {
	now := d.clock()
	want := store.Application{
		TenantID: partner.ID, ID: secret.NewID(), ClientID: PartnerClientIDPrefix + t.Slug,
		DisplayName: t.DisplayName + " (guest access)", ClientType: store.ClientConfidential,
		RedirectURIs: []string{d.fed.CallbackURL(t)}, PostLogoutRedirectURIs: []string{},
		GrantTypes: []string{GrantAuthorizationCode}, AccessTokenFormat: "jwt", APIPermissions: []string{},
		CreatedAt: now, UpdatedAt: now,
	}
	if err := checkApplication(want); err != nil {
		return store.Application{}, nil, "", err
	}
	app, err := tx.GetApplicationByClientID(ctx, partner.ID, want.ClientID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		if err := tx.CreateApplication(ctx, want); err != nil {
			if errors.Is(err, store.ErrConflict) {
				return store.Application{}, nil, "", errPartnerRace
			}
			return store.Application{}, nil, "", err
		}
		sec, err := d.addSecret(ctx, tx, want, SecretInput{})
		return want, sec, audit.ActivityAddApplication, err
	case err != nil:
		return store.Application{}, nil, "", err
	case app.ClientType != store.ClientConfidential:
		return store.Application{}, nil, "", &FieldError{Field: "partnerTenantId", Err: store.ErrConflict,
			Message: fmt.Sprintf("the partner tenant has a %s application with client id %q", app.ClientType, app.ClientID)}
	}
	app.DisplayName, app.RedirectURIs, app.PostLogoutRedirectURIs = want.DisplayName, want.RedirectURIs, want.PostLogoutRedirectURIs
	app.GrantTypes, app.FirstParty, app.APIPermissions = want.GrantTypes, false, want.APIPermissions
	app.UpdatedAt = now
	if err := tx.UpdateApplication(ctx, app); err != nil {
		return store.Application{}, nil, "", err
	}
	old, err := tx.ListClientSecrets(ctx, partner.ID, app.ID)
	if err != nil {
		return store.Application{}, nil, "", err
	}
	for _, s := range old {
		if err := tx.DeleteClientSecret(ctx, partner.ID, app.ID, s.ID); err != nil {
			return store.Application{}, nil, "", err
		}
	}
	sec, err := d.addSecret(ctx, tx, app, SecretInput{})
	return app, sec, audit.ActivityUpdateApplication, err
}
