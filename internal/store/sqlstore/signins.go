package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/foyer-idp/foyer/internal/store"
)

const signInColumns = `id, tenant_id, created_at, user_id, user_display_name, user_principal_name, user_type,
	app_id, app_display_name, ip_address, user_agent, correlation_id, authentication_requirement,
	authentication_methods, home_tenant_id, error_code, failure_reason, attempt_key`

func scanSignIn(r rowScanner) (store.SignIn, error) {
	var si store.SignIn
	var methods string
	err := r.Scan(&si.ID, &si.TenantID, timeDest{&si.CreatedAt}, &si.UserID, &si.UserDisplayName,
		&si.UserPrincipalName, &si.UserType, &si.AppID, &si.AppDisplayName, &si.IPAddress, &si.UserAgent,
		&si.CorrelationID, &si.AuthenticationRequirement, &methods, &si.HomeTenantID, &si.ErrorCode,
		&si.FailureReason, &si.AttemptKey)
	if err == nil {
		err = json.Unmarshal([]byte(methods), &si.AuthenticationMethods)
	}
	return si, err
}

func methodsColumn(methods []string) string {
	if methods == nil {
		methods = []string{}
	}
	raw, _ := json.Marshal(methods) // a []string always encodes
	return string(raw)
}

// AppendSignIn stores one attempt.
func (s *Store) AppendSignIn(ctx context.Context, si store.SignIn) error {
	_, err := s.write.ExecContext(ctx, `INSERT INTO sign_ins (`+signInColumns+`) VALUES (`+placeholders(18)+`)`,
		si.ID, si.TenantID, s.timeArg(si.CreatedAt), si.UserID, si.UserDisplayName, si.UserPrincipalName,
		si.UserType, si.AppID, si.AppDisplayName, si.IPAddress, si.UserAgent, si.CorrelationID,
		si.AuthenticationRequirement, methodsColumn(si.AuthenticationMethods), si.HomeTenantID, si.ErrorCode,
		si.FailureReason, si.AttemptKey)
	if err != nil {
		return fmt.Errorf("append sign-in %q: %w", si.ID, s.dbError(err))
	}
	return nil
}

// FailSignIn marks the attempt's row failed, or appends si when there is
// none. One statement each way; the attempt key is unique per tenant, so
// a race between two refusals of one transaction adds no second row.
func (s *Store) FailSignIn(ctx context.Context, si store.SignIn) error {
	if si.AttemptKey != "" {
		res, err := s.write.ExecContext(ctx, `UPDATE sign_ins SET error_code = $1, failure_reason = $2
			WHERE tenant_id = $3 AND attempt_key = $4`, si.ErrorCode, si.FailureReason, si.TenantID, si.AttemptKey)
		if err != nil {
			return fmt.Errorf("fail sign-in %q: %w", si.ID, s.dbError(err))
		}
		if n, err := res.RowsAffected(); err == nil && n > 0 {
			return nil
		}
	}
	return s.AppendSignIn(ctx, si)
}

// ListSignIns answers the tenant's matching attempts newest first.
func (s *Store) ListSignIns(ctx context.Context, f store.SignInFilter) ([]store.SignIn, error) {
	var c conditions
	c.add("tenant_id = ?", f.TenantID)
	if f.UserID != "" {
		c.add("user_id = ?", f.UserID)
	}
	if f.AppID != "" {
		c.add("app_id = ?", f.AppID)
	}
	if f.UserType != "" {
		c.add("user_type = ?", f.UserType)
	}
	if f.ErrorCode != nil {
		c.add("error_code = ?", *f.ErrorCode)
	}
	s.addTimeRange(&c, "created_at", f.Since, f.Until, f.Before)
	query := `SELECT ` + signInColumns + ` FROM sign_ins WHERE ` + c.where() +
		` ORDER BY created_at DESC, id DESC` + c.limit(f.Limit)
	rows, err := queryAll(ctx, s.read, scanSignIn, query, c.args...)
	if err != nil {
		return nil, fmt.Errorf("list sign-ins: %w", s.dbError(err))
	}
	return rows, nil
}

// SignInActivity reads the users' latest attempts from the log: one
// grouped query over the (tenant, user, time) index.
func (s *Store) SignInActivity(ctx context.Context, tenantID string, userIDs []string) (map[string]store.SignInActivity, error) {
	out := map[string]store.SignInActivity{}
	if len(userIDs) == 0 {
		return out, nil
	}
	var c conditions
	c.add("tenant_id = ?", tenantID)
	ids := make([]any, len(userIDs))
	for i, id := range userIDs {
		ids[i] = id
	}
	c.add("user_id IN ("+strings.TrimSuffix(strings.Repeat("?, ", len(ids)), ", ")+")", ids...)
	rows, err := s.read.QueryContext(ctx, `SELECT user_id, MAX(created_at), MAX(CASE WHEN error_code = 0 THEN created_at END)
		FROM sign_ins WHERE `+c.where()+` GROUP BY user_id`, c.args...)
	if err != nil {
		return nil, fmt.Errorf("read sign-in activity: %w", s.dbError(err))
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var a store.SignInActivity
		if err := rows.Scan(&id, nullTimeDest{&a.LastSignIn}, nullTimeDest{&a.LastSuccessfulSignIn}); err != nil {
			return nil, fmt.Errorf("read sign-in activity: %w", s.dbError(err))
		}
		out[id] = a
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read sign-in activity: %w", s.dbError(err))
	}
	return out, nil
}
