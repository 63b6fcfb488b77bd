package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/foyer-idp/foyer/internal/store"
)

const userColumns = `tenant_id, id, display_name, given_name, surname, mail, user_principal_name,
	user_type, external_user_state, external_user_state_changed_at, creation_type, account_enabled,
	password_hash, created_at, updated_at, sign_in_sessions_valid_from, mail_verified, force_change_password`

// userDests are the scan targets for userColumns.
func userDests(u *store.User) []any {
	return []any{&u.TenantID, &u.ID, &u.DisplayName, &u.GivenName, &u.Surname, &u.Mail,
		&u.UserPrincipalName, &u.UserType, &u.ExternalUserState,
		nullTimeDest{&u.ExternalUserStateChangedAt}, &u.CreationType, &u.AccountEnabled,
		&u.PasswordHash, timeDest{&u.CreatedAt}, timeDest{&u.UpdatedAt}, nullTimeDest{&u.SignInSessionsValidFrom},
		&u.MailVerified, &u.ForceChangePassword}
}

// selectUsers answers the users matching c (clauses over alias u), in id
// order, at most limit when limit > 0, each with its identities. It is one
// query: the page of users joined to their identities, so no N+1.
func selectUsers(ctx context.Context, q querier, c conditions, limit int) ([]store.User, error) {
	page := `SELECT ` + userColumns + ` FROM users u WHERE ` + c.where() + ` ORDER BY u.id` + c.limit(limit)
	rows, err := q.QueryContext(ctx, `SELECT u.*, i.sign_in_type, i.issuer, i.issuer_assigned_id
		FROM (`+page+`) u
		LEFT JOIN user_identities i ON i.tenant_id = u.tenant_id AND i.user_id = u.id
		ORDER BY u.id, i.ordinal`, c.args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	users := []store.User{}
	for rows.Next() {
		var u store.User
		var signInType, issuer, assignedID sql.NullString
		if err := rows.Scan(append(userDests(&u), &signInType, &issuer, &assignedID)...); err != nil {
			return nil, err
		}
		if n := len(users); n == 0 || users[n-1].ID != u.ID {
			users = append(users, u)
		}
		if issuer.Valid {
			last := &users[len(users)-1]
			last.Identities = append(last.Identities, store.Identity{
				SignInType: signInType.String, Issuer: issuer.String, IssuerAssignedID: assignedID.String})
		}
	}
	return users, rows.Err()
}

// selectUser answers the one user matching c, or sql.ErrNoRows.
func selectUser(ctx context.Context, q querier, c conditions) (store.User, error) {
	users, err := selectUsers(ctx, q, c, 1)
	if err != nil {
		return store.User{}, err
	}
	if len(users) == 0 {
		return store.User{}, sql.ErrNoRows
	}
	return users[0], nil
}

// inTenant starts conditions on users of one tenant.
func inTenant(tenantID string) conditions {
	var c conditions
	c.add("u.tenant_id = ?", tenantID)
	return c
}

func (s *Store) CreateUser(ctx context.Context, u store.User) error {
	err := s.atomically(ctx, func(tx *Store) error {
		_, err := tx.write.ExecContext(ctx, `INSERT INTO users (`+userColumns+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)`,
			u.TenantID, u.ID, u.DisplayName, u.GivenName, u.Surname, u.Mail, u.UserPrincipalName,
			u.UserType, u.ExternalUserState, s.nullTimeArg(u.ExternalUserStateChangedAt), u.CreationType,
			u.AccountEnabled, u.PasswordHash, s.timeArg(u.CreatedAt), s.timeArg(u.UpdatedAt),
			s.nullTimeArg(u.SignInSessionsValidFrom), u.MailVerified, u.ForceChangePassword)
		if err != nil {
			return err
		}
		return tx.insertIdentities(ctx, u.TenantID, u.ID, u.Identities)
	})
	if err != nil {
		return fmt.Errorf("create user %q: %w", u.ID, s.dbError(err))
	}
	return nil
}

func (s *Store) insertIdentities(ctx context.Context, tenantID, userID string, identities []store.Identity) error {
	for i, id := range identities {
		_, err := s.write.ExecContext(ctx, `INSERT INTO user_identities
			(tenant_id, user_id, ordinal, sign_in_type, issuer, issuer_assigned_id)
			VALUES ($1, $2, $3, $4, $5, $6)`,
			tenantID, userID, i, id.SignInType, id.Issuer, id.IssuerAssignedID)
		if err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) GetUser(ctx context.Context, tenantID, id string) (store.User, error) {
	c := inTenant(tenantID)
	c.add("u.id = ?", id)
	u, err := selectUser(ctx, s.read, c)
	if err != nil {
		return store.User{}, fmt.Errorf("get user %q: %w", id, s.dbError(err))
	}
	return u, nil
}

// GetUserCore reads the user's own row by its primary key, no identities.
func (s *Store) GetUserCore(ctx context.Context, tenantID, id string) (store.User, error) {
	var u store.User
	err := s.read.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE tenant_id = $1 AND id = $2`,
		tenantID, id).Scan(userDests(&u)...)
	if err != nil {
		return store.User{}, fmt.Errorf("get user %q: %w", id, s.dbError(err))
	}
	return u, nil
}

// GetUserByEmail ignores empty mails, so "" never matches a user without
// one. Should a mail and another user's UPN coincide, the older user wins.
func (s *Store) GetUserByEmail(ctx context.Context, tenantID, email string) (store.User, error) {
	c := inTenant(tenantID)
	c.add("((u.mail <> '' AND lower(u.mail) = lower(?)) OR lower(u.user_principal_name) = lower(?))", email, email)
	u, err := selectUser(ctx, s.read, c)
	if err != nil {
		return store.User{}, fmt.Errorf("get user by email %q: %w", email, s.dbError(err))
	}
	return u, nil
}

func (s *Store) GetUserByIdentity(ctx context.Context, tenantID, issuer, subject string) (store.User, error) {
	c := inTenant(tenantID)
	c.add(`u.id IN (SELECT i.user_id FROM user_identities i
		WHERE i.tenant_id = u.tenant_id AND i.issuer = ? AND i.issuer_assigned_id = ?)`, issuer, subject)
	u, err := selectUser(ctx, s.read, c)
	if err != nil {
		return store.User{}, fmt.Errorf("get user by identity %q %q: %w", issuer, subject, s.dbError(err))
	}
	return u, nil
}

func (s *Store) ListUsers(ctx context.Context, tenantID string, f store.UserFilter) ([]store.User, error) {
	c := inTenant(tenantID)
	if f.UserType != "" {
		c.add("u.user_type = ?", f.UserType)
	}
	if f.ExternalUserState != "" {
		c.add("u.external_user_state = ?", f.ExternalUserState)
	}
	const lastSignIn = `(SELECT MAX(si.created_at) FROM sign_ins si WHERE si.tenant_id = u.tenant_id AND si.user_id = u.id)`
	if !f.LastSignInFrom.IsZero() {
		c.add(lastSignIn+" >= ?", s.timeArg(f.LastSignInFrom))
	}
	if !f.LastSignInUntil.IsZero() {
		c.add(lastSignIn+" <= ?", s.timeArg(f.LastSignInUntil))
	}
	if f.AfterID != "" {
		c.add("u.id > ?", f.AfterID)
	}
	users, err := selectUsers(ctx, s.read, c, f.Limit)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", s.dbError(err))
	}
	return users, nil
}

// UpdateUser replaces the profile and the identities; the password hash and
// creation time stay.
func (s *Store) UpdateUser(ctx context.Context, u store.User) error {
	err := s.atomically(ctx, func(tx *Store) error {
		err := execOne(ctx, tx.write, `UPDATE users SET display_name = $3, given_name = $4, surname = $5,
			mail = $6, user_principal_name = $7, user_type = $8, external_user_state = $9,
			external_user_state_changed_at = $10, creation_type = $11, account_enabled = $12, updated_at = $13,
			sign_in_sessions_valid_from = $14, mail_verified = $15, force_change_password = $16
			WHERE tenant_id = $1 AND id = $2`,
			u.TenantID, u.ID, u.DisplayName, u.GivenName, u.Surname, u.Mail, u.UserPrincipalName,
			u.UserType, u.ExternalUserState, s.nullTimeArg(u.ExternalUserStateChangedAt), u.CreationType,
			u.AccountEnabled, s.timeArg(u.UpdatedAt), s.nullTimeArg(u.SignInSessionsValidFrom), u.MailVerified, u.ForceChangePassword)
		if err != nil {
			return err
		}
		_, err = tx.write.ExecContext(ctx, `DELETE FROM user_identities WHERE tenant_id = $1 AND user_id = $2`,
			u.TenantID, u.ID)
		if err != nil {
			return err
		}
		return tx.insertIdentities(ctx, u.TenantID, u.ID, u.Identities)
	})
	if err != nil {
		return fmt.Errorf("update user %q: %w", u.ID, s.dbError(err))
	}
	return nil
}

func (s *Store) SetPasswordHash(ctx context.Context, tenantID, userID, hash string, at time.Time) error {
	err := execOne(ctx, s.write, `UPDATE users SET password_hash = $3, updated_at = $4
		WHERE tenant_id = $1 AND id = $2`, tenantID, userID, hash, s.timeArg(at))
	if err != nil {
		return fmt.Errorf("set password hash of user %q: %w", userID, s.dbError(err))
	}
	return nil
}

// ChangePasswordHash is one conditional update: the database, not the
// caller, decides which of two racing changes (or a change and a reset)
// wins. When nothing matched, a second read tells a moved-on hash from a
// missing user.
func (s *Store) ChangePasswordHash(ctx context.Context, tenantID, userID, oldHash, newHash string, at time.Time) error {
	err := execOne(ctx, s.write, `UPDATE users SET password_hash = $4, force_change_password = $5, updated_at = $6
		WHERE tenant_id = $1 AND id = $2 AND password_hash = $3`,
		tenantID, userID, oldHash, newHash, false, s.timeArg(at))
	if errors.Is(err, sql.ErrNoRows) {
		if _, gerr := s.GetUserCore(ctx, tenantID, userID); gerr != nil {
			return fmt.Errorf("change password hash of user %q: %w", userID, gerr)
		}
		return fmt.Errorf("change password hash of user %q: the hash changed meanwhile: %w", userID, store.ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("change password hash of user %q: %w", userID, s.dbError(err))
	}
	return nil
}

func (s *Store) DeleteUser(ctx context.Context, tenantID, id string) error {
	err := execOne(ctx, s.write, `DELETE FROM users WHERE tenant_id = $1 AND id = $2`, tenantID, id)
	if err != nil {
		return fmt.Errorf("delete user %q: %w", id, s.dbError(err))
	}
	return nil
}
