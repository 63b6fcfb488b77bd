package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/foyer-idp/foyer/internal/store"
)

// Access token ids are jtis or hashes of opaque tokens; error messages
// leave them out.

const accessTokenColumns = `tenant_id, id, client_id, subject, scopes, audience, family_id, grant_id,
	auth_time, amr, created_at, expires_at, revoked_at`

func scanAccessToken(r rowScanner) (store.AccessToken, error) {
	var t store.AccessToken
	err := r.Scan(&t.TenantID, &t.ID, &t.ClientID, &t.Subject, listDest{&t.Scopes}, listDest{&t.Audience},
		&t.FamilyID, &t.GrantID, nullTimeDest{&t.AuthTime}, listDest{&t.AMR}, timeDest{&t.CreatedAt},
		timeDest{&t.ExpiresAt}, nullTimeDest{&t.RevokedAt})
	return t, err
}

// accessTokenArgs are the arguments for accessTokenColumns.
func (s *Store) accessTokenArgs(t store.AccessToken) []any {
	return []any{t.TenantID, t.ID, t.ClientID, t.Subject, listArg(t.Scopes), listArg(t.Audience),
		t.FamilyID, t.GrantID, s.nullTimeArg(t.AuthTime), listArg(t.AMR), s.timeArg(t.CreatedAt),
		s.timeArg(t.ExpiresAt), s.nullTimeArg(t.RevokedAt)}
}

// CreateAccessToken answers ErrConflict for an id taken in the tenant. The
// subject is not a foreign key: it is a client id for client credentials.
func (s *Store) CreateAccessToken(ctx context.Context, t store.AccessToken) error {
	_, err := s.write.ExecContext(ctx, `INSERT INTO access_tokens (`+accessTokenColumns+`)
		VALUES (`+placeholders(13)+`)`, s.accessTokenArgs(t)...)
	if err != nil {
		return fmt.Errorf("create access token for client %q: %w", t.ClientID, s.dbError(err))
	}
	return nil
}

// GetAccessToken is one point lookup.
func (s *Store) GetAccessToken(ctx context.Context, tenantID, id string) (store.AccessToken, error) {
	t, err := scanAccessToken(s.read.QueryRowContext(ctx, `SELECT `+accessTokenColumns+` FROM access_tokens
		WHERE tenant_id = $1 AND id = $2`, tenantID, id))
	if err != nil {
		return store.AccessToken{}, fmt.Errorf("get access token: %w", s.dbError(err))
	}
	return t, nil
}

// RevokeAccessToken is one upsert: a token never stored is stored revoked
// at 'at'; a stored one keeps its first revocation time.
func (s *Store) RevokeAccessToken(ctx context.Context, t store.AccessToken, at time.Time) error {
	t.RevokedAt = &at
	_, err := s.write.ExecContext(ctx, `INSERT INTO access_tokens (`+accessTokenColumns+`)
		VALUES (`+placeholders(13)+`)
		ON CONFLICT (tenant_id, id) DO UPDATE
		SET revoked_at = COALESCE(access_tokens.revoked_at, excluded.revoked_at)`, s.accessTokenArgs(t)...)
	if err != nil {
		return fmt.Errorf("revoke access token for client %q: %w", t.ClientID, s.dbError(err))
	}
	return nil
}
