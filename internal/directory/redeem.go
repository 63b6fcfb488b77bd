package directory

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/foyer-idp/foyer/internal/audit"
	"github.com/foyer-idp/foyer/internal/store"
)

// Identity issuer of guests who prove their address with an email
// one-time passcode, as Graph shows them.
const IssuerMail = "mail"

// Why an invitation cannot be redeemed. Each is a RedeemError; pages show
// its Reason, which never says more than the link's holder may know.
var (
	ErrInvitationNotFound = errors.New("invitation not found")
	ErrInvitationExpired  = errors.New("invitation expired")
	ErrInvitationRedeemed = errors.New("invitation already redeemed")
	ErrRedeemRefused      = errors.New("redemption refused")
)

// RedeemError says why an invitation could not be redeemed.
type RedeemError struct {
	// Err is one of the ErrInvitation… sentinels or ErrRedeemRefused.
	Err    error
	Reason string
	// SignInURL, for an invitation already accepted, is the app it was
	// for (its inviteRedirectUrl while that still belongs to one of the
	// tenant's applications): the next step for whoever accepted it.
	SignInURL string
}

func (e *RedeemError) Error() string { return e.Reason }
func (e *RedeemError) Unwrap() error { return e.Err }

func redeemError(err error, format string, args ...any) *RedeemError {
	return &RedeemError{Err: err, Reason: fmt.Sprintf(format, args...)}
}

// Redeemable is an invitation a redeem link names, still open, with what
// its page shows.
type Redeemable struct {
	Invitation store.Invitation
	Guest      store.User
	// InviterName is who invited, for "X invited you"; the tenant's name
	// when a system or an app did.
	InviterName string
}

// RedeemTokenHash answers the stored form of a redeem token.
func (d *Directory) RedeemTokenHash(token string) string {
	if d.invites == nil {
		return ""
	}
	return d.invites.Hasher.Hash(token)
}

// OpenInvitation answers the pending invitation whose token hash is hash,
// or a RedeemError: unknown or revoked, redeemed, expired, or an address
// the tenant's domain rule no longer admits. It writes nothing: mail
// scanners follow links too.
func (d *Directory) OpenInvitation(ctx context.Context, t store.Tenant, hash string) (Redeemable, error) {
	if d.invites == nil {
		return Redeemable{}, errors.New("open invitation: invitations are not configured")
	}
	inv, err := d.store.GetInvitationByTokenHash(ctx, t.ID, hash)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return Redeemable{}, deadLink(ctx, d.store, t, hash)
		}
		return Redeemable{}, err
	}
	if err := d.redeemable(t, inv); err != nil {
		return Redeemable{}, withSignIn(ctx, d.store, t, inv, err)
	}
	guest, err := d.store.GetUser(ctx, t.ID, inv.InvitedUserID)
	if err != nil {
		return Redeemable{}, err
	}
	return Redeemable{Invitation: inv, Guest: guest, InviterName: d.inviterName(ctx, t, inv)}, nil
}

// Why a redeem link names no invitation. Each says which, and nothing the
// link's holder could not know: a link that never was (changed or cut
// short) learns nothing of any invitation.
const (
	reasonTampered = "This invitation link is not valid: it is incomplete or was changed. " +
		"Open it again from the invitation email, or copy the whole link."
	reasonReplaced = "This invitation link was replaced: %s sent a newer invitation to the same address. " +
		"Open the link in the newest invitation email."
	reasonRevoked  = "This invitation was withdrawn by %s."
	reasonAccepted = "This invitation was already accepted. Sign in to the application instead."
	reasonExpired  = "This invitation has expired. Ask %s for a new one."
)

// invitationReader is what deadLink and withSignIn read.
type invitationReader interface {
	GetInvitation(ctx context.Context, tenantID, id string) (store.Invitation, error)
	GetInvitationByTokenHash(ctx context.Context, tenantID, hash string) (store.Invitation, error)
	RetiredInvitationToken(ctx context.Context, tenantID, hash string) (store.RetiredToken, error)
	ListApplications(ctx context.Context, tenantID string) ([]store.Application, error)
}

// deadLink says why hash names no open invitation of t: withdrawn,
// replaced by a newer link of the same invitation, or never issued. A
// replaced link of an invitation since accepted or withdrawn says that.
func deadLink(ctx context.Context, st invitationReader, t store.Tenant, hash string) error {
	inv, err := st.GetInvitationByTokenHash(ctx, t.ID, hash)
	switch {
	case err == nil && inv.Status == store.InvitationRevoked:
		return redeemError(ErrInvitationNotFound, reasonRevoked, t.DisplayName)
	case err != nil && !errors.Is(err, store.ErrNotFound):
		return err
	}
	retired, err := st.RetiredInvitationToken(ctx, t.ID, hash)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return redeemError(ErrInvitationNotFound, reasonTampered)
	case err != nil:
		return err
	case retired.Reason == store.TokenRevoked:
		return redeemError(ErrInvitationNotFound, reasonRevoked, t.DisplayName)
	}
	inv, err = st.GetInvitation(ctx, t.ID, retired.InvitationID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		// Gone since: revoked with its guest.
		return redeemError(ErrInvitationNotFound, reasonRevoked, t.DisplayName)
	case err != nil:
		return err
	case inv.Status == store.InvitationRevoked:
		return redeemError(ErrInvitationNotFound, reasonRevoked, t.DisplayName)
	case inv.Status == store.InvitationAccepted:
		return withSignIn(ctx, st, t, inv, redeemError(ErrInvitationRedeemed, reasonAccepted))
	}
	return redeemError(ErrInvitationNotFound, reasonReplaced, t.DisplayName)
}

// withSignIn gives an "already accepted" error the app the invitation was
// for, so its page can link there. Other errors pass unchanged.
func withSignIn(ctx context.Context, st invitationReader, t store.Tenant, inv store.Invitation, err error) error {
	var re *RedeemError
	if !errors.As(err, &re) || !errors.Is(err, ErrInvitationRedeemed) {
		return err
	}
	apps, lerr := st.ListApplications(ctx, t.ID)
	if lerr == nil && redirectBelongsToTenant(apps, inv.RedirectURL) {
		re.SignInURL = inv.RedirectURL
	}
	return re
}

// redeemable checks what can be checked of an invitation without writing.
func (d *Directory) redeemable(t store.Tenant, inv store.Invitation) error {
	switch {
	case inv.Status == store.InvitationRevoked:
		return redeemError(ErrInvitationNotFound, reasonRevoked, t.DisplayName)
	case inv.Status == store.InvitationAccepted:
		return redeemError(ErrInvitationRedeemed, reasonAccepted)
	case !d.clock().Before(inv.ExpiresAt):
		return redeemError(ErrInvitationExpired, reasonExpired, t.DisplayName)
	case !DomainAllowed(t.Invitations, inv.Email):
		return redeemError(ErrRedeemRefused, "%s no longer accepts guests from this email domain.", t.DisplayName)
	}
	return nil
}

func (d *Directory) inviterName(ctx context.Context, t store.Tenant, inv store.Invitation) string {
	if inv.InviterType == store.ActorUser && inv.InviterID != "" {
		if u, err := d.store.GetUser(ctx, t.ID, inv.InviterID); err == nil && strings.TrimSpace(u.DisplayName) != "" {
			return u.DisplayName
		}
	}
	return t.DisplayName
}

// ProvenIdentity is how a guest proved who they are at redemption.
type ProvenIdentity struct {
	Identity store.Identity
	// Email is the address the identity asserted, lower-cased, and
	// EmailVerified whether its source verified it (a passcode sent to it,
	// an upstream's email_verified true). Only a verified Email equal to
	// the invited address proves the invitation's address.
	Email         string
	EmailVerified bool
	// DisplayName, GivenName and Surname update the guest's profile when
	// set.
	DisplayName string
	GivenName   string
	Surname     string
}

// Redeem accepts the invitation whose token hash is hash for the identity
// proven, in one transaction: the invitation is consumed by a conditional
// update (of concurrent redeemers exactly one wins), the domain rule is
// checked again, the guest becomes Accepted with the identity linked and
// the audit log says "Redeem external user invite". The identity must
// prove the invited address. Failures are audited with their reason.
//
// It answers the guest and where to send them: the invitation's
// inviteRedirectUrl while it still belongs to one of the tenant's
// applications, else "" (the app may have gone since the invitation).
func (d *Directory) Redeem(ctx context.Context, t store.Tenant, hash string, id ProvenIdentity) (store.User, string, error) {
	e := audit.Entry{TenantID: t.ID, Category: audit.CategoryUser, Activity: audit.ActivityRedeemExternalInvite,
		Target: audit.Target{Type: audit.TargetUser, Name: id.Email}}
	var (
		guest    store.User
		redirect string
	)
	err := d.store.InTx(ctx, func(tx store.Store) error {
		now := d.clock()
		inv, err := tx.RedeemInvitation(ctx, t.ID, hash, now)
		switch {
		case errors.Is(err, store.ErrNotFound):
			return deadLink(ctx, tx, t, hash)
		case errors.Is(err, store.ErrAlreadyUsed):
			accepted, gerr := tx.GetInvitationByTokenHash(ctx, t.ID, hash)
			if gerr != nil {
				return gerr
			}
			return withSignIn(ctx, tx, t, accepted, redeemError(ErrInvitationRedeemed, reasonAccepted))
		case errors.Is(err, store.ErrExpired):
			return redeemError(ErrInvitationExpired, reasonExpired, t.DisplayName)
		case err != nil:
			return err
		}
		// The caller's tenant may come from a short cache: the rule that
		// decides is the one in the database now.
		current, err := tx.GetTenant(ctx, t.ID)
		if err != nil {
			return err
		}
		if !DomainAllowed(current.Invitations, inv.Email) {
			return redeemError(ErrRedeemRefused, "%s no longer accepts guests from this email domain.", t.DisplayName)
		}
		anyAccount := !id.EmailVerified || id.Email != inv.Email
		if anyAccount && !current.Invitations.RedeemWithAnyAccount {
			return redeemError(ErrRedeemRefused, "The account you signed in with is not the address this invitation was sent to.")
		}
		if guest, err = tx.GetUser(ctx, t.ID, inv.InvitedUserID); err != nil {
			return err
		}
		e.Target.ID, e.Target.Name = guest.ID, guest.UserPrincipalName
		guest.ExternalUserState = store.ExternalStateAccepted
		guest.ExternalUserStateChangedAt = &now
		if !slices.Contains(guest.Identities, id.Identity) {
			guest.Identities = append(guest.Identities, id.Identity)
		}
		// The invited address is verified only when this identity proved
		// it; an account that did not (Entra's looser rule) leaves it
		// unverified, even if an earlier redemption had verified it.
		guest.MailVerified = !anyAccount && strings.EqualFold(guest.Mail, inv.Email)
		setIfGiven(&guest.DisplayName, id.DisplayName)
		setIfGiven(&guest.GivenName, id.GivenName)
		setIfGiven(&guest.Surname, id.Surname)
		guest.UpdatedAt = now
		if err := tx.UpdateUser(ctx, guest); err != nil {
			return err
		}
		apps, err := tx.ListApplications(ctx, t.ID)
		if err != nil {
			return err
		}
		if redirectBelongsToTenant(apps, inv.RedirectURL) {
			redirect = inv.RedirectURL
		}
		actor := guestActor(guest)
		if anyAccount {
			// Entra's looser rule: the account used is what the log keeps.
			actor.Name = id.Email
		}
		return audit.Record(audit.WithActor(ctx, actor), tx, now, e)
	})
	if err != nil {
		reason := "internal error"
		if re := (*RedeemError)(nil); errors.As(err, &re) {
			reason = re.Reason
		}
		e.Err = errors.New(reason)
		_ = audit.Record(audit.WithActor(ctx, audit.Actor{Type: store.ActorUser, Name: id.Email}), d.store, d.clock(), e)
		return store.User{}, "", err
	}
	return guest, redirect, nil
}

func setIfGiven(field *string, v string) {
	if strings.TrimSpace(v) != "" {
		*field = v
	}
}

func guestActor(u store.User) audit.Actor {
	return audit.Actor{Type: store.ActorUser, ID: u.ID, Name: u.UserPrincipalName}
}

// BlockInvitations honours the "block future invitations" link of an
// invitation email: the address it was sent to gets no more invitations
// from the tenant. Audited as "Email unsubscribed". The link works in any
// state of the invitation, since the email outlives it, but only with a
// token the tenant issued.
func (d *Directory) BlockInvitations(ctx context.Context, t store.Tenant, hash string) (string, error) {
	inv, err := d.store.GetInvitationByTokenHash(ctx, t.ID, hash)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return "", redeemError(ErrInvitationNotFound, "This link is not valid. It may belong to an invitation that was replaced by a newer one.")
		}
		return "", err
	}
	e := audit.Entry{TenantID: t.ID, Category: audit.CategoryUser, Activity: audit.ActivityEmailUnsubscribed,
		Target: audit.Target{Type: audit.TargetUser, ID: inv.InvitedUserID, Name: inv.Email}}
	ctx = audit.WithActor(ctx, audit.Actor{Type: store.ActorUser, Name: inv.Email})
	err = d.change(ctx, e, func(tx store.Store, _ *audit.Entry) error {
		return tx.BlockInvitations(ctx, t.ID, inv.Email, d.clock())
	})
	return inv.Email, err
}

// InvitationRedirect answers where an accepted invitation sends its guest:
// its inviteRedirectUrl while that still belongs to one of the tenant's
// applications, else "".
func (d *Directory) InvitationRedirect(ctx context.Context, t store.Tenant, invitationID string) (string, error) {
	inv, err := d.store.GetInvitation(ctx, t.ID, invitationID)
	if errors.Is(err, store.ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	apps, err := d.store.ListApplications(ctx, t.ID)
	if err != nil {
		return "", err
	}
	if !redirectBelongsToTenant(apps, inv.RedirectURL) {
		return "", nil
	}
	return inv.RedirectURL, nil
}
