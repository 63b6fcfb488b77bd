package sqlstore

import (
	"context"
	"fmt"

	"github.com/foyer-idp/foyer/internal/store"
)

const applicationColumns = `tenant_id, id, client_id, display_name, client_type, redirect_uris,
	post_logout_redirect_uris, grant_types, home_page_url, first_party, assignment_required,
	requires_mfa, access_token_format, api_permissions, created_at, updated_at`

func scanApplication(r rowScanner) (store.Application, error) {
	var a store.Application
	err := r.Scan(&a.TenantID, &a.ID, &a.ClientID, &a.DisplayName, &a.ClientType,
		listDest{&a.RedirectURIs}, listDest{&a.PostLogoutRedirectURIs}, listDest{&a.GrantTypes},
		&a.HomePageURL, &a.FirstParty, &a.AssignmentRequired, &a.RequiresMFA, &a.AccessTokenFormat,
		listDest{&a.APIPermissions}, timeDest{&a.CreatedAt}, timeDest{&a.UpdatedAt})
	return a, err
}

func (s *Store) CreateApplication(ctx context.Context, a store.Application) error {
	_, err := s.write.ExecContext(ctx, `INSERT INTO applications (`+applicationColumns+`)
		VALUES (`+placeholders(16)+`)`,
		a.TenantID, a.ID, a.ClientID, a.DisplayName, a.ClientType, listArg(a.RedirectURIs),
		listArg(a.PostLogoutRedirectURIs), listArg(a.GrantTypes), a.HomePageURL, a.FirstParty,
		a.AssignmentRequired, a.RequiresMFA, a.AccessTokenFormat, listArg(a.APIPermissions),
		s.timeArg(a.CreatedAt), s.timeArg(a.UpdatedAt))
	if err != nil {
		return fmt.Errorf("create application %q: %w", a.ClientID, s.dbError(err))
	}
	return nil
}

func (s *Store) GetApplication(ctx context.Context, tenantID, id string) (store.Application, error) {
	a, err := scanApplication(s.read.QueryRowContext(ctx, `SELECT `+applicationColumns+` FROM applications
		WHERE tenant_id = $1 AND id = $2`, tenantID, id))
	if err != nil {
		return store.Application{}, fmt.Errorf("get application %q: %w", id, s.dbError(err))
	}
	return a, nil
}

func (s *Store) GetApplicationByClientID(ctx context.Context, tenantID, clientID string) (store.Application, error) {
	a, err := scanApplication(s.read.QueryRowContext(ctx, `SELECT `+applicationColumns+` FROM applications
		WHERE tenant_id = $1 AND client_id = $2`, tenantID, clientID))
	if err != nil {
		return store.Application{}, fmt.Errorf("get application by client id %q: %w", clientID, s.dbError(err))
	}
	return a, nil
}

func (s *Store) ListApplications(ctx context.Context, tenantID string) ([]store.Application, error) {
	apps, err := queryAll(ctx, s.read, scanApplication, `SELECT `+applicationColumns+` FROM applications
		WHERE tenant_id = $1 ORDER BY created_at, id`, tenantID)
	if err != nil {
		return nil, fmt.Errorf("list applications: %w", s.dbError(err))
	}
	return apps, nil
}

// UpdateApplication replaces everything but the ids and the creation time.
func (s *Store) UpdateApplication(ctx context.Context, a store.Application) error {
	err := execOne(ctx, s.write, `UPDATE applications SET client_id = $3, display_name = $4,
		client_type = $5, redirect_uris = $6, post_logout_redirect_uris = $7, grant_types = $8,
		home_page_url = $9, first_party = $10, assignment_required = $11, requires_mfa = $12,
		access_token_format = $13, api_permissions = $14, updated_at = $15
		WHERE tenant_id = $1 AND id = $2`,
		a.TenantID, a.ID, a.ClientID, a.DisplayName, a.ClientType, listArg(a.RedirectURIs),
		listArg(a.PostLogoutRedirectURIs), listArg(a.GrantTypes), a.HomePageURL, a.FirstParty,
		a.AssignmentRequired, a.RequiresMFA, a.AccessTokenFormat, listArg(a.APIPermissions), s.timeArg(a.UpdatedAt))
	if err != nil {
		return fmt.Errorf("update application %q: %w", a.ID, s.dbError(err))
	}
	return nil
}

func (s *Store) DeleteApplication(ctx context.Context, tenantID, id string) error {
	if err := execOne(ctx, s.write, `DELETE FROM applications WHERE tenant_id = $1 AND id = $2`, tenantID, id); err != nil {
		return fmt.Errorf("delete application %q: %w", id, s.dbError(err))
	}
	return nil
}

const clientSecretColumns = `tenant_id, app_id, id, hash, hint, created_at, expires_at, display_name`

func scanClientSecret(r rowScanner) (store.ClientSecret, error) {
	var cs store.ClientSecret
	err := r.Scan(&cs.TenantID, &cs.AppID, &cs.ID, &cs.Hash, &cs.Hint,
		timeDest{&cs.CreatedAt}, nullTimeDest{&cs.ExpiresAt}, &cs.DisplayName)
	return cs, err
}

func (s *Store) AddClientSecret(ctx context.Context, cs store.ClientSecret) error {
	_, err := s.write.ExecContext(ctx, `INSERT INTO client_secrets (`+clientSecretColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		cs.TenantID, cs.AppID, cs.ID, cs.Hash, cs.Hint, s.timeArg(cs.CreatedAt), s.nullTimeArg(cs.ExpiresAt), cs.DisplayName)
	if err != nil {
		return fmt.Errorf("add client secret %q to application %q: %w", cs.ID, cs.AppID, s.dbError(err))
	}
	return nil
}

func (s *Store) ListClientSecrets(ctx context.Context, tenantID, appID string) ([]store.ClientSecret, error) {
	secrets, err := queryAll(ctx, s.read, scanClientSecret, `SELECT `+clientSecretColumns+` FROM client_secrets
		WHERE tenant_id = $1 AND app_id = $2 ORDER BY created_at DESC, id DESC`, tenantID, appID)
	if err != nil {
		return nil, fmt.Errorf("list client secrets of application %q: %w", appID, s.dbError(err))
	}
	return secrets, nil
}

func (s *Store) DeleteClientSecret(ctx context.Context, tenantID, appID, secretID string) error {
	err := execOne(ctx, s.write, `DELETE FROM client_secrets WHERE tenant_id = $1 AND app_id = $2 AND id = $3`,
		tenantID, appID, secretID)
	if err != nil {
		return fmt.Errorf("delete client secret %q of application %q: %w", secretID, appID, s.dbError(err))
	}
	return nil
}

func (s *Store) AddApplicationOwner(ctx context.Context, tenantID, appID, userID string) error {
	return s.addLink(ctx, applicationOwners(), tenantID, appID, userID)
}

func (s *Store) RemoveApplicationOwner(ctx context.Context, tenantID, appID, userID string) error {
	return s.removeLink(ctx, applicationOwners(), tenantID, appID, userID)
}

func (s *Store) ListOwnedApplications(ctx context.Context, tenantID, userID string) ([]store.Application, error) {
	apps, err := queryAll(ctx, s.read, scanApplication, `SELECT `+applicationColumns+` FROM applications a
		WHERE a.tenant_id = $1 AND a.id IN (SELECT o.app_id FROM application_owners o
			WHERE o.tenant_id = $1 AND o.user_id = $2)
		ORDER BY a.created_at, a.id`, tenantID, userID)
	if err != nil {
		return nil, fmt.Errorf("list applications owned by %q: %w", userID, s.dbError(err))
	}
	return apps, nil
}

func (s *Store) ListApplicationOwners(ctx context.Context, tenantID, appID string) ([]store.User, error) {
	return s.linkedUsers(ctx, applicationOwners(), tenantID, appID)
}
