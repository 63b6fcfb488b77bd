package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/internal/bootstrap"
	"github.com/foyer-idp/foyer/internal/directory"
)

// TestRemoteUsersMatchLocal drives every users command through the admin
// API and compares what it prints with the local command's output on the
// server's database.
func TestRemoteUsersMatchLocal(t *testing.T) {
	t.Parallel()
	b := newSideBySide(t)

	// create, with a role an app may give: what it prints is what show
	// prints locally, as a table and as JSON.
	r := b.remote.runIn(t, "first-password-1\n", withTenant([]string{"users", "create", "--name", "Rita Remote",
		"--mail", "Rita@Woodgrove.test", "--given-name", "Rita", "--surname", "Remote", "--password-stdin",
		"--role", directory.RoleGuestInviter})...)
	require.Equal(t, exitOK, r.code, r.stderr)
	require.Equal(t, b.local.mustRun(t, withTenant([]string{"users", "show", "rita@woodgrove.test"})...), r.stdout)
	require.Contains(t, r.stdout, directory.RoleGuestInviter)
	r = b.remote.runIn(t, "", withTenant([]string{"-o", "json", "users", "create", "--name", "Sid", "--upn", "sid@woodgrove.test", "--disabled"})...)
	require.Equal(t, exitOK, r.code, r.stderr)
	require.Equal(t, b.local.mustRun(t, withTenant([]string{"-o", "json", "users", "show", "sid@woodgrove.test"})...), r.stdout)
	sid := idOf(t, r.stdout)

	// An app may not make anyone a Tenant Administrator: the user is made,
	// the role refused, and the command says both.
	r = b.remote.run(t, withTenant([]string{"users", "create", "--name", "Eve", "--mail", "eve@woodgrove.test",
		"--role", directory.RoleTenantAdministrator})...)
	require.Equal(t, exitError, r.code, r.stdout)
	require.Contains(t, r.stderr, `created user eve@woodgrove.test, but could not give them role "Tenant Administrator"`)
	require.Contains(t, r.stderr, "Authorization_RequestDenied")
	require.NotContains(t, b.local.mustRun(t, withTenant([]string{"users", "show", "eve@woodgrove.test"})...), directory.RoleTenantAdministrator)

	// A guest, so that the type filters have both kinds.
	b.local.mustRun(t, withTenant([]string{"invite", "--email", "gus@partner.test", "--redirect-url", bootstrap.DevRedirectURI, "--no-mail"})...)

	b.same(t, "users", "list")
	b.same(t, "users", "list", "--type", "Guest")
	b.same(t, "users", "list", "--type", "Member", "--top", "2")
	b.same(t, "users", "list", "--state", "PendingAcceptance")
	b.same(t, "users", "show", bootstrap.DevAdmin)
	b.same(t, "users", "show", sid)
	b.sameFailure(t, "users", "show", "nobody@woodgrove.test")

	// update: every flag, then enabling.
	out := b.changes(t, []string{"users", "update", "rita@woodgrove.test", "--name", "Rita R.", "--given-name", "Rita",
		"--surname", "R.", "--mail", "rita.r@woodgrove.test", "--upn", "rita.r@woodgrove.test"},
		[]string{"users", "show", "rita.r@woodgrove.test"})
	require.Contains(t, out, "Rita R.")
	b.changes(t, []string{"users", "update", sid, "--enabled=true"}, []string{"users", "show", sid})
	b.bothRefuse(t, "mail", "users", "update", sid, "--mail", "not-an-address")
	b.same(t, "users", "show", sid)

	// set-password: an app may reset nobody's password, as in Graph (a
	// signed-in administrator may: TestRemoteDirectorySignedInWithoutRights).
	for _, who := range []string{"rita.r@woodgrove.test", bootstrap.DevAdmin} {
		r = b.remote.runIn(t, "taken-over-3\n", withTenant([]string{"users", "set-password", who, "--password-stdin"})...)
		require.Equal(t, exitError, r.code)
		require.Contains(t, r.stderr, "Authorization_RequestDenied")
	}

	// delete.
	out = b.remote.mustRun(t, withTenant([]string{"users", "delete", sid})...)
	require.Equal(t, "Deleted user sid@woodgrove.test.\n", out)
	require.Equal(t, exitError, b.local.run(t, withTenant([]string{"users", "show", sid})...).code)

	b.noLocalDatabase(t)
	b.s.shutdown(t)
	require.NotContains(t, b.s.logs.String(), "second-password-2")
	require.NotContains(t, b.s.logs.String(), "first-password-1")
}

// TestRemoteGroupsMatchLocal drives every groups command, members and
// owners included, through the admin API and compares with the local
// output.
func TestRemoteGroupsMatchLocal(t *testing.T) {
	t.Parallel()
	b := newSideBySide(t)
	b.s.staffMember(t, "pat@woodgrove.test", "")

	r := b.remote.mustRun(t, withTenant([]string{"-o", "json", "groups", "create", "--name", "Partners",
		"--description", "Who works with us", "--owners-can-invite"})...)
	g := idOf(t, r)
	require.Equal(t, b.local.mustRun(t, withTenant([]string{"-o", "json", "groups", "show", g})...), r)
	second := idOf(t, b.local.mustRun(t, withTenant([]string{"-o", "json", "groups", "create", "--name", "Second"})...))

	// members and owners: add and remove answer the list as it is after.
	b.changes(t, []string{"groups", "members", "add", "--group", g, "--user", "pat@woodgrove.test"},
		[]string{"groups", "members", "list", "--group", g})
	b.changes(t, []string{"groups", "members", "add", "--group", g, "--user", bootstrap.DevAdmin},
		[]string{"groups", "members", "list", "--group", g})
	out := b.changes(t, []string{"groups", "owners", "add", "--group", g, "--user", "pat@woodgrove.test"},
		[]string{"groups", "owners", "list", "--group", g})
	require.Contains(t, out, "pat@woodgrove.test")
	b.local.mustRun(t, withTenant([]string{"groups", "members", "add", "--group", second, "--user", "pat@woodgrove.test"})...)

	b.same(t, "groups", "list")
	b.same(t, "groups", "show", g)
	b.same(t, "groups", "members", "list", "--group", g)
	b.same(t, "groups", "owners", "list", "--group", g)
	// A user's groups, oldest first, as users show prints them.
	b.same(t, "users", "show", "pat@woodgrove.test")
	b.sameFailure(t, "groups", "show", "no-such-group")
	b.sameFailure(t, "groups", "members", "add", "--group", g, "--user", "nobody@woodgrove.test")

	require.Contains(t, b.remote.run(t, withTenant([]string{"groups", "owners", "add", "--group", g, "--user", "pat@woodgrove.test"})...).stderr,
		"already exist")

	out = b.changes(t, []string{"groups", "members", "remove", "--group", g, "--user", bootstrap.DevAdmin},
		[]string{"groups", "members", "list", "--group", g})
	require.NotContains(t, out, bootstrap.DevAdmin)
	out = b.changes(t, []string{"groups", "owners", "remove", "--group", g, "--user", "pat@woodgrove.test"},
		[]string{"groups", "owners", "list", "--group", g})
	require.NotContains(t, out, "pat@woodgrove.test")

	out = b.changes(t, []string{"groups", "update", g, "--name", "Partners v2", "--description", "", "--owners-can-invite=false"},
		[]string{"groups", "show", g})
	require.Contains(t, out, "Partners v2")

	require.Equal(t, `Deleted group "Partners v2".`+"\n", b.remote.mustRun(t, withTenant([]string{"groups", "delete", g})...))
	require.Equal(t, exitError, b.local.run(t, withTenant([]string{"groups", "show", g})...).code)
	b.noLocalDatabase(t)
	b.s.shutdown(t)
}

// TestRemoteRolesMatchLocal drives the roles commands through the admin
// API: an app gives and takes the Guest Inviter role, and is refused the
// administrator roles.
func TestRemoteRolesMatchLocal(t *testing.T) {
	t.Parallel()
	b := newSideBySide(t)
	b.s.staffMember(t, "pat@woodgrove.test", directory.RoleUserAdministrator)
	b.s.staffMember(t, "lee@woodgrove.test", "")

	b.same(t, "roles", "list")
	b.same(t, "roles", "list", "--role", directory.RoleTenantAdministrator)

	out := b.remote.mustRun(t, withTenant([]string{"roles", "assign", "--user", "lee@woodgrove.test", "--role", directory.RoleGuestInviter})...)
	require.Equal(t, "Roles of lee@woodgrove.test: "+directory.RoleGuestInviter+"\n", out)
	b.local.mustRun(t, withTenant([]string{"roles", "assign", "--user", "pat@woodgrove.test", "--role", directory.RoleGuestInviter})...)
	b.same(t, "roles", "list")
	b.same(t, "roles", "list", "--role", directory.RoleGuestInviter)
	b.same(t, "users", "show", "pat@woodgrove.test")

	out = b.remote.mustRun(t, withTenant([]string{"-o", "json", "roles", "unassign", "--user", "lee@woodgrove.test", "--role", directory.RoleGuestInviter})...)
	require.Equal(t, "[]\n", out)
	b.same(t, "roles", "list", "--role", directory.RoleGuestInviter)

	// Refused to an app: giving an administrator role, and touching a
	// User Administrator's roles.
	for _, args := range [][]string{
		{"roles", "assign", "--user", "lee@woodgrove.test", "--role", directory.RoleTenantAdministrator},
		{"roles", "assign", "--user", "lee@woodgrove.test", "--role", directory.RoleUserAdministrator},
		{"roles", "unassign", "--user", "pat@woodgrove.test", "--role", directory.RoleGuestInviter},
	} {
		r := b.remote.run(t, withTenant(args)...)
		require.Equal(t, exitError, r.code, r.stdout)
		require.Contains(t, r.stderr, "Authorization_RequestDenied")
	}
	// Mistakes are told before anything is sent, both ways alike.
	b.sameFailure(t, "roles", "assign", "--user", "lee@woodgrove.test", "--role", "Chief Wizard")
	b.sameFailure(t, "roles", "list", "--role", "Chief Wizard")
	b.sameFailure(t, "roles", "assign", "--user", "nobody@woodgrove.test", "--role", directory.RoleGuestInviter)
	b.same(t, "roles", "list")
	b.noLocalDatabase(t)
	b.s.shutdown(t)
}

// TestRemoteAppOwnersMatchLocal drives apps owners through the admin API.
func TestRemoteAppOwnersMatchLocal(t *testing.T) {
	t.Parallel()
	b := newSideBySide(t)
	b.s.staffMember(t, "pat@woodgrove.test", "")
	app := bootstrap.DevClientID

	out := b.changes(t, []string{"apps", "owners", "add", app, "--user", "pat@woodgrove.test"}, []string{"apps", "owners", "list", app})
	require.Contains(t, out, "pat@woodgrove.test")
	b.changes(t, []string{"apps", "owners", "add", app, "--user", bootstrap.DevAdmin}, []string{"apps", "owners", "list", app})
	b.same(t, "apps", "owners", "list", app)
	b.same(t, "apps", "show", app)
	b.sameFailure(t, "apps", "owners", "list", "no-such-app")
	b.sameFailure(t, "apps", "owners", "add", app, "--user", "nobody@woodgrove.test")
	out = b.changes(t, []string{"apps", "owners", "remove", app, "--user", "pat@woodgrove.test"}, []string{"apps", "owners", "list", app})
	require.NotContains(t, out, "pat@woodgrove.test")
	require.Contains(t, out, bootstrap.DevAdmin)
	b.noLocalDatabase(t)
	b.s.shutdown(t)
}

// TestRemoteDirectorySignedInWithoutRights: with foyer login's delegated
// token the commands can do only what the signed-in user may. A member
// without a role is refused every change, and a User Administrator may
// manage users but not make anyone, themself included, Tenant
// Administrator; nothing refused is changed.
func TestRemoteDirectorySignedInWithoutRights(t *testing.T) {
	t.Parallel()
	s := startDevServer(t)
	s.staffMember(t, "pat@woodgrove.test", "")
	s.staffMember(t, "uma@woodgrove.test", directory.RoleUserAdministrator)
	g := idOf(t, s.cli.mustRun(t, withTenant([]string{"-o", "json", "groups", "create", "--name", "Staff"})...))
	rolesBefore := s.cli.mustRun(t, withTenant([]string{"roles", "list"})...)

	pat := newCLI(t)
	browserLogin(t, s, pat, "pat@woodgrove.test", staffPassword)
	pat.env[envServer] = s.base
	for _, args := range [][]string{
		{"roles", "assign", "--user", "pat@woodgrove.test", "--role", directory.RoleTenantAdministrator},
		{"roles", "list"},
		{"users", "list"},
		{"users", "create", "--name", "Mal", "--mail", "mal@woodgrove.test"},
		{"users", "update", bootstrap.DevAdmin, "--enabled=false"},
		{"groups", "create", "--name", "Mine"},
		{"groups", "owners", "add", "--group", g, "--user", "pat@woodgrove.test"},
		{"apps", "owners", "add", bootstrap.DevClientID, "--user", "pat@woodgrove.test"},
	} {
		r := pat.run(t, withTenant(args)...)
		require.Equal(t, exitError, r.code, "%v: %s", args, r.stdout)
		require.Contains(t, r.stderr, "Authorization_RequestDenied", "%v", args)
	}
	r := pat.runIn(t, "taken-over-4\n", withTenant([]string{"users", "set-password", bootstrap.DevAdmin, "--password-stdin"})...)
	require.Equal(t, exitError, r.code)
	require.Contains(t, r.stderr, "Authorization_RequestDenied")

	uma := newCLI(t)
	browserLogin(t, s, uma, "uma@woodgrove.test", staffPassword)
	uma.env[envServer] = s.base
	for _, role := range []string{directory.RoleTenantAdministrator, directory.RoleGuestInviter} {
		r := uma.run(t, withTenant([]string{"roles", "assign", "--user", "uma@woodgrove.test", "--role", role})...)
		require.Equal(t, exitError, r.code, r.stdout)
		require.Contains(t, r.stderr, "Authorization_RequestDenied")
	}
	// What a User Administrator may do, they do, as themself: among it,
	// set a member's password, which then signs in through the real pages.
	require.Equal(t, rolesBefore, uma.mustRun(t, withTenant([]string{"roles", "list"})...))
	uma.mustRun(t, withTenant([]string{"groups", "owners", "add", "--group", g, "--user", "pat@woodgrove.test"})...)
	r = uma.runIn(t, "second-password-2\n", withTenant([]string{"users", "set-password", "pat@woodgrove.test", "--password-stdin"})...)
	require.Equal(t, exitOK, r.code, r.stderr)
	require.Equal(t, "Set the password of pat@woodgrove.test.\n", r.stdout)
	browserLogin(t, s, newCLI(t), "pat@woodgrove.test", "second-password-2")
	r = uma.runIn(t, "short\n", withTenant([]string{"users", "set-password", "pat@woodgrove.test", "--password-stdin"})...)
	require.Equal(t, exitError, r.code)
	require.Contains(t, r.stderr, "'passwordProfile.password'")

	require.Equal(t, rolesBefore, s.cli.mustRun(t, withTenant([]string{"roles", "list"})...), "no role changed")
	require.NotContains(t, s.cli.mustRun(t, withTenant([]string{"users", "list"})...), "mal@woodgrove.test")
	var admin struct{ AccountEnabled bool }
	require.NoError(t, json.Unmarshal([]byte(s.cli.mustRun(t, withTenant([]string{"-o", "json", "users", "show", bootstrap.DevAdmin})...)), &admin))
	require.True(t, admin.AccountEnabled, "the admin is still enabled")
	require.NotContains(t, s.cli.mustRun(t, withTenant([]string{"apps", "owners", "list", bootstrap.DevClientID})...), "pat@")
	browserLogin(t, s, newCLI(t), bootstrap.DevAdmin, bootstrap.DevPassword) // the admin's password is unchanged
	s.shutdown(t)
}

// TestRemoteResendMatchesLocal resends one invitation through the API's
// resend and another on the database: the answers differ only in what is
// each invitation's own (ignored: ids, address, user principal name, the
// new link, and the expiry, a moment apart); the link is new either way
// and the list afterwards reads the same both ways.
func TestRemoteResendMatchesLocal(t *testing.T) {
	t.Parallel()
	b := newSideBySide(t)
	invite := func(email string) invitationOut {
		t.Helper()
		var inv invitationOut
		require.NoError(t, json.Unmarshal([]byte(b.local.mustRun(t, withTenant([]string{"-o", "json", "invite", "--email", email,
			"--redirect-url", bootstrap.DevRedirectURI, "--language", "fr-FR", "--no-mail"})...)), &inv))
		return inv
	}
	resent := func(c *cli, inv invitationOut) map[string]any {
		t.Helper()
		out := c.mustRun(t, withTenant([]string{"-o", "json", "invitations", "resend", inv.ID})...)
		var again invitationOut
		require.NoError(t, json.Unmarshal([]byte(out), &again))
		require.Equal(t, inv.ID, again.ID)
		require.NotEqual(t, inv.InviteRedeemURL, again.InviteRedeemURL)
		require.True(t, strings.HasPrefix(again.InviteRedeemURL, b.s.base+"/t/woodgrove/redeem?token="))
		var v map[string]any
		require.NoError(t, json.Unmarshal([]byte(out), &v))
		for _, k := range []string{"id", "invitedUserId", "invitedUserEmailAddress", "userPrincipalName", "inviteRedeemUrl", "expirationDateTime"} {
			require.Contains(t, v, k)
			delete(v, k)
		}
		return v
	}
	require.Equal(t, resent(b.local, invite("lo@partner.test")), resent(b.remote, invite("re@partner.test")))
	b.same(t, "invitations", "list", "--status", "PendingAcceptance")
	b.sameFailure(t, "invitations", "resend", "no-such-invitation")
	b.noLocalDatabase(t)
	b.s.shutdown(t)
}
