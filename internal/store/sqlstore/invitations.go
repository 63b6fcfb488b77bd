package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/foyer-idp/foyer/internal/store"
)

// Invitations. Error messages name ids only: never addresses or hashes.

const invitationColumns = `tenant_id, id, invited_user_id, email, redirect_url, status, inviter_type,
	inviter_id, message_language, created_at, expires_at, redeemed_at, token_hash`

func scanInvitation(r rowScanner) (store.Invitation, error) {
	var inv store.Invitation
	err := r.Scan(&inv.TenantID, &inv.ID, &inv.InvitedUserID, &inv.Email, &inv.RedirectURL, &inv.Status,
		&inv.InviterType, &inv.InviterID, &inv.MessageLanguage, timeDest{&inv.CreatedAt},
		timeDest{&inv.ExpiresAt}, nullTimeDest{&inv.RedeemedAt}, &inv.TokenHash)
	return inv, err
}

func (s *Store) CreateInvitation(ctx context.Context, inv store.Invitation) error {
	_, err := s.write.ExecContext(ctx, `INSERT INTO invitations (`+invitationColumns+`)
		VALUES (`+placeholders(13)+`)`,
		inv.TenantID, inv.ID, inv.InvitedUserID, inv.Email, inv.RedirectURL, inv.Status, inv.InviterType,
		inv.InviterID, inv.MessageLanguage, s.timeArg(inv.CreatedAt), s.timeArg(inv.ExpiresAt),
		s.nullTimeArg(inv.RedeemedAt), inv.TokenHash)
	if err != nil {
		return fmt.Errorf("create invitation %q: %w", inv.ID, s.dbError(err))
	}
	return nil
}

func (s *Store) GetInvitation(ctx context.Context, tenantID, id string) (store.Invitation, error) {
	inv, err := scanInvitation(s.read.QueryRowContext(ctx, `SELECT `+invitationColumns+` FROM invitations
		WHERE tenant_id = $1 AND id = $2`, tenantID, id))
	if err != nil {
		return store.Invitation{}, fmt.Errorf("get invitation %q: %w", id, s.dbError(err))
	}
	return inv, nil
}

func (s *Store) ListInvitations(ctx context.Context, tenantID string, f store.InvitationFilter) ([]store.Invitation, error) {
	var c conditions
	c.add("tenant_id = ?", tenantID)
	if f.Status != "" {
		c.add("status = ?", f.Status)
	}
	if f.InvitedUserID != "" {
		c.add("invited_user_id = ?", f.InvitedUserID)
	}
	list, err := queryAll(ctx, s.read, scanInvitation, `SELECT `+invitationColumns+` FROM invitations
		WHERE `+c.where()+` ORDER BY created_at, id`, c.args...)
	if err != nil {
		return nil, fmt.Errorf("list invitations: %w", s.dbError(err))
	}
	return list, nil
}

// RenewInvitation retires the old hash first, then replaces it; callers
// that need both or neither run it in a transaction (the directory does).
func (s *Store) RenewInvitation(ctx context.Context, inv store.Invitation) error {
	if err := s.retireToken(ctx, inv.TenantID, inv.ID, store.TokenReplaced, inv.CreatedAt, inv.TokenHash); err != nil {
		return fmt.Errorf("renew invitation %q: %w", inv.ID, err)
	}
	err := execOne(ctx, s.write, `UPDATE invitations SET token_hash = $3, redirect_url = $4, inviter_type = $5,
		inviter_id = $6, message_language = $7, created_at = $8, expires_at = $9
		WHERE tenant_id = $1 AND id = $2 AND status = 'PendingAcceptance'`,
		inv.TenantID, inv.ID, inv.TokenHash, inv.RedirectURL, inv.InviterType, inv.InviterID,
		inv.MessageLanguage, s.timeArg(inv.CreatedAt), s.timeArg(inv.ExpiresAt))
	if err != nil {
		return fmt.Errorf("renew invitation %q: %w", inv.ID, s.dbError(err))
	}
	return nil
}

// retireToken keeps the current token hash of a pending invitation as
// retired for reason, unless it is keep (a renewal to the same hash).
func (s *Store) retireToken(ctx context.Context, tenantID, id, reason string, at time.Time, keep string) error {
	_, err := s.write.ExecContext(ctx, `INSERT INTO invitation_retired_tokens (tenant_id, token_hash, invitation_id, reason, retired_at)
		SELECT tenant_id, token_hash, id, $3, $4 FROM invitations
		WHERE tenant_id = $1 AND id = $2 AND status = 'PendingAcceptance' AND token_hash <> $5
		ON CONFLICT (tenant_id, token_hash) DO NOTHING`,
		tenantID, id, reason, s.timeArg(at), keep)
	if err != nil {
		return fmt.Errorf("retire token: %w", s.dbError(err))
	}
	return nil
}

// RevokeInvitation retires the token first, then revokes; callers that
// need both or neither run it in a transaction.
func (s *Store) RevokeInvitation(ctx context.Context, tenantID, id string) error {
	if err := s.retireToken(ctx, tenantID, id, store.TokenRevoked, time.Now(), ""); err != nil {
		return fmt.Errorf("revoke invitation %q: %w", id, err)
	}
	err := execOne(ctx, s.write, `UPDATE invitations SET status = 'Revoked'
		WHERE tenant_id = $1 AND id = $2 AND status = 'PendingAcceptance'`, tenantID, id)
	if err != nil {
		return fmt.Errorf("revoke invitation %q: %w", id, s.dbError(err))
	}
	return nil
}

// RedeemInvitation lets the database pick the winner, as ConsumeToken does.
func (s *Store) RedeemInvitation(ctx context.Context, tenantID, hash string, at time.Time) (store.Invitation, error) {
	inv, err := scanInvitation(s.write.QueryRowContext(ctx, `UPDATE invitations
		SET status = 'Accepted', redeemed_at = $3
		WHERE tenant_id = $1 AND token_hash = $2 AND status = 'PendingAcceptance' AND expires_at > $3
		RETURNING `+invitationColumns, tenantID, hash, s.timeArg(at)))
	if errors.Is(err, sql.ErrNoRows) {
		err = s.whyNotRedeemable(ctx, tenantID, hash)
	}
	if err != nil {
		return store.Invitation{}, fmt.Errorf("redeem invitation: %w", s.dbError(err))
	}
	return inv, nil
}

// whyNotRedeemable classifies an invitation the conditional UPDATE did not
// match. A revoked invitation is as good as unknown.
func (s *Store) whyNotRedeemable(ctx context.Context, tenantID, hash string) error {
	inv, err := scanInvitation(s.read.QueryRowContext(ctx, `SELECT `+invitationColumns+` FROM invitations
		WHERE tenant_id = $1 AND token_hash = $2`, tenantID, hash))
	switch {
	case err != nil:
		return err
	case inv.Status == store.InvitationAccepted:
		return store.ErrAlreadyUsed
	case inv.Status == store.InvitationRevoked:
		return store.ErrNotFound
	default:
		return store.ErrExpired
	}
}

func (s *Store) GetInvitationByTokenHash(ctx context.Context, tenantID, hash string) (store.Invitation, error) {
	inv, err := scanInvitation(s.read.QueryRowContext(ctx, `SELECT `+invitationColumns+` FROM invitations
		WHERE tenant_id = $1 AND token_hash = $2`, tenantID, hash))
	if err != nil {
		return store.Invitation{}, fmt.Errorf("get invitation by token: %w", s.dbError(err))
	}
	return inv, nil
}

func (s *Store) RetiredInvitationToken(ctx context.Context, tenantID, hash string) (store.RetiredToken, error) {
	var rt store.RetiredToken
	err := s.read.QueryRowContext(ctx, `SELECT invitation_id, reason, retired_at FROM invitation_retired_tokens
		WHERE tenant_id = $1 AND token_hash = $2`, tenantID, hash).Scan(&rt.InvitationID, &rt.Reason, timeDest{&rt.RetiredAt})
	if err != nil {
		return store.RetiredToken{}, fmt.Errorf("read retired invitation token: %w", s.dbError(err))
	}
	return rt, nil
}

func (s *Store) BlockInvitations(ctx context.Context, tenantID, email string, at time.Time) error {
	_, err := s.write.ExecContext(ctx, `INSERT INTO invitation_blocks (tenant_id, email, created_at)
		VALUES ($1, $2, $3) ON CONFLICT (tenant_id, email) DO NOTHING`, tenantID, email, s.timeArg(at))
	if err != nil {
		return fmt.Errorf("block invitations: %w", s.dbError(err))
	}
	return nil
}

func (s *Store) InvitationsBlocked(ctx context.Context, tenantID, email string) (bool, error) {
	var n int
	err := s.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM invitation_blocks
		WHERE tenant_id = $1 AND email = $2`, tenantID, email).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("read invitation blocks: %w", s.dbError(err))
	}
	return n > 0, nil
}

// TallyInvitations is one aggregate over every tenant's invitations.
func (s *Store) TallyInvitations(ctx context.Context, now time.Time) (map[string]int, error) {
	type tally struct {
		state string
		n     int
	}
	rows, err := queryAll(ctx, s.read, func(r rowScanner) (tally, error) {
		var t tally
		err := r.Scan(&t.state, &t.n)
		return t, err
	}, `SELECT CASE WHEN status = $1 AND expires_at <= $2 THEN $3 ELSE status END AS state, COUNT(*)
		FROM invitations GROUP BY state`, store.InvitationPending, s.timeArg(now), store.InvitationExpired)
	if err != nil {
		return nil, fmt.Errorf("tally invitations: %w", s.dbError(err))
	}
	out := make(map[string]int, len(rows))
	for _, r := range rows {
		out[r.state] = r.n
	}
	return out, nil
}
