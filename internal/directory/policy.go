package directory

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/foyer-idp/foyer/internal/audit"
	"github.com/foyer-idp/foyer/internal/store"
)

// DefaultAllowInvitesFrom is who may invite in a tenant that never said.
// Entra's default also lets guests invite; Foyer's does not, because a
// guest inviting more guests is how outsiders spread through a directory.
const DefaultAllowInvitesFrom = store.InvitesFromAdminsInvitersMembers

// AllowInvitesFrom answers the tenant's rule, the default when unset.
func AllowInvitesFrom(p store.InvitationPolicy) string {
	if p.AllowInvitesFrom == "" {
		return DefaultAllowInvitesFrom
	}
	return p.AllowInvitesFrom
}

// DomainAllowed reports whether the tenant's domain rule lets a guest with
// this (lower-cased) address in. An entry matches its domain exactly;
// "*.example.com" matches every subdomain of example.com but not
// example.com itself.
func DomainAllowed(p store.InvitationPolicy, email string) bool {
	_, domain, ok := strings.Cut(email, "@")
	if !ok {
		return false
	}
	listed := false
	for _, d := range p.Domains {
		if rest, wild := strings.CutPrefix(d, "*."); wild {
			listed = strings.HasSuffix(domain, "."+rest)
		} else {
			listed = domain == d
		}
		if listed {
			break
		}
	}
	switch p.DomainRule {
	case store.InviteDomainsAllow:
		return listed
	case store.InviteDomainsDeny:
		return !listed
	default:
		return true
	}
}

// invitesFromLevels are the values of AllowInvitesFrom, most closed first.
var invitesFromLevels = []string{
	store.InvitesFromNone, store.InvitesFromAdminsAndGuestInviters,
	store.InvitesFromAdminsInvitersMembers, store.InvitesFromEveryone,
}

// Limits of a tenant's domain list.
const (
	MaxInvitationDomains = 500
	maxHostname          = 253
)

// hostLabel is one DNS label in ASCII (an internationalised domain is
// listed in its xn-- form).
var hostLabel = regexp.MustCompile(`^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$`)

// SetInvitationPolicy replaces the tenant's invitation policy after
// checking it: AllowInvitesFrom one of the four levels, DomainRule allow,
// deny or empty, Domains host names or "*." wildcards (lower-cased,
// duplicates dropped, at most MaxInvitationDomains). An allow rule needs a
// domain; a deny rule without one denies nothing and is stored as no rule;
// no rule takes no domains. The change is audited as "Update policy".
func (d *Directory) SetInvitationPolicy(ctx context.Context, tenantID string, p store.InvitationPolicy) (store.Tenant, error) {
	check := func() (err error) {
		p, err = checkInvitationPolicy(p)
		return err
	}
	return d.setTenantPolicy(ctx, tenantID, AuthorizationPolicyID, check, func(_ store.Store, t *store.Tenant) error {
		t.Invitations = p
		return nil
	})
}

// setTenantPolicy changes one of the tenant's policies, policyID in the
// audit log, in one transaction: check refuses a bad policy before the
// tenant is read, apply writes the policy into the tenant as stored (tx
// for what else it must read). Audited as "Update policy".
func (d *Directory) setTenantPolicy(ctx context.Context, tenantID, policyID string, check func() error,
	apply func(tx store.Store, t *store.Tenant) error) (store.Tenant, error) {
	var t store.Tenant
	e := audit.Entry{TenantID: tenantID, Category: audit.CategoryPolicy, Activity: audit.ActivityUpdatePolicy,
		Target: audit.Target{Type: audit.TargetPolicy, ID: policyID, Name: policyID}}
	err := d.change(ctx, e, func(tx store.Store, _ *audit.Entry) error {
		if err := check(); err != nil {
			return err
		}
		var err error
		if t, err = tx.GetTenant(ctx, tenantID); err != nil {
			return err
		}
		if err := apply(tx, &t); err != nil {
			return err
		}
		t.UpdatedAt = d.clock()
		return tx.UpdateTenant(ctx, t)
	})
	if err != nil {
		return store.Tenant{}, err
	}
	return t, nil
}

// AuthorizationPolicyID names the policy in Graph, and in the audit log.
const AuthorizationPolicyID = "authorizationPolicy"

// checkInvitationPolicy answers p normalised, or every problem with it,
// named by the admin API's property names.
func checkInvitationPolicy(p store.InvitationPolicy) (store.InvitationPolicy, error) {
	var probs problems
	if !slices.Contains(invitesFromLevels, p.AllowInvitesFrom) {
		probs.add(invalid("allowInvitesFrom", "must be one of %s", strings.Join(invitesFromLevels, ", ")))
	}
	var domains []string
	for _, raw := range p.Domains {
		dom := strings.ToLower(strings.TrimSpace(raw))
		if !validDomainEntry(dom) {
			probs.add(invalid("invitationDomains", "%q is not a domain name like example.com or *.example.com", raw))
			continue
		}
		if !slices.Contains(domains, dom) {
			domains = append(domains, dom)
		}
	}
	if len(domains) > MaxInvitationDomains {
		probs.add(invalid("invitationDomains", "must be at most %d domains", MaxInvitationDomains))
	}
	switch p.DomainRule {
	case store.InviteDomainsAllow:
		if len(p.Domains) == 0 {
			probs.add(invalid("invitationDomains", "an allow rule needs at least one domain"))
		}
	case store.InviteDomainsDeny:
		if len(p.Domains) == 0 {
			p.DomainRule = ""
		}
	case "":
		if len(p.Domains) > 0 {
			probs.add(invalid("invitationDomains", "must be empty without a domain rule"))
		}
	default:
		probs.add(invalid("invitationDomainRule", "must be allow, deny or none"))
	}
	// The redemption order rides along (SetRedemptionPolicy sets it).
	probs.add(checkRedemptionOrder(p.RedemptionOrder))
	if err := probs.Err(); err != nil {
		return store.InvitationPolicy{}, err
	}
	p.Domains = domains
	if p.Domains == nil {
		p.Domains = []string{}
	}
	return p, nil
}

// validDomainEntry: a lower-cased host name of at least two labels, or
// "*." and one.
func validDomainEntry(s string) bool {
	s = strings.TrimPrefix(s, "*.")
	if s == "" || len(s) > maxHostname {
		return false
	}
	labels := strings.Split(s, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if !hostLabel.MatchString(l) {
			return false
		}
	}
	return true
}

// Inviter is who asks to invite: the signed-in user of a delegated call,
// or an application acting as itself that holds the User.Invite.All
// application permission.
type Inviter = Caller

// ErrInviteDenied is what MayInvite's refusals match with errors.Is.
var ErrInviteDenied = errors.New("not allowed to invite guests")

// DeniedError is a refusal to let someone act, with the reason the caller
// may be told. It matches Err, or ErrInviteDenied when Err is nil.
type DeniedError struct {
	Reason string
	Err    error
}

func (e *DeniedError) Error() string { return e.Reason }
func (e *DeniedError) Unwrap() error {
	if e.Err != nil {
		return e.Err
	}
	return ErrInviteDenied
}

func denied(format string, args ...any) *DeniedError {
	return &DeniedError{Reason: fmt.Sprintf(format, args...)}
}

// inviterRoles are the directory roles that may invite at every level but
// none.
var inviterRoles = []string{RoleTenantAdministrator, RoleUserAdministrator, RoleGuestInviter}

// MayInvite decides whether inviter may send the invitation in under the
// tenant's AllowInvitesFrom:
//
//   - none: nobody, not even an application holding User.Invite.All as an
//     application permission (Entra lets such an app invite anyway; Foyer
//     does not, so "none" means none and an administrator who wants an
//     exception changes the level);
//   - adminsAndGuestInviters: Tenant Administrators, User Administrators
//     and Guest Inviters;
//   - adminsGuestInvitersAndAllMembers (the default): also any member;
//   - everyone: also guests.
//
// An application (inviter.App) may invite at every level but none. A user
// the level leaves out may still invite into groups they own that have
// OwnersCanInviteGuests: every one of in.GroupIDs must be such a group,
// there must be at least one, and in.ApplicationIDs must be empty.
//
// A refusal is an error matching ErrInviteDenied (a *DeniedError saying
// why), audited as a failed invitation.
func (d *Directory) MayInvite(ctx context.Context, tenantID string, inviter Inviter, in InviteInput) error {
	activity := audit.ActivityInviteExternalUser
	if in.ResetRedemption {
		activity = audit.ActivityInviteExternalUserReset
	}
	name := in.Email
	if email, fe := normalizeEmail("invitedUserEmailAddress", in.Email); fe == nil {
		name = email
	}
	e := audit.Entry{TenantID: tenantID, Category: audit.CategoryUser, Activity: activity,
		Target: audit.Target{Type: audit.TargetUser, Name: name}}
	if err := d.mayInvite(ctx, tenantID, inviter, in); err != nil {
		return d.refused(ctx, e, err)
	}
	return nil
}

func (d *Directory) mayInvite(ctx context.Context, tenantID string, inviter Inviter, in InviteInput) error {
	t, err := d.store.GetTenant(ctx, tenantID)
	if err != nil {
		return fmt.Errorf("tenant %q: %w", tenantID, err)
	}
	level := AllowInvitesFrom(t.Invitations)
	switch {
	case level == store.InvitesFromNone:
		return denied("The organisation's policy lets nobody invite guests (allowInvitesFrom is none).")
	case in.ResetRedemption:
		return d.mayReset(ctx, tenantID, inviter, in)
	case inviter.App:
		return nil
	case inviter.UserID == "":
		return denied("Only a signed-in user or an application may invite guests.")
	}
	u, err := d.store.GetUser(ctx, tenantID, inviter.UserID)
	if errors.Is(err, store.ErrNotFound) {
		return denied("The signed-in user is not in the organisation.")
	}
	if err != nil {
		return err
	}
	roles, err := d.store.ListUserRoles(ctx, tenantID, u.ID)
	if err != nil {
		return err
	}
	privileged := slices.ContainsFunc(roles, func(r string) bool { return slices.Contains(inviterRoles, r) })
	switch {
	case privileged:
		return nil
	case level == store.InvitesFromEveryone,
		level == store.InvitesFromAdminsInvitersMembers && u.UserType == store.UserTypeMember:
		if len(in.GroupIDs) > 0 {
			// Into groups a member brings what a group owner may.
			return d.ownersGuest(ctx, tenantID, u.ID, in.Email)
		}
		return nil
	}
	why := "only administrators and Guest Inviters may invite guests"
	if level == store.InvitesFromAdminsInvitersMembers {
		why = "guests may not invite guests"
	}
	return d.mayInviteAsOwner(ctx, tenantID, u.ID, in, why)
}

// resetRoles are the directory roles whose holders may reset a guest's
// redemption, as in Graph.
var resetRoles = []string{RoleTenantAdministrator, RoleUserAdministrator}

// mayReset decides an invitation with resetRedemption, which strips the
// guest's identities so that whoever redeems the new link becomes the
// guest: only a Tenant Administrator or User Administrator, or an
// application (inviter.App, an application permission an admin granted),
// may ask, and only for a guest they may change (MayChangeUser). Guest
// Inviters, members and group owners may not, whatever the policy says.
func (d *Directory) mayReset(ctx context.Context, tenantID string, inviter Inviter, in InviteInput) error {
	if !inviter.App {
		var roles []string
		if inviter.UserID != "" {
			var err error
			if roles, err = d.store.ListUserRoles(ctx, tenantID, inviter.UserID); err != nil {
				return err
			}
		}
		if !slices.ContainsFunc(roles, func(r string) bool { return slices.Contains(resetRoles, r) }) {
			return denied("Only a User Administrator or Tenant Administrator may reset a guest's redemption (resetRedemption).")
		}
	}
	guest, err := d.resetTarget(ctx, tenantID, in)
	if err != nil || guest.ID == "" {
		return err // Invite says what is wrong with a guest that is not there
	}
	return d.mayChange(ctx, d.store, tenantID, inviter, guest.ID)
}

// resetTarget answers the guest an invitation would reset: the one
// invitedUser.id names, or else the holder of the address; the zero User
// when there is none.
func (d *Directory) resetTarget(ctx context.Context, tenantID string, in InviteInput) (store.User, error) {
	var u store.User
	var err error
	if in.InvitedUserID != "" {
		u, err = d.store.GetUser(ctx, tenantID, in.InvitedUserID)
	} else if email, fe := normalizeEmail("invitedUserEmailAddress", in.Email); fe == nil {
		u, err = d.store.GetUserByEmail(ctx, tenantID, email)
	} else {
		return store.User{}, nil
	}
	if errors.Is(err, store.ErrNotFound) {
		return store.User{}, nil
	}
	return u, err
}

// mayInviteAsOwner is MayInvite's way in for the owner of groups that
// let their owners invite. An owner invites new guests, or re-invites a
// pending guest they invited themselves; never another inviter's guest,
// nor a guest who has redeemed (that would put an identity the owner
// never vetted into their groups without a new redemption).
func (d *Directory) mayInviteAsOwner(ctx context.Context, tenantID, userID string, in InviteInput, why string) error {
	if len(in.GroupIDs) == 0 {
		return denied("The organisation's policy says %s; a group owner may invite only into groups that allow it (groupIds).", why)
	}
	if len(in.GroupIDs) > maxInviteRefs {
		return invalid("groupIds", "must be at most %d groups", maxInviteRefs)
	}
	if len(in.ApplicationIDs) > 0 {
		return denied("The organisation's policy says %s; a group owner may not assign applications (applicationIds).", why)
	}
	for _, id := range in.GroupIDs {
		g, err := d.store.GetGroup(ctx, tenantID, id)
		if errors.Is(err, store.ErrNotFound) {
			return denied("The organisation's policy says %s; group %q is not one you own that lets owners invite guests.", why, id)
		}
		if err != nil {
			return err
		}
		owners, err := d.store.ListGroupOwners(ctx, tenantID, id)
		if err != nil {
			return err
		}
		own := slices.ContainsFunc(owners, func(o store.User) bool { return o.ID == userID })
		if !own || !g.OwnersCanInviteGuests {
			return denied("The organisation's policy says %s; group %q is not one you own that lets owners invite guests.", why, id)
		}
	}
	return d.ownersGuest(ctx, tenantID, userID, in.Email)
}

// ownersGuest refuses an invitation into groups, by a group owner or
// another user without an inviter role, of an address that belongs to a
// guest who has redeemed, or to one another inviter invited.
func (d *Directory) ownersGuest(ctx context.Context, tenantID, ownerID, address string) error {
	email, fe := normalizeEmail("invitedUserEmailAddress", address)
	if fe != nil {
		return nil // Invite refuses the address itself
	}
	u, err := d.store.GetUserByEmail(ctx, tenantID, email)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil
	case err != nil:
		return err
	case u.UserType != store.UserTypeGuest:
		return nil // Invite refuses members
	case u.ExternalUserState != store.ExternalStatePending:
		return denied("%q is a guest who has already accepted an invitation; only an administrator may invite them into groups again.", email)
	}
	invs, err := d.store.ListInvitations(ctx, tenantID, store.InvitationFilter{InvitedUserID: u.ID})
	if err != nil {
		return err
	}
	mine := slices.ContainsFunc(invs, func(inv store.Invitation) bool {
		return inv.InviterType == store.ActorUser && inv.InviterID == ownerID
	})
	if !mine {
		return denied("%q was invited by someone else; only an administrator may invite another inviter's guest into groups.", email)
	}
	return nil
}
