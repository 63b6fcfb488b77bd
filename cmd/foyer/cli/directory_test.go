package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/internal/audit"
	"github.com/foyer-idp/foyer/internal/directory"
	"github.com/foyer-idp/foyer/internal/secret"
	"github.com/foyer-idp/foyer/internal/store"
	"github.com/foyer-idp/foyer/internal/store/sqlstore"
)

// walk runs commands the way the README's CLI walkthrough shows them and
// keeps what it ran and everything the commands printed.
type walk struct {
	t        *testing.T
	c        *cli
	vars     map[string]string // "$NAME" arguments stand for these
	commands []string          // as the README shows them
	output   strings.Builder   // stdout and stderr of every command
}

func newWalk(t *testing.T) *walk {
	return &walk{t: t, c: newCLI(t), vars: map[string]string{}}
}

// run runs a command that has to succeed and answers its stdout.
func (w *walk) run(stdin string, args ...string) string {
	w.t.Helper()
	w.commands = append(w.commands, "go run ./cmd/foyer "+shellWords(args))
	expanded := make([]string, len(args))
	for i, arg := range args {
		expanded[i] = arg
		if v, ok := w.vars[strings.TrimPrefix(arg, "$")]; ok && strings.HasPrefix(arg, "$") {
			expanded[i] = v
		}
	}
	r := w.c.runIn(w.t, stdin, expanded...)
	w.output.WriteString(r.stdout + r.stderr)
	require.Equal(w.t, exitOK, r.code, "foyer %v failed:\n%s", args, r.stderr)
	return r.stdout
}

var shellSafe = regexp.MustCompile(`^[A-Za-z0-9_@%+=:,./-]+$`)

// shellWords quotes args as a person would type them.
func shellWords(args []string) string {
	words := make([]string, len(args))
	for i, arg := range args {
		words[i] = arg
		if !shellSafe.MatchString(arg) {
			words[i] = `"` + arg + `"`
		}
	}
	return strings.Join(words, " ")
}

// TestDirectoryWalkthrough is the README's CLI walkthrough: a tenant, its
// first admin, a group and a confidential application, and what the audit
// log says about them. Hashes never show; a client secret shows once.
func TestDirectoryWalkthrough(t *testing.T) {
	t.Parallel()
	w := newWalk(t)
	const password = "correct horse battery staple"

	require.Contains(t, w.run("", "tenants", "create", "--slug", "woodgrove", "--name", "Woodgrove Bank"), "woodgrove")
	created := w.run(password+"\n", "users", "create", "--tenant", "woodgrove", "--mail", "admin@woodgrove.test",
		"--name", "Woodgrove Admin", "--password-stdin", "--role", directory.RoleTenantAdministrator)
	require.Contains(t, created, directory.RoleTenantAdministrator)

	var users []store.User
	out := w.run("", "users", "list", "--tenant", "woodgrove", "-o", "json")
	require.NoError(t, json.Unmarshal([]byte(out), &users), out)
	require.Len(t, users, 1)
	require.Equal(t, "admin@woodgrove.test", users[0].UserPrincipalName)
	requireNoHash(t, out)

	var group groupDetail
	out = w.run("", "groups", "create", "--tenant", "woodgrove", "--name", "Engineers", "-o", "json")
	require.NoError(t, json.Unmarshal([]byte(out), &group), out)
	w.vars["GROUP"] = group.ID
	require.Contains(t, w.run("", "groups", "members", "add", "--tenant", "woodgrove", "--group", "$GROUP", "--user", "admin@woodgrove.test"),
		"admin@woodgrove.test")

	out = w.run("", "apps", "create", "--tenant", "woodgrove", "--name", "Demo App", "--client-id", "demo-app",
		"--type", "confidential", "--redirect-uri", "http://localhost:5556/callback",
		"--grant", "authorization_code", "--grant", "client_credentials", "--permission", "User.Invite.All")
	clientSecret := secretIn(t, out)
	require.Contains(t, out, "will not show it again")

	out = w.run("", "apps", "show", "--tenant", "woodgrove", "demo-app", "-o", "json")
	var shown appDetail
	require.NoError(t, json.Unmarshal([]byte(out), &shown), out)
	require.Equal(t, []string{"http://localhost:5556/callback"}, shown.RedirectURIs)
	require.Len(t, shown.Secrets, 1)
	require.Equal(t, clientSecret[:3], shown.Secrets[0].Hint)
	requireNoHash(t, out)

	secondSecret := secretIn(t, w.run("", "apps", "secrets", "add", "--tenant", "woodgrove", "demo-app", "--expires-in", "8760h"))
	require.NotEqual(t, clientSecret, secondSecret)
	secrets := w.run("", "apps", "secrets", "list", "--tenant", "woodgrove", "demo-app")
	require.Contains(t, secrets, clientSecret[:3]+"…")
	require.Contains(t, secrets, secondSecret[:3]+"…")

	keyRows := strings.Split(strings.TrimSpace(w.run("", "keys", "list", "--tenant", "woodgrove")), "\n")
	require.Len(t, keyRows, 3, "a header and two keys: %q", keyRows)
	require.Contains(t, keyRows[1]+keyRows[2], "active")
	require.Contains(t, keyRows[1]+keyRows[2], "next")

	var events []store.AuditEvent
	out = w.run("", "audit", "list", "--tenant", "woodgrove", "-o", "json")
	require.NoError(t, json.Unmarshal([]byte(out), &events), out)
	byActivity := map[string]store.AuditEvent{}
	for _, e := range events {
		byActivity[e.Activity] = e
	}
	for _, activity := range []string{
		audit.ActivityCreateTenant, audit.ActivityAddUser, audit.ActivityAddRoleMember,
		audit.ActivityAddGroup, audit.ActivityAddGroupMember, audit.ActivityAddApplication,
	} {
		e, ok := byActivity[activity]
		require.True(t, ok, "no %q event in %s", activity, out)
		require.Equal(t, store.ResultSuccess, e.Result, activity)
		require.Equal(t, store.ActorSystem, e.ActorType, activity)
		require.Equal(t, "cli:tester", e.ActorName, activity)
	}

	// Each secret showed once, where it was made; no hash showed at all.
	all := w.output.String()
	require.Equal(t, 1, strings.Count(all, clientSecret))
	require.Equal(t, 1, strings.Count(all, secondSecret))
	require.NotContains(t, all, password)
	for _, hash := range storedHashes(t, w.c, clientSecret, secondSecret) {
		require.NotContains(t, all, hash)
	}
	require.NotContains(t, all, "$argon2id")

	readme, err := os.ReadFile("../../../README.md")
	require.NoError(t, err)
	// The README may break a long command over lines.
	text := regexp.MustCompile(` \\\n\s*`).ReplaceAllString(string(readme), " ")
	for _, cmd := range w.commands {
		require.True(t, strings.Contains(text, cmd),
			"the README's walkthrough should show the commands this test runs; it lacks\n%s\nof\n%s", cmd, strings.Join(w.commands, "\n"))
	}
}

var secretLine = regexp.MustCompile(`Client secret:\s+(\S+)`)

// secretIn answers the client secret a table shows.
func secretIn(t *testing.T, out string) string {
	t.Helper()
	m := secretLine.FindStringSubmatch(out)
	require.NotNil(t, m, "no client secret in:\n%s", out)
	require.Len(t, m[1], 43, "256 bits, base64url")
	return m[1]
}

// requireNoHash asserts JSON output names no hash field.
func requireNoHash(t *testing.T, out string) {
	t.Helper()
	require.NotContains(t, strings.ToLower(out), "hash")
}

// storedHashes reads the hashes Foyer stored: every user's password hash,
// and the keyed hashes of the client secrets given.
func storedHashes(t *testing.T, c *cli, clientSecrets ...string) []string {
	t.Helper()
	ctx := t.Context()
	st, err := sqlstore.OpenSQLite(ctx, filepath.Join(c.dataDir, "foyer.db"))
	require.NoError(t, err)
	defer st.Close()
	var hashes []string
	tenants, err := st.ListTenants(ctx)
	require.NoError(t, err)
	for _, tn := range tenants {
		users, err := st.ListUsers(ctx, tn.ID, store.UserFilter{})
		require.NoError(t, err)
		for _, u := range users {
			if u.PasswordHash != "" {
				hashes = append(hashes, u.PasswordHash)
			}
		}
	}
	require.NotEmpty(t, hashes, "a password was set")
	master, _, err := secret.LoadOrCreateKeyFile(filepath.Join(c.dataDir, "master.key"))
	require.NoError(t, err)
	for _, s := range clientSecrets {
		hashes = append(hashes, master.Hasher(clientSecretsPurpose).Hash(s))
	}
	return hashes
}

// TestDirectoryRefusals: bad input fails naming the field, and a refused
// create leaves nothing behind.
func TestDirectoryRefusals(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	c.mustRun(t, "tenants", "create", "--slug", "woodgrove", "--name", "Woodgrove Bank", "--signing-alg", "ES256")
	c.mustRun(t, "users", "create", "--tenant", "woodgrove", "--mail", "admin@woodgrove.test", "--name", "Admin")
	c.mustRun(t, "apps", "create", "--tenant", "woodgrove", "--name", "Demo", "--client-id", "demo-app",
		"--redirect-uri", "http://localhost:5556/callback")

	tenants := []string{"tenants", "list", "-o", "json"}
	users := []string{"users", "list", "--tenant", "woodgrove", "-o", "json"}
	apps := []string{"apps", "list", "--tenant", "woodgrove", "-o", "json"}
	newUser := []string{"users", "create", "--tenant", "woodgrove", "--name", "Sam"}
	newApp := []string{"apps", "create", "--tenant", "woodgrove", "--name", "Bad"}
	for _, tc := range []struct {
		name  string
		args  []string
		stdin string
		code  int
		want  string // in stderr
		list  []string
	}{
		{"duplicate slug", []string{"tenants", "create", "--slug", "woodgrove", "--name", "Again"}, "", exitError, "slug:", tenants},
		{"bad slug and name at once", []string{"tenants", "create", "--slug", "Wood Grove", "--name", " "}, "", exitError, "displayName:", tenants},
		{"invalid email", append(newUser, "--mail", "sam(at)woodgrove"), "", exitError, "mail:", users},
		{"taken email", append(newUser, "--mail", "ADMIN@woodgrove.test"), "", exitError, "mail", users},
		{"short password", append(newUser, "--mail", "sam@woodgrove.test", "--password-stdin"), "hunter2\n", exitError, "password:", users},
		{"no password on stdin", append(newUser, "--mail", "sam@woodgrove.test", "--password-stdin"), "", exitUsage, "--password-stdin", users},
		{"unknown role", append(newUser, "--mail", "sam@woodgrove.test", "--role", "Chief Wizard"), "", exitError, "role:", users},
		{"redirect URI with a fragment", append(newApp, "--redirect-uri", "https://app.woodgrove.test/cb#x"), "", exitError, "redirectUris:", apps},
		{"redirect URI with a wildcard", append(newApp, "--redirect-uri", "https://*.woodgrove.test/cb"), "", exitError, "redirectUris:", apps},
		{"taken client id", append(newApp, "--client-id", "demo-app"), "", exitError, "appId:", apps},
		{"public client with client_credentials", append(newApp, "--type", "public", "--grant", "client_credentials"), "", exitError, "grantTypes:", apps},
		{"unknown tenant", []string{"users", "create", "--tenant", "nobody", "--mail", "sam@woodgrove.test", "--name", "Sam"}, "", exitError, `no tenant with slug "nobody"`, users},
		{"missing --tenant", []string{"users", "create", "--mail", "sam@woodgrove.test", "--name", "Sam"}, "", exitUsage, "--tenant is required", users},
		{"missing --name", []string{"apps", "create", "--tenant", "woodgrove"}, "", exitUsage, "--name is required", apps},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := c.mustRun(t, tc.list...)
			r := c.runIn(t, tc.stdin, tc.args...)
			require.Equal(t, tc.code, r.code, "stdout:\n%s\nstderr:\n%s", r.stdout, r.stderr)
			require.True(t, strings.HasPrefix(r.stderr, "foyer: "), r.stderr)
			require.Contains(t, r.stderr, tc.want)
			require.Empty(t, r.stdout)
			require.NotContains(t, r.stderr, "hunter2", "the password is not repeated")
			require.JSONEq(t, before, c.mustRun(t, tc.list...), "nothing half-written")
		})
	}

	t.Run("unknown role to assign", func(t *testing.T) {
		r := c.run(t, "roles", "assign", "--tenant", "woodgrove", "--user", "admin@woodgrove.test", "--role", "Chief Wizard")
		require.Equal(t, exitError, r.code)
		require.Contains(t, r.stderr, "role:")
		var roles []roleMembers
		require.NoError(t, json.Unmarshal([]byte(c.mustRun(t, "roles", "list", "--tenant", "woodgrove", "-o", "json")), &roles))
		require.Len(t, roles, len(directory.Roles))
		for _, r := range roles {
			require.Empty(t, r.Members, r.Role)
		}
	})
	t.Run("unknown references", func(t *testing.T) {
		for args, want := range map[string]string{
			"users show --tenant woodgrove nobody@woodgrove.test":                            `no user "nobody@woodgrove.test" in tenant "woodgrove"`,
			"roles assign --tenant woodgrove --user nobody --role Guest":                     `no user "nobody"`,
			"groups show --tenant woodgrove 0000":                                            `no group "0000" in tenant "woodgrove"`,
			"groups members add --tenant woodgrove --group 0000 --user admin@woodgrove.test": `no group "0000"`,
			"apps show --tenant woodgrove nope":                                              `no application "nope" in tenant "woodgrove"`,
			"apps owners list --tenant woodgrove nope":                                       `no application "nope"`,
			"tenants show nobody":                                                            `no tenant with slug "nobody"`,
		} {
			r := c.run(t, strings.Fields(args)...)
			require.Equal(t, exitError, r.code, args)
			require.Contains(t, r.stderr, want, args)
		}
	})
}

// TestDirectoryChanges: updates change only what is given, memberships and
// assignments come and go, and deletes cascade.
func TestDirectoryChanges(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	decode := func(out string, v any) {
		t.Helper()
		require.NoError(t, json.Unmarshal([]byte(out), v), out)
	}
	in := func(args ...string) []string { return append(args, "--tenant", "acme", "-o", "json") }
	c.mustRun(t, "tenants", "create", "--slug", "acme", "--name", "Acme", "--signing-alg", "ES256")
	var alice, bob userDetail
	decode(c.mustRun(t, in("users", "create", "--mail", "alice@acme.test", "--name", "Alice")...), &alice)
	decode(c.mustRun(t, in("users", "create", "--upn", "bob@acme.test", "--name", "Bob", "--disabled")...), &bob)
	require.True(t, alice.AccountEnabled)
	require.False(t, bob.AccountEnabled)
	require.Empty(t, bob.Mail)

	t.Run("tenant update changes only what is given", func(t *testing.T) {
		var tn store.Tenant
		decode(c.mustRun(t, "tenants", "update", "acme", "--accent-color", "#1f6feb", "-o", "json"), &tn)
		require.Equal(t, "Acme", tn.DisplayName)
		require.Equal(t, "#1f6feb", tn.Branding.AccentColor)
		require.Equal(t, "ES256", tn.SigningAlg)
		r := c.run(t, "tenants", "update", "acme", "--signing-alg", "EdDSA")
		require.Equal(t, exitOK, r.code, r.stderr)
		require.Contains(t, r.stderr, "two rotations")
		decode(c.mustRun(t, "tenants", "show", "acme", "-o", "json"), &tn)
		require.Equal(t, "EdDSA", tn.SigningAlg)
		require.Equal(t, "#1f6feb", tn.Branding.AccentColor)
	})

	t.Run("user update, password and roles", func(t *testing.T) {
		var u userDetail
		decode(c.mustRun(t, in("users", "update", "bob@acme.test", "--enabled=true", "--surname", "Builder")...), &u)
		require.True(t, u.AccountEnabled)
		require.Equal(t, "Builder", u.Surname)
		require.Equal(t, "Bob", u.DisplayName)

		r := c.run(t, "users", "set-password", "--tenant", "acme", "bob@acme.test", "--password", "a long enough password")
		require.Equal(t, exitOK, r.code, r.stderr)
		require.Contains(t, r.stderr, "process list")
		require.NotContains(t, r.stdout+r.stderr, "a long enough password")

		var roles []string
		decode(c.mustRun(t, in("roles", "assign", "--user", bob.ID, "--role", directory.RoleGuestInviter)...), &roles)
		require.Equal(t, []string{directory.RoleGuestInviter}, roles)
		var holders []roleMembers
		decode(c.mustRun(t, in("roles", "list", "--role", directory.RoleGuestInviter)...), &holders)
		require.Len(t, holders, 1)
		require.Equal(t, bob.ID, holders[0].Members[0].ID)
		decode(c.mustRun(t, in("roles", "unassign", "--user", "bob@acme.test", "--role", directory.RoleGuestInviter)...), &roles)
		require.Empty(t, roles)
	})

	var group groupDetail
	decode(c.mustRun(t, in("groups", "create", "--name", "Staff", "--description", "everyone")...), &group)

	t.Run("group members and owners", func(t *testing.T) {
		var users []store.User
		decode(c.mustRun(t, in("groups", "owners", "add", "--group", group.ID, "--user", "alice@acme.test")...), &users)
		require.Len(t, users, 1)
		decode(c.mustRun(t, in("groups", "members", "list", "--group", group.ID)...), &users)
		require.Empty(t, users, "an owner is not a member")
		decode(c.mustRun(t, in("groups", "members", "add", "--group", group.ID, "--user", bob.ID)...), &users)
		require.Equal(t, bob.ID, users[0].ID)

		var g groupDetail
		decode(c.mustRun(t, in("groups", "update", group.ID, "--owners-can-invite")...), &g)
		require.True(t, g.OwnersCanInviteGuests)
		require.Equal(t, "everyone", g.Description)
		require.Len(t, g.Members, 1)
		require.Len(t, g.Owners, 1)

		var u userDetail
		decode(c.mustRun(t, in("users", "show", "bob@acme.test")...), &u)
		require.Equal(t, group.ID, u.MemberOf[0].ID)

		decode(c.mustRun(t, in("groups", "owners", "remove", "--group", group.ID, "--user", "alice@acme.test")...), &users)
		require.Empty(t, users)
	})

	t.Run("application update, owners, assignments and secrets", func(t *testing.T) {
		out := c.mustRun(t, in("apps", "create", "--name", "SPA", "--client-id", "spa", "--type", "public",
			"--redirect-uri", "http://localhost:3000/cb")...)
		require.NotContains(t, out, "passwordCredential", "a public client has no secret")

		var app appDetail
		decode(c.mustRun(t, in("apps", "update", "spa", "--redirect-uri", "https://spa.acme.test/cb",
			"--redirect-uri", "http://localhost:3000/cb", "--assignment-required")...), &app)
		require.Equal(t, []string{"https://spa.acme.test/cb", "http://localhost:3000/cb"}, app.RedirectURIs)
		require.True(t, app.AssignmentRequired)
		require.Equal(t, "SPA", app.DisplayName)

		var users []store.User
		decode(c.mustRun(t, in("apps", "owners", "add", "spa", "--user", "alice@acme.test")...), &users)
		require.Len(t, users, 1)

		var assignments []store.Assignment
		decode(c.mustRun(t, in("apps", "assign", "spa", "--group", group.ID)...), &assignments)
		require.Len(t, assignments, 1)
		decode(c.mustRun(t, in("apps", "assign", app.ID, "--user", "alice@acme.test")...), &assignments)
		require.Len(t, assignments, 2)
		table := c.mustRun(t, "apps", "show", "--tenant", "acme", "spa")
		require.Contains(t, table, "Staff")
		require.Contains(t, table, "alice@acme.test")
		decode(c.mustRun(t, in("apps", "unassign", "spa", "--principal", group.ID)...), &assignments)
		require.Len(t, assignments, 1)
		require.Equal(t, alice.ID, assignments[0].PrincipalID)

		r := c.run(t, "apps", "secrets", "add", "--tenant", "acme", "spa")
		require.Equal(t, exitError, r.code)
		require.Contains(t, r.stderr, "clientType:")

		c.mustRun(t, "apps", "create", "--tenant", "acme", "--name", "API", "--client-id", "api", "--grant", "client_credentials")
		var secrets []store.ClientSecret
		decode(c.mustRun(t, in("apps", "secrets", "list", "api")...), &secrets)
		require.Len(t, secrets, 1)
		decode(c.mustRun(t, in("apps", "secrets", "remove", "api", secrets[0].ID)...), &secrets)
		require.Empty(t, secrets)
		r = c.run(t, "apps", "secrets", "remove", "--tenant", "acme", "api", "0000")
		require.Equal(t, exitError, r.code)
		require.Contains(t, r.stderr, "keyId:")
	})

	t.Run("deletes", func(t *testing.T) {
		c.mustRun(t, "apps", "delete", "--tenant", "acme", "spa")
		c.mustRun(t, "groups", "delete", "--tenant", "acme", group.ID)
		require.Contains(t, c.mustRun(t, "users", "delete", "--tenant", "acme", "bob@acme.test"), "Deleted user bob@acme.test")
		var users []store.User
		decode(c.mustRun(t, in("users", "list")...), &users)
		require.Len(t, users, 1)
		require.Equal(t, alice.ID, users[0].ID)

		c.mustRun(t, "tenants", "delete", "acme")
		require.JSONEq(t, `[]`, c.mustRun(t, "tenants", "list", "-o", "json"))
		r := c.run(t, "users", "list", "--tenant", "acme")
		require.Equal(t, exitError, r.code)
		require.Contains(t, r.stderr, `no tenant with slug "acme"`)
	})
}
