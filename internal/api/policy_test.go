package api_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/internal/api"
	"github.com/foyer-idp/foyer/internal/audit"
	"github.com/foyer-idp/foyer/internal/directory"
	"github.com/foyer-idp/foyer/internal/store"
	"github.com/foyer-idp/foyer/internal/store/sqlstore/sqltest"
)

// TestInvitationPolicyAPI: who may invite, from which domains, and the
// authorization policy that says so.
func TestInvitationPolicyAPI(t *testing.T) {
	t.Parallel()
	tests := []sqltest.Case[*fixture]{
		{Name: "InviteByLevel", Fn: testInviteByLevel},
		{Name: "InviteAsGroupOwner", Fn: testInviteAsGroupOwner},
		{Name: "InviteNeedsUserInviteAll", Fn: testInviteNeedsUserInviteAll},
		{Name: "InviteDomainRulesAndBlocks", Fn: testInviteDomainRulesAndBlocks},
		{Name: "PolicyGetAndPatch", Fn: testPolicyGetAndPatch},
		{Name: "PolicyPatchRefuses", Fn: testPolicyPatchRefuses},
		{Name: "PolicyPermissions", Fn: testPolicyPermissions},
	}
	sqltest.RunSuite(t, tests, newFixture)
}

var policyWriter = []string{"Policy.ReadWrite.Authorization"}

const policyPath = "/v1.0/policies/authorizationPolicy"

func (f *fixture) setLevel(t *testing.T, tenantID, level string) {
	t.Helper()
	tn, err := f.dir.Tenant(t.Context(), tenantID)
	require.NoError(t, err)
	p := tn.Invitations
	p.AllowInvitesFrom = level
	_, err = f.dir.SetInvitationPolicy(t.Context(), tenantID, p)
	require.NoError(t, err)
}

// requireNoGuest asserts a refused invitation wrote no guest and no
// invitation for the address.
func (f *fixture) requireNoGuest(t *testing.T, tenantID, email string) {
	t.Helper()
	_, err := f.store.GetUserByEmail(t.Context(), tenantID, email)
	require.True(t, errors.Is(err, store.ErrNotFound), "no guest %s: %v", email, err)
	list, err := f.store.ListInvitations(t.Context(), tenantID, store.InvitationFilter{})
	require.NoError(t, err)
	for _, inv := range list {
		require.NotEqual(t, email, inv.Email)
	}
}

// failedInvites answers the reasons of the tenant's refused invitations.
func (f *fixture) failedInvites(t *testing.T, tenantID string) []string {
	t.Helper()
	events, err := f.store.ListAudit(t.Context(), store.AuditFilter{TenantID: tenantID, Activity: audit.ActivityInviteExternalUser})
	require.NoError(t, err)
	var out []string
	for _, e := range events {
		if e.Result == store.ResultFailure {
			out = append(out, e.Reason)
		}
	}
	return out
}

func testInviteByLevel(t *testing.T, f *fixture) {
	ctx := t.Context()
	f.portal(t, f.a.ID, "portal")
	tenantAdmin := f.memberWithRole(t, f.a.ID, "admin@contoso.example", directory.RoleTenantAdministrator)
	guestInviter := f.memberWithRole(t, f.a.ID, "inviter@contoso.example", directory.RoleGuestInviter)
	member := f.member(t, f.a.ID, "sam@contoso.example")
	guest := f.guest(t, f.a.ID, "gus@fabrikam.example", store.ExternalStateAccepted)
	principals := []struct {
		name string
		p    *api.Principal
	}{
		{"tenant admin", f.delegated(tenantAdmin.ID, inviter...)},
		{"guest inviter", f.delegated(guestInviter.ID, inviter...)},
		{"member", f.delegated(member.ID, inviter...)},
		{"guest", f.delegated(guest.ID, inviter...)},
		{"app", f.app(inviter...)},
	}
	allowed := []struct {
		level string
		who   []string
	}{
		{store.InvitesFromNone, nil},
		{store.InvitesFromAdminsAndGuestInviters, []string{"tenant admin", "guest inviter", "app"}},
		{store.InvitesFromAdminsInvitersMembers, []string{"tenant admin", "guest inviter", "member", "app"}},
		{store.InvitesFromEveryone, []string{"tenant admin", "guest inviter", "member", "guest", "app"}},
	}
	refusals := 0
	for _, level := range allowed {
		f.setLevel(t, f.a.ID, level.level)
		for _, who := range principals {
			t.Run(level.level+"/"+who.name, func(t *testing.T) {
				email := strings.ReplaceAll(level.level+"-"+who.name, " ", "-") + "@fabrikam.example"
				email = strings.ToLower(email)
				res := f.call(t, who.p, "POST", "/v1.0/invitations", inviteBody(email))
				if contains(level.who, who.name) {
					require.Equal(t, http.StatusCreated, res.status, res.raw)
					_, err := f.store.GetUserByEmail(ctx, f.a.ID, email)
					require.NoError(t, err)
					return
				}
				refusals++
				want := "guests may not invite"
				switch level.level {
				case store.InvitesFromNone:
					want = "allowInvitesFrom is none"
				case store.InvitesFromAdminsAndGuestInviters:
					want = "only administrators and Guest Inviters may invite"
				}
				f.requireError(t, res, http.StatusForbidden, "Authorization_RequestDenied", want)
				f.requireNoGuest(t, f.a.ID, email)
				reasons := f.failedInvites(t, f.a.ID)
				require.Len(t, reasons, refusals)
				require.Contains(t, reasons[0], want, "newest first")
			})
		}
	}
	require.Equal(t, 5+2+1, refusals)
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func testInviteAsGroupOwner(t *testing.T, f *fixture) {
	ctx := t.Context()
	app := f.portal(t, f.a.ID, "portal")
	owner := f.member(t, f.a.ID, "owner@contoso.example")
	guestOwner := f.guest(t, f.a.ID, "gus@fabrikam.example", store.ExternalStateAccepted)
	open, err := f.dir.CreateGroup(ctx, f.a.ID, directory.NewGroup{DisplayName: "Partners", OwnersCanInviteGuests: true})
	require.NoError(t, err)
	closed := f.group(t, f.a.ID, "Staff")
	foreign, err := f.dir.CreateGroup(ctx, f.a.ID, directory.NewGroup{DisplayName: "Vendors", OwnersCanInviteGuests: true})
	require.NoError(t, err)
	theirs, err := f.dir.CreateGroup(ctx, f.b.ID, directory.NewGroup{DisplayName: "Theirs", OwnersCanInviteGuests: true})
	require.NoError(t, err)
	for _, u := range []store.User{owner, guestOwner} {
		require.NoError(t, f.dir.AddGroupOwner(ctx, f.a.ID, open.ID, u.ID))
		require.NoError(t, f.dir.AddGroupOwner(ctx, f.a.ID, closed.ID, u.ID))
	}
	f.setLevel(t, f.a.ID, store.InvitesFromAdminsAndGuestInviters)
	body := func(email string, groups, apps []string) map[string]any {
		b := inviteBody(email)
		if groups != nil {
			b["groupIds"] = groups
		}
		if apps != nil {
			b["applicationIds"] = apps
		}
		return b
	}
	for _, c := range []struct {
		name   string
		p      *api.Principal
		groups []string
		apps   []string
		ok     bool
	}{
		{"own group", f.delegated(owner.ID, inviter...), []string{open.ID}, nil, true},
		{"guest owning a group", f.delegated(guestOwner.ID, inviter...), []string{open.ID}, nil, true},
		{"no group", f.delegated(owner.ID, inviter...), nil, nil, false},
		{"own group without the setting", f.delegated(owner.ID, inviter...), []string{closed.ID}, nil, false},
		{"own and closed group", f.delegated(owner.ID, inviter...), []string{open.ID, closed.ID}, nil, false},
		{"someone else's group", f.delegated(owner.ID, inviter...), []string{foreign.ID}, nil, false},
		{"another tenant's group", f.delegated(owner.ID, inviter...), []string{theirs.ID}, nil, false},
		{"with an application", f.delegated(owner.ID, inviter...), []string{open.ID}, []string{app.ID}, false},
		{"without the scope", f.delegated(owner.ID, "User.ReadWrite.All"), []string{open.ID}, nil, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			email := strings.ReplaceAll(c.name, " ", "-") + "@fabrikam.example"
			res := f.call(t, c.p, "POST", "/v1.0/invitations", body(email, c.groups, c.apps))
			if !c.ok {
				f.requireError(t, res, http.StatusForbidden, "Authorization_RequestDenied")
				f.requireNoGuest(t, f.a.ID, email)
				return
			}
			require.Equal(t, http.StatusCreated, res.status, res.raw)
			members, err := f.dir.GroupMembers(ctx, f.a.ID, open.ID)
			require.NoError(t, err)
			require.True(t, containsUser(members, email), "the guest joined the group")
		})
	}
	// At none, owning a group is no way in.
	f.setLevel(t, f.a.ID, store.InvitesFromNone)
	res := f.call(t, f.delegated(owner.ID, inviter...), "POST", "/v1.0/invitations", body("late@fabrikam.example", []string{open.ID}, nil))
	f.requireError(t, res, http.StatusForbidden, "Authorization_RequestDenied", "none")
	f.requireNoGuest(t, f.a.ID, "late@fabrikam.example")
}

func containsUser(users []store.User, email string) bool {
	for _, u := range users {
		if u.Mail == email {
			return true
		}
	}
	return false
}

func testInviteNeedsUserInviteAll(t *testing.T, f *fixture) {
	f.portal(t, f.a.ID, "portal")
	tenantAdmin := f.memberWithRole(t, f.a.ID, "admin@contoso.example", directory.RoleTenantAdministrator)
	f.setLevel(t, f.a.ID, store.InvitesFromEveryone)
	for _, c := range []struct {
		name string
		p    *api.Principal
	}{
		{"app without it", f.app(admin...)},
		{"app with it as a scope", &api.Principal{TenantID: f.a.ID, ClientID: "script", Scp: inviter}},
		{"app with the policy permission", f.app(policyWriter...)},
		{"admin without the scope", f.delegated(tenantAdmin.ID, admin...)},
		{"another tenant's app", &api.Principal{TenantID: f.b.ID, ClientID: "x", Roles: []string{"User.ReadWrite.All"}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			res := f.call(t, c.p, "POST", "/v1.0/invitations", inviteBody("x@fabrikam.example"))
			f.requireError(t, res, http.StatusForbidden, "Authorization_RequestDenied", "Insufficient privileges")
			f.requireNoGuest(t, f.a.ID, "x@fabrikam.example")
			f.requireNoGuest(t, f.b.ID, "x@fabrikam.example")
		})
	}
}

func testInviteDomainRulesAndBlocks(t *testing.T, f *fixture) {
	ctx := t.Context()
	f.portal(t, f.a.ID, "portal")
	p := f.app(append([]string{"User.Invite.All"}, policyWriter...)...)
	require.NoError(t, f.store.BlockInvitations(ctx, f.a.ID, "blocked@fabrikam.example", f.now))
	for _, c := range []struct {
		name  string
		rule  string
		email string
		ok    bool
	}{
		{"allowed domain", "allow", "a@fabrikam.example", true},
		{"allowed by wildcard", "allow", "b@eu.partners.example", true},
		{"wildcard is not the apex", "allow", "c@partners.example", false},
		{"not listed", "allow", "d@tailspin.example", false},
		{"denied domain", "deny", "e@fabrikam.example", false},
		{"denied by wildcard", "deny", "f@eu.partners.example", false},
		{"not denied", "deny", "g@tailspin.example", true},
		{"no rule", "none", "h@tailspin.example", true},
		{"blocked", "none", "blocked@fabrikam.example", false},
		{"blocked, any case", "none", "Blocked@Fabrikam.example", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			patch := map[string]any{"invitationDomainRule": c.rule, "invitationDomains": []string{"fabrikam.example", "*.partners.example"}}
			if c.rule == "none" {
				patch = map[string]any{"invitationDomainRule": "none"}
			}
			res := f.call(t, p, "PATCH", policyPath, patch)
			require.Equal(t, http.StatusNoContent, res.status, res.raw)
			res = f.call(t, p, "POST", "/v1.0/invitations", inviteBody(c.email))
			if c.ok {
				require.Equal(t, http.StatusCreated, res.status, res.raw)
				return
			}
			want := "does not allow guests from"
			if strings.HasPrefix(c.name, "blocked") {
				want = "the recipient has asked not to receive invitations from this organisation"
			}
			f.requireError(t, res, http.StatusBadRequest, "Request_BadRequest", "'invitedUserEmailAddress'", want)
			f.requireNoGuest(t, f.a.ID, strings.ToLower(c.email))
		})
	}
}

func testPolicyGetAndPatch(t *testing.T, f *fixture) {
	ctx := t.Context()
	p := f.app(policyWriter...)
	res := f.call(t, p, "GET", policyPath, nil)
	require.Equal(t, http.StatusOK, res.status, res.raw)
	require.Equal(t, map[string]any{
		"@odata.context":       "https://foyer.example/v1.0/$metadata#policies/authorizationPolicy/$entity",
		"id":                   "authorizationPolicy",
		"displayName":          "Authorization Policy",
		"description":          "Used to manage authorization related settings across the company.",
		"allowInvitesFrom":     "adminsGuestInvitersAndAllMembers",
		"invitationDomainRule": "none",
		"invitationDomains":    []any{},
		"redemptionOrder":      []any{"partnerTenant", "identityProvider", "socialProvider", "emailPasscode"},
		"redeemWithAnyAccount": false,
	}, res.body)
	require.Equal(t, "no-store", res.header.Get("Cache-Control"))

	res = f.call(t, p, "PATCH", policyPath, map[string]any{"allowInvitesFrom": "adminsAndGuestInviters",
		"invitationDomainRule": "deny", "invitationDomains": []string{"Rival.example", "*.spam.example", "rival.example"}})
	require.Equal(t, http.StatusNoContent, res.status, res.raw)
	res = f.call(t, p, "GET", policyPath+"?$select=allowInvitesFrom,invitationDomains", nil)
	require.Equal(t, http.StatusOK, res.status, res.raw)
	require.Equal(t, "adminsAndGuestInviters", res.body["allowInvitesFrom"])
	require.Equal(t, []any{"rival.example", "*.spam.example"}, res.body["invitationDomains"])
	require.NotContains(t, res.body, "invitationDomainRule")

	// Only what the body names changes.
	res = f.call(t, p, "PATCH", policyPath, map[string]any{"allowInvitesFrom": "everyone"})
	require.Equal(t, http.StatusNoContent, res.status, res.raw)
	tn, err := f.dir.Tenant(ctx, f.a.ID)
	require.NoError(t, err)
	require.Equal(t, store.InvitationPolicy{AllowInvitesFrom: "everyone", DomainRule: "deny",
		Domains: []string{"rival.example", "*.spam.example"}}, tn.Invitations)
	// none clears the list.
	res = f.call(t, p, "PATCH", policyPath, map[string]any{"invitationDomainRule": "none"})
	require.Equal(t, http.StatusNoContent, res.status, res.raw)
	res = f.call(t, p, "GET", policyPath, nil)
	require.Equal(t, "none", res.body["invitationDomainRule"])
	require.Equal(t, []any{}, res.body["invitationDomains"])
	require.Equal(t, "everyone", res.body["allowInvitesFrom"])

	// The other tenant's policy never moved.
	other, err := f.dir.Tenant(ctx, f.b.ID)
	require.NoError(t, err)
	require.Equal(t, store.InvitationPolicy{AllowInvitesFrom: directory.DefaultAllowInvitesFrom}, normalised(other.Invitations))

	events, err := f.store.ListAudit(ctx, store.AuditFilter{TenantID: f.a.ID, Activity: audit.ActivityUpdatePolicy})
	require.NoError(t, err)
	require.Len(t, events, 3)
	for _, e := range events {
		require.Equal(t, store.ResultSuccess, e.Result)
		require.Equal(t, store.ActorApp, e.ActorType)
		require.Equal(t, "admin-script", e.ActorID)
	}
}

// normalised treats an empty domain list as none.
func normalised(p store.InvitationPolicy) store.InvitationPolicy {
	if len(p.Domains) == 0 {
		p.Domains = nil
	}
	return p
}

func testPolicyPatchRefuses(t *testing.T, f *fixture) {
	ctx := t.Context()
	p := f.app(policyWriter...)
	for _, c := range []struct {
		name  string
		body  any
		parts []string
	}{
		{"unknown", map[string]any{"allowInvitesFrom": "everyone", "guestUserRoleId": "x", "blockMsolPowerShell": true},
			[]string{"Property 'blockMsolPowerShell' does not exist", "Property 'guestUserRoleId' does not exist"}},
		{"read-only", map[string]any{"id": "x", "displayName": "Mine"},
			[]string{"'id' is read-only", "'displayName' is read-only"}},
		{"bad level", map[string]any{"allowInvitesFrom": "admins"}, []string{"'allowInvitesFrom'"}},
		{"null level", map[string]any{"allowInvitesFrom": nil}, []string{"'allowInvitesFrom'"}},
		{"bad rule", map[string]any{"invitationDomainRule": "block", "invitationDomains": []string{"x.example"}},
			[]string{"'invitationDomainRule'"}},
		{"empty rule", map[string]any{"invitationDomainRule": ""}, []string{"'invitationDomainRule'"}},
		{"allow nothing", map[string]any{"invitationDomainRule": "allow", "invitationDomains": []string{}},
			[]string{"'invitationDomains'", "at least one domain"}},
		{"bad domain", map[string]any{"invitationDomainRule": "deny", "invitationDomains": []string{"ok.example", "not a domain"}},
			[]string{"'invitationDomains'", `"not a domain"`}},
		{"domains without a rule", map[string]any{"invitationDomains": []string{"x.example"}},
			[]string{"'invitationDomains'"}},
		{"types", map[string]any{"allowInvitesFrom": 1, "invitationDomains": "x.example"},
			[]string{"'allowInvitesFrom'", "'invitationDomains'"}},
		{"not json", "[1]", []string{"JSON object"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			f.requireError(t, f.call(t, p, "PATCH", policyPath, c.body), http.StatusBadRequest, "Request_BadRequest", c.parts...)
		})
	}
	f.requireError(t, f.call(t, p, "GET", policyPath+"?$top=1", nil), http.StatusBadRequest, "Request_UnsupportedQuery")
	f.requireError(t, f.call(t, p, "GET", policyPath+"?$select=nope", nil), http.StatusBadRequest, "Request_BadRequest")
	tn, err := f.dir.Tenant(ctx, f.a.ID)
	require.NoError(t, err)
	require.Equal(t, store.InvitationPolicy{AllowInvitesFrom: directory.DefaultAllowInvitesFrom}, normalised(tn.Invitations), "nothing changed")
	events, err := f.store.ListAudit(ctx, store.AuditFilter{TenantID: f.a.ID, Activity: audit.ActivityUpdatePolicy})
	require.NoError(t, err)
	require.NotEmpty(t, events, "the directory's refusals are audited")
	for _, e := range events {
		require.Equal(t, store.ResultFailure, e.Result)
	}
}

func testPolicyPermissions(t *testing.T, f *fixture) {
	ctx := t.Context()
	tenantAdmin := f.memberWithRole(t, f.a.ID, "admin@contoso.example", directory.RoleTenantAdministrator)
	userAdmin := f.memberWithRole(t, f.a.ID, "useradmin@contoso.example", directory.RoleUserAdministrator)
	guestInviter := f.memberWithRole(t, f.a.ID, "inviter@contoso.example", directory.RoleGuestInviter)
	for _, c := range []struct {
		name string
		p    *api.Principal
		ok   bool
	}{
		{"app with the permission", f.app(policyWriter...), true},
		{"tenant admin with the scope", f.delegated(tenantAdmin.ID, policyWriter...), true},
		{"app with everything else", f.app(append(admin, "User.Invite.All", "Policy.ReadWrite.Authentication")...), false},
		{"scope without a user", &api.Principal{TenantID: f.a.ID, ClientID: "x", Scp: policyWriter}, false},
		{"tenant admin without the scope", f.delegated(tenantAdmin.ID, admin...), false},
		{"user admin with the scope", f.delegated(userAdmin.ID, policyWriter...), false},
		{"guest inviter with the scope", f.delegated(guestInviter.ID, policyWriter...), false},
		{"member with the scope", f.delegated(f.member(t, f.a.ID, "sam@contoso.example").ID, policyWriter...), false},
	} {
		t.Run(c.name, func(t *testing.T) {
			get := f.call(t, c.p, "GET", policyPath, nil)
			patch := f.call(t, c.p, "PATCH", policyPath, map[string]any{"allowInvitesFrom": "none"})
			if c.ok {
				require.Equal(t, http.StatusOK, get.status, get.raw)
				require.Equal(t, http.StatusNoContent, patch.status, patch.raw)
				f.setLevel(t, f.a.ID, directory.DefaultAllowInvitesFrom)
				return
			}
			f.requireError(t, get, http.StatusForbidden, "Authorization_RequestDenied")
			f.requireError(t, patch, http.StatusForbidden, "Authorization_RequestDenied")
			tn, err := f.dir.Tenant(ctx, f.a.ID)
			require.NoError(t, err)
			require.Equal(t, directory.DefaultAllowInvitesFrom, tn.Invitations.AllowInvitesFrom)
		})
	}
	f.requireError(t, f.call(t, nil, "GET", policyPath, nil), http.StatusUnauthorized, "InvalidAuthenticationToken")
}
