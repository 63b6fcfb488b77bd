package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/foyer-idp/foyer/internal/store"
)

// Federation: verified domains, identity providers and logins in flight.
// Error messages name ids and domains only: never secrets, states or
// nonces.

const domainColumns = `tenant_id, name, created_at`

func scanDomain(r rowScanner) (store.Domain, error) {
	var d store.Domain
	err := r.Scan(&d.TenantID, &d.Name, timeDest{&d.CreatedAt})
	return d, err
}

func (s *Store) AddDomain(ctx context.Context, d store.Domain) error {
	_, err := s.write.ExecContext(ctx, `INSERT INTO domains (`+domainColumns+`) VALUES ($1, $2, $3)`,
		d.TenantID, d.Name, s.timeArg(d.CreatedAt))
	if err != nil {
		return fmt.Errorf("add domain %q: %w", d.Name, s.dbError(err))
	}
	return nil
}

func (s *Store) GetDomain(ctx context.Context, name string) (store.Domain, error) {
	d, err := scanDomain(s.read.QueryRowContext(ctx, `SELECT `+domainColumns+` FROM domains WHERE name = $1`, name))
	if err != nil {
		return store.Domain{}, fmt.Errorf("get domain %q: %w", name, s.dbError(err))
	}
	return d, nil
}

func (s *Store) ListDomains(ctx context.Context, tenantID string) ([]store.Domain, error) {
	list, err := queryAll(ctx, s.read, scanDomain, `SELECT `+domainColumns+` FROM domains
		WHERE tenant_id = $1 ORDER BY name`, tenantID)
	if err != nil {
		return nil, fmt.Errorf("list domains: %w", s.dbError(err))
	}
	return list, nil
}

func (s *Store) RemoveDomain(ctx context.Context, tenantID, name string) error {
	if err := execOne(ctx, s.write, `DELETE FROM domains WHERE tenant_id = $1 AND name = $2`, tenantID, name); err != nil {
		return fmt.Errorf("remove domain %q: %w", name, s.dbError(err))
	}
	return nil
}

// partner_tenant_id is NULL but for Foyer providers, so that it can be a
// foreign key; the record says "".
const identityProviderColumns = `tenant_id, id, type, display_name, client_id, sealed_client_secret, issuer,
	COALESCE(partner_tenant_id, ''), scopes, claims_mapping, domains, enabled, mfa_trusted, created_at, updated_at`

const identityProviderInsertColumns = `tenant_id, id, type, display_name, client_id, sealed_client_secret, issuer,
	partner_tenant_id, scopes, claims_mapping, domains, enabled, mfa_trusted, created_at, updated_at`

func scanIdentityProvider(r rowScanner) (store.IdentityProvider, error) {
	var p store.IdentityProvider
	err := r.Scan(&p.TenantID, &p.ID, &p.Type, &p.DisplayName, &p.ClientID, bytesDest{&p.SealedClientSecret},
		&p.Issuer, &p.PartnerTenantID, listDest{&p.Scopes}, claimsMappingDest{&p.ClaimsMapping},
		listDest{&p.Domains}, &p.Enabled, &p.MFATrusted, timeDest{&p.CreatedAt}, timeDest{&p.UpdatedAt})
	return p, err
}

// claimsMappingArg encodes a claims mapping as JSON text.
func claimsMappingArg(m store.ClaimsMapping) string {
	b, _ := json.Marshal(m) // cannot fail for a struct of strings
	return string(b)
}

// claimsMappingDest scans a column written by claimsMappingArg.
type claimsMappingDest struct{ dst *store.ClaimsMapping }

func (d claimsMappingDest) Scan(src any) error {
	var text []byte
	switch v := src.(type) {
	case string:
		text = []byte(v)
	case []byte:
		text = v
	default:
		return fmt.Errorf("scan claims mapping: unsupported column type %T", src)
	}
	*d.dst = store.ClaimsMapping{}
	if err := json.Unmarshal(text, d.dst); err != nil {
		return fmt.Errorf("scan claims mapping: %w", err)
	}
	return nil
}

// nullIfEmpty stores "" as NULL.
func nullIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// blobArg stores an empty secret as NULL, which bytesDest answers as nil.
func blobArg(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return b
}

func (s *Store) CreateIdentityProvider(ctx context.Context, p store.IdentityProvider) error {
	_, err := s.write.ExecContext(ctx, `INSERT INTO identity_providers (`+identityProviderInsertColumns+`)
		VALUES (`+placeholders(15)+`)`,
		p.TenantID, p.ID, p.Type, p.DisplayName, p.ClientID, blobArg(p.SealedClientSecret), p.Issuer,
		nullIfEmpty(p.PartnerTenantID), listArg(p.Scopes), claimsMappingArg(p.ClaimsMapping), listArg(p.Domains),
		p.Enabled, p.MFATrusted, s.timeArg(p.CreatedAt), s.timeArg(p.UpdatedAt))
	if err != nil {
		return fmt.Errorf("create identity provider %q: %w", p.ID, s.dbError(err))
	}
	return nil
}

func (s *Store) GetIdentityProvider(ctx context.Context, tenantID, id string) (store.IdentityProvider, error) {
	p, err := scanIdentityProvider(s.read.QueryRowContext(ctx, `SELECT `+identityProviderColumns+`
		FROM identity_providers WHERE tenant_id = $1 AND id = $2`, tenantID, id))
	if err != nil {
		return store.IdentityProvider{}, fmt.Errorf("get identity provider %q: %w", id, s.dbError(err))
	}
	return p, nil
}

func (s *Store) ListIdentityProviders(ctx context.Context, tenantID string) ([]store.IdentityProvider, error) {
	list, err := queryAll(ctx, s.read, scanIdentityProvider, `SELECT `+identityProviderColumns+`
		FROM identity_providers WHERE tenant_id = $1 ORDER BY created_at, id`, tenantID)
	if err != nil {
		return nil, fmt.Errorf("list identity providers: %w", s.dbError(err))
	}
	return list, nil
}

// UpdateIdentityProvider leaves the tenant, id, type, partner and
// creation time as they are.
func (s *Store) UpdateIdentityProvider(ctx context.Context, p store.IdentityProvider) error {
	err := execOne(ctx, s.write, `UPDATE identity_providers SET display_name = $3, client_id = $4,
		sealed_client_secret = $5, issuer = $6, scopes = $7, claims_mapping = $8, domains = $9, enabled = $10,
		mfa_trusted = $11, updated_at = $12
		WHERE tenant_id = $1 AND id = $2`,
		p.TenantID, p.ID, p.DisplayName, p.ClientID, blobArg(p.SealedClientSecret), p.Issuer, listArg(p.Scopes),
		claimsMappingArg(p.ClaimsMapping), listArg(p.Domains), p.Enabled, p.MFATrusted, s.timeArg(p.UpdatedAt))
	if err != nil {
		return fmt.Errorf("update identity provider %q: %w", p.ID, s.dbError(err))
	}
	return nil
}

func (s *Store) DeleteIdentityProvider(ctx context.Context, tenantID, id string) error {
	if err := execOne(ctx, s.write, `DELETE FROM identity_providers WHERE tenant_id = $1 AND id = $2`, tenantID, id); err != nil {
		return fmt.Errorf("delete identity provider %q: %w", id, s.dbError(err))
	}
	return nil
}

const federationLoginColumns = `tenant_id, state_hash, provider_id, nonce, code_verifier, browser_binding,
	redemption_id, auth_request_id, created_at, expires_at`

func scanFederationLogin(r rowScanner) (store.FederationLogin, error) {
	var l store.FederationLogin
	err := r.Scan(&l.TenantID, &l.StateHash, &l.ProviderID, &l.Nonce, &l.CodeVerifier, &l.BrowserBinding,
		&l.RedemptionID, &l.AuthRequestID, timeDest{&l.CreatedAt}, timeDest{&l.ExpiresAt})
	return l, err
}

func (s *Store) CreateFederationLogin(ctx context.Context, l store.FederationLogin) error {
	_, err := s.write.ExecContext(ctx, `INSERT INTO federation_logins (`+federationLoginColumns+`)
		VALUES (`+placeholders(10)+`)`,
		l.TenantID, l.StateHash, l.ProviderID, l.Nonce, l.CodeVerifier, l.BrowserBinding, l.RedemptionID,
		l.AuthRequestID, s.timeArg(l.CreatedAt), s.timeArg(l.ExpiresAt))
	if err != nil {
		return fmt.Errorf("create federation login: %w", s.dbError(err))
	}
	return nil
}

// ConsumeFederationLogin is one conditional DELETE … RETURNING: the
// database hands the row to one caller.
func (s *Store) ConsumeFederationLogin(ctx context.Context, tenantID, stateHash string, now time.Time) (store.FederationLogin, error) {
	l, err := scanFederationLogin(s.write.QueryRowContext(ctx, `DELETE FROM federation_logins
		WHERE tenant_id = $1 AND state_hash = $2 AND expires_at > $3
		RETURNING `+federationLoginColumns, tenantID, stateHash, s.timeArg(now)))
	if err != nil {
		return store.FederationLogin{}, fmt.Errorf("consume federation login: %w", s.dbError(err))
	}
	return l, nil
}
