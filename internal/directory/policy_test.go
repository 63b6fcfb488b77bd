package directory_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/internal/audit"
	"github.com/foyer-idp/foyer/internal/directory"
	"github.com/foyer-idp/foyer/internal/store"
	"github.com/foyer-idp/foyer/internal/store/sqlstore/sqltest"
)

// TestInvitationPolicy runs the invitation policy tests on each back end.
func TestInvitationPolicy(t *testing.T) {
	t.Parallel()
	tests := []sqltest.Case[*fixture]{
		{Name: "NewTenantHasDefaultLevel", Fn: testNewTenantHasDefaultLevel},
		{Name: "SetInvitationPolicyNormalisesAndAudits", Fn: testSetInvitationPolicy},
		{Name: "SetInvitationPolicyRefuses", Fn: testSetInvitationPolicyRefuses},
		{Name: "InviteDomainRules", Fn: testInviteDomainRules},
		{Name: "InviteRefusesBlockedAddress", Fn: testInviteRefusesBlockedAddress},
		{Name: "MayInviteByLevel", Fn: testMayInviteByLevel},
		{Name: "MayInviteAsGroupOwner", Fn: testMayInviteAsGroupOwner},
	}
	sqltest.RunSuite(t, tests, func(t *testing.T, b sqltest.Backend) *fixture { return newFixture(t, b) })
}

func TestDomainAllowed(t *testing.T) {
	t.Parallel()
	allow := store.InvitationPolicy{DomainRule: store.InviteDomainsAllow, Domains: []string{"fabrikam.example", "*.partners.example"}}
	deny := store.InvitationPolicy{DomainRule: store.InviteDomainsDeny, Domains: allow.Domains}
	for _, c := range []struct {
		email              string
		allowed, notDenied bool
	}{
		{"bo@fabrikam.example", true, false},
		{"bo@sub.fabrikam.example", false, true},
		{"bo@eu.partners.example", true, false},
		{"bo@a.b.partners.example", true, false},
		{"bo@partners.example", false, true},
		{"bo@notpartners.example", false, true},
		{"bo@evilfabrikam.example", false, true},
		{"no-at-sign", false, false},
	} {
		t.Run(c.email, func(t *testing.T) {
			require.Equal(t, c.allowed, directory.DomainAllowed(allow, c.email), "allow list")
			require.Equal(t, c.notDenied, directory.DomainAllowed(deny, c.email), "deny list")
		})
	}
	require.True(t, directory.DomainAllowed(store.InvitationPolicy{}, "bo@anything.example"))
}

func testNewTenantHasDefaultLevel(t *testing.T, f *fixture) {
	tn := f.tenant(t, "woodgrove")
	require.Equal(t, directory.DefaultAllowInvitesFrom, tn.Invitations.AllowInvitesFrom)
	stored, err := f.store.GetTenant(t.Context(), tn.ID)
	require.NoError(t, err)
	require.Equal(t, store.InvitesFromAdminsInvitersMembers, stored.Invitations.AllowInvitesFrom, "stored, not implied")
}

func testSetInvitationPolicy(t *testing.T, f *fixture) {
	ctx := t.Context()
	tn := f.tenant(t, "woodgrove")
	got, err := f.dir.SetInvitationPolicy(ctx, tn.ID, store.InvitationPolicy{
		AllowInvitesFrom: store.InvitesFromAdminsAndGuestInviters, DomainRule: store.InviteDomainsAllow,
		Domains: []string{" Fabrikam.Example ", "*.Partners.example", "fabrikam.example"},
	})
	require.NoError(t, err)
	want := store.InvitationPolicy{AllowInvitesFrom: store.InvitesFromAdminsAndGuestInviters,
		DomainRule: store.InviteDomainsAllow, Domains: []string{"fabrikam.example", "*.partners.example"}}
	require.Equal(t, want, got.Invitations)
	stored, err := f.store.GetTenant(ctx, tn.ID)
	require.NoError(t, err)
	require.Equal(t, want, stored.Invitations)
	require.Equal(t, tn.Slug, stored.Slug, "the rest of the tenant stays")

	// A deny rule with no domains denies nothing: stored as no rule.
	got, err = f.dir.SetInvitationPolicy(ctx, tn.ID, store.InvitationPolicy{
		AllowInvitesFrom: store.InvitesFromNone, DomainRule: store.InviteDomainsDeny})
	require.NoError(t, err)
	require.Empty(t, got.Invitations.DomainRule)
	require.Empty(t, got.Invitations.Domains)

	events, err := f.store.ListAudit(ctx, store.AuditFilter{TenantID: tn.ID, Activity: audit.ActivityUpdatePolicy})
	require.NoError(t, err)
	require.Len(t, events, 2)
	for _, e := range events {
		require.Equal(t, store.ResultSuccess, e.Result)
		require.Equal(t, audit.CategoryPolicy, e.Category)
		require.Equal(t, directory.AuthorizationPolicyID, e.TargetID)
	}
}

func testSetInvitationPolicyRefuses(t *testing.T, f *fixture) {
	ctx := t.Context()
	tn := f.tenant(t, "woodgrove")
	level := store.InvitesFromEveryone
	many := make([]string, directory.MaxInvitationDomains+1)
	for i := range many {
		many[i] = fmt.Sprintf("d%d.example", i)
	}
	for _, c := range []struct {
		name   string
		p      store.InvitationPolicy
		fields []string
	}{
		{"no level", store.InvitationPolicy{}, []string{"allowInvitesFrom"}},
		{"unknown level", store.InvitationPolicy{AllowInvitesFrom: "admins"}, []string{"allowInvitesFrom"}},
		{"level case", store.InvitationPolicy{AllowInvitesFrom: "Everyone"}, []string{"allowInvitesFrom"}},
		{"unknown rule", store.InvitationPolicy{AllowInvitesFrom: level, DomainRule: "block", Domains: []string{"x.example"}},
			[]string{"invitationDomainRule"}},
		{"allow without domains", store.InvitationPolicy{AllowInvitesFrom: level, DomainRule: store.InviteDomainsAllow},
			[]string{"invitationDomains"}},
		{"domains without rule", store.InvitationPolicy{AllowInvitesFrom: level, Domains: []string{"x.example"}},
			[]string{"invitationDomains"}},
		{"too many", store.InvitationPolicy{AllowInvitesFrom: level, DomainRule: store.InviteDomainsDeny, Domains: many},
			[]string{"invitationDomains"}},
		{"everything at once", store.InvitationPolicy{AllowInvitesFrom: "x", DomainRule: "x"},
			[]string{"allowInvitesFrom", "invitationDomainRule"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := f.dir.SetInvitationPolicy(ctx, tn.ID, c.p)
			requireFields(t, err, directory.ErrInvalid, c.fields...)
		})
	}
	for _, bad := range []string{"", "com", "*.", "*.com", "*.*.x.example", "a..example", "-a.example", "a-.example",
		"http://x.example", "x.example/", "bo@x.example", "x.example:443", "ex ample.com", "exämple.com",
		strings.Repeat("a", 64) + ".example", strings.Repeat("abcdefghi.", 26) + "example"} {
		t.Run("domain "+bad, func(t *testing.T) {
			_, err := f.dir.SetInvitationPolicy(ctx, tn.ID, store.InvitationPolicy{AllowInvitesFrom: level,
				DomainRule: store.InviteDomainsDeny, Domains: []string{"ok.example", bad}})
			requireFields(t, err, directory.ErrInvalid, "invitationDomains")
			require.Contains(t, err.Error(), fmt.Sprintf("%q", bad))
		})
	}
	// Nothing changed, and every refusal is audited.
	stored, err := f.store.GetTenant(ctx, tn.ID)
	require.NoError(t, err)
	require.Equal(t, tn.Invitations.AllowInvitesFrom, stored.Invitations.AllowInvitesFrom)
	require.Empty(t, stored.Invitations.DomainRule)
	require.Empty(t, stored.Invitations.Domains)
	events, err := f.store.ListAudit(ctx, store.AuditFilter{TenantID: tn.ID, Activity: audit.ActivityUpdatePolicy})
	require.NoError(t, err)
	require.NotEmpty(t, events)
	for _, e := range events {
		require.Equal(t, store.ResultFailure, e.Result)
		require.NotEmpty(t, e.Reason)
	}
	// An unknown tenant is not found.
	_, err = f.dir.SetInvitationPolicy(ctx, "nope", store.InvitationPolicy{AllowInvitesFrom: level})
	require.ErrorIs(t, err, store.ErrNotFound)
}

// requireNoGuest asserts the refused invitation wrote nothing.
func (f *fixture) requireNoGuest(t *testing.T, tenantID string) {
	t.Helper()
	users, err := f.store.ListUsers(t.Context(), tenantID, store.UserFilter{UserType: store.UserTypeGuest})
	require.NoError(t, err)
	require.Empty(t, users, "no guest")
	require.Empty(t, f.invitations(t, tenantID), "no invitation")
	require.Zero(t, f.mailCount(t, tenantID), "no mail")
}

func testInviteDomainRules(t *testing.T, f *fixture) {
	ctx := t.Context()
	for _, c := range []struct {
		rule    string
		email   string
		allowed bool
	}{
		{store.InviteDomainsAllow, "bo@fabrikam.example", true},
		{store.InviteDomainsAllow, "bo@EU.Partners.example", true},
		{store.InviteDomainsAllow, "bo@partners.example", false},
		{store.InviteDomainsAllow, "bo@contoso.example", false},
		{store.InviteDomainsAllow, "bo@sub.fabrikam.example", false},
		{store.InviteDomainsDeny, "bo@fabrikam.example", false},
		{store.InviteDomainsDeny, "bo@eu.partners.example", false},
		{store.InviteDomainsDeny, "bo@partners.example", true},
		{store.InviteDomainsDeny, "bo@contoso.example", true},
	} {
		t.Run(c.rule+" "+c.email, func(t *testing.T) {
			tn := f.inviteTenant(t, "t-"+strings.NewReplacer("@", "-", ".", "-").Replace(strings.ToLower(c.email))+"-"+c.rule)
			_, err := f.dir.SetInvitationPolicy(ctx, tn.ID, store.InvitationPolicy{AllowInvitesFrom: store.InvitesFromEveryone,
				DomainRule: c.rule, Domains: []string{"fabrikam.example", "*.partners.example"}})
			require.NoError(t, err)
			_, _, err = f.dir.Invite(ctx, tn.ID, guestInput(c.email))
			if c.allowed {
				require.NoError(t, err)
				return
			}
			requireFields(t, err, directory.ErrInvalid, "invitedUserEmailAddress")
			require.Contains(t, err.Error(), "does not allow guests from")
			f.requireNoGuest(t, tn.ID)
			events, err := f.store.ListAudit(ctx, store.AuditFilter{TenantID: tn.ID, Activity: audit.ActivityInviteExternalUser})
			require.NoError(t, err)
			require.Len(t, events, 1)
			require.Equal(t, store.ResultFailure, events[0].Result)
			require.Contains(t, events[0].Reason, "invitation policy")
		})
	}
}

func testInviteRefusesBlockedAddress(t *testing.T, f *fixture) {
	ctx := t.Context()
	tn := f.inviteTenant(t, "woodgrove")
	other := f.inviteTenant(t, "contoso")
	require.NoError(t, f.store.BlockInvitations(ctx, tn.ID, "bo@fabrikam.example", f.now))
	for _, email := range []string{"bo@fabrikam.example", "BO@Fabrikam.example"} {
		_, _, err := f.dir.Invite(ctx, tn.ID, guestInput(email))
		requireFields(t, err, directory.ErrInvalid, "invitedUserEmailAddress")
		require.Contains(t, err.Error(), "the recipient has asked not to receive invitations from this organisation")
	}
	f.requireNoGuest(t, tn.ID)
	// The block is the tenant's only; others still invite.
	_, _, err := f.dir.Invite(ctx, other.ID, guestInput("bo@fabrikam.example"))
	require.NoError(t, err)
	_, _, err = f.dir.Invite(ctx, tn.ID, guestInput("al@fabrikam.example"))
	require.NoError(t, err)
}

func testMayInviteByLevel(t *testing.T, f *fixture) {
	ctx := t.Context()
	tn := f.inviteTenant(t, "woodgrove")
	other := f.tenant(t, "contoso")
	admin := f.member(t, tn.ID, "admin@woodgrove.example")
	guestInviter := f.member(t, tn.ID, "inviter@woodgrove.example")
	member := f.member(t, tn.ID, "sam@woodgrove.example")
	foreign := f.member(t, other.ID, "admin@contoso.example")
	require.NoError(t, f.dir.AssignRole(ctx, tn.ID, admin.ID, directory.RoleUserAdministrator))
	require.NoError(t, f.dir.AssignRole(ctx, tn.ID, guestInviter.ID, directory.RoleGuestInviter))
	require.NoError(t, f.dir.AssignRole(ctx, other.ID, foreign.ID, directory.RoleTenantAdministrator))
	inv, _, err := f.dir.Invite(ctx, tn.ID, guestInput("guest@fabrikam.example"))
	require.NoError(t, err)
	guest := inv.User

	type who struct {
		name    string
		inviter directory.Inviter
	}
	everyone := []who{
		{"user admin", directory.Inviter{UserID: admin.ID}},
		{"guest inviter", directory.Inviter{UserID: guestInviter.ID}},
		{"member", directory.Inviter{UserID: member.ID}},
		{"guest", directory.Inviter{UserID: guest.ID}},
		{"app", directory.Inviter{App: true}},
		{"other tenant's admin", directory.Inviter{UserID: foreign.ID}},
		{"nobody", directory.Inviter{}},
	}
	allowed := map[string][]string{
		store.InvitesFromNone:                   nil,
		store.InvitesFromAdminsAndGuestInviters: {"user admin", "guest inviter", "app"},
		store.InvitesFromAdminsInvitersMembers:  {"user admin", "guest inviter", "member", "app"},
		store.InvitesFromEveryone:               {"user admin", "guest inviter", "member", "guest", "app"},
	}
	for level, ok := range allowed {
		_, err := f.dir.SetInvitationPolicy(ctx, tn.ID, store.InvitationPolicy{AllowInvitesFrom: level})
		require.NoError(t, err)
		for _, w := range everyone {
			t.Run(level+"/"+w.name, func(t *testing.T) {
				err := f.dir.MayInvite(ctx, tn.ID, w.inviter, guestInput("x@fabrikam.example"))
				if contains(ok, w.name) {
					require.NoError(t, err)
					return
				}
				require.ErrorIs(t, err, directory.ErrInviteDenied)
				if level == store.InvitesFromNone {
					require.Contains(t, err.Error(), "none")
				}
			})
		}
	}
	// Every refusal is audited as a failed invitation with its reason.
	events, err := f.store.ListAudit(ctx, store.AuditFilter{TenantID: tn.ID, Activity: audit.ActivityInviteExternalUser})
	require.NoError(t, err)
	failures := 0
	for _, e := range events {
		if e.Result == store.ResultFailure {
			failures++
			require.NotEqual(t, "internal error", e.Reason)
			require.Equal(t, "x@fabrikam.example", e.TargetName)
		}
	}
	require.Equal(t, 7+4+3+2, failures)
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func testMayInviteAsGroupOwner(t *testing.T, f *fixture) {
	ctx := t.Context()
	tn := f.inviteTenant(t, "woodgrove")
	owner := f.member(t, tn.ID, "owner@woodgrove.example")
	open, err := f.dir.CreateGroup(ctx, tn.ID, directory.NewGroup{DisplayName: "Open", OwnersCanInviteGuests: true})
	require.NoError(t, err)
	open2, err := f.dir.CreateGroup(ctx, tn.ID, directory.NewGroup{DisplayName: "Open too", OwnersCanInviteGuests: true})
	require.NoError(t, err)
	closed, err := f.dir.CreateGroup(ctx, tn.ID, directory.NewGroup{DisplayName: "Closed"})
	require.NoError(t, err)
	foreign, err := f.dir.CreateGroup(ctx, tn.ID, directory.NewGroup{DisplayName: "Someone else's", OwnersCanInviteGuests: true})
	require.NoError(t, err)
	for _, g := range []store.Group{open, open2, closed} {
		require.NoError(t, f.dir.AddGroupOwner(ctx, tn.ID, g.ID, owner.ID))
	}
	_, err = f.dir.SetInvitationPolicy(ctx, tn.ID, store.InvitationPolicy{AllowInvitesFrom: store.InvitesFromAdminsAndGuestInviters})
	require.NoError(t, err)
	app, _, err := f.dir.CreateApplication(ctx, tn.ID, directory.NewApplication{DisplayName: "App", ClientID: "app",
		ClientType: store.ClientPublic, RedirectURIs: []string{"https://app.example/cb"}, GrantTypes: []string{"authorization_code"}})
	require.NoError(t, err)
	for _, c := range []struct {
		name   string
		groups []string
		apps   []string
		ok     bool
	}{
		{"own open group", []string{open.ID}, nil, true},
		{"two own open groups", []string{open.ID, open2.ID}, nil, true},
		{"no group", nil, nil, false},
		{"own closed group", []string{closed.ID}, nil, false},
		{"one closed among open", []string{open.ID, closed.ID}, nil, false},
		{"someone else's open group", []string{foreign.ID}, nil, false},
		{"unknown group", []string{"nope"}, nil, false},
		{"with an application", []string{open.ID}, []string{app.ID}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			in := guestInput("x@fabrikam.example")
			in.GroupIDs, in.ApplicationIDs = c.groups, c.apps
			err := f.dir.MayInvite(ctx, tn.ID, directory.Inviter{UserID: owner.ID}, in)
			if c.ok {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, directory.ErrInviteDenied)
		})
	}
	// At none, owning a group is no way in.
	_, err = f.dir.SetInvitationPolicy(ctx, tn.ID, store.InvitationPolicy{AllowInvitesFrom: store.InvitesFromNone})
	require.NoError(t, err)
	in := guestInput("x@fabrikam.example")
	in.GroupIDs = []string{open.ID}
	require.ErrorIs(t, f.dir.MayInvite(ctx, tn.ID, directory.Inviter{UserID: owner.ID}, in), directory.ErrInviteDenied)
}
