package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/foyer-idp/foyer/internal/store"
)

// Session ids are hashes of cookie secrets; error messages leave them out.

const sessionColumns = `tenant_id, id, user_id, auth_time, amr, provider_id, upstream_amr, upstream_acr,
	created_at, last_seen_at, expires_at`

func scanSession(r rowScanner) (store.Session, error) {
	var ss store.Session
	err := r.Scan(&ss.TenantID, &ss.ID, &ss.UserID, timeDest{&ss.AuthTime}, listDest{&ss.AMR},
		&ss.Upstream.ProviderID, listDest{&ss.Upstream.AMR}, &ss.Upstream.ACR, timeDest{&ss.CreatedAt}, timeDest{&ss.LastSeenAt}, timeDest{&ss.ExpiresAt})
	return ss, err
}

// CreateSession answers ErrNotFound when the user is not in the tenant.
func (s *Store) CreateSession(ctx context.Context, ss store.Session) error {
	_, err := s.write.ExecContext(ctx, `INSERT INTO sessions (`+sessionColumns+`)
		VALUES (`+placeholders(11)+`)`,
		ss.TenantID, ss.ID, ss.UserID, s.timeArg(ss.AuthTime), listArg(ss.AMR), ss.Upstream.ProviderID,
		listArg(ss.Upstream.AMR), ss.Upstream.ACR, s.timeArg(ss.CreatedAt),
		s.timeArg(ss.LastSeenAt), s.timeArg(ss.ExpiresAt))
	if err != nil {
		return fmt.Errorf("create session of user %q: %w", ss.UserID, s.dbError(err))
	}
	return nil
}

// GetSession is one point lookup. A deleted session is a revoked one; an
// expired one is not there.
func (s *Store) GetSession(ctx context.Context, tenantID, id string, now time.Time) (store.Session, error) {
	ss, err := scanSession(s.read.QueryRowContext(ctx, `SELECT `+sessionColumns+` FROM sessions
		WHERE tenant_id = $1 AND id = $2 AND expires_at > $3`, tenantID, id, s.timeArg(now)))
	if err != nil {
		return store.Session{}, fmt.Errorf("get session: %w", s.dbError(err))
	}
	return ss, nil
}

// TouchSession is one conditional UPDATE: last_seen_at only moves forward,
// so two nodes touching at once cannot move it back.
func (s *Store) TouchSession(ctx context.Context, tenantID, id string, at time.Time) error {
	_, err := s.write.ExecContext(ctx, `UPDATE sessions SET last_seen_at = $3
		WHERE tenant_id = $1 AND id = $2 AND last_seen_at < $3`, tenantID, id, s.timeArg(at))
	if err != nil {
		return fmt.Errorf("touch session: %w", s.dbError(err))
	}
	return nil
}

func (s *Store) DeleteSession(ctx context.Context, tenantID, id string) error {
	if err := execOne(ctx, s.write, `DELETE FROM sessions WHERE tenant_id = $1 AND id = $2`, tenantID, id); err != nil {
		return fmt.Errorf("delete session: %w", s.dbError(err))
	}
	return nil
}

// DeleteUserSessions signs the user out everywhere; a user without sessions
// is no error.
func (s *Store) DeleteUserSessions(ctx context.Context, tenantID, userID string) error {
	_, err := s.write.ExecContext(ctx, `DELETE FROM sessions WHERE tenant_id = $1 AND user_id = $2`, tenantID, userID)
	if err != nil {
		return fmt.Errorf("delete sessions of user %q: %w", userID, s.dbError(err))
	}
	return nil
}
