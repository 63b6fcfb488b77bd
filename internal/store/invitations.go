package store

import (
	"context"
	"time"
)

// Invitation states, as Graph names them.
const (
	InvitationPending  = "PendingAcceptance"
	InvitationAccepted = "Accepted"
	InvitationRevoked  = "Revoked"
	// InvitationExpired is no stored status: a pending invitation past its
	// expiry, as TallyInvitations counts it.
	InvitationExpired = "Expired"
)

// Invitations stores guest invitations. The redeem token is stored as a
// keyed hash only; re-inviting replaces it, so an older link stops working.
type Invitations interface {
	// CreateInvitation stores inv. ErrConflict for a taken id or token
	// hash; ErrNotFound when the invited user is not in the tenant.
	CreateInvitation(ctx context.Context, inv Invitation) error
	GetInvitation(ctx context.Context, tenantID, id string) (Invitation, error)
	// ListInvitations answers matching invitations, oldest first.
	ListInvitations(ctx context.Context, tenantID string, f InvitationFilter) ([]Invitation, error)
	// RenewInvitation replaces the token hash, redirect URL, inviter,
	// message language, creation and expiry times of a pending invitation.
	// The old hash stops matching at once; it is kept as retired
	// (TokenReplaced). ErrNotFound unless inv is pending
	// in its tenant.
	RenewInvitation(ctx context.Context, inv Invitation) error
	// RetiredInvitationToken answers why hash, once the token hash of an
	// invitation of the tenant, stopped working (RenewInvitation or
	// RevokeInvitation); ErrNotFound when it never was one, or still is.
	RetiredInvitationToken(ctx context.Context, tenantID, hash string) (RetiredToken, error)
	// RevokeInvitation marks a pending invitation revoked and keeps its
	// token hash as retired (TokenRevoked), which outlives the invitation.
	// ErrNotFound unless it is pending in the tenant.
	RevokeInvitation(ctx context.Context, tenantID, id string) error
	// RedeemInvitation marks the pending invitation whose token hash is
	// hash accepted at 'at' with one conditional UPDATE: of concurrent
	// callers exactly one wins, the others get ErrAlreadyUsed. An unknown
	// or revoked hash is ErrNotFound, one past its expiry ErrExpired.
	RedeemInvitation(ctx context.Context, tenantID, hash string, at time.Time) (Invitation, error)
	// GetInvitationByTokenHash answers the invitation whose current token
	// hash is hash, in any state; ErrNotFound when none is.
	GetInvitationByTokenHash(ctx context.Context, tenantID, hash string) (Invitation, error)
	// TallyInvitations counts every tenant's invitations by state at now:
	// InvitationPending, InvitationAccepted, InvitationRevoked, and
	// InvitationExpired for pending ones past their expiry. States with
	// none are absent.
	TallyInvitations(ctx context.Context, now time.Time) (map[string]int, error)

	// BlockInvitations records that email wants no more invitations from
	// the tenant; blocking twice is no error and keeps the first time.
	BlockInvitations(ctx context.Context, tenantID, email string, at time.Time) error
	// InvitationsBlocked reports whether email blocked the tenant's
	// invitations.
	InvitationsBlocked(ctx context.Context, tenantID, email string) (bool, error)
}

// Why a redeem token hash stopped working.
const (
	TokenReplaced = "Replaced"
	TokenRevoked  = "Revoked"
)

// RetiredToken is a redeem token hash that no longer works.
type RetiredToken struct {
	InvitationID string
	// Reason is TokenReplaced or TokenRevoked.
	Reason    string
	RetiredAt time.Time
}

// Invitation invites one email address into a tenant as a guest user.
type Invitation struct {
	TenantID        string
	ID              string
	InvitedUserID   string
	Email           string // lower-cased
	RedirectURL     string
	Status          string
	InviterType     string // ActorUser, ActorApp or ActorSystem
	InviterID       string
	MessageLanguage string
	CreatedAt       time.Time
	ExpiresAt       time.Time
	RedeemedAt      *time.Time
	// TokenHash is the keyed hash of the redeem token. Never serialised.
	TokenHash string
}

// InvitationFilter narrows ListInvitations. Zero values match everything.
type InvitationFilter struct {
	Status        string
	InvitedUserID string
}
