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

// UpstreamProfile is what an upstream sign-in says of a guest.
type UpstreamProfile struct {
	Email string
	// EmailVerified is the upstream's email_verified (a real boolean true),
	// from the same source as Email.
	EmailVerified bool
	// ProviderID is the tenant's identity provider the guest signed in
	// with; the mail may follow only an address it serves.
	ProviderID  string
	DisplayName string
	GivenName   string
	Surname     string
}

// RefreshGuestProfile updates a guest's displayName, givenName, surname
// and mail from an upstream sign-in, when they changed. Audited as
// "Update user" with the guest as actor.
//
// The upstream's word is taken where it is a valid value: an empty or
// invalid field keeps what the guest has. The mail is Foyer's to guard:
// it follows the upstream only to an address the provider verified, in a
// domain the provider serves (see mailRefusal), and the address becomes
// verified (email_verified in tokens). A refused mail change keeps the old
// mail and is audited as a failed "Update user" with the reason. Nothing
// changed, nothing is written.
func (d *Directory) RefreshGuestProfile(ctx context.Context, tenantID, userID string, p UpstreamProfile) error {
	u, err := d.store.GetUser(ctx, tenantID, userID)
	if err != nil {
		return err
	}
	if u.UserType != store.UserTypeGuest {
		return invalid("userType", "only a guest's profile follows its upstream")
	}
	if _, changed := refreshedProfile(u, p); !changed {
		return nil
	}
	ctx = audit.WithActor(ctx, userActor(u))
	e := userEntry(tenantID, audit.ActivityUpdateUser, u)
	var refusal string
	err = d.store.InTx(ctx, func(tx store.Store) error {
		u, err := tx.GetUser(ctx, tenantID, userID)
		if err != nil {
			return err
		}
		next, _ := refreshedProfile(u, p)
		if next.Mail != u.Mail || next.MailVerified != u.MailVerified {
			// Look first: on PostgreSQL a refused UPDATE would abort the
			// transaction.
			reason, err := mailRefusal(ctx, tx, u, next.Mail, p)
			switch {
			case err != nil:
				return err
			case reason != "" && next.Mail != u.Mail:
				refusal = fmt.Sprintf("mail not changed to %q: %s", next.Mail, reason)
				fallthrough
			case reason != "":
				next.Mail, next.MailVerified = u.Mail, u.MailVerified
			}
		}
		if !profileDiffers(u, next) {
			return nil // changed back meanwhile, or only a refused mail
		}
		next.UpdatedAt = d.clock()
		if err := tx.UpdateUser(ctx, next); err != nil {
			return err
		}
		return audit.Record(ctx, tx, d.clock(), e)
	})
	if err != nil {
		e.Err = errors.New(auditReason(err))
		_ = audit.Record(ctx, d.store, d.clock(), e)
		return err
	}
	if refusal != "" {
		e.Err = errors.New(refusal)
		return audit.Record(ctx, d.store, d.clock(), e)
	}
	return nil
}

// mailRefusal answers why a guest's mail must not become addr on the word
// of the upstream sign-in p, or "" when it may (the address is then
// verified):
//   - the provider asserted addr as verified (a real boolean true);
//   - addr is in a domain the provider serves: its configured domains, a
//     Foyer partner's verified domains, or when it has none, the domain of
//     an address the guest was invited with and accepted;
//   - addr is not in a verified domain of this tenant, nor of another
//     tenant of this Foyer unless the provider is that tenant's partner
//     provider;
//   - no other user holds addr and no pending invitation is for it.
func mailRefusal(ctx context.Context, tx store.Store, u store.User, addr string, p UpstreamProfile) (string, error) {
	if !p.EmailVerified {
		return "the identity provider did not verify it", nil
	}
	if p.ProviderID == "" {
		return "no identity provider of the organisation vouches for it", nil
	}
	prov, err := tx.GetIdentityProvider(ctx, u.TenantID, p.ProviderID)
	if errors.Is(err, store.ErrNotFound) {
		return "no identity provider of the organisation vouches for it", nil
	}
	if err != nil {
		return "", err
	}
	domain := addr[strings.LastIndexByte(addr, '@')+1:]
	switch owner, err := tx.GetDomain(ctx, domain); {
	case errors.Is(err, store.ErrNotFound):
	case err != nil:
		return "", err
	case owner.TenantID == u.TenantID:
		return "it is in a verified domain of this organisation", nil
	case prov.Type != store.IdPFoyer || prov.PartnerTenantID != owner.TenantID:
		return "it is in a domain another organisation verified, which the identity provider does not represent", nil
	}
	served, err := servedDomains(ctx, tx, u, prov)
	if err != nil {
		return "", err
	}
	if !slices.Contains(served, domain) {
		return "it is not in a domain the identity provider serves", nil
	}
	if addr == u.Mail {
		return "", nil
	}
	switch other, err := tx.GetUserByEmail(ctx, u.TenantID, addr); {
	case err == nil && other.ID != u.ID:
		return "another user of the organisation holds it", nil
	case err != nil && !errors.Is(err, store.ErrNotFound):
		return "", err
	}
	pending, err := tx.ListInvitations(ctx, u.TenantID, store.InvitationFilter{Status: store.InvitationPending})
	if err != nil {
		return "", err
	}
	if slices.ContainsFunc(pending, func(inv store.Invitation) bool { return inv.Email == addr && inv.InvitedUserID != u.ID }) {
		return "an invitation to it is pending", nil
	}
	return "", nil
}

// servedDomains answers the email domains prov speaks for about guest u:
// its configured domains; a Foyer partner's, its partner tenant's verified
// domains; otherwise the domains of the addresses u accepted invitations
// at.
func servedDomains(ctx context.Context, tx store.Store, u store.User, prov store.IdentityProvider) ([]string, error) {
	if len(prov.Domains) > 0 {
		return prov.Domains, nil
	}
	var served []string
	if prov.Type == store.IdPFoyer && prov.PartnerTenantID != "" {
		doms, err := tx.ListDomains(ctx, prov.PartnerTenantID)
		if err != nil {
			return nil, err
		}
		for _, d := range doms {
			served = append(served, d.Name)
		}
		if len(served) > 0 {
			return served, nil
		}
	}
	invs, err := tx.ListInvitations(ctx, u.TenantID, store.InvitationFilter{Status: store.InvitationAccepted, InvitedUserID: u.ID})
	if err != nil {
		return nil, err
	}
	for _, inv := range invs {
		served = append(served, inv.Email[strings.LastIndexByte(inv.Email, '@')+1:])
	}
	return served, nil
}

// refreshedProfile answers u with the valid, non-empty fields of p, and
// whether that differs from u. A mail the upstream verified is proposed
// as verified (the same address included: a later sign-in may verify it);
// the rules of mailRefusal decide.
func refreshedProfile(u store.User, p UpstreamProfile) (store.User, bool) {
	next := u
	if v := strings.TrimSpace(p.DisplayName); v != "" && checkName("displayName", v, 256) == nil {
		next.DisplayName = v
	}
	if v := strings.TrimSpace(p.GivenName); v != "" && checkText("givenName", v, 64) == nil {
		next.GivenName = v
	}
	if v := strings.TrimSpace(p.Surname); v != "" && checkText("surname", v, 64) == nil {
		next.Surname = v
	}
	if p.Email != "" {
		if mail, fe := normalizeEmail("mail", p.Email); fe == nil && (mail != u.Mail || p.EmailVerified) {
			next.Mail, next.MailVerified = mail, true
		}
	}
	return next, profileDiffers(u, next)
}

func profileDiffers(a, b store.User) bool {
	return a.DisplayName != b.DisplayName || a.GivenName != b.GivenName || a.Surname != b.Surname ||
		a.Mail != b.Mail || a.MailVerified != b.MailVerified
}
