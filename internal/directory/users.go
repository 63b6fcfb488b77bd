package directory

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/foyer-idp/foyer/internal/audit"
	"github.com/foyer-idp/foyer/internal/secret"
	"github.com/foyer-idp/foyer/internal/store"
)

// ErrAccountDisabled answers a correct password for a disabled account.
var ErrAccountDisabled = errors.New("account is disabled")

// NewMember is what creating a member takes. Guests are made by
// invitations, not here.
type NewMember struct {
	DisplayName       string
	GivenName         string
	Surname           string
	Mail              string
	UserPrincipalName string // empty: the mail address
	// Password is optional: a member without one cannot sign in with a
	// password until an admin sets one.
	Password       string
	AccountEnabled *bool // nil: enabled
	// ForceChangePassword makes the member choose a new password at their
	// next sign-in (Graph's forceChangePasswordNextSignIn); it needs a
	// Password.
	ForceChangePassword bool
}

// UserPatch changes the fields that are set.
type UserPatch struct {
	DisplayName       *string
	GivenName         *string
	Surname           *string
	Mail              *string
	UserPrincipalName *string
	AccountEnabled    *bool
	// ForceChangePassword true needs a user with a password.
	ForceChangePassword *bool
	// Password resets a member's password (audited as "Reset user
	// password" beside "Update user", in the same transaction); guests
	// have none.
	Password *string
}

// fieldForceChange names the flag in field errors and the audit log as
// Graph does.
const fieldForceChange = "passwordProfile.forceChangePasswordNextSignIn"

// checkForceChange refuses the flag for a user who has no password to
// change: they could never satisfy it, and the admin would believe they
// must.
func checkForceChange(force bool, passwordHash string) *FieldError {
	if force && passwordHash == "" {
		return invalid(fieldForceChange, "needs a password: the user has none to change")
	}
	return nil
}

// checkProfile validates u's profile and normalises its addresses.
func checkProfile(u *store.User) error {
	var p problems
	p.add(checkName("displayName", u.DisplayName, 256))
	p.add(checkText("givenName", u.GivenName, 64))
	p.add(checkText("surname", u.Surname, 64))
	if u.Mail != "" {
		mail, fe := normalizeEmail("mail", u.Mail)
		p.add(fe)
		u.Mail = mail
	}
	if u.UserPrincipalName == "" {
		u.UserPrincipalName = u.Mail
	}
	upn, fe := normalizeEmail("userPrincipalName", u.UserPrincipalName)
	p.add(fe)
	u.UserPrincipalName = upn
	return p.Err()
}

// localIdentity is the identity of a member's own account. Foyer names the
// tenant by its slug, which never changes.
func localIdentity(t store.Tenant, upn string) store.Identity {
	return store.Identity{SignInType: store.SignInTypeUPN, Issuer: t.Slug, IssuerAssignedID: upn}
}

// CreateMember validates and stores a member of the tenant.
func (d *Directory) CreateMember(ctx context.Context, tenantID string, in NewMember) (store.User, error) {
	now := d.clock()
	u := store.User{
		TenantID: tenantID, ID: secret.NewID(), DisplayName: in.DisplayName, GivenName: in.GivenName,
		Surname: in.Surname, Mail: in.Mail, UserPrincipalName: in.UserPrincipalName,
		UserType: store.UserTypeMember, AccountEnabled: in.AccountEnabled == nil || *in.AccountEnabled,
		CreatedAt: now, UpdatedAt: now, ForceChangePassword: in.ForceChangePassword,
	}
	if in.Password != "" {
		hash, err := d.hashPassword(ctx, tenantID, audit.ActivityAddUser, u, in.Password)
		if err != nil {
			return store.User{}, err
		}
		u.PasswordHash = hash
	}
	if fe := checkForceChange(u.ForceChangePassword, u.PasswordHash); fe != nil {
		return store.User{}, d.failed(ctx, tenantID, audit.ActivityAddUser, u, fe)
	}
	e := userEntry(tenantID, audit.ActivityAddUser, u)
	err := d.change(ctx, e, func(tx store.Store, e *audit.Entry) error {
		if err := checkProfile(&u); err != nil {
			return err
		}
		e.Target.Name = u.UserPrincipalName
		t, err := tx.GetTenant(ctx, tenantID)
		if err != nil {
			return notFoundAs(err, "tenant", tenantID)
		}
		u.Identities = []store.Identity{localIdentity(t, u.UserPrincipalName)}
		return conflictAs(tx.CreateUser(ctx, u), "userPrincipalName or mail", u.UserPrincipalName)
	})
	if err != nil {
		return store.User{}, err
	}
	return u, nil
}

// hashPassword checks a new password against the rules and hashes it; a
// refusal is audited as activity on target.
func (d *Directory) hashPassword(ctx context.Context, tenantID, activity string, target store.User, password string) (string, error) {
	if fe := checkPassword("password", password); fe != nil {
		return "", d.failed(ctx, tenantID, activity, target, fe)
	}
	return d.passwords.Hash(ctx, password)
}

// failed records a change refused before its transaction began.
func (d *Directory) failed(ctx context.Context, tenantID, activity string, u store.User, err error) error {
	e := userEntry(tenantID, activity, u)
	e.Err = errors.New(auditReason(err))
	_ = audit.Record(ctx, d.store, d.clock(), e)
	return err
}

func userEntry(tenantID, activity string, u store.User) audit.Entry {
	return audit.Entry{TenantID: tenantID, Category: audit.CategoryUser, Activity: activity,
		Target: audit.Target{Type: audit.TargetUser, ID: u.ID, Name: u.UserPrincipalName}}
}

// User answers the user with this id, mail or user principal name.
//
// An id matches exactly; an address matches the user's mail or user
// principal name case-insensitively, as Graph matches them, but only as
// written: a reference with leading or trailing white space (a path's
// "%20") names nobody.
func (d *Directory) User(ctx context.Context, tenantID, ref string) (store.User, error) {
	if ref == "" || strings.TrimSpace(ref) != ref {
		return store.User{}, fmt.Errorf("user %q: %w", ref, store.ErrNotFound)
	}
	u, err := d.store.GetUser(ctx, tenantID, ref)
	if errors.Is(err, store.ErrNotFound) {
		if mail, fe := normalizeEmail("user", ref); fe == nil {
			u, err = d.store.GetUserByEmail(ctx, tenantID, mail)
		}
	}
	if err != nil {
		return store.User{}, fmt.Errorf("user %q: %w", ref, err)
	}
	return u, nil
}

// Users answers the tenant's users matching f.
func (d *Directory) Users(ctx context.Context, tenantID string, f store.UserFilter) ([]store.User, error) {
	return d.store.ListUsers(ctx, tenantID, f)
}

// UpdateUser applies p to the user. Disabling the account ends its
// sessions and, for good, every sign-in before it (see endSignIns).
func (d *Directory) UpdateUser(ctx context.Context, tenantID, userID string, p UserPatch) (store.User, error) {
	var u store.User
	var newHash string
	if p.Password != nil {
		var err error
		if newHash, err = d.hashPassword(ctx, tenantID, audit.ActivityResetPassword, store.User{ID: userID}, *p.Password); err != nil {
			return store.User{}, err
		}
	}
	e := userEntry(tenantID, audit.ActivityUpdateUser, store.User{ID: userID})
	err := d.change(ctx, e, func(tx store.Store, e *audit.Entry) error {
		var err error
		if u, err = tx.GetUser(ctx, tenantID, userID); err != nil {
			return err
		}
		if newHash != "" {
			if err := MayHavePassword(u); err != nil {
				return err
			}
			u.PasswordHash = newHash
		}
		if p.AccountEnabled != nil && !*p.AccountEnabled {
			if err := keepTenantAdministrator(ctx, tx, u, "accountEnabled"); err != nil {
				return err
			}
		}
		oldUPN, oldMail, wasEnabled, wasForced := u.UserPrincipalName, u.Mail, u.AccountEnabled, u.ForceChangePassword
		setIf(&u.DisplayName, p.DisplayName)
		setIf(&u.GivenName, p.GivenName)
		setIf(&u.Surname, p.Surname)
		setIf(&u.Mail, p.Mail)
		setIf(&u.UserPrincipalName, p.UserPrincipalName)
		setIf(&u.AccountEnabled, p.AccountEnabled)
		setIf(&u.ForceChangePassword, p.ForceChangePassword)
		if err := checkProfile(&u); err != nil {
			return err
		}
		if err := noteForceChange(e, wasForced, u); err != nil {
			return err
		}
		e.Target.Name = u.UserPrincipalName
		if u.Mail != oldMail {
			u.MailVerified = false // an admin's word is not verification
		}
		renameLocalIdentity(&u, oldUPN)
		u.UpdatedAt = d.clock()
		disabling := wasEnabled && !u.AccountEnabled
		if disabling {
			endSignIns(&u, u.UpdatedAt)
		}
		if err := conflictAs(tx.UpdateUser(ctx, u), "userPrincipalName or mail", u.UserPrincipalName); err != nil {
			return err
		}
		if newHash != "" {
			if err := writeReset(ctx, tx, u); err != nil {
				return err
			}
		}
		if disabling {
			return tx.DeleteUserSessions(ctx, tenantID, u.ID)
		}
		return nil
	})
	if err != nil {
		return store.User{}, err
	}
	return u, nil
}

// noteForceChange checks a change of u's forced password change (it was
// was) and names it among e's modified properties.
func noteForceChange(e *audit.Entry, was bool, u store.User) error {
	if u.ForceChangePassword == was {
		return nil
	}
	if fe := checkForceChange(u.ForceChangePassword, u.PasswordHash); fe != nil {
		return fe
	}
	e.Modified = append(e.Modified, store.ModifiedProperty{Name: fieldForceChange,
		OldValue: strconv.FormatBool(was), NewValue: strconv.FormatBool(u.ForceChangePassword)})
	return nil
}

// writeReset stores the password hash an admin's reset gave u, with its
// own audit event, in the caller's transaction.
func writeReset(ctx context.Context, tx store.Store, u store.User) error {
	if err := tx.SetPasswordHash(ctx, u.TenantID, u.ID, u.PasswordHash, u.UpdatedAt); err != nil {
		return err
	}
	return audit.Record(ctx, tx, u.UpdatedAt, userEntry(u.TenantID, audit.ActivityResetPassword, u))
}

// endSignIns makes every sign-in of u until now worthless for good, as
// disabling an account must: its sessions, codes, refresh token families
// and access tokens stay refused after the account is enabled again (see
// store.User.Honours). The moment is the next whole second after now:
// access tokens state their sign-in time in whole seconds, so a sign-in in
// the second of the disabling, even at its very start, is refused rather
// than let through.
func endSignIns(u *store.User, now time.Time) {
	from := now.Truncate(time.Second).Add(time.Second)
	if u.SignInSessionsValidFrom == nil || u.SignInSessionsValidFrom.Before(from) {
		u.SignInSessionsValidFrom = &from
	}
}

// renameLocalIdentity keeps a member's own sign-in identity equal to its
// user principal name.
func renameLocalIdentity(u *store.User, oldUPN string) {
	for i, id := range u.Identities {
		if id.SignInType == store.SignInTypeUPN && id.IssuerAssignedID == oldUPN {
			u.Identities[i].IssuerAssignedID = u.UserPrincipalName
		}
	}
}

// SetPassword replaces the user's password.
func (d *Directory) SetPassword(ctx context.Context, tenantID, userID, password string) error {
	target := store.User{ID: userID}
	hash, err := d.hashPassword(ctx, tenantID, audit.ActivityResetPassword, target, password)
	if err != nil {
		return err
	}
	e := userEntry(tenantID, audit.ActivityResetPassword, target)
	return d.change(ctx, e, func(tx store.Store, e *audit.Entry) error {
		u, err := tx.GetUser(ctx, tenantID, userID)
		if err != nil {
			return err
		}
		e.Target.Name = u.UserPrincipalName
		if err := MayHavePassword(u); err != nil {
			return err
		}
		return tx.SetPasswordHash(ctx, tenantID, userID, hash, d.clock())
	})
}

// MayHavePassword refuses a password for a guest, as a field error on
// password: a guest proves who they are at home (an upstream provider, a
// partner tenant, a passcode to the invited address), and a password kept
// here would let whoever set it sign in as the guest past all of that.
func MayHavePassword(u store.User) error {
	if u.UserType == store.UserTypeGuest {
		return invalid("password", "a guest signs in with their own account, never with a password kept by this tenant")
	}
	return nil
}

// ErrPasswordMoved answers a password change whose proof is stale: the
// password changed (a reset, another change) after the user proved it.
var ErrPasswordMoved = fmt.Errorf("the password changed since it was proven: %w", store.ErrConflict)

// ChangePassword is a user's own change of their password, as the sign-in
// asks for when ForceChangePassword is set: provenHash is the hash the
// user's current password was just checked against, and the change lands
// only while it is still the user's (ErrPasswordMoved otherwise). The new
// password follows the same rules as everywhere and must differ from the
// current one (a field error on newPassword). It clears
// ForceChangePassword and is audited as the user's own "Change user
// password". The user's sessions and tokens stay, as after an admin's
// reset.
func (d *Directory) ChangePassword(ctx context.Context, u store.User, provenHash, newPassword string) error {
	ctx = audit.WithActor(ctx, userActor(u))
	activity := audit.ActivityChangePassword
	if fe := checkPassword("newPassword", newPassword); fe != nil {
		return d.failed(ctx, u.TenantID, activity, u, fe)
	}
	switch err := d.passwords.Verify(ctx, newPassword, provenHash); {
	case err == nil:
		return d.failed(ctx, u.TenantID, activity, u, invalid("newPassword", "must differ from the current password"))
	case !errors.Is(err, secret.ErrPasswordMismatch):
		return err
	}
	hash, err := d.passwords.Hash(ctx, newPassword)
	if err != nil {
		return err
	}
	e := userEntry(u.TenantID, activity, u)
	return d.change(ctx, e, func(tx store.Store, e *audit.Entry) error {
		err := tx.ChangePasswordHash(ctx, u.TenantID, u.ID, provenHash, hash, d.clock())
		if errors.Is(err, store.ErrConflict) {
			return ErrPasswordMoved
		}
		return err
	})
}

// DeleteUser removes the user with its memberships, ownerships and
// assignments.
func (d *Directory) DeleteUser(ctx context.Context, tenantID, userID string) error {
	e := userEntry(tenantID, audit.ActivityDeleteUser, store.User{ID: userID})
	return d.change(ctx, e, func(tx store.Store, e *audit.Entry) error {
		u, err := tx.GetUser(ctx, tenantID, userID)
		if err != nil {
			return err
		}
		e.Target.Name = u.UserPrincipalName
		if u.UserType == store.UserTypeGuest {
			e.Activity = audit.ActivityDeleteExternalUser
		}
		if err := keepTenantAdministrator(ctx, tx, u, "user"); err != nil {
			return err
		}
		return tx.DeleteUser(ctx, tenantID, userID)
	})
}

// VerifyPassword answers the member whose mail or user principal name is
// email when password is theirs. An unknown account, a user without a
// password and a wrong password all answer ErrBadCredentials after the same
// argon2id work, so neither the answer nor its timing tells which. Only
// after a correct password does a disabled account say so.
func (d *Directory) VerifyPassword(ctx context.Context, tenantID, email, password string) (store.User, error) {
	u, err := d.store.GetUserByEmail(ctx, tenantID, normalizeLogin(email))
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return store.User{}, err
	}
	if err != nil || u.PasswordHash == "" {
		if _, herr := d.passwords.Hash(ctx, password); herr != nil {
			return store.User{}, herr
		}
		return store.User{}, ErrBadCredentials
	}
	switch err := d.passwords.Verify(ctx, password, u.PasswordHash); {
	case errors.Is(err, secret.ErrPasswordMismatch):
		return store.User{}, ErrBadCredentials
	case err != nil:
		return store.User{}, err
	}
	if !u.AccountEnabled {
		return store.User{}, ErrAccountDisabled
	}
	return u, nil
}

// normalizeLogin lower-cases what a person typed as their email, without
// failing: an unparseable one simply matches nobody.
func normalizeLogin(s string) string {
	if mail, fe := normalizeEmail("email", s); fe == nil {
		return mail
	}
	return s
}

// MemberOf answers the groups the user is a direct member of.
func (d *Directory) MemberOf(ctx context.Context, tenantID, userID string) ([]store.Group, error) {
	return d.store.ListUserGroups(ctx, tenantID, userID)
}

// OwnedObjects answers the groups and the applications the user owns.
func (d *Directory) OwnedObjects(ctx context.Context, tenantID, userID string) ([]store.Group, []store.Application, error) {
	groups, err := d.store.ListOwnedGroups(ctx, tenantID, userID)
	if err != nil {
		return nil, nil, err
	}
	apps, err := d.store.ListOwnedApplications(ctx, tenantID, userID)
	if err != nil {
		return nil, nil, err
	}
	return groups, apps, nil
}
