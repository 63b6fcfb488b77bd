package api_test

import (
	"net/http"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/internal/api"
	"github.com/foyer-idp/foyer/internal/audit"
	"github.com/foyer-idp/foyer/internal/directory"
	"github.com/foyer-idp/foyer/internal/store"
	"github.com/foyer-idp/foyer/internal/store/sqlstore/sqltest"
)

// Graph's template ids of the roles Foyer's correspond to.
const (
	tenantAdminDef = "62e90394-69f5-4237-9190-012177145e10"
	userAdminDef   = "fe930be7-5e62-47db-91af-98c3a49a38b1"
	inviterDef     = "95e79109-95c0-4d8e-aee3-d01accf2d47b"
)

const (
	roleAssignments = "/v1.0/roleManagement/directory/roleAssignments"
	roleDefinitions = "/v1.0/roleManagement/directory/roleDefinitions"
	roleManagement  = "RoleManagement.ReadWrite.Directory"
)

func TestRoleManagement(t *testing.T) {
	t.Parallel()
	sqltest.RunSuite(t, []sqltest.Case[*fixture]{
		{Name: "RoleDefinitions", Fn: testRoleDefinitions},
		{Name: "AssignListAndRemove", Fn: testRoleAssignments},
		{Name: "BadInput", Fn: testRoleAssignmentBadInput},
		{Name: "DelegatedOnlyTenantAdministrators", Fn: testRoleAssignmentDelegated},
		{Name: "AppMayNotGivePrivilegedRoles", Fn: testRoleAssignmentApp},
		{Name: "LastTenantAdministratorKept", Fn: testRoleAssignmentLastAdmin},
	}, newFixture)
}

func testRoleDefinitions(t *testing.T, f *fixture) {
	p := f.app(roleManagement)
	res := f.call(t, p, "GET", roleDefinitions, nil)
	items := values(t, res)
	require.Equal(t, "https://foyer.example/v1.0/$metadata#roleManagement/directory/roleDefinitions", res.body["@odata.context"])
	byName := map[string]map[string]any{}
	for _, it := range items {
		require.Equal(t, []string{"description", "displayName", "id", "isBuiltIn", "isEnabled", "templateId"}, keys(it))
		require.Equal(t, it["id"], it["templateId"])
		require.Equal(t, true, it["isBuiltIn"])
		byName[it["displayName"].(string)] = it
	}
	require.Len(t, byName, len(directory.Roles))
	require.Equal(t, tenantAdminDef, byName[directory.RoleTenantAdministrator]["id"])
	require.Equal(t, inviterDef, byName[directory.RoleGuestInviter]["id"])

	res = f.call(t, p, "GET", roleDefinitions+"/"+userAdminDef+"?$select=displayName", nil)
	require.Equal(t, http.StatusOK, res.status, res.raw)
	require.Equal(t, directory.RoleUserAdministrator, res.body["displayName"])
	f.requireError(t, f.call(t, p, "GET", roleDefinitions+"/nope", nil), http.StatusNotFound, "Request_ResourceNotFound", "'nope'")
}

func testRoleAssignments(t *testing.T, f *fixture) {
	admin := f.memberWithRole(t, f.a.ID, "root@contoso.example", directory.RoleTenantAdministrator)
	ada := f.member(t, f.a.ID, "ada@contoso.example")
	p := f.delegated(admin.ID, roleManagement)

	res := f.call(t, p, "POST", roleAssignments, map[string]any{"principalId": ada.ID, "roleDefinitionId": userAdminDef, "directoryScopeId": "/"})
	require.Equal(t, http.StatusCreated, res.status, res.raw)
	id := userAdminDef + "_" + ada.ID
	require.Equal(t, id, res.body["id"])
	require.Equal(t, "https://foyer.example/v1.0"+roleAssignments[len("/v1.0"):]+"/"+id, res.header.Get("Location"))
	require.Equal(t, "/", res.body["directoryScopeId"])
	res = f.call(t, p, "POST", roleAssignments, map[string]any{"principalId": ada.ID, "roleDefinitionId": inviterDef})
	require.Equal(t, http.StatusCreated, res.status, res.raw)
	roles, err := f.dir.UserRoles(t.Context(), f.a.ID, ada.ID)
	require.NoError(t, err)
	require.ElementsMatch(t, []string{directory.RoleUserAdministrator, directory.RoleGuestInviter}, roles)

	// Lists: all, by principal, by role; an unknown role has none.
	all := values(t, f.call(t, p, "GET", roleAssignments, nil))
	require.ElementsMatch(t, []string{tenantAdminDef + "_" + admin.ID, id, inviterDef + "_" + ada.ID}, ids(all))
	mine := values(t, f.call(t, p, "GET", roleAssignments+"?$filter=principalId+eq+'"+ada.ID+"'", nil))
	require.ElementsMatch(t, []string{id, inviterDef + "_" + ada.ID}, ids(mine))
	admins := values(t, f.call(t, p, "GET", roleAssignments+"?$filter=roleDefinitionId+eq+'"+tenantAdminDef+"'", nil))
	require.Equal(t, []string{tenantAdminDef + "_" + admin.ID}, ids(admins))
	require.Equal(t, admin.ID, admins[0]["principalId"])
	both := values(t, f.call(t, p, "GET", roleAssignments+"?$filter=principalId+eq+'"+ada.ID+"'+and+roleDefinitionId+eq+'"+inviterDef+"'", nil))
	require.Equal(t, []string{inviterDef + "_" + ada.ID}, ids(both))
	require.Empty(t, values(t, f.call(t, p, "GET", roleAssignments+"?$filter=roleDefinitionId+eq+'other'", nil)))
	f.requireError(t, f.call(t, p, "GET", roleAssignments+"?$filter=directoryScopeId+eq+'/'", nil), http.StatusBadRequest, "Request_UnsupportedQuery", "'directoryScopeId'")
	// Paging.
	first := f.call(t, p, "GET", roleAssignments+"?$top=2", nil)
	require.Len(t, values(t, first), 2)
	next := values(t, f.call(t, p, "GET", first.body["@odata.nextLink"].(string), nil))
	require.Len(t, next, 1)

	res = f.call(t, p, "GET", roleAssignments+"/"+id, nil)
	require.Equal(t, http.StatusOK, res.status, res.raw)
	require.Equal(t, ada.ID, res.body["principalId"])

	res = f.call(t, p, "DELETE", roleAssignments+"/"+id, nil)
	require.Equal(t, http.StatusNoContent, res.status, res.raw)
	roles, err = f.dir.UserRoles(t.Context(), f.a.ID, ada.ID)
	require.NoError(t, err)
	require.Equal(t, []string{directory.RoleGuestInviter}, roles)
	f.requireError(t, f.call(t, p, "DELETE", roleAssignments+"/"+id, nil), http.StatusNotFound, "Request_ResourceNotFound")
	f.requireError(t, f.call(t, p, "GET", roleAssignments+"/"+id, nil), http.StatusNotFound, "Request_ResourceNotFound")

	// Audited with the signed-in admin as actor and the role as target.
	events, err := f.store.ListAudit(t.Context(), store.AuditFilter{TenantID: f.a.ID, Category: audit.CategoryRole})
	require.NoError(t, err)
	i := slices.IndexFunc(events, func(e store.AuditEvent) bool {
		return e.Activity == audit.ActivityRemoveRoleMember && e.Result == store.ResultSuccess
	})
	require.GreaterOrEqual(t, i, 0)
	require.Equal(t, admin.ID, events[i].ActorID)
	require.Equal(t, directory.RoleUserAdministrator, events[i].TargetID)
}

func testRoleAssignmentBadInput(t *testing.T, f *fixture) {
	ada := f.member(t, f.a.ID, "ada@contoso.example")
	other := f.member(t, f.b.ID, "bob@fabrikam.example")
	p := f.app(roleManagement)
	for _, c := range []struct {
		name string
		body any
		want []string
	}{
		{"unknown property", map[string]any{"principalId": ada.ID, "roleDefinitionId": inviterDef, "colour": "red"}, []string{"'colour'"}},
		{"read-only id", map[string]any{"id": "x", "principalId": ada.ID, "roleDefinitionId": inviterDef}, []string{"'id'"}},
		{"no principal", map[string]any{"roleDefinitionId": inviterDef}, []string{"'principalId'"}},
		{"principal not text", map[string]any{"principalId": 7, "roleDefinitionId": inviterDef}, []string{"'principalId'"}},
		{"no role", map[string]any{"principalId": ada.ID}, []string{"'roleDefinitionId'"}},
		{"unknown role", map[string]any{"principalId": ada.ID, "roleDefinitionId": "Tenant Administrator"}, []string{"'roleDefinitionId'"}},
		{"scope", map[string]any{"principalId": ada.ID, "roleDefinitionId": inviterDef, "directoryScopeId": "/administrativeUnits/x"}, []string{"'directoryScopeId'"}},
		{"unknown user", map[string]any{"principalId": "nobody", "roleDefinitionId": inviterDef}, []string{"'principalId'"}},
		{"by address, not id", map[string]any{"principalId": "ada@contoso.example", "roleDefinitionId": inviterDef}, []string{"'principalId'"}},
		{"another tenant's user", map[string]any{"principalId": other.ID, "roleDefinitionId": inviterDef}, []string{"'principalId'"}},
		{"not an object", `[1]`, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			f.requireError(t, f.call(t, p, "POST", roleAssignments, c.body), http.StatusBadRequest, "Request_BadRequest", c.want...)
		})
	}
	for _, u := range []store.User{ada, other} {
		roles, err := f.dir.UserRoles(t.Context(), u.TenantID, u.ID)
		require.NoError(t, err)
		require.Empty(t, roles, "nothing was assigned")
	}
	res := f.call(t, p, "POST", roleAssignments, map[string]any{"principalId": ada.ID, "roleDefinitionId": inviterDef})
	require.Equal(t, http.StatusCreated, res.status, res.raw)
	f.requireError(t, f.call(t, p, "POST", roleAssignments, map[string]any{"principalId": ada.ID, "roleDefinitionId": inviterDef}),
		http.StatusBadRequest, "ObjectConflict")
	for _, id := range []string{"x", inviterDef, inviterDef + "_", inviterDef + "_nobody", "nope_" + ada.ID,
		tenantAdminDef + "_" + ada.ID, inviterDef + "_" + other.ID} {
		f.requireError(t, f.call(t, p, "DELETE", roleAssignments+"/"+id, nil), http.StatusNotFound, "Request_ResourceNotFound")
	}
	// Another tenant's assignments are not listed.
	require.NoError(t, f.dir.AssignRole(t.Context(), f.b.ID, other.ID, directory.RoleGuestInviter))
	require.Equal(t, []string{inviterDef + "_" + ada.ID}, ids(values(t, f.call(t, p, "GET", roleAssignments, nil))))
}

func testRoleAssignmentDelegated(t *testing.T, f *fixture) {
	ada := f.member(t, f.a.ID, "ada@contoso.example")
	plain := f.member(t, f.a.ID, "plain@contoso.example")
	userAdmin := f.memberWithRole(t, f.a.ID, "ua@contoso.example", directory.RoleUserAdministrator)
	body := map[string]any{"principalId": ada.ID, "roleDefinitionId": tenantAdminDef}
	// A member without a role, a User Administrator (who would make
	// themself or anyone Tenant Administrator) and a token without the
	// scope are refused, reading too for the member.
	for name, pr := range map[string]*api.Principal{
		"member":             f.delegated(plain.ID, roleManagement, "User.ReadWrite.All"),
		"user administrator": f.delegated(userAdmin.ID, roleManagement, "User.ReadWrite.All"),
	} {
		t.Run(name, func(t *testing.T) {
			f.requireError(t, f.call(t, pr, "POST", roleAssignments, body), http.StatusForbidden, "Authorization_RequestDenied")
			self := map[string]any{"principalId": pr.UserID, "roleDefinitionId": tenantAdminDef}
			f.requireError(t, f.call(t, pr, "POST", roleAssignments, self), http.StatusForbidden, "Authorization_RequestDenied")
			f.requireError(t, f.call(t, pr, "DELETE", roleAssignments+"/"+userAdminDef+"_"+userAdmin.ID, nil),
				http.StatusForbidden, "Authorization_RequestDenied")
		})
	}
	f.requireError(t, f.call(t, f.delegated(plain.ID, roleManagement), "GET", roleAssignments, nil), http.StatusForbidden, "Authorization_RequestDenied")
	// A User Administrator may read who holds roles (users' data).
	require.Len(t, values(t, f.call(t, f.delegated(userAdmin.ID, "User.ReadWrite.All"), "GET", roleAssignments, nil)), 1)
	// A Tenant Administrator without the scope is refused.
	root := f.memberWithRole(t, f.a.ID, "root@contoso.example", directory.RoleTenantAdministrator)
	f.requireError(t, f.call(t, f.delegated(root.ID, "User.ReadWrite.All"), "POST", roleAssignments, body),
		http.StatusForbidden, "Authorization_RequestDenied")
	for _, u := range []store.User{ada, plain, userAdmin} {
		roles, err := f.dir.UserRoles(t.Context(), f.a.ID, u.ID)
		require.NoError(t, err)
		require.NotContains(t, roles, directory.RoleTenantAdministrator)
	}
	held, err := f.dir.UserRoles(t.Context(), f.a.ID, userAdmin.ID)
	require.NoError(t, err)
	require.Equal(t, []string{directory.RoleUserAdministrator}, held, "not removed")
}

func testRoleAssignmentApp(t *testing.T, f *fixture) {
	ada := f.member(t, f.a.ID, "ada@contoso.example")
	root := f.memberWithRole(t, f.a.ID, "root@contoso.example", directory.RoleTenantAdministrator)
	p := f.app(roleManagement)
	for _, def := range []string{tenantAdminDef, userAdminDef} {
		f.requireError(t, f.call(t, p, "POST", roleAssignments, map[string]any{"principalId": ada.ID, "roleDefinitionId": def}),
			http.StatusForbidden, "Authorization_RequestDenied", "An application may not give or take")
	}
	// Nor any role of a user it may not change, nor take a privileged one.
	f.requireError(t, f.call(t, p, "POST", roleAssignments, map[string]any{"principalId": root.ID, "roleDefinitionId": inviterDef}),
		http.StatusForbidden, "Authorization_RequestDenied")
	f.requireError(t, f.call(t, p, "DELETE", roleAssignments+"/"+tenantAdminDef+"_"+root.ID, nil),
		http.StatusForbidden, "Authorization_RequestDenied")
	// The Guest Inviter role it may give and take.
	res := f.call(t, p, "POST", roleAssignments, map[string]any{"principalId": ada.ID, "roleDefinitionId": inviterDef})
	require.Equal(t, http.StatusCreated, res.status, res.raw)
	res = f.call(t, p, "DELETE", roleAssignments+"/"+inviterDef+"_"+ada.ID, nil)
	require.Equal(t, http.StatusNoContent, res.status, res.raw)
	// An app without the permission can neither.
	f.requireError(t, f.call(t, f.app("User.ReadWrite.All"), "POST", roleAssignments,
		map[string]any{"principalId": ada.ID, "roleDefinitionId": inviterDef}), http.StatusForbidden, "Authorization_RequestDenied")

	roles, err := f.dir.UserRoles(t.Context(), f.a.ID, ada.ID)
	require.NoError(t, err)
	require.Empty(t, roles)
	roles, err = f.dir.UserRoles(t.Context(), f.a.ID, root.ID)
	require.NoError(t, err)
	require.Equal(t, []string{directory.RoleTenantAdministrator}, roles)
	// Refusals are audited as failures, with the app as actor.
	events, err := f.store.ListAudit(t.Context(), store.AuditFilter{TenantID: f.a.ID, Category: audit.CategoryRole, Result: store.ResultFailure})
	require.NoError(t, err)
	require.Len(t, events, 4)
	for _, e := range events {
		require.Equal(t, store.ActorApp, e.ActorType)
	}
}

func testRoleAssignmentLastAdmin(t *testing.T, f *fixture) {
	root := f.memberWithRole(t, f.a.ID, "root@contoso.example", directory.RoleTenantAdministrator)
	p := f.delegated(root.ID, roleManagement)
	f.requireError(t, f.call(t, p, "DELETE", roleAssignments+"/"+tenantAdminDef+"_"+root.ID, nil),
		http.StatusBadRequest, "Request_BadRequest", "last enabled Tenant Administrator")
	second := f.member(t, f.a.ID, "second@contoso.example")
	res := f.call(t, p, "POST", roleAssignments, map[string]any{"principalId": second.ID, "roleDefinitionId": tenantAdminDef})
	require.Equal(t, http.StatusCreated, res.status, res.raw)
	res = f.call(t, p, "DELETE", roleAssignments+"/"+tenantAdminDef+"_"+root.ID, nil)
	require.Equal(t, http.StatusNoContent, res.status, res.raw)
}
