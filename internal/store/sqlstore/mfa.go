package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/foyer-idp/foyer/internal/store"
)

// TOTP factors and recovery codes. Every decision (a step used once, a
// failure counted, a lock honoured) is one conditional statement, so the
// database decides between nodes. Error messages name the user only, never
// a secret, hash or code.

const mfaFactorColumns = `tenant_id, user_id, sealed_secret, pending_sealed_secret, active, last_step,
	failures, last_failure_at, locked_until, created_at, activated_at`

func scanMFAFactor(r rowScanner) (store.TOTPFactor, error) {
	var f store.TOTPFactor
	err := r.Scan(&f.TenantID, &f.UserID, bytesDest{&f.SealedSecret}, bytesDest{&f.PendingSealedSecret},
		&f.Active, &f.LastStep, &f.Failures, nullTimeDest{&f.LastFailureAt}, nullTimeDest{&f.LockedUntil},
		timeDest{&f.CreatedAt}, nullTimeDest{&f.ActivatedAt})
	return f, err
}

// SaveTOTPFactor is one upsert; on an existing factor only the pending
// secret changes.
func (s *Store) SaveTOTPFactor(ctx context.Context, f store.TOTPFactor) error {
	_, err := s.write.ExecContext(ctx, `INSERT INTO mfa_factors (`+mfaFactorColumns+`)
		VALUES (`+placeholders(11)+`)
		ON CONFLICT (tenant_id, user_id) DO UPDATE SET pending_sealed_secret = excluded.pending_sealed_secret`,
		f.TenantID, f.UserID, blobArg(f.SealedSecret), blobArg(f.PendingSealedSecret), f.Active, f.LastStep,
		f.Failures, s.nullTimeArg(f.LastFailureAt), s.nullTimeArg(f.LockedUntil), s.timeArg(f.CreatedAt),
		s.nullTimeArg(f.ActivatedAt))
	if err != nil {
		return fmt.Errorf("save TOTP factor of user %q: %w", f.UserID, s.dbError(err))
	}
	return nil
}

func (s *Store) GetTOTPFactor(ctx context.Context, tenantID, userID string) (store.TOTPFactor, error) {
	f, err := scanMFAFactor(s.read.QueryRowContext(ctx, `SELECT `+mfaFactorColumns+` FROM mfa_factors
		WHERE tenant_id = $1 AND user_id = $2`, tenantID, userID))
	if err != nil {
		return store.TOTPFactor{}, fmt.Errorf("get TOTP factor of user %q: %w", userID, s.dbError(err))
	}
	return f, nil
}

func (s *Store) ActivateTOTPFactor(ctx context.Context, tenantID, userID string, step int64, at time.Time) error {
	err := execOne(ctx, s.write, `UPDATE mfa_factors SET sealed_secret = pending_sealed_secret,
		pending_sealed_secret = NULL, active = $3, last_step = $4, failures = 0, last_failure_at = NULL,
		locked_until = NULL, activated_at = $5
		WHERE tenant_id = $1 AND user_id = $2 AND pending_sealed_secret IS NOT NULL`,
		tenantID, userID, true, step, s.timeArg(at))
	if err != nil {
		return fmt.Errorf("activate TOTP factor of user %q: %w", userID, s.dbError(err))
	}
	return nil
}

// UseTOTPStep moves last_step forward only if the step is newer and the
// factor is active and unlocked: of racing callers with the same step,
// exactly one changes the row. A caller that changed nothing learns why
// from a second look.
func (s *Store) UseTOTPStep(ctx context.Context, tenantID, userID string, step int64, at time.Time) error {
	n, err := execCount(ctx, s.write, `UPDATE mfa_factors SET last_step = $3, failures = 0,
		last_failure_at = NULL, locked_until = NULL
		WHERE tenant_id = $1 AND user_id = $2 AND active AND last_step < $3
			AND (locked_until IS NULL OR locked_until <= $4)`,
		tenantID, userID, step, s.timeArg(at))
	if err == nil && n == 0 {
		err = s.whyStepRefused(ctx, tenantID, userID, at)
	}
	if err != nil {
		return fmt.Errorf("use TOTP step of user %q: %w", userID, s.dbError(err))
	}
	return nil
}

// whyStepRefused classifies a factor the conditional UPDATE did not
// match. A lock wins over a replay.
func (s *Store) whyStepRefused(ctx context.Context, tenantID, userID string, at time.Time) error {
	f, err := scanMFAFactor(s.write.QueryRowContext(ctx, `SELECT `+mfaFactorColumns+` FROM mfa_factors
		WHERE tenant_id = $1 AND user_id = $2`, tenantID, userID))
	switch {
	case err != nil:
		return err
	case !f.Active:
		return store.ErrNotFound
	case f.LockedUntil != nil && f.LockedUntil.After(at):
		return store.ErrConflict
	default:
		return store.ErrAlreadyUsed
	}
}

// RecordMFAFailure counts in the row itself: concurrent failures each see
// a distinct count, and the one reaching lockAt sets the lock.
func (s *Store) RecordMFAFailure(ctx context.Context, tenantID, userID string, at time.Time, lockAt int, lockUntil time.Time) (int, error) {
	var failures int
	err := s.write.QueryRowContext(ctx, `UPDATE mfa_factors SET failures = failures + 1, last_failure_at = $3,
		locked_until = CASE WHEN failures + 1 >= $4 THEN $5 ELSE locked_until END
		WHERE tenant_id = $1 AND user_id = $2
		RETURNING failures`,
		tenantID, userID, s.timeArg(at), lockAt, s.timeArg(lockUntil)).Scan(&failures)
	if err != nil {
		return 0, fmt.Errorf("record MFA failure of user %q: %w", userID, s.dbError(err))
	}
	return failures, nil
}

func (s *Store) UnlockMFA(ctx context.Context, tenantID, userID string) error {
	err := execOne(ctx, s.write, `UPDATE mfa_factors SET failures = 0, last_failure_at = NULL, locked_until = NULL
		WHERE tenant_id = $1 AND user_id = $2`, tenantID, userID)
	if err != nil {
		return fmt.Errorf("unlock MFA of user %q: %w", userID, s.dbError(err))
	}
	return nil
}

func (s *Store) DeleteMFA(ctx context.Context, tenantID, userID string) error {
	err := s.atomically(ctx, func(tx *Store) error {
		if _, err := tx.write.ExecContext(ctx, `DELETE FROM recovery_codes WHERE tenant_id = $1 AND user_id = $2`,
			tenantID, userID); err != nil {
			return err
		}
		_, err := tx.write.ExecContext(ctx, `DELETE FROM mfa_factors WHERE tenant_id = $1 AND user_id = $2`,
			tenantID, userID)
		return err
	})
	if err != nil {
		return fmt.Errorf("delete MFA of user %q: %w", userID, s.dbError(err))
	}
	return nil
}

func (s *Store) ReplaceRecoveryCodes(ctx context.Context, tenantID, userID string, hashes []string, at time.Time) error {
	err := s.atomically(ctx, func(tx *Store) error {
		if _, err := tx.write.ExecContext(ctx, `DELETE FROM recovery_codes WHERE tenant_id = $1 AND user_id = $2`,
			tenantID, userID); err != nil {
			return err
		}
		for _, h := range hashes {
			if _, err := tx.write.ExecContext(ctx, `INSERT INTO recovery_codes
				(tenant_id, user_id, code_hash, used_at, created_at) VALUES ($1, $2, $3, NULL, $4)`,
				tenantID, userID, h, tx.timeArg(at)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("replace recovery codes of user %q: %w", userID, s.dbError(err))
	}
	return nil
}

// UseRecoveryCode spends the code in one conditional UPDATE, which also
// refuses while the user's factor is locked at 'at'.
func (s *Store) UseRecoveryCode(ctx context.Context, tenantID, userID, hash string, at time.Time) error {
	n, err := execCount(ctx, s.write, `UPDATE recovery_codes SET used_at = $4
		WHERE tenant_id = $1 AND user_id = $2 AND code_hash = $3 AND used_at IS NULL
			AND NOT EXISTS (SELECT 1 FROM mfa_factors f WHERE f.tenant_id = $1 AND f.user_id = $2
				AND f.locked_until IS NOT NULL AND f.locked_until > $4)`,
		tenantID, userID, hash, s.timeArg(at))
	if err == nil && n == 0 {
		err = s.whyRecoveryRefused(ctx, tenantID, userID, at)
	}
	if err != nil {
		return fmt.Errorf("use recovery code of user %q: %w", userID, s.dbError(err))
	}
	return nil
}

func (s *Store) whyRecoveryRefused(ctx context.Context, tenantID, userID string, at time.Time) error {
	f, err := scanMFAFactor(s.write.QueryRowContext(ctx, `SELECT `+mfaFactorColumns+` FROM mfa_factors
		WHERE tenant_id = $1 AND user_id = $2`, tenantID, userID))
	if err == nil && f.LockedUntil != nil && f.LockedUntil.After(at) {
		return store.ErrConflict
	}
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	return store.ErrNotFound
}

func (s *Store) CountRecoveryCodes(ctx context.Context, tenantID, userID string) (int, error) {
	var n int
	err := s.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM recovery_codes
		WHERE tenant_id = $1 AND user_id = $2 AND used_at IS NULL`, tenantID, userID).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count recovery codes of user %q: %w", userID, s.dbError(err))
	}
	return n, nil
}

// ListMFARegistrations is one query: the tenant's users joined to their
// factor and identities, oldest user first.
func (s *Store) ListMFARegistrations(ctx context.Context, tenantID string) ([]store.MFARegistration, error) {
	regs, err := s.listMFARegistrations(ctx, tenantID)
	if err != nil {
		return nil, fmt.Errorf("list MFA registrations: %w", s.dbError(err))
	}
	return regs, nil
}

func (s *Store) listMFARegistrations(ctx context.Context, tenantID string) ([]store.MFARegistration, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT u.*, f.active, f.locked_until,
			i.sign_in_type, i.issuer, i.issuer_assigned_id
		FROM (SELECT `+userColumns+` FROM users WHERE tenant_id = $1) u
		LEFT JOIN mfa_factors f ON f.tenant_id = u.tenant_id AND f.user_id = u.id
		LEFT JOIN user_identities i ON i.tenant_id = u.tenant_id AND i.user_id = u.id
		ORDER BY u.created_at, u.id, i.ordinal`, tenantID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	regs := []store.MFARegistration{}
	for rows.Next() {
		var r store.MFARegistration
		var active sql.NullBool
		var signInType, issuer, assignedID sql.NullString
		dests := append(userDests(&r.User), &active, nullTimeDest{&r.LockedUntil}, &signInType, &issuer, &assignedID)
		if err := rows.Scan(dests...); err != nil {
			return nil, err
		}
		r.Registered = active.Valid && active.Bool
		if n := len(regs); n == 0 || regs[n-1].User.ID != r.User.ID {
			regs = append(regs, r)
		}
		if issuer.Valid {
			last := &regs[len(regs)-1].User
			last.Identities = append(last.Identities, store.Identity{
				SignInType: signInType.String, Issuer: issuer.String, IssuerAssignedID: assignedID.String})
		}
	}
	return regs, rows.Err()
}
