package store

import (
	"context"
	"time"
)

// Multi-factor authentication: each user's TOTP factor and recovery
// codes. Every decision that must hold across nodes (a code used once,
// failures counted, a lock) is one conditional statement.

// Who a tenant makes prove a second factor (Tenant.MFA.Required).
const (
	MFARequiredNobody   = "nobody"
	MFARequiredGuests   = "guests" // the default for new tenants
	MFARequiredEveryone = "everyone"
)

// MFAPolicy is a tenant's multi-factor rule.
type MFAPolicy struct {
	// Required is one of the MFARequired… values; empty means guests.
	Required string `json:"required"`
	// PeriodSeconds is the TOTP time step; 0 means 30.
	PeriodSeconds int `json:"periodSeconds,omitempty"`
}

// Rule answers who must prove a second factor: Required, guests when
// unset. Every reader of the policy goes through it.
func (p MFAPolicy) Rule() string {
	if p.Required == "" {
		return MFARequiredGuests
	}
	return p.Required
}

// MFAFactors stores TOTP factors and recovery codes.
type MFAFactors interface {
	// SaveTOTPFactor creates the user's factor or, when one exists,
	// replaces only its pending secret (an active secret stays until the
	// new one is confirmed). ErrNotFound when the user is not in the
	// tenant.
	SaveTOTPFactor(ctx context.Context, f TOTPFactor) error
	// GetTOTPFactor answers ErrNotFound when the user has none.
	GetTOTPFactor(ctx context.Context, tenantID, userID string) (TOTPFactor, error)
	// ActivateTOTPFactor makes the pending secret the active one (an
	// earlier active secret is replaced), with LastStep = step and
	// failures cleared, in one conditional UPDATE. ErrNotFound when there
	// is no pending secret.
	ActivateTOTPFactor(ctx context.Context, tenantID, userID string, step int64, at time.Time) error
	// UseTOTPStep records a successful code of time step: it advances
	// LastStep to step and clears failures only if step > LastStep, the
	// factor is active and not locked at 'at' — one conditional UPDATE, so
	// a code is accepted at most once across nodes. ErrAlreadyUsed when
	// step <= LastStep; ErrConflict when the factor is locked at 'at';
	// ErrNotFound when there is no active factor.
	UseTOTPStep(ctx context.Context, tenantID, userID string, step int64, at time.Time) error
	// RecordMFAFailure counts a failed second-factor attempt and answers
	// the new count; when it reaches lockAt, the factor is locked until
	// lockUntil. One atomic UPDATE … RETURNING. A lock that has passed
	// leaves the count as it was, so each further failure before a success
	// or UnlockMFA locks again. ErrNotFound without a factor.
	RecordMFAFailure(ctx context.Context, tenantID, userID string, at time.Time, lockAt int, lockUntil time.Time) (int, error)
	// UnlockMFA clears failures and any lock. ErrNotFound without a factor.
	UnlockMFA(ctx context.Context, tenantID, userID string) error
	// DeleteMFA removes the user's factor and recovery codes (an admin's
	// reset); none is no error.
	DeleteMFA(ctx context.Context, tenantID, userID string) error

	// ReplaceRecoveryCodes voids the user's recovery codes and stores the
	// new hashes, in one transaction.
	ReplaceRecoveryCodes(ctx context.Context, tenantID, userID string, hashes []string, at time.Time) error
	// UseRecoveryCode marks the unused code with hash used at 'at', once
	// (one conditional UPDATE, which also refuses while the user's factor
	// is locked at 'at': ErrConflict); ErrNotFound when no unused code
	// matches.
	UseRecoveryCode(ctx context.Context, tenantID, userID, hash string, at time.Time) error
	// CountRecoveryCodes answers how many unused codes the user has.
	CountRecoveryCodes(ctx context.Context, tenantID, userID string) (int, error)

	// ListMFARegistrations answers, for every user of the tenant, whether
	// an active factor exists, oldest user first (creation time, then id):
	// one query, for reports.
	ListMFARegistrations(ctx context.Context, tenantID string) ([]MFARegistration, error)
}

// TOTPFactor is a user's authenticator app registration.
type TOTPFactor struct {
	TenantID string
	UserID   string
	// SealedSecret is the active 160-bit secret, sealed under the master
	// key; PendingSealedSecret one being enrolled, not yet confirmed.
	SealedSecret        []byte
	PendingSealedSecret []byte
	Active              bool
	// LastStep is the last time step (unix seconds / period) accepted.
	LastStep      int64
	Failures      int
	LastFailureAt *time.Time
	LockedUntil   *time.Time
	CreatedAt     time.Time
	ActivatedAt   *time.Time
}

// MFARegistration is one user's line in the registration report.
type MFARegistration struct {
	User        User
	Registered  bool
	LockedUntil *time.Time
}
