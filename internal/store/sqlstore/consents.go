package sqlstore

import (
	"context"
	"fmt"

	"github.com/foyer-idp/foyer/internal/store"
)

const consentColumns = `tenant_id, user_id, client_id, scopes, created_at, updated_at`

func scanConsent(r rowScanner) (store.Consent, error) {
	var c store.Consent
	err := r.Scan(&c.TenantID, &c.UserID, &c.ClientID, listDest{&c.Scopes}, timeDest{&c.CreatedAt},
		timeDest{&c.UpdatedAt})
	return c, err
}

func (s *Store) GetConsent(ctx context.Context, tenantID, userID, clientID string) (store.Consent, error) {
	c, err := scanConsent(s.read.QueryRowContext(ctx, `SELECT `+consentColumns+` FROM consents
		WHERE tenant_id = $1 AND user_id = $2 AND client_id = $3`, tenantID, userID, clientID))
	if err != nil {
		return store.Consent{}, fmt.Errorf("get consent of user %q to %q: %w", userID, clientID, s.dbError(err))
	}
	return c, nil
}

// SaveConsent is one upsert. A replaced consent takes the new scopes and
// UpdatedAt and keeps the CreatedAt of the first. An unknown user or
// client is ErrNotFound.
func (s *Store) SaveConsent(ctx context.Context, c store.Consent) error {
	_, err := s.write.ExecContext(ctx, `INSERT INTO consents (`+consentColumns+`) VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (tenant_id, user_id, client_id) DO UPDATE
		SET scopes = excluded.scopes, updated_at = excluded.updated_at`,
		c.TenantID, c.UserID, c.ClientID, listArg(c.Scopes), s.timeArg(c.CreatedAt), s.timeArg(c.UpdatedAt))
	if err != nil {
		return fmt.Errorf("save consent of user %q to %q: %w", c.UserID, c.ClientID, s.dbError(err))
	}
	return nil
}

func (s *Store) DeleteConsent(ctx context.Context, tenantID, userID, clientID string) error {
	err := execOne(ctx, s.write, `DELETE FROM consents WHERE tenant_id = $1 AND user_id = $2 AND client_id = $3`,
		tenantID, userID, clientID)
	if err != nil {
		return fmt.Errorf("delete consent of user %q to %q: %w", userID, clientID, s.dbError(err))
	}
	return nil
}
