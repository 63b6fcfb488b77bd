package directory

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/foyer-idp/foyer/internal/audit"
	"github.com/foyer-idp/foyer/internal/secret"
	"github.com/foyer-idp/foyer/internal/store"
)

// Signing algorithms a tenant may choose; RS256 is what every relying
// party supports, so it is the default.
var signingAlgorithms = []string{"RS256", "ES256", "EdDSA"}

// DefaultSigningAlg is the algorithm of a tenant that names none.
const DefaultSigningAlg = "RS256"

// NewTenant is what creating a tenant takes.
type NewTenant struct {
	Slug        string
	DisplayName string
	Branding    store.Branding
	SigningAlg  string // empty: DefaultSigningAlg
}

// TenantPatch changes the fields that are set. The slug never changes: it is
// part of the issuer every token names.
type TenantPatch struct {
	DisplayName *string
	LogoURL     *string
	AccentColor *string
	SenderName  *string
	SigningAlg  *string
}

func checkTenant(t store.Tenant) error {
	var p problems
	p.add(checkSlug("slug", t.Slug))
	p.add(checkName("displayName", t.DisplayName, 256))
	p.add(checkWebURL("branding.logoUrl", t.Branding.LogoURL))
	p.add(checkColor("branding.accentColor", t.Branding.AccentColor))
	p.add(checkText("branding.senderName", t.Branding.SenderName, 128))
	if !slices.Contains(signingAlgorithms, t.SigningAlg) {
		p.add(invalid("signingAlgorithm", "must be one of %v", signingAlgorithms))
	}
	return p.Err()
}

// CreateTenant validates and stores a new tenant. Its signing keys are the
// keys package's to make.
func (d *Directory) CreateTenant(ctx context.Context, in NewTenant) (store.Tenant, error) {
	now := d.clock()
	t := store.Tenant{
		ID: secret.NewID(), Slug: in.Slug, DisplayName: in.DisplayName,
		Branding: in.Branding, SigningAlg: in.SigningAlg, CreatedAt: now, UpdatedAt: now,
		Invitations: store.InvitationPolicy{AllowInvitesFrom: DefaultAllowInvitesFrom},
		// Stored, not implied: the default may change, a tenant's rule
		// must not change with it.
		MFA: store.MFAPolicy{Required: store.MFARequiredGuests},
	}
	if t.SigningAlg == "" {
		t.SigningAlg = DefaultSigningAlg
	}
	e := audit.Entry{TenantID: t.ID, Category: audit.CategoryDirectory, Activity: audit.ActivityCreateTenant,
		Target: audit.Target{Type: audit.TargetTenant, ID: t.ID, Name: t.Slug}}
	err := d.change(ctx, e, func(tx store.Store, _ *audit.Entry) error {
		if err := checkTenant(t); err != nil {
			return err
		}
		return conflictAs(tx.CreateTenant(ctx, t), "slug", t.Slug)
	})
	if err != nil {
		return store.Tenant{}, err
	}
	return t, nil
}

// Tenant answers the tenant with this id or slug.
func (d *Directory) Tenant(ctx context.Context, idOrSlug string) (store.Tenant, error) {
	t, err := d.store.GetTenantBySlug(ctx, idOrSlug)
	if errors.Is(err, store.ErrNotFound) {
		t, err = d.store.GetTenant(ctx, idOrSlug)
	}
	if err != nil {
		return store.Tenant{}, fmt.Errorf("tenant %q: %w", idOrSlug, err)
	}
	return t, nil
}

// Tenants answers every tenant.
func (d *Directory) Tenants(ctx context.Context) ([]store.Tenant, error) {
	return d.store.ListTenants(ctx)
}

// UpdateTenant applies p to the tenant.
func (d *Directory) UpdateTenant(ctx context.Context, tenantID string, p TenantPatch) (store.Tenant, error) {
	var t store.Tenant
	e := audit.Entry{TenantID: tenantID, Category: audit.CategoryDirectory, Activity: audit.ActivityUpdateTenant,
		Target: audit.Target{Type: audit.TargetTenant, ID: tenantID}}
	err := d.change(ctx, e, func(tx store.Store, e *audit.Entry) error {
		var err error
		if t, err = tx.GetTenant(ctx, tenantID); err != nil {
			return err
		}
		e.Target.Name = t.Slug
		setIf(&t.DisplayName, p.DisplayName)
		setIf(&t.Branding.LogoURL, p.LogoURL)
		setIf(&t.Branding.AccentColor, p.AccentColor)
		setIf(&t.Branding.SenderName, p.SenderName)
		setIf(&t.SigningAlg, p.SigningAlg)
		t.UpdatedAt = d.clock()
		if err := checkTenant(t); err != nil {
			return err
		}
		return tx.UpdateTenant(ctx, t)
	})
	if err != nil {
		return store.Tenant{}, err
	}
	return t, nil
}

// DeleteTenant removes the tenant and everything it owns; its audit events
// stay.
func (d *Directory) DeleteTenant(ctx context.Context, tenantID string) error {
	e := audit.Entry{TenantID: tenantID, Category: audit.CategoryDirectory, Activity: audit.ActivityDeleteTenant,
		Target: audit.Target{Type: audit.TargetTenant, ID: tenantID}}
	return d.change(ctx, e, func(tx store.Store, e *audit.Entry) error {
		t, err := tx.GetTenant(ctx, tenantID)
		if err != nil {
			return err
		}
		e.Target.Name = t.Slug
		return tx.DeleteTenant(ctx, tenantID)
	})
}

func setIf[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}
