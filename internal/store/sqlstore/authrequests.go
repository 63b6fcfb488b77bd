package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/foyer-idp/foyer/internal/store"
)

const authRequestColumns = `tenant_id, id, client_id, redirect_uri, scopes, state, nonce, response_type,
	response_mode, code_challenge, code_challenge_method, prompt, max_age, login_hint, ui_locales, acr_values,
	id_token_hint_subject, browser_binding, user_id, session_id, auth_time, amr, consent_given, done,
	device_id, created_at, expires_at, password_proof`

func scanAuthRequest(r rowScanner) (store.AuthRequest, error) {
	var a store.AuthRequest
	err := r.Scan(&a.TenantID, &a.ID, &a.ClientID, &a.RedirectURI, listDest{&a.Scopes}, &a.State, &a.Nonce,
		&a.ResponseType, &a.ResponseMode, &a.CodeChallenge, &a.CodeChallengeMethod, listDest{&a.Prompt},
		&a.MaxAge, &a.LoginHint, listDest{&a.UILocales}, listDest{&a.ACRValues}, &a.IDTokenHintSubject,
		&a.BrowserBinding, &a.UserID, &a.SessionID, nullTimeDest{&a.AuthTime}, listDest{&a.AMR},
		&a.ConsentGiven, &a.Done, &a.DeviceID, timeDest{&a.CreatedAt}, timeDest{&a.ExpiresAt}, &a.PasswordProof)
	return a, err
}

func (s *Store) CreateAuthRequest(ctx context.Context, r store.AuthRequest) error {
	_, err := s.write.ExecContext(ctx, `INSERT INTO auth_requests (`+authRequestColumns+`)
		VALUES (`+placeholders(28)+`)`,
		r.TenantID, r.ID, r.ClientID, r.RedirectURI, listArg(r.Scopes), r.State, r.Nonce, r.ResponseType,
		r.ResponseMode, r.CodeChallenge, r.CodeChallengeMethod, listArg(r.Prompt), r.MaxAge, r.LoginHint,
		listArg(r.UILocales), listArg(r.ACRValues), r.IDTokenHintSubject, r.BrowserBinding, r.UserID,
		r.SessionID, s.nullTimeArg(r.AuthTime), listArg(r.AMR), r.ConsentGiven, r.Done,
		r.DeviceID, s.timeArg(r.CreatedAt), s.timeArg(r.ExpiresAt), r.PasswordProof)
	if err != nil {
		return fmt.Errorf("create auth request: %w", s.dbError(err))
	}
	return nil
}

// GetAuthRequest is one point lookup; an expired request is not there.
func (s *Store) GetAuthRequest(ctx context.Context, tenantID, id string, now time.Time) (store.AuthRequest, error) {
	r, err := scanAuthRequest(s.read.QueryRowContext(ctx, `SELECT `+authRequestColumns+` FROM auth_requests
		WHERE tenant_id = $1 AND id = $2 AND expires_at > $3`, tenantID, id, s.timeArg(now)))
	if err != nil {
		return store.AuthRequest{}, fmt.Errorf("get auth request: %w", s.dbError(err))
	}
	return r, nil
}

// UpdateAuthRequest writes the progress fields only; what the relying party
// asked for stays as it was created.
func (s *Store) UpdateAuthRequest(ctx context.Context, r store.AuthRequest) error {
	err := execOne(ctx, s.write, `UPDATE auth_requests SET browser_binding = $3, user_id = $4, session_id = $5,
		auth_time = $6, amr = $7, consent_given = $8, done = $9, password_proof = $10
		WHERE tenant_id = $1 AND id = $2`,
		r.TenantID, r.ID, r.BrowserBinding, r.UserID, r.SessionID, s.nullTimeArg(r.AuthTime), listArg(r.AMR),
		r.ConsentGiven, r.Done, r.PasswordProof)
	if err != nil {
		return fmt.Errorf("update auth request: %w", s.dbError(err))
	}
	return nil
}

func (s *Store) DeleteAuthRequest(ctx context.Context, tenantID, id string) error {
	err := execOne(ctx, s.write, `DELETE FROM auth_requests WHERE tenant_id = $1 AND id = $2`, tenantID, id)
	if err != nil {
		return fmt.Errorf("delete auth request: %w", s.dbError(err))
	}
	return nil
}
