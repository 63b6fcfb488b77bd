package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/foyer-idp/foyer/internal/store"
)

// Redemption transactions and passcodes. Error messages name no subject,
// hash or address.

const redemptionColumns = `tenant_id, id, invitation_id, token_hash, browser_binding, sign_in_type, issuer,
	issuer_assigned_id, identity_email, amr, provider_id, upstream_amr, upstream_acr, display_name, given_name,
	surname, created_at, expires_at, identity_email_verified`

func scanRedemption(r rowScanner) (store.Redemption, error) {
	var x store.Redemption
	err := r.Scan(&x.TenantID, &x.ID, &x.InvitationID, &x.TokenHash, &x.BrowserBinding, &x.Identity.SignInType,
		&x.Identity.Issuer, &x.Identity.IssuerAssignedID, &x.IdentityEmail, listDest{&x.AMR},
		&x.Upstream.ProviderID, listDest{&x.Upstream.AMR}, &x.Upstream.ACR, &x.Profile.DisplayName,
		&x.Profile.GivenName, &x.Profile.Surname, timeDest{&x.CreatedAt}, timeDest{&x.ExpiresAt}, &x.IdentityEmailVerified)
	return x, err
}

func (s *Store) CreateRedemption(ctx context.Context, r store.Redemption) error {
	_, err := s.write.ExecContext(ctx, `INSERT INTO redemptions (`+redemptionColumns+`)
		VALUES (`+placeholders(19)+`)`,
		r.TenantID, r.ID, r.InvitationID, r.TokenHash, r.BrowserBinding, r.Identity.SignInType, r.Identity.Issuer,
		r.Identity.IssuerAssignedID, r.IdentityEmail, listArg(r.AMR), r.Upstream.ProviderID, listArg(r.Upstream.AMR),
		r.Upstream.ACR, r.Profile.DisplayName, r.Profile.GivenName, r.Profile.Surname,
		s.timeArg(r.CreatedAt), s.timeArg(r.ExpiresAt), r.IdentityEmailVerified)
	if err != nil {
		return fmt.Errorf("create redemption: %w", s.dbError(err))
	}
	return nil
}

func (s *Store) GetRedemption(ctx context.Context, tenantID, id string, now time.Time) (store.Redemption, error) {
	r, err := scanRedemption(s.read.QueryRowContext(ctx, `SELECT `+redemptionColumns+` FROM redemptions
		WHERE tenant_id = $1 AND id = $2 AND expires_at > $3`, tenantID, id, s.timeArg(now)))
	if err != nil {
		return store.Redemption{}, fmt.Errorf("get redemption: %w", s.dbError(err))
	}
	return r, nil
}

func (s *Store) UpdateRedemption(ctx context.Context, r store.Redemption) error {
	err := execOne(ctx, s.write, `UPDATE redemptions SET sign_in_type = $3, issuer = $4, issuer_assigned_id = $5,
		identity_email = $6, amr = $7, provider_id = $8, upstream_amr = $9, upstream_acr = $10,
		display_name = $11, given_name = $12, surname = $13, identity_email_verified = $14
		WHERE tenant_id = $1 AND id = $2`,
		r.TenantID, r.ID, r.Identity.SignInType, r.Identity.Issuer, r.Identity.IssuerAssignedID,
		r.IdentityEmail, listArg(r.AMR), r.Upstream.ProviderID, listArg(r.Upstream.AMR), r.Upstream.ACR,
		r.Profile.DisplayName, r.Profile.GivenName, r.Profile.Surname, r.IdentityEmailVerified)
	if err != nil {
		return fmt.Errorf("update redemption: %w", s.dbError(err))
	}
	return nil
}

func (s *Store) DeleteRedemption(ctx context.Context, tenantID, id string) error {
	if err := execOne(ctx, s.write, `DELETE FROM redemptions WHERE tenant_id = $1 AND id = $2`, tenantID, id); err != nil {
		return fmt.Errorf("delete redemption: %w", s.dbError(err))
	}
	return nil
}

const passcodeColumns = `tenant_id, subject, code_hash, browser_binding, attempts, created_at, expires_at`

func scanPasscode(r rowScanner) (store.Passcode, error) {
	var p store.Passcode
	err := r.Scan(&p.TenantID, &p.Subject, &p.Hash, &p.BrowserBinding, &p.Attempts,
		timeDest{&p.CreatedAt}, timeDest{&p.ExpiresAt})
	return p, err
}

// IssuePasscode is one upsert: the new code and a zero count replace the
// old ones, so only the latest code counts.
func (s *Store) IssuePasscode(ctx context.Context, p store.Passcode) error {
	_, err := s.write.ExecContext(ctx, `INSERT INTO passcodes (`+passcodeColumns+`)
		VALUES ($1, $2, $3, $4, 0, $5, $6)
		ON CONFLICT (tenant_id, subject) DO UPDATE SET code_hash = excluded.code_hash,
			browser_binding = excluded.browser_binding, attempts = 0,
			created_at = excluded.created_at, expires_at = excluded.expires_at`,
		p.TenantID, p.Subject, p.Hash, p.BrowserBinding, s.timeArg(p.CreatedAt), s.timeArg(p.ExpiresAt))
	if err != nil {
		return fmt.Errorf("issue passcode: %w", s.dbError(err))
	}
	return nil
}

// ConsumePasscode lets the database decide: a conditional DELETE takes a
// matching code, else a conditional UPDATE counts the failure. Each
// statement is atomic on its own, so racing guesses can neither share a
// win nor slip past the attempt limit.
func (s *Store) ConsumePasscode(ctx context.Context, tenantID, subject, hash, binding string, maxAttempts int, now time.Time) (store.Passcode, error) {
	p, err := scanPasscode(s.write.QueryRowContext(ctx, `DELETE FROM passcodes
		WHERE tenant_id = $1 AND subject = $2 AND code_hash = $3 AND browser_binding = $4
			AND expires_at > $5 AND attempts < $6
		RETURNING `+passcodeColumns, tenantID, subject, hash, binding, s.timeArg(now), maxAttempts))
	if err == nil {
		return p, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return store.Passcode{}, fmt.Errorf("consume passcode: %w", s.dbError(err))
	}
	var attempts int
	err = s.write.QueryRowContext(ctx, `UPDATE passcodes SET attempts = attempts + 1
		WHERE tenant_id = $1 AND subject = $2 AND expires_at > $3 AND attempts < $4
		RETURNING attempts`, tenantID, subject, s.timeArg(now), maxAttempts).Scan(&attempts)
	if err != nil {
		return store.Passcode{}, fmt.Errorf("count failed passcode: %w", s.dbError(err))
	}
	if attempts >= maxAttempts {
		// The last allowed failure voids the code.
		if _, err := s.write.ExecContext(ctx, `DELETE FROM passcodes WHERE tenant_id = $1 AND subject = $2
			AND attempts >= $3`, tenantID, subject, maxAttempts); err != nil {
			return store.Passcode{}, fmt.Errorf("void passcode: %w", s.dbError(err))
		}
	}
	return store.Passcode{TenantID: tenantID, Subject: subject, Attempts: attempts}, store.ErrMismatch
}
