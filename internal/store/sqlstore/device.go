package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/foyer-idp/foyer/internal/store"
)

const deviceColumns = `tenant_id, id, device_code_hash, user_code_hash, client_id, scopes, state, user_id, auth_time,
	amr, sid, interval_seconds, next_poll_at, created_at, expires_at`

func scanDevice(r rowScanner) (store.DeviceAuthorization, error) {
	var d store.DeviceAuthorization
	var interval int64
	err := r.Scan(&d.TenantID, &d.ID, &d.DeviceCodeHash, &d.UserCodeHash, &d.ClientID, listDest{&d.Scopes}, &d.State,
		&d.UserID, nullTimeDest{&d.AuthTime}, listDest{&d.AMR}, &d.SID, &interval, timeDest{&d.NextPollAt},
		timeDest{&d.CreatedAt}, timeDest{&d.ExpiresAt})
	d.Interval = time.Duration(interval) * time.Second
	return d, err
}

func (s *Store) CreateDeviceAuthorization(ctx context.Context, d store.DeviceAuthorization) error {
	_, err := s.write.ExecContext(ctx, `INSERT INTO device_authorizations (`+deviceColumns+`)
		VALUES (`+placeholders(15)+`)`,
		d.TenantID, d.ID, d.DeviceCodeHash, d.UserCodeHash, d.ClientID, listArg(d.Scopes), d.State, d.UserID,
		s.nullTimeArg(d.AuthTime), listArg(d.AMR), d.SID, int64(d.Interval/time.Second), s.timeArg(d.NextPollAt),
		s.timeArg(d.CreatedAt), s.timeArg(d.ExpiresAt))
	if err != nil {
		return fmt.Errorf("create device authorization: %w", s.dbError(err))
	}
	return nil
}

func (s *Store) GetDeviceAuthorizationByDeviceCode(ctx context.Context, tenantID, deviceCodeHash string) (store.DeviceAuthorization, error) {
	d, err := scanDevice(s.read.QueryRowContext(ctx, `SELECT `+deviceColumns+` FROM device_authorizations
		WHERE tenant_id = $1 AND device_code_hash = $2`, tenantID, deviceCodeHash))
	if err != nil {
		return store.DeviceAuthorization{}, fmt.Errorf("get device authorization: %w", s.dbError(err))
	}
	return d, nil
}

func (s *Store) GetPendingDeviceAuthorization(ctx context.Context, tenantID, id, userCodeHash string, now time.Time) (store.DeviceAuthorization, error) {
	key, value := "id", id
	if userCodeHash != "" {
		key, value = "user_code_hash", userCodeHash
	}
	d, err := scanDevice(s.read.QueryRowContext(ctx, `SELECT `+deviceColumns+` FROM device_authorizations
		WHERE tenant_id = $1 AND `+key+` = $2 AND state = 'pending' AND expires_at > $3`, tenantID, value, s.timeArg(now)))
	if err != nil {
		return store.DeviceAuthorization{}, fmt.Errorf("get pending device authorization: %w", s.dbError(err))
	}
	return d, nil
}

func (s *Store) DecideDeviceAuthorization(ctx context.Context, d store.DeviceAuthorization, now time.Time) error {
	if d.State != store.DeviceApproved && d.State != store.DeviceDenied {
		return fmt.Errorf("decide device authorization: state %q is not a decision", d.State)
	}
	err := execOne(ctx, s.write, `UPDATE device_authorizations SET state = $3, user_id = $4, auth_time = $5, amr = $6, sid = $7
		WHERE tenant_id = $1 AND id = $2 AND state = 'pending' AND expires_at > $8`,
		d.TenantID, d.ID, d.State, d.UserID, s.nullTimeArg(d.AuthTime), listArg(d.AMR), d.SID, s.timeArg(now))
	if err != nil {
		return fmt.Errorf("decide device authorization: %w", s.dbError(err))
	}
	return nil
}

func (s *Store) RecordDevicePoll(ctx context.Context, tenantID, id string, prevNextPoll time.Time, interval time.Duration, nextPoll time.Time) (bool, error) {
	n, err := execCount(ctx, s.write, `UPDATE device_authorizations SET interval_seconds = $4, next_poll_at = $5
		WHERE tenant_id = $1 AND id = $2 AND next_poll_at = $3 AND state = 'pending'`,
		tenantID, id, s.timeArg(prevNextPoll), int64(interval/time.Second), s.timeArg(nextPoll))
	if err != nil {
		return false, fmt.Errorf("record device poll: %w", s.dbError(err))
	}
	return n == 1, nil
}

func (s *Store) ConsumeDeviceAuthorization(ctx context.Context, tenantID, deviceCodeHash, clientID string) (store.DeviceAuthorization, error) {
	d, err := scanDevice(s.write.QueryRowContext(ctx, `UPDATE device_authorizations SET state = 'consumed'
		WHERE tenant_id = $1 AND device_code_hash = $2 AND client_id = $3 AND state = 'approved'
		RETURNING `+deviceColumns, tenantID, deviceCodeHash, clientID))
	if err != nil {
		return store.DeviceAuthorization{}, fmt.Errorf("consume device authorization: %w", s.dbError(err))
	}
	return d, nil
}
