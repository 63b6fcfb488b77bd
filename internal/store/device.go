package store

import (
	"context"
	"time"
)

// States of a device authorization (RFC 8628): pending until the user
// approves or denies it at the verification page; an approval is consumed
// by the one token response it gives.
const (
	DevicePending  = "pending"
	DeviceApproved = "approved"
	DeviceDenied   = "denied"
	DeviceConsumed = "consumed"
)

// DeviceAuthorization is one device authorization request. Its device
// and user codes are stored only as keyed hashes.
type DeviceAuthorization struct {
	TenantID string
	// ID names it in the login transaction of its verification page.
	ID             string
	DeviceCodeHash string
	UserCodeHash   string
	ClientID       string
	Scopes         []string
	State          string
	// The approval: who, when they signed in, how, in which session (the
	// ID token's sid). Empty until approved.
	UserID   string
	AuthTime *time.Time
	AMR      []string
	SID      string
	// Interval is the wait the client must keep between polls; slow_down
	// lengthens it. NextPollAt is when the next poll may come.
	Interval   time.Duration
	NextPollAt time.Time
	CreatedAt  time.Time
	ExpiresAt  time.Time
}

// DeviceAuthorizations stores device authorization requests. Every
// change of state is one conditional UPDATE: the database decides which
// of concurrent approvals, denials, polls and redemptions wins.
type DeviceAuthorizations interface {
	CreateDeviceAuthorization(ctx context.Context, d DeviceAuthorization) error
	// GetDeviceAuthorizationByDeviceCode answers the request in any state,
	// expired included; ErrNotFound for an unknown hash.
	GetDeviceAuthorizationByDeviceCode(ctx context.Context, tenantID, deviceCodeHash string) (DeviceAuthorization, error)
	// GetPendingDeviceAuthorization answers a pending, unexpired request by
	// its user code's hash or, with userCodeHash empty, by id; ErrNotFound
	// otherwise.
	GetPendingDeviceAuthorization(ctx context.Context, tenantID, id, userCodeHash string, now time.Time) (DeviceAuthorization, error)
	// DecideDeviceAuthorization moves a pending, unexpired request to
	// d.State (DeviceApproved with the user fields, or DeviceDenied);
	// ErrNotFound when it is no longer pending or has expired.
	DecideDeviceAuthorization(ctx context.Context, d DeviceAuthorization, now time.Time) error
	// RecordDevicePoll sets the interval and next poll time of a pending
	// request whose next poll time is still prevNextPoll; false when
	// another poll or a decision changed it first.
	RecordDevicePoll(ctx context.Context, tenantID, id string, prevNextPoll time.Time, interval time.Duration, nextPoll time.Time) (bool, error)
	// ConsumeDeviceAuthorization marks an approved request of clientID
	// consumed and answers it; ErrNotFound when it is not (any more) an
	// approved request of that client.
	ConsumeDeviceAuthorization(ctx context.Context, tenantID, deviceCodeHash, clientID string) (DeviceAuthorization, error)
}
