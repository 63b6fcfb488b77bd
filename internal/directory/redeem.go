package directory

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/foyer-idp/foyer/internal/audit"
	"github.com/foyer-idp/foyer/internal/secret"
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
	// ErrNotInvitedAccount and ErrIdentityInUse are refusals
	// (errors.Is(err, ErrRedeemRefused) holds) of an identity the binding
	// rules do not admit: it does not prove the invited address, or it
	// already signs in another user.
	ErrNotInvitedAccount = fmt.Errorf("%w: not the invited account", ErrRedeemRefused)
	ErrIdentityInUse     = fmt.Errorf("%w: identity linked to another user", ErrRedeemRefused)
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
		// The caller's tenant may come from a short cache: the rules that
		// decide are the ones in the database now.
		current, err := tx.GetTenant(ctx, t.ID)
		if err != nil {
			return err
		}
		linked, err := linkedUser(ctx, tx, t.ID, id.Identity)
		if err != nil {
			return err
		}
		proves, err := bind(current, inv, id, linked)
		if err != nil {
			return err
		}
		anyAccount := !proves
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
		actor := userActor(guest)
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

// bind is where the binding rules of redemption live, once: whether the
// identity a guest proved may redeem inv, an invitation of t. The
// tenant's domain rule must still admit the invited address; the
// identity must prove that address — an email and its verification from
// one source, equal after normalisation — unless the tenant accepts any
// account; and its (issuer, subject) must sign in no other user than the
// invited one (linkedTo is the user it signs in, "" for none). It answers
// whether the identity proved the invited address, or a RedeemError
// whose Reason is for the audit log.
func bind(t store.Tenant, inv store.Invitation, id ProvenIdentity, linkedTo string) (bool, error) {
	if !DomainAllowed(t.Invitations, inv.Email) {
		return false, redeemError(ErrRedeemRefused, "%s no longer accepts guests from this email domain.", t.DisplayName)
	}
	proves := id.EmailVerified && id.Email == inv.Email
	switch {
	case !proves && !t.Invitations.RedeemWithAnyAccount && id.Email == inv.Email:
		return false, redeemError(ErrNotInvitedAccount, "the identity provider has not verified the invited address")
	case !proves && !t.Invitations.RedeemWithAnyAccount:
		return false, redeemError(ErrNotInvitedAccount, "the account used is not the invited address")
	case linkedTo != "" && linkedTo != inv.InvitedUserID:
		return false, redeemError(ErrIdentityInUse, "the account is already linked to another user")
	}
	return proves, nil
}

// linkedUser answers the id of the user identity signs in, "" for none.
func linkedUser(ctx context.Context, st store.Store, tenantID string, identity store.Identity) (string, error) {
	if identity.IssuerAssignedID == "" {
		return "", nil
	}
	u, err := st.GetUserByIdentity(ctx, tenantID, identity.Issuer, identity.IssuerAssignedID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return "", nil
	case err != nil:
		return "", fmt.Errorf("look up identity: %w", err)
	}
	return u.ID, nil
}

// Redemption transactions: one browser redeeming one invitation, from the
// redeem page to the landing. The directory keeps them: begun bound to a
// browser (BeginRedemption), given what the guest proved once the binding
// rules admit it (Prove), accepted (Accept) and ended (EndRedemption).

// BeginRedemption starts a redemption of open, whose link's token hash is
// hash, by the browser whose binding hash is binding, for lifetime.
func (d *Directory) BeginRedemption(ctx context.Context, open Redeemable, hash, binding string, lifetime time.Duration) (store.Redemption, error) {
	now := d.clock()
	red := store.Redemption{TenantID: open.Invitation.TenantID, ID: secret.NewID(), InvitationID: open.Invitation.ID,
		TokenHash: hash, BrowserBinding: binding, CreatedAt: now, ExpiresAt: now.Add(lifetime)}
	if err := d.store.CreateRedemption(ctx, red); err != nil {
		return store.Redemption{}, fmt.Errorf("create redemption: %w", err)
	}
	return red, nil
}

// Redemption answers the live redemption transaction id of the tenant:
// store.ErrNotFound when unknown, expired or another tenant's.
func (d *Directory) Redemption(ctx context.Context, tenantID, id string) (store.Redemption, error) {
	return d.store.GetRedemption(ctx, tenantID, id, d.clock())
}

// Proof is what a guest proved in a redemption: the identity, how (AMR,
// this tenant's methods) and the upstream sign-in it came from, if any.
type Proof struct {
	ProvenIdentity
	AMR      []string
	Upstream store.Upstream
}

// Prove records on red, a redemption of inv, what the guest proved, once
// the binding rules (bind) admit it; a refusal is a RedeemError, audited.
// The address recorded is the identity's, or the invited one when the
// identity has none; it counts as verified only when the identity proved
// the invited address itself.
func (d *Directory) Prove(ctx context.Context, t store.Tenant, red store.Redemption, inv store.Invitation, p Proof) error {
	linked, err := linkedUser(ctx, d.store, t.ID, p.Identity)
	if err != nil {
		return err
	}
	proves, err := bind(t, inv, p.ProvenIdentity, linked)
	if err != nil {
		_ = d.RefuseRedemption(ctx, t, inv, err.Error())
		return err
	}
	red.Identity, red.IdentityEmail, red.IdentityEmailVerified = p.Identity, p.Email, proves
	if red.IdentityEmail == "" {
		red.IdentityEmail = inv.Email
	}
	red.AMR, red.Upstream = p.AMR, p.Upstream
	red.Profile = store.Profile{DisplayName: p.DisplayName, GivenName: p.GivenName, Surname: p.Surname}
	if err := d.store.UpdateRedemption(ctx, red); err != nil {
		return fmt.Errorf("update redemption: %w", err)
	}
	return nil
}

// Accept redeems the invitation of red for what the guest proved in it;
// see Redeem.
func (d *Directory) Accept(ctx context.Context, t store.Tenant, red store.Redemption) (store.User, string, error) {
	return d.Redeem(ctx, t, red.TokenHash, ProvenIdentity{Identity: red.Identity, Email: red.IdentityEmail,
		EmailVerified: red.IdentityEmailVerified, DisplayName: red.Profile.DisplayName,
		GivenName: red.Profile.GivenName, Surname: red.Profile.Surname})
}

// EndRedemption ends a redemption transaction, declined or landed; one
// already gone is no error.
func (d *Directory) EndRedemption(ctx context.Context, tenantID, id string) error {
	if err := d.store.DeleteRedemption(ctx, tenantID, id); err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("delete redemption: %w", err)
	}
	return nil
}

// RefuseRedemption records a failed redemption step (a wrong code, a dead
// link posted, an identity the binding rules refuse) as a failed "Redeem
// external user invite", with the invited address as actor when it is
// known.
func (d *Directory) RefuseRedemption(ctx context.Context, t store.Tenant, inv store.Invitation, reason string) error {
	e := audit.Entry{TenantID: t.ID, Category: audit.CategoryUser, Activity: audit.ActivityRedeemExternalInvite,
		Target: audit.Target{Type: audit.TargetUser, ID: inv.InvitedUserID, Name: inv.Email}, Err: errors.New(reason)}
	actor := audit.Actor{Type: store.ActorUser, Name: inv.Email}
	return audit.Record(audit.WithActor(ctx, actor), d.store, d.clock(), e)
}

func setIfGiven(field *string, v string) {
	if strings.TrimSpace(v) != "" {
		*field = v
	}
}

// userActor is the user themselves acting: a guest redeeming or
// refreshed from upstream, a member changing their own password.
func userActor(u store.User) audit.Actor {
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
