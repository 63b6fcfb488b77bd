package store

import (
	"context"
	"time"
)

// Redemptions stores redemption transactions: a browser on its way from an
// invitation's redeem link to an accepted guest. The transaction remembers
// which identity the guest proved until they consent.
type Redemptions interface {
	// CreateRedemption stores r. ErrNotFound when its invitation is not in
	// the tenant; ErrConflict for a taken id.
	CreateRedemption(ctx context.Context, r Redemption) error
	// GetRedemption answers ErrNotFound for an unknown id, one of another
	// tenant, and one past ExpiresAt.
	GetRedemption(ctx context.Context, tenantID, id string, now time.Time) (Redemption, error)
	// UpdateRedemption replaces the proven identity (Identity,
	// IdentityEmail, IdentityEmailVerified, AMR, Upstream, Profile). ErrNotFound when r is not in
	// the tenant.
	UpdateRedemption(ctx context.Context, r Redemption) error
	// DeleteRedemption answers ErrNotFound when there is no such
	// transaction.
	DeleteRedemption(ctx context.Context, tenantID, id string) error
}

// Redemption is one browser redeeming one invitation.
type Redemption struct {
	TenantID     string
	ID           string
	InvitationID string
	// TokenHash is the invitation's token hash when the transaction began:
	// a re-invitation in the meantime voids the transaction.
	TokenHash string
	// BrowserBinding is the hash of the cookie of the browser that began;
	// only that browser may go on.
	BrowserBinding string
	// Identity is what the guest proved, zero until they did;
	// IdentityEmail the address that identity asserted, and
	// IdentityEmailVerified whether its source verified it (a passcode,
	// or an upstream's email_verified true).
	Identity              Identity
	IdentityEmail         string
	IdentityEmailVerified bool
	AMR                   []string
	// Upstream and Profile come from an upstream sign-in: the guest's
	// profile is filled from them once they accept.
	Upstream  Upstream
	Profile   Profile
	CreatedAt time.Time
	ExpiresAt time.Time
}

// Profile is what an upstream says of a person's names.
type Profile struct {
	DisplayName string
	GivenName   string
	Surname     string
}

// Passcodes stores one-time passcodes sent by email. A subject (an
// invitation being redeemed, a user signing in) has at most one live
// passcode: issuing another replaces it.
type Passcodes interface {
	// IssuePasscode stores p as its subject's only passcode, replacing any
	// earlier one with its attempt count.
	IssuePasscode(ctx context.Context, p Passcode) error
	// ConsumePasscode checks a typed code's hash against the subject's live
	// passcode in one conditional statement. A match from the browser it
	// was bound to, before ExpiresAt and with fewer than maxAttempts failed
	// attempts, deletes and answers it: of concurrent callers one wins.
	// Anything else on a live passcode counts a failed attempt and answers
	// ErrMismatch with the count in Attempts; the attempt that reaches
	// maxAttempts deletes the passcode. ErrNotFound when the subject has no
	// live passcode (never sent, used, voided or expired).
	ConsumePasscode(ctx context.Context, tenantID, subject, hash, binding string, maxAttempts int, now time.Time) (Passcode, error)
}

// Passcode is a keyed hash of a one-time code and the browser it was sent
// for.
type Passcode struct {
	TenantID       string
	Subject        string
	Hash           string
	BrowserBinding string
	Attempts       int
	CreatedAt      time.Time
	ExpiresAt      time.Time
}
