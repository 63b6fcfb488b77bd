package directory

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/foyer-idp/foyer/internal/audit"
	"github.com/foyer-idp/foyer/internal/mail"
	"github.com/foyer-idp/foyer/internal/secret"
	"github.com/foyer-idp/foyer/internal/store"
)

// Invitation limits.
const (
	// DefaultInvitationLifetime is how long a redeem link works unless the
	// inviter asks otherwise.
	DefaultInvitationLifetime = 7 * 24 * time.Hour
	MinInvitationLifetime     = time.Hour
	MaxInvitationLifetime     = 90 * 24 * time.Hour
	// redeemTokenBytes: 256 bits of randomness in every redeem link.
	redeemTokenBytes = 32
	maxInviteMessage = 10000
	maxCcRecipients  = 10
	maxInviteRefs    = 50
	// inviteAttempts bounds the retries when a concurrent invitation of the
	// same address wins the race to create the guest.
	inviteAttempts = 3
	// MailKindInvitation is the outbox kind of invitation emails.
	MailKindInvitation = "invitation"
)

// Mailer queues a rendered email in the caller's transaction;
// *mail.Outbox is one.
//
// The directory renders the invitation email itself (mail.Render is a pure
// function): only the directory knows the redeem link, and it knows it
// inside the transaction that must also hold the message. Letting the API
// render would mean handing the token out before the invitation commits.
type Mailer interface {
	Enqueue(ctx context.Context, tx mail.Enqueuer, tenantID, kind string, m mail.Message) (string, error)
}

// InvitationConfig is what Invite needs beyond the store.
type InvitationConfig struct {
	// Hasher keys the stored hash of redeem tokens; the redemption page
	// must use the same one.
	Hasher *secret.Hasher
	Mailer Mailer
	// InitialDomain is the tenant's own domain, the part after @ of guest
	// user principal names (e.g. woodgrove.localhost).
	InitialDomain func(t store.Tenant) string
	// RedeemURL answers the link a guest follows to accept, and BlockURL
	// the one that blocks further invitations; both carry the token.
	RedeemURL func(t store.Tenant, token string) string
	BlockURL  func(t store.Tenant, token string) string
	// Lifetime of a redeem link when the inviter does not ask;
	// DefaultInvitationLifetime when zero.
	Lifetime time.Duration
}

func (c *InvitationConfig) check() error {
	var errs []error
	if c.Hasher == nil {
		errs = append(errs, errors.New("directory: Invitations.Hasher is required"))
	}
	if c.Mailer == nil {
		errs = append(errs, errors.New("directory: Invitations.Mailer is required"))
	}
	if c.InitialDomain == nil || c.RedeemURL == nil || c.BlockURL == nil {
		errs = append(errs, errors.New("directory: Invitations.InitialDomain, RedeemURL and BlockURL are required"))
	}
	return errors.Join(errs...)
}

// InviteInput is one invitation, with Graph's fields and Foyer's
// extensions (GroupIDs, ApplicationIDs, ExpiresIn).
type InviteInput struct {
	Email       string
	RedirectURL string
	DisplayName string
	// UserType must be empty or Guest: members are not invited.
	UserType    string
	SendMessage bool
	Message     string
	Language    string
	Cc          []string
	// ResetRedemption re-invites a guest who redeemed before: its
	// identities go and it must redeem again. InvitedUserID, when set,
	// must name that guest.
	ResetRedemption bool
	InvitedUserID   string
	GroupIDs        []string
	ApplicationIDs  []string
	// ExpiresIn is the link's lifetime; zero for the default.
	ExpiresIn time.Duration
}

// Invitation is a stored invitation with its guest. RedeemURL is set only
// in the answer of Invite: the token is not kept.
type Invitation struct {
	store.Invitation
	User      store.User
	RedeemURL string
}

// checkInput validates what can be checked without the database and
// normalises addresses.
func (c *InvitationConfig) checkInput(in *InviteInput) error {
	var p problems
	email, fe := normalizeEmail("invitedUserEmailAddress", in.Email)
	p.add(fe)
	in.Email = email
	if in.RedirectURL == "" {
		p.add(invalid("inviteRedirectUrl", "is required"))
	} else {
		p.add(checkInviteRedirect(in.RedirectURL))
	}
	p.add(checkText("invitedUserDisplayName", in.DisplayName, 256))
	if in.UserType != "" && in.UserType != store.UserTypeGuest {
		p.add(invalid("invitedUserType", "must be Guest: members are not invited"))
	}
	if len(in.Message) > maxInviteMessage {
		p.add(invalid("invitedUserMessageInfo.customizedMessageBody", "must be at most %d characters", maxInviteMessage))
	}
	p.add(checkText("invitedUserMessageInfo.messageLanguage", in.Language, 35))
	if len(in.Cc) > maxCcRecipients {
		p.add(invalid("invitedUserMessageInfo.ccRecipients", "must be at most %d addresses", maxCcRecipients))
	}
	for i, cc := range in.Cc {
		addr, fe := normalizeEmail("invitedUserMessageInfo.ccRecipients", cc)
		p.add(fe)
		in.Cc[i] = addr
	}
	if in.InvitedUserID != "" && !in.ResetRedemption {
		p.add(invalid("invitedUser.id", "is only accepted with resetRedemption"))
	}
	if len(in.GroupIDs) > maxInviteRefs {
		p.add(invalid("groupIds", "must be at most %d groups", maxInviteRefs))
	}
	if len(in.ApplicationIDs) > maxInviteRefs {
		p.add(invalid("applicationIds", "must be at most %d applications", maxInviteRefs))
	}
	if in.ExpiresIn != 0 && (in.ExpiresIn < MinInvitationLifetime || in.ExpiresIn > MaxInvitationLifetime) {
		p.add(invalid("expiresIn", "must be between %s and %s", MinInvitationLifetime, MaxInvitationLifetime))
	}
	return p.Err()
}

// checkInviteRedirect: an absolute https URL (http only on a loopback
// host), no credentials, no fragment.
func checkInviteRedirect(s string) *FieldError {
	u, fe := parseAbsolute("inviteRedirectUrl", s)
	if fe != nil {
		return fe
	}
	if u.Scheme != "https" && !(u.Scheme == "http" && isLoopback(u.Hostname())) {
		return invalid("inviteRedirectUrl", "must use https (http only for localhost)")
	}
	return nil
}

// redirectBelongsToTenant reports whether s is a registered redirect URI
// of one of the tenant's applications, or lies under one's home page (see
// underHomePage): an invitation is never an open redirect, not even to
// another path of a shared origin.
func redirectBelongsToTenant(apps []store.Application, s string) bool {
	u, err := url.Parse(s)
	if err != nil {
		return false
	}
	for _, a := range apps {
		if slices.Contains(a.RedirectURIs, s) {
			return true
		}
		if a.HomePageURL == "" {
			continue
		}
		if h, err := url.Parse(a.HomePageURL); err == nil && h.Host != "" && underHomePage(h, u) {
			return true
		}
	}
	return false
}

// maxPathDecodes is how many layers of percent-encoding underHomePage
// peels off a path before giving up on it.
const maxPathDecodes = 3

// underHomePage reports whether u is on the home page h's origin (scheme
// and host) and within its path: h's path itself or below it, at a segment
// boundary (/app covers /app and /app/x, not /apps). The path is judged as
// the most lenient server would read it: percent-decoded until nothing
// changes (%2e%2e, %252e%252e, %2f), with backslashes as slashes and
// ";params" dropped from segments; any "." or ".." segment then refuses
// it, since a browser or server resolving it would leave the home page.
func underHomePage(h, u *url.URL) bool {
	if !strings.EqualFold(h.Scheme, u.Scheme) || !strings.EqualFold(h.Host, u.Host) {
		return false
	}
	p, ok := decodedPath(u.EscapedPath())
	if !ok {
		return false
	}
	base, ok := decodedPath(h.EscapedPath())
	if !ok {
		return false
	}
	for _, seg := range strings.Split(p, "/") {
		seg, _, _ = strings.Cut(seg, ";")
		if seg == "." || seg == ".." {
			return false
		}
	}
	base = strings.TrimSuffix(base, "/")
	return base == "" || p == base || strings.HasPrefix(p, base+"/")
}

// decodedPath percent-decodes an escaped path until it no longer changes
// (at most maxPathDecodes times) and reads backslashes as slashes; ok is
// false for a malformed escape or one still encoded after that.
func decodedPath(escaped string) (string, bool) {
	p := escaped
	for i := 0; ; i++ {
		d, err := url.PathUnescape(p)
		if err != nil {
			return "", false
		}
		if d == p {
			break
		}
		if i == maxPathDecodes {
			return "", false
		}
		p = d
	}
	return strings.ReplaceAll(p, `\`, "/"), true
}

// guestUPN is Entra's form for a guest: alias_domain#EXT#@tenant-domain.
func guestUPN(email, initialDomain string) string {
	local, domain, _ := strings.Cut(email, "@")
	return local + "_" + domain + "#EXT#@" + initialDomain
}

// errGuestRace marks a lost race to create the guest: the invitation is
// tried again and reuses the winner's guest.
var errGuestRace = errors.New("guest created concurrently")

// Invite invites in.Email into the tenant as a guest in one transaction:
// the guest user (created, or reused when the address was invited
// before), its groups and applications, the invitation with a fresh
// redeem token (voiding any earlier one), the audit event and, when asked,
// the invitation email. It answers the invitation and the redeem token,
// which is stored only as a keyed hash. Refusals write nothing but their
// audit event.
func (d *Directory) Invite(ctx context.Context, tenantID string, in InviteInput) (Invitation, string, error) {
	activity := audit.ActivityInviteExternalUser
	if in.ResetRedemption {
		activity = audit.ActivityInviteExternalUserReset
	}
	e := audit.Entry{TenantID: tenantID, Category: audit.CategoryUser, Activity: activity,
		Target: audit.Target{Type: audit.TargetUser, Name: in.Email}}
	if d.invites == nil {
		return Invitation{}, "", errors.New("invite: invitations are not configured")
	}
	in.Cc = slices.Clone(in.Cc)
	if err := d.invites.checkInput(&in); err != nil {
		return Invitation{}, "", d.refused(ctx, e, err)
	}
	e.Target.Name = in.Email
	var (
		out   Invitation
		token string
		err   error
	)
	for range inviteAttempts {
		token = secret.NewToken(redeemTokenBytes)
		ev := e
		err = d.store.InTx(ctx, func(tx store.Store) error {
			var err error
			if out, err = d.invite(ctx, tx, tenantID, in, token, &ev); err != nil {
				return err
			}
			return audit.Record(ctx, tx, d.clock(), ev)
		})
		e = ev
		if !errors.Is(err, errGuestRace) {
			break
		}
	}
	if err != nil {
		return Invitation{}, "", d.refused(ctx, e, err)
	}
	if k, ok := d.invites.Mailer.(interface{ Kick() }); ok && in.SendMessage {
		k.Kick() // committed: a running drainer may send it now
	}
	return out, token, nil
}

// refused records a failed invitation on its own and answers err.
func (d *Directory) refused(ctx context.Context, e audit.Entry, err error) error {
	if errors.Is(err, errGuestRace) {
		err = fmt.Errorf("invite: %w", store.ErrConflict)
	}
	e.Err = errors.New(auditReason(err))
	_ = audit.Record(ctx, d.store, d.clock(), e)
	return err
}

func (d *Directory) invite(ctx context.Context, tx store.Store, tenantID string, in InviteInput, token string, e *audit.Entry) (Invitation, error) {
	now := d.clock()
	t, err := tx.GetTenant(ctx, tenantID)
	if err != nil {
		return Invitation{}, notFoundAs(err, "tenant", tenantID)
	}
	apps, err := tx.ListApplications(ctx, tenantID)
	if err != nil {
		return Invitation{}, err
	}
	if !redirectBelongsToTenant(apps, in.RedirectURL) {
		return Invitation{}, invalid("inviteRedirectUrl",
			"must be a redirect URI or on the home page origin of one of the tenant's applications")
	}
	if err := checkRecipient(ctx, tx, t, in.Email); err != nil {
		return Invitation{}, err
	}
	guest, err := d.inviteGuest(ctx, tx, t, in, now, e)
	if err != nil {
		return Invitation{}, err
	}
	e.Target.ID, e.Target.Name = guest.ID, guest.UserPrincipalName
	if err := addInviteRefs(ctx, tx, tenantID, guest.ID, in, apps, now); err != nil {
		return Invitation{}, err
	}

	lifetime := cmp.Or(in.ExpiresIn, d.invites.Lifetime, DefaultInvitationLifetime)
	actor := audit.ActorFrom(ctx)
	inv := store.Invitation{
		TenantID: tenantID, ID: secret.NewID(), InvitedUserID: guest.ID, Email: in.Email,
		RedirectURL: in.RedirectURL, Status: store.InvitationPending, InviterType: actor.Type,
		InviterID: actor.ID, MessageLanguage: in.Language, CreatedAt: now, ExpiresAt: now.Add(lifetime),
		TokenHash: d.invites.Hasher.Hash(token),
	}
	pending, err := tx.ListInvitations(ctx, tenantID, store.InvitationFilter{Status: store.InvitationPending, InvitedUserID: guest.ID})
	if err != nil {
		return Invitation{}, err
	}
	if len(pending) > 0 {
		// Re-invitation: the same invitation, a new token; the old link dies.
		inv.ID = pending[0].ID
		err = tx.RenewInvitation(ctx, inv)
	} else {
		err = tx.CreateInvitation(ctx, inv)
	}
	if errors.Is(err, store.ErrConflict) {
		return Invitation{}, errGuestRace
	}
	if err != nil {
		return Invitation{}, err
	}

	out := Invitation{Invitation: inv, User: guest, RedeemURL: d.invites.RedeemURL(t, token)}
	if !in.SendMessage {
		return out, nil
	}
	inviter := actor.Name
	if inviter == "" || actor.Type == store.ActorSystem {
		inviter = t.DisplayName
	}
	msg, err := mail.Render(mail.InvitationData{
		Language: in.Language, To: []string{in.Email}, Cc: in.Cc,
		Brand: mail.Branding{Name: t.DisplayName, LogoURL: t.Branding.LogoURL,
			AccentColor: t.Branding.AccentColor, SenderName: t.Branding.SenderName},
		Inviter: inviter, Message: in.Message, RedeemURL: out.RedeemURL, BlockURL: d.invites.BlockURL(t, token),
	})
	if err != nil {
		return Invitation{}, err
	}
	if _, err := d.invites.Mailer.Enqueue(ctx, tx, tenantID, MailKindInvitation, msg); err != nil {
		return Invitation{}, err
	}
	return out, nil
}

// checkRecipient refuses an address the tenant's domain rule keeps out,
// and one whose owner asked the tenant to stop inviting them.
func checkRecipient(ctx context.Context, tx store.Store, t store.Tenant, email string) error {
	if !DomainAllowed(t.Invitations, email) {
		_, domain, _ := strings.Cut(email, "@")
		return invalid("invitedUserEmailAddress", "the organisation's invitation policy does not allow guests from %q", domain)
	}
	blocked, err := tx.InvitationsBlocked(ctx, t.ID, email)
	if err != nil {
		return err
	}
	if blocked {
		return invalid("invitedUserEmailAddress", "the recipient has asked not to receive invitations from this organisation")
	}
	return nil
}

// inviteGuest answers the guest the invitation is for: the one already
// holding the address, or a new, identity-less, pending one.
func (d *Directory) inviteGuest(ctx context.Context, tx store.Store, t store.Tenant, in InviteInput, now time.Time, e *audit.Entry) (store.User, error) {
	u, err := tx.GetUserByEmail(ctx, t.ID, in.Email)
	switch {
	case err == nil && u.UserType != store.UserTypeGuest:
		return store.User{}, invalid("invitedUserEmailAddress", "%q is a member of the tenant, not a guest to invite", in.Email)
	case err == nil:
		if in.InvitedUserID != "" && in.InvitedUserID != u.ID {
			return store.User{}, invalid("invitedUser.id", "does not name the guest with this email address")
		}
		if !in.ResetRedemption && len(u.Identities) > 0 && !u.MailVerified {
			// The guest signs in with an account that never proved this
			// address (an upstream or an admin re-addressed it, or it
			// redeemed with any account): reusing it would hand the
			// invitation's groups and apps to that account.
			return store.User{}, invalid("invitedUserEmailAddress",
				"%q belongs to a guest who signs in with an account that has not proven this address; reset that guest's redemption (resetRedemption) to invite it", in.Email)
		}
		if in.ResetRedemption {
			e.Modified = resetModified(u)
			u.ExternalUserState = store.ExternalStatePending
			u.ExternalUserStateChangedAt = &now
			u.Identities = []store.Identity{}
			u.MailVerified = false // proven again at the next redemption
			u.UpdatedAt = now
			if err := tx.UpdateUser(ctx, u); err != nil {
				return store.User{}, err
			}
		}
		return u, nil
	case !errors.Is(err, store.ErrNotFound):
		return store.User{}, err
	case in.ResetRedemption:
		return store.User{}, invalid("resetRedemption", "there is no guest with this email address to reset")
	}
	name := in.DisplayName
	if strings.TrimSpace(name) == "" {
		name = in.Email
	}
	u = store.User{
		TenantID: t.ID, ID: secret.NewID(), DisplayName: name, Mail: in.Email,
		UserPrincipalName: guestUPN(in.Email, d.invites.InitialDomain(t)),
		UserType:          store.UserTypeGuest, ExternalUserState: store.ExternalStatePending,
		ExternalUserStateChangedAt: &now, CreationType: store.CreationTypeInvitation,
		AccountEnabled: true, Identities: []store.Identity{}, CreatedAt: now, UpdatedAt: now,
	}
	if err := tx.CreateUser(ctx, u); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return store.User{}, errGuestRace
		}
		return store.User{}, err
	}
	return u, nil
}

// resetModified is what a reset takes from the guest, for the audit
// event: the identities it signed in with (issuer and subject, so the old
// owner of the guest can be traced) and its state.
func resetModified(u store.User) []store.ModifiedProperty {
	type identity struct {
		SignInType       string `json:"signInType"`
		Issuer           string `json:"issuer"`
		IssuerAssignedID string `json:"issuerAssignedId"`
	}
	old := make([]identity, len(u.Identities))
	for i, id := range u.Identities {
		old[i] = identity{id.SignInType, id.Issuer, id.IssuerAssignedID}
	}
	raw, _ := json.Marshal(old) // strings only: cannot fail
	return []store.ModifiedProperty{
		{Name: "identities", OldValue: string(raw), NewValue: "[]"},
		{Name: "externalUserState", OldValue: u.ExternalUserState, NewValue: store.ExternalStatePending},
	}
}

// addInviteRefs puts the guest in the groups and assigns it the
// applications asked for; being there already is fine. It looks before it
// writes: on PostgreSQL a refused statement would abort the transaction.
func addInviteRefs(ctx context.Context, tx store.Store, tenantID, userID string, in InviteInput, apps []store.Application, now time.Time) error {
	var p problems
	current, err := tx.ListUserGroups(ctx, tenantID, userID)
	if err != nil {
		return err
	}
	for _, id := range in.GroupIDs {
		if slices.ContainsFunc(current, func(g store.Group) bool { return g.ID == id }) {
			continue
		}
		if _, err := tx.GetGroup(ctx, tenantID, id); errors.Is(err, store.ErrNotFound) {
			p.add(invalid("groupIds", "%q is not a group of the tenant", id))
			continue
		} else if err != nil {
			return err
		}
		if err := p.Err(); err != nil {
			continue
		}
		if err := tx.AddGroupMember(ctx, tenantID, id, userID); err != nil {
			return err
		}
		current = append(current, store.Group{ID: id})
	}
	var assigned []string
	for _, ref := range in.ApplicationIDs {
		i := slices.IndexFunc(apps, func(a store.Application) bool { return a.ID == ref || a.ClientID == ref })
		if i < 0 {
			p.add(invalid("applicationIds", "%q is not an application of the tenant", ref))
			continue
		}
		app := apps[i]
		if p.Err() != nil || slices.Contains(assigned, app.ID) {
			continue
		}
		list, err := tx.ListAssignments(ctx, tenantID, app.ID)
		if err != nil {
			return err
		}
		assigned = append(assigned, app.ID)
		if slices.ContainsFunc(list, func(a store.Assignment) bool {
			return a.PrincipalType == store.PrincipalUser && a.PrincipalID == userID
		}) {
			continue
		}
		err = tx.AddAssignment(ctx, store.Assignment{TenantID: tenantID, AppID: app.ID,
			PrincipalType: store.PrincipalUser, PrincipalID: userID, CreatedAt: now})
		if err != nil {
			return err
		}
	}
	return p.Err()
}

// Invitations answers the tenant's invitations in a state (pending when
// status is empty), oldest first.
func (d *Directory) Invitations(ctx context.Context, tenantID, status string) ([]store.Invitation, error) {
	if status == "" {
		status = store.InvitationPending
	}
	if !slices.Contains([]string{store.InvitationPending, store.InvitationAccepted, store.InvitationRevoked}, status) {
		return nil, invalid("status", "must be PendingAcceptance, Accepted or Revoked")
	}
	return d.store.ListInvitations(ctx, tenantID, store.InvitationFilter{Status: status})
}

// ResendInput answers what sending the pending invitation id again is:
// an invitation of its address again, to the same redirect, in the same
// language and mailed, which renews it (same id, a new token: the old
// link stops working). One that is not pending is not found: a guest who
// redeemed is invited again with ResetRedemption.
func (d *Directory) ResendInput(ctx context.Context, tenantID, id string) (InviteInput, error) {
	inv, err := d.store.GetInvitation(ctx, tenantID, id)
	if err != nil {
		return InviteInput{}, err
	}
	if inv.Status != store.InvitationPending {
		return InviteInput{}, fmt.Errorf("invitation %q is %s: %w", id, inv.Status, store.ErrNotFound)
	}
	return InviteInput{Email: inv.Email, RedirectURL: inv.RedirectURL, Language: inv.MessageLanguage, SendMessage: true}, nil
}

// RevokeInvitation revokes a pending invitation. A guest that never
// redeemed any invitation goes with it (Entra's "Delete external user");
// one that did stays, with only this invitation revoked.
func (d *Directory) RevokeInvitation(ctx context.Context, tenantID, id string) error {
	e := audit.Entry{TenantID: tenantID, Category: audit.CategoryUser, Activity: audit.ActivityDeleteExternalUser,
		Target: audit.Target{Type: audit.TargetUser}}
	return d.change(ctx, e, func(tx store.Store, e *audit.Entry) error {
		inv, err := tx.GetInvitation(ctx, tenantID, id)
		if err != nil {
			return err
		}
		if inv.Status != store.InvitationPending {
			return fmt.Errorf("invitation %q is %s: %w", id, inv.Status, store.ErrNotFound)
		}
		u, err := tx.GetUser(ctx, tenantID, inv.InvitedUserID)
		if err != nil {
			return err
		}
		e.Target.ID, e.Target.Name = u.ID, u.UserPrincipalName
		if err := tx.RevokeInvitation(ctx, tenantID, id); err != nil {
			return err
		}
		if u.ExternalUserState == store.ExternalStatePending && u.CreationType == store.CreationTypeInvitation {
			accepted, err := tx.ListInvitations(ctx, tenantID, store.InvitationFilter{Status: store.InvitationAccepted, InvitedUserID: u.ID})
			if err != nil {
				return err
			}
			if len(accepted) == 0 {
				return tx.DeleteUser(ctx, tenantID, u.ID)
			}
		}
		e.Activity = audit.ActivityRevokeExternalInvite
		return nil
	})
}
