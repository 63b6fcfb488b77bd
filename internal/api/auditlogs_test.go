package api_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/internal/api"
	"github.com/foyer-idp/foyer/internal/directory"
	"github.com/foyer-idp/foyer/internal/secret"
	"github.com/foyer-idp/foyer/internal/store"
	"github.com/foyer-idp/foyer/internal/store/sqlstore/sqltest"
)

func TestAuditLogs(t *testing.T) {
	t.Parallel()
	tests := []sqltest.Case[*fixture]{
		{Name: "InvitationInDirectoryAudits", Fn: testInvitationAudited},
		{Name: "DirectoryAuditsFilters", Fn: testDirectoryAuditsFilters},
		{Name: "SignInsContract", Fn: testSignInsContract},
		{Name: "SignInsFilters", Fn: testSignInsFilters},
		{Name: "LogsPageNewestFirst", Fn: testLogsPaging},
		{Name: "UnsupportedFiltersAre400", Fn: testLogsUnsupportedFilters},
		{Name: "OnlyTenantAdministratorsRead", Fn: testLogsPermissions},
		{Name: "SignInActivity", Fn: testSignInActivity},
	}
	sqltest.RunSuite(t, tests, newFixture)
}

var auditReader = []string{"AuditLog.Read.All"}

// logsTenant holds the seeded log rows: a tenant of its own, so the
// events the fixture's own tenants were created with stay out of the
// expected lists. The API takes the tenant from the token, unchecked.
const logsTenant = "tenant-of-the-logs"

// logReader is an app of logsTenant allowed to read the logs.
func logReader() *api.Principal {
	return &api.Principal{TenantID: logsTenant, ClientID: "admin-script", Roles: auditReader}
}

const audits, signIns = "/v1.0/auditLogs/directoryAudits", "/v1.0/auditLogs/signIns"

// filtered is path with $filter set to expr.
func filtered(path, expr string) string { return path + "?$filter=" + url.QueryEscape(expr) }

// testInvitationAudited: an invitation sent through the API shows in
// directoryAudits in Graph's shape, initiated by the calling app, with
// the new guest as its target.
func testInvitationAudited(t *testing.T, f *fixture) {
	f.portal(t, f.a.ID, "portal")
	res := f.call(t, f.app(inviter...), "POST", "/v1.0/invitations", map[string]any{
		"invitedUserEmailAddress": "bo@fabrikam.example", "inviteRedirectUrl": portalRedirect,
	})
	require.Equal(t, http.StatusCreated, res.status, res.raw)
	guestID := res.body["invitedUser"].(map[string]any)["id"].(string)

	res = f.call(t, f.app(auditReader...), "GET", filtered(audits, "targetResources/any(t: t/id eq '"+guestID+"')"), nil)
	items := values(t, res)
	require.Equal(t, "https://foyer.example/v1.0/$metadata#auditLogs/directoryAudits", res.body["@odata.context"])
	require.NotEmpty(t, items)
	var invite map[string]any
	for _, it := range items {
		if it["activityDisplayName"] == "Invite external user" {
			invite = it
		}
	}
	require.NotNil(t, invite, res.raw)
	require.Equal(t, []string{"activityDateTime", "activityDisplayName", "additionalDetails", "category", "correlationId",
		"id", "initiatedBy", "loggedByService", "operationType", "result", "resultReason", "targetResources"}, keys(invite))
	require.Equal(t, "UserManagement", invite["category"])
	require.Equal(t, "success", invite["result"])
	require.Equal(t, "Add", invite["operationType"])
	require.Equal(t, "Invited Users", invite["loggedByService"])
	require.NotEmpty(t, invite["correlationId"], "the request id of the invitation")
	when, err := time.Parse(time.RFC3339Nano, invite["activityDateTime"].(string))
	require.NoError(t, err)
	require.True(t, when.Equal(f.now), "%v", when)
	by := invite["initiatedBy"].(map[string]any)
	require.Nil(t, by["user"])
	require.Equal(t, map[string]any{"appId": "admin-script", "displayName": "admin-script"}, by["app"])
	targets := invite["targetResources"].([]any)
	require.Len(t, targets, 1)
	target := targets[0].(map[string]any)
	require.Equal(t, guestID, target["id"])
	require.Equal(t, "User", target["type"])
	require.Equal(t, []string{"displayName", "id", "modifiedProperties", "type", "userPrincipalName"}, keys(target))
}

// seedAudit appends an event of logsTenant at f.now+offset.
func (f *fixture) seedAudit(t *testing.T, offset time.Duration, edit func(*store.AuditEvent)) store.AuditEvent {
	t.Helper()
	e := store.AuditEvent{ID: secret.NewID(), Time: f.now.Add(offset), TenantID: logsTenant, Category: "UserManagement",
		Activity: "Add user", ActorType: store.ActorUser, ActorID: "admin-1", ActorName: "admin@contoso.example",
		TargetType: "User", TargetID: secret.NewID(), TargetName: "sam@contoso.example", Result: store.ResultSuccess,
		ClientIP: "203.0.113.7", CorrelationID: secret.NewID()}
	if edit != nil {
		edit(&e)
	}
	require.NoError(t, f.store.AppendAudit(t.Context(), e))
	return e
}

func testDirectoryAuditsFilters(t *testing.T, f *fixture) {
	added := f.seedAudit(t, 0, nil)
	group := f.seedAudit(t, time.Minute, func(e *store.AuditEvent) {
		e.Category, e.Activity, e.TargetType, e.TargetName = "GroupManagement", "Add group", "Group", "Partners"
		e.ActorType, e.ActorID, e.ActorName = store.ActorApp, "admin-script", "admin-script"
	})
	failed := f.seedAudit(t, 2*time.Minute, func(e *store.AuditEvent) { e.Result, e.Reason = store.ResultFailure, "mail is taken" })
	f.seedAudit(t, 3*time.Minute, func(e *store.AuditEvent) { e.TenantID = f.b.ID }) // another tenant's

	p := logReader()
	cases := []struct {
		filter string
		want   []store.AuditEvent
	}{
		{"", []store.AuditEvent{failed, group, added}},
		{"activityDisplayName eq 'Add group'", []store.AuditEvent{group}},
		{"category eq 'UserManagement'", []store.AuditEvent{failed, added}},
		{"result eq 'failure'", []store.AuditEvent{failed}},
		{"result eq 'Success'", []store.AuditEvent{group, added}},
		{"initiatedBy/user/id eq 'admin-1'", []store.AuditEvent{failed, added}},
		{"initiatedBy/app/appId eq 'admin-script'", []store.AuditEvent{group}},
		{"initiatedBy/app/appId eq 'admin-1'", nil},
		{"targetResources/any(t: t/id eq '" + added.TargetID + "')", []store.AuditEvent{added}},
		{"targetResources/any(x:x/id eq '" + group.TargetID + "')", []store.AuditEvent{group}},
		{"activityDateTime ge " + f.now.Add(time.Minute).Format(time.RFC3339), []store.AuditEvent{failed, group}},
		{"activityDateTime le " + f.now.Add(time.Minute).Format(time.RFC3339), []store.AuditEvent{group, added}},
		{"activityDateTime ge " + f.now.Add(30*time.Second).Format(time.RFC3339) + " and activityDateTime le " +
			f.now.Add(90*time.Second).Format(time.RFC3339), []store.AuditEvent{group}},
		{"category eq 'UserManagement' and result eq 'success' and initiatedBy/user/id eq 'admin-1'", []store.AuditEvent{added}},
	}
	for _, c := range cases {
		path := audits
		if c.filter != "" {
			path = filtered(audits, c.filter)
		}
		items := values(t, f.call(t, p, "GET", path, nil))
		var want []string
		for _, e := range c.want {
			want = append(want, e.ID)
		}
		require.Equal(t, want, ids(items), c.filter)
	}
	items := values(t, f.call(t, p, "GET", filtered(audits, "result eq 'failure'"), nil))
	require.Equal(t, "mail is taken", items[0]["resultReason"])
	user := items[0]["initiatedBy"].(map[string]any)["user"].(map[string]any)
	require.Equal(t, map[string]any{"id": "admin-1", "displayName": nil, "userPrincipalName": "admin@contoso.example",
		"ipAddress": "203.0.113.7"}, user)
}

// seedSignIn appends a sign-in of logsTenant at f.now+offset.
func (f *fixture) seedSignIn(t *testing.T, offset time.Duration, edit func(*store.SignIn)) store.SignIn {
	t.Helper()
	s := store.SignIn{ID: secret.NewID(), TenantID: logsTenant, CreatedAt: f.now.Add(offset), UserID: "u-member",
		UserDisplayName: "Sam", UserPrincipalName: "sam@contoso.example", UserType: store.UserTypeMember,
		AppID: "portal", AppDisplayName: "Portal", IPAddress: "203.0.113.7", CorrelationID: secret.NewID(),
		AuthenticationRequirement: store.SingleFactor, AuthenticationMethods: []string{"Password"}}
	if edit != nil {
		edit(&s)
	}
	require.NoError(t, f.store.AppendSignIn(t.Context(), s))
	return s
}

func testSignInsContract(t *testing.T, f *fixture) {
	member := f.seedSignIn(t, 0, nil)
	guest := f.seedSignIn(t, time.Minute, func(s *store.SignIn) {
		s.UserID, s.UserType, s.HomeTenantID, s.UserPrincipalName = "u-guest", store.UserTypeGuest, f.b.ID, "kim_fabrikam.example#EXT#@contoso.example"
		s.AuthenticationRequirement, s.AuthenticationMethods = store.MultiFactor, []string{"Federated", "TOTP"}
	})
	res := f.call(t, logReader(), "GET", signIns, nil)
	items := values(t, res)
	require.Equal(t, "https://foyer.example/v1.0/$metadata#auditLogs/signIns", res.body["@odata.context"])
	require.Equal(t, []string{guest.ID, member.ID}, ids(items))
	g, m := items[0], items[1]
	require.Equal(t, []string{"appDisplayName", "appId", "authenticationMethodsUsed", "authenticationRequirement",
		"clientAppUsed", "correlationId", "createdDateTime", "crossTenantAccessType", "homeTenantId", "id", "ipAddress",
		"isInteractive", "status", "userDisplayName", "userId", "userPrincipalName", "userType"}, keys(g))
	require.Equal(t, "guest", g["userType"])
	require.Equal(t, "b2bCollaboration", g["crossTenantAccessType"])
	require.Equal(t, f.b.ID, g["homeTenantId"])
	require.Equal(t, "multiFactorAuthentication", g["authenticationRequirement"])
	require.Equal(t, []any{"Federated", "TOTP"}, g["authenticationMethodsUsed"])
	require.Equal(t, "member", m["userType"])
	require.Equal(t, "none", m["crossTenantAccessType"])
	require.Nil(t, m["homeTenantId"])
	require.Equal(t, "Browser", m["clientAppUsed"])
	require.Equal(t, true, m["isInteractive"])
	require.Equal(t, "portal", m["appId"])
	require.Equal(t, member.CorrelationID, m["correlationId"])
	require.Equal(t, map[string]any{"errorCode": float64(0), "failureReason": nil}, m["status"])
}

func testSignInsFilters(t *testing.T, f *fixture) {
	ok := f.seedSignIn(t, 0, nil)
	wrong := f.seedSignIn(t, time.Minute, func(s *store.SignIn) { s.ErrorCode, s.FailureReason = 50126, "Invalid username or password." })
	guest := f.seedSignIn(t, 2*time.Minute, func(s *store.SignIn) { s.UserID, s.UserType, s.AppID = "u-guest", store.UserTypeGuest, "crm" })
	f.seedSignIn(t, 3*time.Minute, func(s *store.SignIn) { s.TenantID = f.b.ID })

	p := logReader()
	cases := []struct {
		filter string
		want   []store.SignIn
	}{
		{"userId eq 'u-member'", []store.SignIn{wrong, ok}},
		{"appId eq 'crm'", []store.SignIn{guest}},
		{"userType eq 'guest'", []store.SignIn{guest}},
		{"userType eq 'Member'", []store.SignIn{wrong, ok}},
		{"status/errorCode eq 50126", []store.SignIn{wrong}},
		{"status/errorCode eq 0", []store.SignIn{guest, ok}},
		{"createdDateTime ge " + f.now.Add(time.Minute).Format(time.RFC3339), []store.SignIn{guest, wrong}},
		{"createdDateTime le " + f.now.Add(time.Minute).Format(time.RFC3339Nano), []store.SignIn{wrong, ok}},
		{"userId eq 'u-member' and status/errorCode eq 0 and createdDateTime le " + f.now.Format(time.RFC3339), []store.SignIn{ok}},
	}
	for _, c := range cases {
		items := values(t, f.call(t, p, "GET", filtered(signIns, c.filter), nil))
		var want []string
		for _, s := range c.want {
			want = append(want, s.ID)
		}
		require.Equal(t, want, ids(items), c.filter)
	}
	items := values(t, f.call(t, p, "GET", filtered(signIns, "status/errorCode eq 50126"), nil))
	require.Equal(t, map[string]any{"errorCode": float64(50126), "failureReason": "Invalid username or password."}, items[0]["status"])
}

// testLogsPaging: $top pages newest first through every row once, also
// rows sharing a time; the next link keeps the filter and $select; a
// tampered or foreign skip token is refused.
func testLogsPaging(t *testing.T, f *fixture) {
	var want []string
	for i := range 5 {
		// Two rows per second: the page boundary falls inside a tie.
		e := f.seedAudit(t, time.Duration(i/2)*time.Second, nil)
		want = append([]string{e.ID}, want...)
	}
	f.seedAudit(t, time.Hour, func(e *store.AuditEvent) { e.Category = "GroupManagement" })
	p := logReader()
	var got []string
	next := filtered(audits, "category eq 'UserManagement'") + "&$top=2&$select=id,activityDateTime"
	var link string
	for pages := 0; next != ""; pages++ {
		require.Less(t, pages, 3)
		res := f.call(t, p, "GET", next, nil)
		items := values(t, res)
		for _, it := range items {
			require.Equal(t, []string{"activityDateTime", "id"}, keys(it))
		}
		got = append(got, ids(items)...)
		next, _ = res.body["@odata.nextLink"].(string)
		if link == "" {
			link = next
		}
	}
	// Newest first; among rows of one time the later id (UUIDv7: the
	// later row) first.
	require.Equal(t, want, got)
	require.True(t, strings.HasPrefix(link, "https://foyer.example"+audits+"?$filter="), link)
	require.Contains(t, link, "$select=")

	u, err := url.Parse(link)
	require.NoError(t, err)
	tok := u.Query().Get("$skiptoken")
	enc, mac, _ := strings.Cut(tok, ".")
	for name, bad := range map[string]string{
		"mac flipped":  enc + "." + flip(mac),
		"id changed":   flip(enc) + "." + mac,
		"no mac":       enc,
		"other tenant": tok, // checked below with tenant b's principal
	} {
		q := u.Query()
		q.Set("$skiptoken", bad)
		caller := p
		if name == "other tenant" {
			other := *p
			other.TenantID = f.b.ID
			caller = &other
		}
		f.requireError(t, f.call(t, caller, "GET", audits+"?"+q.Encode(), nil), http.StatusBadRequest, "Request_BadRequest", "$skiptoken")
	}
	// A token of the audit log does not page the sign-in log.
	f.requireError(t, f.call(t, p, "GET", signIns+"?$skiptoken="+url.QueryEscape(tok), nil), http.StatusBadRequest, "Request_BadRequest", "$skiptoken")
}

func flip(s string) string {
	if s == "" {
		return "x"
	}
	b := []byte(s)
	if b[0] == 'A' {
		b[0] = 'B'
	} else {
		b[0] = 'A'
	}
	return string(b)
}

// testLogsUnsupportedFilters: what Foyer cannot filter on is refused,
// never answered with the whole log.
func testLogsUnsupportedFilters(t *testing.T, f *fixture) {
	f.seedAudit(t, 0, nil)
	f.seedSignIn(t, 0, nil)
	p := logReader()
	for _, c := range []struct{ path, filter string }{
		{audits, "resultReason eq 'x'"},
		{audits, "activityDateTime eq 2026-11-27T09:00:00Z"},
		{audits, "category ne 'UserManagement'"},
		{audits, "startswith(activityDisplayName, 'Add')"},
		{audits, "category eq 'A' or category eq 'B'"},
		{audits, "targetResources/any(t: t/displayName eq 'Sam')"},
		{audits, "targetResources/all(t: t/id eq 'x')"},
		{audits, "initiatedBy/user/userPrincipalName eq 'admin@contoso.example'"},
		{audits, "initiatedBy/user/id eq 'a' and initiatedBy/app/appId eq 'b'"},
		{audits, "category eq 'A' and category eq 'B'"},
		{signIns, "userPrincipalName eq 'sam@contoso.example'"},
		{signIns, "status/errorCode ge 1"},
		{signIns, "createdDateTime gt 2026-11-27T09:00:00Z"},
		{signIns, "targetResources/any(t: t/id eq 'x')"},
	} {
		res := f.call(t, p, "GET", filtered(c.path, c.filter), nil)
		f.requireError(t, res, http.StatusBadRequest, "Request_UnsupportedQuery")
	}
	for _, c := range []struct{ path, filter string }{
		{audits, "activityDateTime ge yesterday"},
		{audits, "category eq UserManagement"},
		{audits, "category eq"},
		{audits, "category eq 'A' and"},
		{signIns, "status/errorCode eq '50126'"},
		{signIns, "status/errorCode eq 99999999999"},
		{signIns, "userId eq 'a\x00b'"},
	} {
		res := f.call(t, p, "GET", filtered(c.path, c.filter), nil)
		f.requireError(t, res, http.StatusBadRequest, "Request_BadRequest")
	}
	f.requireError(t, f.call(t, p, "GET", audits+"?$orderby=activityDateTime", nil), http.StatusBadRequest, "Request_UnsupportedQuery")
	f.requireError(t, f.call(t, p, "GET", signIns+"?$top=0", nil), http.StatusBadRequest, "Request_BadRequest")
}

// testLogsPermissions: AuditLog.Read.All as an application permission
// reads; delegated, only a Tenant Administrator does.
func testLogsPermissions(t *testing.T, f *fixture) {
	admin := f.memberWithRole(t, f.a.ID, "root@contoso.example", directory.RoleTenantAdministrator)
	users := f.memberWithRole(t, f.a.ID, "hr@contoso.example", directory.RoleUserAdministrator)
	inviter := f.memberWithRole(t, f.a.ID, "inv@contoso.example", directory.RoleGuestInviter)
	plain := f.member(t, f.a.ID, "kim@contoso.example")
	for _, path := range []string{audits, signIns} {
		values(t, f.call(t, f.app(auditReader...), "GET", path, nil))
		values(t, f.call(t, f.delegated(admin.ID, auditReader...), "GET", path, nil))
		f.requireError(t, f.call(t, f.app("User.ReadWrite.All", "UserAuthenticationMethod.ReadWrite.All"), "GET", path, nil),
			http.StatusForbidden, "Authorization_RequestDenied")
		for _, u := range []store.User{users, inviter, plain} {
			f.requireError(t, f.call(t, f.delegated(u.ID, auditReader...), "GET", path, nil),
				http.StatusForbidden, "Authorization_RequestDenied")
		}
		f.requireError(t, f.call(t, f.delegated(admin.ID, "User.ReadWrite.All"), "GET", path, nil),
			http.StatusForbidden, "Authorization_RequestDenied")
		f.requireError(t, f.call(t, nil, "GET", path, nil), http.StatusUnauthorized, "InvalidAuthenticationToken")
	}
}

// testSignInActivity: users carry signInActivity only when $select asks,
// read from the sign-in log, and filter by the last attempt.
func testSignInActivity(t *testing.T, f *fixture) {
	stale := f.member(t, f.a.ID, "stale@contoso.example")
	recent := f.member(t, f.a.ID, "recent@contoso.example")
	never := f.member(t, f.a.ID, "never@contoso.example")
	f.seedSignIn(t, -90*24*time.Hour, func(s *store.SignIn) { s.TenantID, s.UserID = f.a.ID, stale.ID })
	f.seedSignIn(t, -time.Hour, func(s *store.SignIn) { s.TenantID, s.UserID = f.a.ID, recent.ID })
	f.seedSignIn(t, 0, func(s *store.SignIn) { s.TenantID, s.UserID, s.ErrorCode = f.a.ID, recent.ID, 50126 })
	p := f.app(admin...)

	plain := f.call(t, p, "GET", "/v1.0/users/"+recent.ID, nil)
	require.Equal(t, http.StatusOK, plain.status, plain.raw)
	require.NotContains(t, plain.body, "signInActivity", "only when selected, as in Graph")

	res := f.call(t, p, "GET", "/v1.0/users/"+recent.ID+"?$select=id,signInActivity", nil)
	require.Equal(t, http.StatusOK, res.status, res.raw)
	require.Equal(t, map[string]any{
		"lastSignInDateTime":           f.now.Format(time.RFC3339),
		"lastSuccessfulSignInDateTime": f.now.Add(-time.Hour).Format(time.RFC3339),
	}, res.body["signInActivity"])

	items := values(t, f.call(t, p, "GET", "/v1.0/users?$select=id,signInActivity", nil))
	byID := map[string]any{}
	for _, it := range items {
		byID[it["id"].(string)] = it["signInActivity"]
	}
	require.Equal(t, map[string]any{"lastSignInDateTime": nil, "lastSuccessfulSignInDateTime": nil}, byID[never.ID])

	cutoff := f.now.Add(-30 * 24 * time.Hour).Format(time.RFC3339)
	inactive := values(t, f.call(t, p, "GET", filtered("/v1.0/users", "signInActivity/lastSignInDateTime le "+cutoff), nil))
	require.Equal(t, []string{stale.ID}, ids(inactive), "a user who never signed in matches no time")
	active := values(t, f.call(t, p, "GET", filtered("/v1.0/users", "signInActivity/lastSignInDateTime ge "+cutoff), nil))
	require.Equal(t, []string{recent.ID}, ids(active))
	f.requireError(t, f.call(t, p, "GET", filtered("/v1.0/users", "signInActivity/lastSignInDateTime eq "+cutoff), nil),
		http.StatusBadRequest, "Request_UnsupportedQuery")
	f.requireError(t, f.call(t, p, "GET", filtered("/v1.0/users", "mail eq 'stale@contoso.example' and signInActivity/lastSignInDateTime le "+cutoff), nil),
		http.StatusBadRequest, "Request_UnsupportedQuery")
}
