package sqlstore

import (
	"context"
	"fmt"
	"strings"
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

// TokenRevoked is one lookup of the ids on the table's primary key.
func (s *Store) TokenRevoked(ctx context.Context, tenantID string, ids ...string) (bool, error) {
	if len(ids) == 0 {
		return false, nil
	}
	args := make([]any, 0, len(ids)+1)
	args = append(args, tenantID)
	in := make([]string, len(ids))
	for i, id := range ids {
		args = append(args, id)
		in[i] = fmt.Sprintf("$%d", i+2)
	}
	var revoked bool
	err := s.read.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM token_revocations
		WHERE tenant_id = $1 AND id IN (`+strings.Join(in, ", ")+`))`, args...).Scan(&revoked)
	if err != nil {
		return false, fmt.Errorf("look up token revocations: %w", s.dbError(err))
	}
	return revoked, nil
}

// RevokeTokenID records one id.
func (s *Store) RevokeTokenID(ctx context.Context, tenantID, id string, at, until time.Time) error {
	if err := s.recordRevoked(ctx, tenantID, id, at, until); err != nil {
		return fmt.Errorf("revoke access token: %w", s.dbError(err))
	}
	return nil
}

// recordRevoked inserts id into token_revocations unless it is there; the
// first revocation stays. An unknown tenant is ErrNotFound (foreign key).
func (s *Store) recordRevoked(ctx context.Context, tenantID, id string, at, until time.Time) error {
	_, err := s.write.ExecContext(ctx, `INSERT INTO token_revocations (tenant_id, id, revoked_at, expires_at)
		VALUES ($1, $2, $3, $4) ON CONFLICT (tenant_id, id) DO NOTHING`,
		tenantID, id, s.timeArg(at), s.timeArg(until))
	return err
}
