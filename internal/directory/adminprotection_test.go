package directory_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/internal/audit"
	"github.com/foyer-idp/foyer/internal/directory"
	"github.com/foyer-idp/foyer/internal/store"
	"github.com/foyer-idp/foyer/internal/store/sqlstore/sqltest"
)

// TestAdminProtection runs the rules that keep administrators safe from
// lower callers, and the tenant from losing its last administrator, on
// each storage back end.
func TestAdminProtection(t *testing.T) {
	t.Parallel()
	sqltest.RunSuite(t, []sqltest.Case[*fixture]{
		{Name: "MayChangeUserByRank", Fn: testMayChangeUserByRank},
		{Name: "LastTenantAdministratorStays", Fn: testLastTenantAdministratorStays},
		{Name: "LastTenantAdministratorRace", Fn: testLastTenantAdministratorRace},
		{Name: "UserReferenceIsExact", Fn: testUserReferenceIsExact},
		{Name: "ResetRedemptionNeedsUserAdministrator", Fn: testResetRedemptionNeedsUserAdministrator},
		{Name: "ResetIsAuditedWithTheOldIdentity", Fn: testResetAuditsOldIdentity},
		{Name: "GroupOwnerInvitesOnlyTheirOwnGuests", Fn: testGroupOwnerInvitesOnlyOwnGuests},
	}, func(t *testing.T, b sqltest.Backend) *fixture { return newFixture(t, b) })
}

func TestRank(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		roles []string
		want  int
	}{
		{nil, 0},
		{[]string{"Global Emperor"}, 0},
		{[]string{directory.RoleGuestInviter}, 1},
		{[]string{directory.RoleUserAdministrator}, 2},
		{[]string{directory.RoleGuestInviter, directory.RoleTenantAdministrator}, 3},
		{[]string{directory.RoleUserAdministrator, directory.RoleGuestInviter}, 2},
	} {
		require.Equal(t, c.want, directory.Rank(c.roles), "%v", c.roles)
	}
}

// staff is a tenant with one holder of each role and a plain member.
type staff struct {
	tn                                        store.Tenant
	tenantAdmin, userAdmin, inviter, employee store.User
}

func (f *fixture) staff(t *testing.T, slug string) staff {
	t.Helper()
	s := staff{tn: f.inviteTenant(t, slug)}
	for _, m := range []struct {
		u    *store.User
		name string
		role string
	}{
		{&s.tenantAdmin, "ta", directory.RoleTenantAdministrator},
		{&s.userAdmin, "ua", directory.RoleUserAdministrator},
		{&s.inviter, "gi", directory.RoleGuestInviter},
		{&s.employee, "member", ""},
	} {
		*m.u = f.member(t, s.tn.ID, m.name+"@"+slug+".example")
		if m.role != "" {
			require.NoError(t, f.dir.AssignRole(t.Context(), s.tn.ID, m.u.ID, m.role))
		}
	}
	return s
}

func testMayChangeUserByRank(t *testing.T, f *fixture) {
	ctx := t.Context()
	s := f.staff(t, "woodgrove")
	users := map[string]store.User{"ta": s.tenantAdmin, "ua": s.userAdmin, "gi": s.inviter, "member": s.employee}
	callers := map[string]directory.Caller{
		"ta": {UserID: s.tenantAdmin.ID}, "ua": {UserID: s.userAdmin.ID}, "gi": {UserID: s.inviter.ID},
		"member": {UserID: s.employee.ID}, "app": {App: true}, "nobody": {},
	}
	// Who may change whom: an equal or higher role; an application
	// anyone but a Tenant or User Administrator.
	allowed := map[string][]string{
		"ta":     {"ta", "ua", "gi", "member"},
		"ua":     {"ua", "gi", "member"},
		"gi":     {"gi", "member"},
		"member": {"member"},
		"app":    {"gi", "member"},
		"nobody": {"member"},
	}
	refusals := 0
	for who, caller := range callers {
		for name, target := range users {
			err := f.dir.MayChangeUser(ctx, s.tn.ID, caller, audit.ActivityUpdateUser, target)
			if contains(allowed[who], name) {
				require.NoError(t, err, "%s changes %s", who, name)
				continue
			}
			refusals++
			require.ErrorIs(t, err, directory.ErrPrivilegedTarget, "%s changes %s", who, name)
			require.NotErrorIs(t, err, directory.ErrInviteDenied)
			var de *directory.DeniedError
			require.ErrorAs(t, err, &de)
		}
	}
	// Every refusal is audited as a failed change of the user.
	events, err := f.store.ListAudit(ctx, store.AuditFilter{TenantID: s.tn.ID, Activity: audit.ActivityUpdateUser})
	require.NoError(t, err)
	require.Len(t, events, refusals)
	for _, e := range events {
		require.Equal(t, store.ResultFailure, e.Result)
		require.Contains(t, e.Reason, "role")
		require.NotEmpty(t, e.TargetID)
	}
}

func testLastTenantAdministratorStays(t *testing.T, f *fixture) {
	ctx := t.Context()
	tn := f.tenant(t, "woodgrove")
	admin := f.member(t, tn.ID, "admin@woodgrove.example")
	require.NoError(t, f.dir.AssignRole(ctx, tn.ID, admin.ID, directory.RoleTenantAdministrator))
	// A disabled administrator does not count.
	dormant := f.member(t, tn.ID, "dormant@woodgrove.example")
	require.NoError(t, f.dir.AssignRole(ctx, tn.ID, dormant.ID, directory.RoleTenantAdministrator))
	_, err := f.dir.UpdateUser(ctx, tn.ID, dormant.ID, directory.UserPatch{AccountEnabled: new(false)})
	require.NoError(t, err)

	requireLast := func(err error, field string) {
		t.Helper()
		requireFields(t, err, directory.ErrLastTenantAdministrator, field)
		require.ErrorIs(t, err, directory.ErrInvalid)
		require.Contains(t, err.Error(), "admin@woodgrove.example is the organisation's last enabled Tenant Administrator")
	}
	requireLast(f.dir.DeleteUser(ctx, tn.ID, admin.ID), "user")
	_, err = f.dir.UpdateUser(ctx, tn.ID, admin.ID, directory.UserPatch{AccountEnabled: new(false)})
	requireLast(err, "accountEnabled")
	requireLast(f.dir.UnassignRole(ctx, tn.ID, admin.ID, directory.RoleTenantAdministrator), "role")

	got, err := f.store.GetUser(ctx, tn.ID, admin.ID)
	require.NoError(t, err)
	require.True(t, got.AccountEnabled, "nothing changed")
	roles, err := f.dir.UserRoles(ctx, tn.ID, admin.ID)
	require.NoError(t, err)
	require.Equal(t, []string{directory.RoleTenantAdministrator}, roles)
	acts := f.auditActivities(t, tn.ID)
	for _, want := range []string{"Delete user/failure", "Update user/failure", "Remove member from role/failure"} {
		require.Contains(t, acts, want)
	}

	// Other changes to the last administrator, and every change to the
	// disabled one, go through.
	_, err = f.dir.UpdateUser(ctx, tn.ID, admin.ID, directory.UserPatch{DisplayName: new("Still the admin"), AccountEnabled: new(true)})
	require.NoError(t, err)
	require.NoError(t, f.dir.UnassignRole(ctx, tn.ID, dormant.ID, directory.RoleTenantAdministrator))
	require.NoError(t, f.dir.DeleteUser(ctx, tn.ID, dormant.ID))

	// With a second enabled administrator the first may go; then the
	// second is the last.
	second := f.member(t, tn.ID, "second@woodgrove.example")
	require.NoError(t, f.dir.AssignRole(ctx, tn.ID, second.ID, directory.RoleTenantAdministrator))
	_, err = f.dir.UpdateUser(ctx, tn.ID, admin.ID, directory.UserPatch{AccountEnabled: new(false)})
	require.NoError(t, err)
	_, err = f.dir.UpdateUser(ctx, tn.ID, second.ID, directory.UserPatch{AccountEnabled: new(false)})
	requireFields(t, err, directory.ErrLastTenantAdministrator, "accountEnabled")
	require.NoError(t, f.dir.DeleteUser(ctx, tn.ID, admin.ID), "a disabled administrator may go")
	requireFields(t, f.dir.DeleteUser(ctx, tn.ID, second.ID), directory.ErrLastTenantAdministrator, "user")

	// Another tenant's administrators do not count for this one.
	other := f.tenant(t, "contoso")
	theirs := f.member(t, other.ID, "admin@contoso.example")
	require.NoError(t, f.dir.AssignRole(ctx, other.ID, theirs.ID, directory.RoleTenantAdministrator))
	requireFields(t, f.dir.UnassignRole(ctx, tn.ID, second.ID, directory.RoleTenantAdministrator),
		directory.ErrLastTenantAdministrator, "role")
}

// testLastTenantAdministratorRace takes the last two administrators out
// at once, in every pairing of delete, disable and unassign: the database
// decides, so exactly one change wins and one administrator stays.
func testLastTenantAdministratorRace(t *testing.T, f *fixture) {
	ctx := t.Context()
	tn := f.tenant(t, "woodgrove")
	removals := map[string]func(u store.User) error{
		"delete": func(u store.User) error { return f.dir.DeleteUser(ctx, tn.ID, u.ID) },
		"disable": func(u store.User) error {
			_, err := f.dir.UpdateUser(ctx, tn.ID, u.ID, directory.UserPatch{AccountEnabled: new(false)})
			return err
		},
		"unassign": func(u store.User) error {
			return f.dir.UnassignRole(ctx, tn.ID, u.ID, directory.RoleTenantAdministrator)
		},
	}
	round := 0
	for first, removeFirst := range removals {
		for second, removeSecond := range removals {
			round++
			var admins [2]store.User
			for i := range admins {
				admins[i] = f.member(t, tn.ID, fmt.Sprintf("admin%d-%d@woodgrove.example", round, i))
				require.NoError(t, f.dir.AssignRole(ctx, tn.ID, admins[i].ID, directory.RoleTenantAdministrator))
			}
			var errs [2]error
			var wg sync.WaitGroup
			start := make(chan struct{})
			wg.Go(func() { <-start; errs[0] = removeFirst(admins[0]) })
			wg.Go(func() { <-start; errs[1] = removeSecond(admins[1]) })
			close(start)
			wg.Wait()
			name := first + "/" + second
			require.True(t, (errs[0] == nil) != (errs[1] == nil), "%s: exactly one wins: %v", name, errs)
			for _, err := range errs {
				if err != nil {
					require.ErrorIs(t, err, directory.ErrLastTenantAdministrator, name)
				}
			}
			require.Equal(t, 1, f.enabledAdmins(t, tn.ID), name)
			// Back to none for the next round: the survivor is the last,
			// so a fresh pair joins before it goes.
			for _, u := range admins {
				roles, err := f.dir.UserRoles(ctx, tn.ID, u.ID)
				if errors.Is(err, store.ErrNotFound) || len(roles) == 0 {
					continue
				}
				require.NoError(t, err)
				require.NoError(t, f.store.UnassignRole(ctx, tn.ID, u.ID, directory.RoleTenantAdministrator))
			}
		}
	}
}

func (f *fixture) enabledAdmins(t *testing.T, tenantID string) int {
	t.Helper()
	admins, err := f.dir.RoleMembers(t.Context(), tenantID, directory.RoleTenantAdministrator)
	require.NoError(t, err)
	n := 0
	for _, a := range admins {
		if a.AccountEnabled {
			n++
		}
	}
	return n
}

func testUserReferenceIsExact(t *testing.T, f *fixture) {
	ctx := t.Context()
	tn := f.tenant(t, "woodgrove")
	u := f.member(t, tn.ID, "admin@woodgrove.example")
	for _, ref := range []string{u.ID, "admin@woodgrove.example", "Admin@WoodGrove.Example"} {
		got, err := f.dir.User(ctx, tn.ID, ref)
		require.NoError(t, err, "%q", ref)
		require.Equal(t, u.ID, got.ID)
	}
	for _, ref := range []string{"", " ", "admin@woodgrove.example ", " admin@woodgrove.example", "admin@woodgrove.example\t",
		"\nadmin@woodgrove.example", "admin@woodgrove.example\u00a0", u.ID + " ", " " + u.ID, strings.ToUpper(u.ID),
		"<admin@woodgrove.example>", "Admin <admin@woodgrove.example>", "admin@woodgrove.example (x)"} {
		_, err := f.dir.User(ctx, tn.ID, ref)
		require.ErrorIs(t, err, store.ErrNotFound, "%q", ref)
	}
}

// acceptedGuest invites email as the system and redeems it with an
// upstream identity.
func (f *fixture) acceptedGuest(t *testing.T, tenantID, email, subject string) store.User {
	t.Helper()
	ctx := t.Context()
	inv, token, err := f.dir.Invite(ctx, tenantID, guestInput(email))
	require.NoError(t, err)
	_, err = f.store.RedeemInvitation(ctx, tenantID, f.hasher.Hash(token), f.now)
	require.NoError(t, err)
	u := inv.User
	u.ExternalUserState = store.ExternalStateAccepted
	u.Identities = []store.Identity{{SignInType: store.SignInTypeFederated, Issuer: "https://login.fabrikam.example", IssuerAssignedID: subject}}
	require.NoError(t, f.store.UpdateUser(ctx, u))
	return u
}

func resetInput(u store.User) directory.InviteInput {
	in := guestInput(u.Mail)
	in.ResetRedemption, in.InvitedUserID = true, u.ID
	return in
}

func testResetRedemptionNeedsUserAdministrator(t *testing.T, f *fixture) {
	ctx := t.Context()
	s := f.staff(t, "woodgrove")
	guest := f.acceptedGuest(t, s.tn.ID, "bo@fabrikam.example", "bo")
	guestInviter := f.acceptedGuest(t, s.tn.ID, "gus@fabrikam.example", "gus")
	owner := f.member(t, s.tn.ID, "owner@woodgrove.example")
	g, err := f.dir.CreateGroup(ctx, s.tn.ID, directory.NewGroup{DisplayName: "Partners", OwnersCanInviteGuests: true})
	require.NoError(t, err)
	require.NoError(t, f.dir.AddGroupOwner(ctx, s.tn.ID, g.ID, owner.ID))
	// The most open policy: everyone may invite, yet only administrators
	// may reset.
	_, err = f.dir.SetInvitationPolicy(ctx, s.tn.ID, store.InvitationPolicy{AllowInvitesFrom: store.InvitesFromEveryone})
	require.NoError(t, err)
	for _, c := range []struct {
		name    string
		inviter directory.Inviter
		groups  []string
		ok      bool
	}{
		{"tenant admin", directory.Inviter{UserID: s.tenantAdmin.ID}, nil, true},
		{"user admin", directory.Inviter{UserID: s.userAdmin.ID}, nil, true},
		{"app", directory.Inviter{App: true}, nil, true},
		{"guest inviter", directory.Inviter{UserID: s.inviter.ID}, nil, false},
		{"member", directory.Inviter{UserID: s.employee.ID}, nil, false},
		{"guest", directory.Inviter{UserID: guestInviter.ID}, nil, false},
		{"group owner into their group", directory.Inviter{UserID: owner.ID}, []string{g.ID}, false},
		{"nobody", directory.Inviter{}, nil, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			in := resetInput(guest)
			in.GroupIDs = c.groups
			err := f.dir.MayInvite(ctx, s.tn.ID, c.inviter, in)
			if c.ok {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, directory.ErrInviteDenied)
			require.Contains(t, err.Error(), "Only a User Administrator or Tenant Administrator may reset")
		})
	}
	events, err := f.store.ListAudit(ctx, store.AuditFilter{TenantID: s.tn.ID, Activity: audit.ActivityInviteExternalUserReset})
	require.NoError(t, err)
	require.Len(t, events, 5, "every refusal is audited")

	// A guest holding an administrator role is reset only by an equal or
	// higher administrator, never by an application.
	require.NoError(t, f.dir.AssignRole(ctx, s.tn.ID, guest.ID, directory.RoleUserAdministrator))
	require.ErrorIs(t, f.dir.MayInvite(ctx, s.tn.ID, directory.Inviter{App: true}, resetInput(guest)), directory.ErrPrivilegedTarget)
	require.NoError(t, f.dir.MayInvite(ctx, s.tn.ID, directory.Inviter{UserID: s.userAdmin.ID}, resetInput(guest)))
	require.NoError(t, f.dir.AssignRole(ctx, s.tn.ID, guest.ID, directory.RoleTenantAdministrator))
	require.ErrorIs(t, f.dir.MayInvite(ctx, s.tn.ID, directory.Inviter{UserID: s.userAdmin.ID}, resetInput(guest)), directory.ErrPrivilegedTarget)
	// Named by address alone, the same guest.
	byMail := resetInput(guest)
	byMail.InvitedUserID = ""
	require.ErrorIs(t, f.dir.MayInvite(ctx, s.tn.ID, directory.Inviter{UserID: s.userAdmin.ID}, byMail), directory.ErrPrivilegedTarget)
	require.NoError(t, f.dir.MayInvite(ctx, s.tn.ID, directory.Inviter{UserID: s.tenantAdmin.ID}, resetInput(guest)))
}

func testResetAuditsOldIdentity(t *testing.T, f *fixture) {
	ctx := t.Context()
	tn := f.inviteTenant(t, "woodgrove")
	guest := f.acceptedGuest(t, tn.ID, "bo@fabrikam.example", "bo-subject")
	_, _, err := f.dir.Invite(ctx, tn.ID, resetInput(guest))
	require.NoError(t, err)
	events, err := f.store.ListAudit(ctx, store.AuditFilter{TenantID: tn.ID, Activity: audit.ActivityInviteExternalUserReset})
	require.NoError(t, err)
	require.Len(t, events, 1)
	require.Equal(t, store.ResultSuccess, events[0].Result)
	require.Equal(t, guest.ID, events[0].TargetID)
	require.Equal(t, []store.ModifiedProperty{
		{Name: "identities", NewValue: "[]",
			OldValue: `[{"signInType":"federated","issuer":"https://login.fabrikam.example","issuerAssignedId":"bo-subject"}]`},
		{Name: "externalUserState", OldValue: store.ExternalStateAccepted, NewValue: store.ExternalStatePending},
	}, events[0].ModifiedProperties)
	// An invitation without reset names no modified property.
	_, _, err = f.dir.Invite(ctx, tn.ID, guestInput("kim@fabrikam.example"))
	require.NoError(t, err)
	events, err = f.store.ListAudit(ctx, store.AuditFilter{TenantID: tn.ID, Activity: audit.ActivityInviteExternalUser})
	require.NoError(t, err)
	require.Nil(t, events[0].ModifiedProperties)
}

func testGroupOwnerInvitesOnlyOwnGuests(t *testing.T, f *fixture) {
	ctx := t.Context()
	tn := f.inviteTenant(t, "woodgrove")
	owner := f.member(t, tn.ID, "owner@woodgrove.example")
	g, err := f.dir.CreateGroup(ctx, tn.ID, directory.NewGroup{DisplayName: "Partners", OwnersCanInviteGuests: true})
	require.NoError(t, err)
	require.NoError(t, f.dir.AddGroupOwner(ctx, tn.ID, g.ID, owner.ID))
	_, err = f.dir.SetInvitationPolicy(ctx, tn.ID, store.InvitationPolicy{AllowInvitesFrom: store.InvitesFromAdminsAndGuestInviters})
	require.NoError(t, err)
	asOwner := audit.WithActor(ctx, audit.Actor{Type: store.ActorUser, ID: owner.ID})
	invite := func(ctx context.Context, email string) error {
		in := guestInput(email)
		in.GroupIDs = []string{g.ID}
		if err := f.dir.MayInvite(ctx, tn.ID, directory.Inviter{UserID: owner.ID}, in); err != nil {
			return err
		}
		_, _, err := f.dir.Invite(ctx, tn.ID, in)
		return err
	}

	// Someone else's guests, accepted or pending, stay out of the group.
	accepted := f.acceptedGuest(t, tn.ID, "bo@fabrikam.example", "bo")
	err = invite(asOwner, accepted.Mail)
	require.ErrorIs(t, err, directory.ErrInviteDenied)
	require.Contains(t, err.Error(), "already accepted")
	_, _, err = f.dir.Invite(ctx, tn.ID, guestInput("kim@fabrikam.example"))
	require.NoError(t, err)
	err = invite(asOwner, "Kim@Fabrikam.example")
	require.ErrorIs(t, err, directory.ErrInviteDenied)
	require.Contains(t, err.Error(), "invited by someone else")
	members, err := f.dir.GroupMembers(ctx, tn.ID, g.ID)
	require.NoError(t, err)
	require.Empty(t, members)

	// New guests, and their own pending ones again, go in.
	require.NoError(t, invite(asOwner, "new@fabrikam.example"))
	require.NoError(t, invite(asOwner, "new@fabrikam.example"))
	members, err = f.dir.GroupMembers(ctx, tn.ID, g.ID)
	require.NoError(t, err)
	require.Len(t, members, 1)
	// Once it has redeemed, not even their own.
	own := members[0]
	own.ExternalUserState = store.ExternalStateAccepted
	require.NoError(t, f.store.UpdateUser(ctx, own))
	require.ErrorIs(t, invite(asOwner, own.Mail), directory.ErrInviteDenied)

	// A member whom the policy lets invite brings the same guests into
	// groups as an owner, no more; an administrator brings any.
	_, err = f.dir.SetInvitationPolicy(ctx, tn.ID, store.InvitationPolicy{AllowInvitesFrom: store.InvitesFromAdminsInvitersMembers})
	require.NoError(t, err)
	in := guestInput(accepted.Mail)
	in.GroupIDs = []string{g.ID}
	require.ErrorIs(t, f.dir.MayInvite(ctx, tn.ID, directory.Inviter{UserID: owner.ID}, in), directory.ErrInviteDenied)
	admin := f.member(t, tn.ID, "admin@woodgrove.example")
	require.NoError(t, f.dir.AssignRole(ctx, tn.ID, admin.ID, directory.RoleUserAdministrator))
	require.NoError(t, f.dir.MayInvite(ctx, tn.ID, directory.Inviter{UserID: admin.ID}, in))
	require.NoError(t, f.dir.MayInvite(ctx, tn.ID, directory.Inviter{UserID: owner.ID}, guestInput(accepted.Mail)),
		"without groups the policy alone decides")
}
