package sqlstore

import (
	"context"
	"fmt"

	"github.com/foyer-idp/foyer/internal/store"
)

const tenantColumns = `id, slug, display_name, logo_url, accent_color, sender_name, signing_alg,
	allow_invites_from, invite_domain_rule, invite_domains, redemption_order, redeem_any_account, mfa_required, mfa_period_seconds,
	created_at, updated_at`

func scanTenant(r rowScanner) (store.Tenant, error) {
	var t store.Tenant
	err := r.Scan(&t.ID, &t.Slug, &t.DisplayName, &t.Branding.LogoURL, &t.Branding.AccentColor,
		&t.Branding.SenderName, &t.SigningAlg, &t.Invitations.AllowInvitesFrom, &t.Invitations.DomainRule,
		listDest{&t.Invitations.Domains}, listDest{&t.Invitations.RedemptionOrder}, &t.Invitations.RedeemWithAnyAccount,
		&t.MFA.Required, &t.MFA.PeriodSeconds, timeDest{&t.CreatedAt}, timeDest{&t.UpdatedAt})
	return t, err
}

func (s *Store) CreateTenant(ctx context.Context, t store.Tenant) error {
	_, err := s.write.ExecContext(ctx, `INSERT INTO tenants (`+tenantColumns+`)
		VALUES (`+placeholders(16)+`)`,
		t.ID, t.Slug, t.DisplayName, t.Branding.LogoURL, t.Branding.AccentColor, t.Branding.SenderName,
		t.SigningAlg, t.Invitations.AllowInvitesFrom, t.Invitations.DomainRule, listArg(t.Invitations.Domains),
		listArg(t.Invitations.RedemptionOrder), t.Invitations.RedeemWithAnyAccount,
		t.MFA.Required, t.MFA.PeriodSeconds, s.timeArg(t.CreatedAt), s.timeArg(t.UpdatedAt))
	if err != nil {
		return fmt.Errorf("create tenant %q: %w", t.Slug, s.dbError(err))
	}
	return nil
}

func (s *Store) GetTenant(ctx context.Context, id string) (store.Tenant, error) {
	t, err := scanTenant(s.read.QueryRowContext(ctx, `SELECT `+tenantColumns+` FROM tenants WHERE id = $1`, id))
	if err != nil {
		return store.Tenant{}, fmt.Errorf("get tenant %q: %w", id, s.dbError(err))
	}
	return t, nil
}

// LockTenant: on SQLite every write transaction holds the database's
// write lock from its BEGIN IMMEDIATE, so the SELECT only checks the
// tenant exists.
func (s *Store) LockTenant(ctx context.Context, id string) error {
	var got string
	err := s.write.QueryRowContext(ctx, `SELECT id FROM tenants WHERE id = $1`+s.dialect.lockRow, id).Scan(&got)
	if err != nil {
		return fmt.Errorf("lock tenant %q: %w", id, s.dbError(err))
	}
	return nil
}

func (s *Store) GetTenantBySlug(ctx context.Context, slug string) (store.Tenant, error) {
	t, err := scanTenant(s.read.QueryRowContext(ctx, `SELECT `+tenantColumns+` FROM tenants WHERE slug = $1`, slug))
	if err != nil {
		return store.Tenant{}, fmt.Errorf("get tenant by slug %q: %w", slug, s.dbError(err))
	}
	return t, nil
}

func (s *Store) ListTenants(ctx context.Context) ([]store.Tenant, error) {
	tenants, err := queryAll(ctx, s.read, scanTenant, `SELECT `+tenantColumns+` FROM tenants ORDER BY created_at, id`)
	if err != nil {
		return nil, fmt.Errorf("list tenants: %w", s.dbError(err))
	}
	return tenants, nil
}

func (s *Store) UpdateTenant(ctx context.Context, t store.Tenant) error {
	err := execOne(ctx, s.write, `UPDATE tenants SET display_name = $2, logo_url = $3, accent_color = $4,
		sender_name = $5, signing_alg = $6, allow_invites_from = $7, invite_domain_rule = $8,
		invite_domains = $9, redemption_order = $10, redeem_any_account = $11, mfa_required = $12,
		mfa_period_seconds = $13, updated_at = $14 WHERE id = $1`,
		t.ID, t.DisplayName, t.Branding.LogoURL, t.Branding.AccentColor, t.Branding.SenderName,
		t.SigningAlg, t.Invitations.AllowInvitesFrom, t.Invitations.DomainRule, listArg(t.Invitations.Domains),
		listArg(t.Invitations.RedemptionOrder), t.Invitations.RedeemWithAnyAccount, t.MFA.Required,
		t.MFA.PeriodSeconds, s.timeArg(t.UpdatedAt))
	if err != nil {
		return fmt.Errorf("update tenant %q: %w", t.ID, s.dbError(err))
	}
	return nil
}

// DeleteTenant relies on ON DELETE CASCADE for everything the tenant owns;
// audit events have no foreign key and stay.
func (s *Store) DeleteTenant(ctx context.Context, id string) error {
	if err := execOne(ctx, s.write, `DELETE FROM tenants WHERE id = $1`, id); err != nil {
		return fmt.Errorf("delete tenant %q: %w", id, s.dbError(err))
	}
	return nil
}
