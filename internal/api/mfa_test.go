package api_test

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/internal/api"
	"github.com/foyer-idp/foyer/internal/audit"
	"github.com/foyer-idp/foyer/internal/directory"
	"github.com/foyer-idp/foyer/internal/store"
	"github.com/foyer-idp/foyer/internal/store/sqlstore/sqltest"
)

func TestMFAAdmin(t *testing.T) {
	t.Parallel()
	tests := []sqltest.Case[*fixture]{
		{Name: "PolicyShapeAndPatch", Fn: testMFAPolicy},
		{Name: "PolicyPeriodLockedByRegistrations", Fn: testMFAPolicyPeriodLocked},
		{Name: "Permissions", Fn: testMFAPermissions},
		{Name: "RegistrationReport", Fn: testRegistrationReport},
		{Name: "RegistrationReportPaging", Fn: testRegistrationReportPaging},
		{Name: "MethodsResetAndUnlock", Fn: testMethodsResetUnlock},
		{Name: "OtherTenantIs404", Fn: testMFAOtherTenant},
		{Name: "UserAdminCannotResetTenantAdmin", Fn: testResetTenantAdmin},
	}
	sqltest.RunSuite(t, tests, newFixture)
}

const (
	mfaPolicyPath = "/v1.0/policies/mfaPolicy"
	reportPath    = "/v1.0/reports/authenticationMethods/userRegistrationDetails"
)

// registerTOTP gives the user an active authenticator directly in the
// store: the secret never matters to the admin API.
func (f *fixture) registerTOTP(t *testing.T, tenantID, userID string) {
	t.Helper()
	ctx := t.Context()
	require.NoError(t, f.store.SaveTOTPFactor(ctx, store.TOTPFactor{TenantID: tenantID, UserID: userID,
		PendingSealedSecret: []byte("sealed-for-test"), CreatedAt: f.now}))
	require.NoError(t, f.store.ActivateTOTPFactor(ctx, tenantID, userID, f.now.Unix()/30, f.now))
}

// lock makes the user's factor locked for 15 minutes.
func (f *fixture) lock(t *testing.T, tenantID, userID string) {
	t.Helper()
	_, err := f.store.RecordMFAFailure(t.Context(), tenantID, userID, f.now, 1, f.now.Add(15*time.Minute))
	require.NoError(t, err)
}

func testMFAPolicy(t *testing.T, f *fixture) {
	p := f.app("Policy.ReadWrite.AuthenticationMethod")
	res := f.call(t, p, "GET", mfaPolicyPath, nil)
	require.Equal(t, http.StatusOK, res.status, res.raw)
	require.Equal(t, map[string]any{"@odata.context": "https://foyer.example/v1.0/$metadata#policies/mfaPolicy/$entity",
		"id": "mfaPolicy", "required": "guests", "periodSeconds": float64(30)}, res.body)
	require.Equal(t, "no-store", res.header.Get("Cache-Control"))

	res = f.call(t, p, "PATCH", mfaPolicyPath, map[string]any{"required": "everyone"})
	require.Equal(t, http.StatusNoContent, res.status, res.raw)
	res = f.call(t, p, "PATCH", mfaPolicyPath, map[string]any{"periodSeconds": 45})
	require.Equal(t, http.StatusNoContent, res.status, res.raw)
	res = f.call(t, p, "GET", mfaPolicyPath+"?$select=required,periodSeconds", nil)
	require.Equal(t, http.StatusOK, res.status, res.raw)
	require.Equal(t, "everyone", res.body["required"])
	require.Equal(t, float64(45), res.body["periodSeconds"])
	require.NotContains(t, res.body, "id")
	tn, err := f.store.GetTenant(t.Context(), f.a.ID)
	require.NoError(t, err)
	require.Equal(t, store.MFAPolicy{Required: store.MFARequiredEveryone, PeriodSeconds: 45}, tn.MFA)
	other, err := f.store.GetTenant(t.Context(), f.b.ID)
	require.NoError(t, err)
	require.Equal(t, store.MFAPolicy{Required: store.MFARequiredGuests}, other.MFA, "another tenant's stays")

	for _, c := range []struct {
		name string
		body any
		want []string
	}{
		{"unknown level", map[string]any{"required": "admins"}, []string{"'required': must be one of nobody, guests, everyone"}},
		{"empty level", map[string]any{"required": ""}, []string{"'required'"}},
		{"short period", map[string]any{"periodSeconds": 10}, []string{"'periodSeconds': must be from 15 to 120"}},
		{"long period", map[string]any{"periodSeconds": 121}, []string{"'periodSeconds'"}},
		{"period not a number", map[string]any{"periodSeconds": "30"}, []string{"'periodSeconds': must be an integer"}},
		{"fraction", `{"periodSeconds": 30.5}`, []string{"'periodSeconds': must be an integer"}},
		{"both wrong", map[string]any{"required": "x", "periodSeconds": 1}, []string{"'required'", "'periodSeconds'"}},
		{"read-only id", map[string]any{"id": "other"}, []string{"'id' is read-only"}},
		{"unknown property", map[string]any{"allowInvitesFrom": "none"}, []string{"'allowInvitesFrom' does not exist"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			f.requireError(t, f.call(t, p, "PATCH", mfaPolicyPath, c.body), http.StatusBadRequest, "Request_BadRequest", c.want...)
		})
	}
	tn, err = f.store.GetTenant(t.Context(), f.a.ID)
	require.NoError(t, err)
	require.Equal(t, store.MFAPolicy{Required: store.MFARequiredEveryone, PeriodSeconds: 45}, tn.MFA, "refusals change nothing")

	events, err := f.store.ListAudit(t.Context(), store.AuditFilter{TenantID: f.a.ID, Activity: audit.ActivityUpdatePolicy})
	require.NoError(t, err)
	var ok int
	for _, e := range events {
		require.Equal(t, directory.MFAPolicyID, e.TargetID)
		require.Equal(t, audit.CategoryPolicy, e.Category)
		require.Equal(t, store.ActorApp, e.ActorType)
		if e.Result == store.ResultSuccess {
			ok++
		}
	}
	require.Equal(t, 2, ok)
}

func testMFAPolicyPeriodLocked(t *testing.T, f *fixture) {
	p := f.app("Policy.ReadWrite.AuthenticationMethod")
	u := f.guest(t, f.a.ID, "bo@fabrikam.example", store.ExternalStateAccepted)
	f.registerTOTP(t, f.a.ID, u.ID)
	f.requireError(t, f.call(t, p, "PATCH", mfaPolicyPath, map[string]any{"periodSeconds": 60}),
		http.StatusBadRequest, "Request_BadRequest", "'periodSeconds': cannot change while 1 users")
	// The same step spelt out, and the level, still change.
	res := f.call(t, p, "PATCH", mfaPolicyPath, map[string]any{"periodSeconds": 30, "required": "nobody"})
	require.Equal(t, http.StatusNoContent, res.status, res.raw)
	// After a reset the step may change.
	require.NoError(t, f.store.DeleteMFA(t.Context(), f.a.ID, u.ID))
	res = f.call(t, p, "PATCH", mfaPolicyPath, map[string]any{"periodSeconds": 60})
	require.Equal(t, http.StatusNoContent, res.status, res.raw)
}

func testMFAPermissions(t *testing.T, f *fixture) {
	ctx := t.Context()
	nobody := f.member(t, f.a.ID, "nobody@contoso.example")
	userAdmin := f.memberWithRole(t, f.a.ID, "useradmin@contoso.example", directory.RoleUserAdministrator)
	tenantAdmin := f.memberWithRole(t, f.a.ID, "admin@contoso.example", directory.RoleTenantAdministrator)
	target := f.guest(t, f.a.ID, "bo@fabrikam.example", store.ExternalStateAccepted)
	all := []string{"Policy.ReadWrite.AuthenticationMethod", "AuditLog.Read.All", "UserAuthenticationMethod.ReadWrite.All"}
	methods := "/v1.0/users/" + target.ID + "/authentication/methods"
	unlock := "/v1.0/users/" + target.ID + "/authentication/unlock"
	reset := "/v1.0/users/" + target.ID + "/authentication/softwareOathMethods/" + target.ID
	for _, c := range []struct {
		name         string
		p            *api.Principal
		method, path string
		status       int
	}{
		{"app with other permissions reads policy", f.app(append(admin, "Policy.ReadWrite.Authorization")...), "GET", mfaPolicyPath, 403},
		{"app with other permissions patches policy", f.app(admin...), "PATCH", mfaPolicyPath, 403},
		{"app with other permissions reads report", f.app(admin...), "GET", reportPath, 403},
		{"app with other permissions lists methods", f.app(admin...), "GET", methods, 403},
		{"app with other permissions unlocks", f.app(admin...), "POST", unlock, 403},
		{"app with other permissions resets", f.app(admin...), "DELETE", reset, 403},
		{"report permission does not reset", f.app("AuditLog.Read.All"), "DELETE", reset, 403},
		{"report permission does not set policy", f.app("AuditLog.Read.All", "UserAuthenticationMethod.ReadWrite.All"), "PATCH", mfaPolicyPath, 403},
		{"report by AuditLog.Read.All", f.app("AuditLog.Read.All"), "GET", reportPath, 200},
		{"app with other permissions reads a user's line", f.app(admin...), "GET", reportPath + "/" + target.ID, 403},
		{"a user's line by AuditLog.Read.All", f.app("AuditLog.Read.All"), "GET", reportPath + "/" + target.ID, 200},
		{"delegated non-admin reads a user's line", f.delegated(nobody.ID, all...), "GET", reportPath + "/" + target.ID, 403},
		{"delegated non-admin reads their own line", f.delegated(target.ID, all...), "GET", reportPath + "/" + target.ID, 403},
		{"user admin reads a user's line", f.delegated(userAdmin.ID, all...), "GET", reportPath + "/" + target.ID, 200},
		{"report by UserAuthenticationMethod.ReadWrite.All", f.app("UserAuthenticationMethod.ReadWrite.All"), "GET", reportPath, 200},
		{"delegated non-admin reads policy", f.delegated(nobody.ID, all...), "GET", mfaPolicyPath, 403},
		{"delegated non-admin reads report", f.delegated(nobody.ID, all...), "GET", reportPath, 403},
		{"delegated non-admin lists methods", f.delegated(nobody.ID, all...), "GET", methods, 403},
		{"delegated non-admin unlocks", f.delegated(nobody.ID, all...), "POST", unlock, 403},
		{"delegated non-admin resets", f.delegated(nobody.ID, all...), "DELETE", reset, 403},
		{"delegated non-admin lists own methods", f.delegated(target.ID, all...), "GET", methods, 403},
		{"user admin may not set policy", f.delegated(userAdmin.ID, all...), "PATCH", mfaPolicyPath, 403},
		{"user admin reads report", f.delegated(userAdmin.ID, all...), "GET", reportPath, 200},
		{"user admin lists methods", f.delegated(userAdmin.ID, all...), "GET", methods, 200},
		{"tenant admin without the scope", f.delegated(tenantAdmin.ID, admin...), "GET", mfaPolicyPath, 403},
		{"tenant admin reads policy", f.delegated(tenantAdmin.ID, all...), "GET", mfaPolicyPath, 200},
		{"tenant admin reads report", f.delegated(tenantAdmin.ID, all...), "GET", reportPath, 200},
	} {
		t.Run(c.name, func(t *testing.T) {
			var body any
			if c.method == "PATCH" {
				body = map[string]any{"required": "everyone"}
			}
			res := f.call(t, c.p, c.method, c.path, body)
			if c.status == http.StatusForbidden {
				f.requireError(t, res, c.status, "Authorization_RequestDenied")
				return
			}
			require.Equal(t, c.status, res.status, res.raw)
		})
	}
	tn, err := f.store.GetTenant(ctx, f.a.ID)
	require.NoError(t, err)
	require.Equal(t, store.MFARequiredGuests, tn.MFA.Required, "no refused PATCH got through")
	// Without a principal every route is 401.
	for _, path := range []string{mfaPolicyPath, reportPath, methods} {
		f.requireError(t, f.call(t, nil, "GET", path, nil), http.StatusUnauthorized, "InvalidAuthenticationToken")
	}
}

func testRegistrationReport(t *testing.T, f *fixture) {
	ctx := t.Context()
	ada := f.member(t, f.a.ID, "ada@contoso.example")
	registered := f.guest(t, f.a.ID, "bo@fabrikam.example", store.ExternalStateAccepted)
	unregistered := f.guest(t, f.a.ID, "cy@fabrikam.example", store.ExternalStatePending)
	f.registerTOTP(t, f.a.ID, registered.ID)
	f.lock(t, f.a.ID, registered.ID)
	theirs := f.member(t, f.b.ID, "dee@fabrikam.example")
	f.registerTOTP(t, f.b.ID, theirs.ID)

	p := f.app("AuditLog.Read.All")
	res := f.call(t, p, "GET", reportPath, nil)
	require.Equal(t, "https://foyer.example/v1.0/$metadata#reports/authenticationMethods/userRegistrationDetails",
		res.body["@odata.context"])
	items := values(t, res)
	byID := map[string]map[string]any{}
	for _, it := range items {
		byID[it["id"].(string)] = it
	}
	require.ElementsMatch(t, []string{ada.ID, registered.ID, unregistered.ID}, ids(items), "only the caller's tenant")
	lockedUntil := f.now.Add(15 * time.Minute).Format(time.RFC3339)
	require.Equal(t, map[string]any{
		"id": registered.ID, "userPrincipalName": registered.UserPrincipalName, "userDisplayName": registered.DisplayName,
		"userType": "guest", "isMfaRegistered": true, "isMfaCapable": true,
		"methodsRegistered": []any{"softwareOneTimePasscode"}, "defaultMfaMethod": "softwareOneTimePasscode",
		"isMfaRequired": true, "lockedUntil": lockedUntil,
	}, byID[registered.ID])
	require.Equal(t, map[string]any{
		"id": unregistered.ID, "userPrincipalName": unregistered.UserPrincipalName, "userDisplayName": unregistered.DisplayName,
		"userType": "guest", "isMfaRegistered": false, "isMfaCapable": false,
		"methodsRegistered": []any{}, "defaultMfaMethod": "none", "isMfaRequired": true, "lockedUntil": nil,
	}, byID[unregistered.ID])
	require.Equal(t, "member", byID[ada.ID]["userType"])
	require.Equal(t, false, byID[ada.ID]["isMfaRequired"], "the tenant requires MFA of guests")

	// One user's line, by id or user principal name, is the list's.
	for _, u := range []store.User{ada, registered, unregistered} {
		for _, ref := range []string{u.ID, u.UserPrincipalName} {
			one := f.call(t, p, "GET", reportPath+"/"+url.PathEscape(ref), nil)
			require.Equal(t, http.StatusOK, one.status, one.raw)
			require.Equal(t, "https://foyer.example/v1.0/$metadata#reports/authenticationMethods/userRegistrationDetails/$entity",
				one.body["@odata.context"])
			delete(one.body, "@odata.context")
			require.Equal(t, byID[u.ID], one.body, ref)
		}
	}
	one := f.call(t, p, "GET", reportPath+"/"+registered.ID+"?$select=isMfaRegistered,lockedUntil", nil)
	require.Equal(t, []string{"@odata.context", "isMfaRegistered", "lockedUntil"}, keys(one.body))
	f.requireError(t, f.call(t, p, "GET", reportPath+"/"+theirs.ID, nil), http.StatusNotFound, "Request_ResourceNotFound")
	f.requireError(t, f.call(t, p, "GET", reportPath+"/nobody", nil), http.StatusNotFound, "Request_ResourceNotFound")

	// An application's own requiresMfa is not the tenant's rule.
	_, _, err := f.dir.CreateApplication(ctx, f.a.ID, directory.NewApplication{DisplayName: "Vault", ClientID: "vault",
		RedirectURIs: []string{"https://vault.example/cb"}, RequiresMFA: true})
	require.NoError(t, err)
	res = f.call(t, p, "GET", reportPath+"?$filter="+url.QueryEscape("userType eq 'member'"), nil)
	items = values(t, res)
	require.Equal(t, []string{ada.ID}, ids(items))
	require.Equal(t, false, items[0]["isMfaRequired"])

	// The tenant's rule drives isMfaRequired.
	_, err = f.dir.SetMFAPolicy(ctx, f.a.ID, store.MFAPolicy{Required: store.MFARequiredEveryone})
	require.NoError(t, err)
	res = f.call(t, p, "GET", reportPath+"?$filter="+url.QueryEscape("userType eq 'Member'"), nil)
	require.Equal(t, true, values(t, res)[0]["isMfaRequired"])
	_, err = f.dir.SetMFAPolicy(ctx, f.a.ID, store.MFAPolicy{Required: store.MFARequiredNobody})
	require.NoError(t, err)
	res = f.call(t, p, "GET", reportPath+"?$filter="+url.QueryEscape("userType eq 'guest'")+"&$select=id,isMfaRequired", nil)
	items = values(t, res)
	require.ElementsMatch(t, []string{registered.ID, unregistered.ID}, ids(items))
	for _, it := range items {
		require.Equal(t, []string{"id", "isMfaRequired"}, keys(it))
		require.Equal(t, false, it["isMfaRequired"])
	}

	// A lock that has run out is no lock.
	f.now = f.now.Add(16 * time.Minute)
	res = f.call(t, p, "GET", reportPath+"?$filter="+url.QueryEscape("userType eq 'guest'"), nil)
	for _, it := range values(t, res) {
		require.Nil(t, it["lockedUntil"])
	}
	f.now = f.now.Add(-16 * time.Minute) // error bodies carry the fixture's date

	for _, q := range []string{"userType eq 'robot'", "isMfaRegistered eq 'true'", "userPrincipalName eq 'x'"} {
		res := f.call(t, p, "GET", reportPath+"?$filter="+url.QueryEscape(q), nil)
		require.Equal(t, http.StatusBadRequest, res.status, res.raw)
	}
	f.requireError(t, f.call(t, p, "GET", reportPath+"?$orderby=id", nil), http.StatusBadRequest, "Request_UnsupportedQuery")
	f.requireError(t, f.call(t, p, "GET", reportPath+"?$select=password", nil), http.StatusBadRequest, "Request_BadRequest")
}

func testRegistrationReportPaging(t *testing.T, f *fixture) {
	var want []string
	for _, m := range []string{"a@contoso.example", "b@contoso.example", "c@contoso.example"} {
		want = append(want, f.member(t, f.a.ID, m).ID)
	}
	p := f.app("AuditLog.Read.All")
	var got []string
	next := reportPath + "?$top=2"
	for pages := 0; next != ""; pages++ {
		require.Less(t, pages, 3)
		res := f.call(t, p, "GET", next, nil)
		got = append(got, ids(values(t, res))...)
		next, _ = res.body["@odata.nextLink"].(string)
	}
	require.ElementsMatch(t, want, got)
	require.Len(t, got, 3)
	// A skip token of /users does not page the report.
	users := f.call(t, f.app("User.ReadWrite.All"), "GET", "/v1.0/users?$top=1", nil)
	link, _ := users.body["@odata.nextLink"].(string)
	u, err := url.Parse(link)
	require.NoError(t, err)
	f.requireError(t, f.call(t, p, "GET", reportPath+"?$skiptoken="+url.QueryEscape(u.Query().Get("$skiptoken")), nil),
		http.StatusBadRequest, "Request_BadRequest", "$skiptoken")
}

func testMethodsResetUnlock(t *testing.T, f *fixture) {
	ctx := t.Context()
	guest := f.guest(t, f.a.ID, "bo@fabrikam.example", store.ExternalStateAccepted)
	bare := f.guest(t, f.a.ID, "cy@fabrikam.example", store.ExternalStateAccepted)
	f.registerTOTP(t, f.a.ID, guest.ID)
	require.NoError(t, f.store.ReplaceRecoveryCodes(ctx, f.a.ID, guest.ID, []string{"h1", "h2", "h3"}, f.now))
	f.lock(t, f.a.ID, guest.ID)
	p := f.app("UserAuthenticationMethod.ReadWrite.All")
	base := "/v1.0/users/" + guest.ID + "/authentication"

	res := f.call(t, p, "GET", base+"/methods", nil)
	require.Equal(t, "https://foyer.example/v1.0/$metadata#users('"+guest.ID+"')/authentication/methods", res.body["@odata.context"])
	require.Equal(t, []map[string]any{{"@odata.type": "#microsoft.graph.softwareOathAuthenticationMethod", "id": guest.ID,
		"secretKey": nil, "recoveryCodesRemaining": float64(3), "lockedUntil": f.now.Add(15 * time.Minute).Format(time.RFC3339)}},
		values(t, res))
	require.NotContains(t, res.raw, "sealed-for-test")
	// By user principal name too, as /users/{id} is.
	require.Len(t, values(t, f.call(t, p, "GET", "/v1.0/users/"+url.PathEscape(guest.UserPrincipalName)+"/authentication/methods", nil)), 1)
	require.Empty(t, values(t, f.call(t, p, "GET", "/v1.0/users/"+bare.ID+"/authentication/methods", nil)))
	f.requireError(t, f.call(t, p, "GET", base+"/methods?$select=id", nil), http.StatusBadRequest, "Request_BadRequest")
	f.requireError(t, f.call(t, p, "GET", base+"/methods?$top=1", nil), http.StatusBadRequest, "Request_UnsupportedQuery")

	// Unlock clears the lock and the count; the factor stays.
	res = f.call(t, p, "POST", base+"/unlock", nil)
	require.Equal(t, http.StatusNoContent, res.status, res.raw)
	st, err := f.mfa.Status(ctx, f.a.ID, guest.ID)
	require.NoError(t, err)
	require.True(t, st.Registered)
	require.Nil(t, st.LockedUntil)
	factor, err := f.store.GetTOTPFactor(ctx, f.a.ID, guest.ID)
	require.NoError(t, err)
	require.Zero(t, factor.Failures)
	f.requireError(t, f.call(t, p, "POST", "/v1.0/users/"+bare.ID+"/authentication/unlock", nil),
		http.StatusNotFound, "Request_ResourceNotFound")

	// Reset names the method; a wrong id changes nothing.
	f.requireError(t, f.call(t, p, "DELETE", base+"/softwareOathMethods/"+bare.ID, nil), http.StatusNotFound, "Request_ResourceNotFound")
	f.requireError(t, f.call(t, p, "DELETE", "/v1.0/users/"+bare.ID+"/authentication/softwareOathMethods/"+bare.ID, nil),
		http.StatusNotFound, "Request_ResourceNotFound")
	_, err = f.store.GetTOTPFactor(ctx, f.a.ID, guest.ID)
	require.NoError(t, err)
	res = f.call(t, p, "DELETE", base+"/softwareOathMethods/"+guest.ID, nil)
	require.Equal(t, http.StatusNoContent, res.status, res.raw)
	_, err = f.store.GetTOTPFactor(ctx, f.a.ID, guest.ID)
	require.ErrorIs(t, err, store.ErrNotFound)
	n, err := f.store.CountRecoveryCodes(ctx, f.a.ID, guest.ID)
	require.NoError(t, err)
	require.Zero(t, n, "recovery codes go with the factor")
	require.Empty(t, values(t, f.call(t, p, "GET", base+"/methods", nil)))
	f.requireError(t, f.call(t, p, "DELETE", base+"/softwareOathMethods/"+guest.ID, nil), http.StatusNotFound, "Request_ResourceNotFound")
	res = f.call(t, f.app("AuditLog.Read.All"), "GET", reportPath+"?$filter="+url.QueryEscape("userType eq 'guest'"), nil)
	for _, it := range values(t, res) {
		require.Equal(t, false, it["isMfaRegistered"])
	}

	// Both acts are audited with the caller as actor.
	events, err := f.store.ListAudit(ctx, store.AuditFilter{TenantID: f.a.ID})
	require.NoError(t, err)
	byApp := 0
	for _, e := range events {
		if e.TargetID == guest.ID && e.ActorID == "admin-script" && e.Result == store.ResultSuccess {
			byApp++
		}
	}
	require.Equal(t, 2, byApp, "an unlock and a reset")
}

func testMFAOtherTenant(t *testing.T, f *fixture) {
	theirs := f.member(t, f.b.ID, "dee@fabrikam.example")
	f.registerTOTP(t, f.b.ID, theirs.ID)
	f.lock(t, f.b.ID, theirs.ID)
	p := f.app("UserAuthenticationMethod.ReadWrite.All")
	base := "/v1.0/users/" + theirs.ID + "/authentication"
	for _, c := range []struct{ method, path string }{
		{"GET", base + "/methods"}, {"POST", base + "/unlock"}, {"DELETE", base + "/softwareOathMethods/" + theirs.ID},
	} {
		f.requireError(t, f.call(t, p, c.method, c.path, nil), http.StatusNotFound, "Request_ResourceNotFound")
	}
	factor, err := f.store.GetTOTPFactor(t.Context(), f.b.ID, theirs.ID)
	require.NoError(t, err)
	require.True(t, factor.Active)
	require.NotNil(t, factor.LockedUntil, "neither unlocked nor reset")
}

func testResetTenantAdmin(t *testing.T, f *fixture) {
	ctx := t.Context()
	userAdmin := f.memberWithRole(t, f.a.ID, "useradmin@contoso.example", directory.RoleUserAdministrator)
	tenantAdmin := f.memberWithRole(t, f.a.ID, "admin@contoso.example", directory.RoleTenantAdministrator)
	otherAdmin := f.memberWithRole(t, f.a.ID, "admin2@contoso.example", directory.RoleTenantAdministrator)
	f.registerTOTP(t, f.a.ID, tenantAdmin.ID)
	f.lock(t, f.a.ID, tenantAdmin.ID)
	scope := "UserAuthenticationMethod.ReadWrite.All"
	base := "/v1.0/users/" + tenantAdmin.ID + "/authentication"
	reset := base + "/softwareOathMethods/" + tenantAdmin.ID

	f.requireError(t, f.call(t, f.delegated(userAdmin.ID, scope), "POST", base+"/unlock", nil),
		http.StatusForbidden, "Authorization_RequestDenied", "Tenant Administrator")
	f.requireError(t, f.call(t, f.delegated(userAdmin.ID, scope), "DELETE", reset, nil),
		http.StatusForbidden, "Authorization_RequestDenied", "Tenant Administrator")
	factor, err := f.store.GetTOTPFactor(ctx, f.a.ID, tenantAdmin.ID)
	require.NoError(t, err)
	require.NotNil(t, factor.LockedUntil)

	// A User Administrator still resets a guest; another Tenant
	// Administrator, or an app holding the permission, resets an admin.
	guest := f.guest(t, f.a.ID, "bo@fabrikam.example", store.ExternalStateAccepted)
	f.registerTOTP(t, f.a.ID, guest.ID)
	res := f.call(t, f.delegated(userAdmin.ID, scope), "DELETE", "/v1.0/users/"+guest.ID+"/authentication/softwareOathMethods/"+guest.ID, nil)
	require.Equal(t, http.StatusNoContent, res.status, res.raw)
	res = f.call(t, f.delegated(otherAdmin.ID, scope), "POST", base+"/unlock", nil)
	require.Equal(t, http.StatusNoContent, res.status, res.raw)
	res = f.call(t, f.app(scope), "DELETE", reset, nil)
	require.Equal(t, http.StatusNoContent, res.status, res.raw)
	_, err = f.store.GetTOTPFactor(ctx, f.a.ID, tenantAdmin.ID)
	require.ErrorIs(t, err, store.ErrNotFound)
}
