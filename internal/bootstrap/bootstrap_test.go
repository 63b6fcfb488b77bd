package bootstrap_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/internal/bootstrap"
	"github.com/foyer-idp/foyer/internal/directory"
	"github.com/foyer-idp/foyer/internal/secret"
	"github.com/foyer-idp/foyer/internal/store"
	"github.com/foyer-idp/foyer/internal/store/sqlstore/sqltest"
	"github.com/foyer-idp/foyer/keys"
)

// example is a file using every key.
const example = `
tenants:
  - slug: woodgrove
    displayName: Woodgrove Bank
    signingAlgorithm: ES256
    branding:
      logoUrl: https://woodgrove.example/logo.png
      accentColor: "#1f6feb"
      senderName: Woodgrove IT
    mfaPolicy: {required: everyone, periodSeconds: 30}
    members:
      - mail: admin@woodgrove.test
        displayName: Woodgrove Admin
        givenName: Ada
        surname: Admin
        passwordEnv: WOODGROVE_ADMIN_PASSWORD
        roles: [Tenant Administrator]
      - mail: Bob@Woodgrove.test
        displayName: Bob
        password: bobs-long-password
        accountEnabled: false
        roles: [Guest Inviter, User Administrator]
    groups:
      - displayName: Engineers
        description: Everyone who builds
        ownersCanInviteGuests: true
        members: [admin@woodgrove.test, bob@woodgrove.test]
        owners: [admin@woodgrove.test]
    applications:
      - clientId: portal
        displayName: Portal
        clientType: confidential
        secretEnv: PORTAL_SECRET
        redirectUris: [https://portal.woodgrove.example/callback]
        postLogoutRedirectUris: [https://portal.woodgrove.example/]
        grantTypes: [authorization_code, refresh_token, client_credentials]
        homePageUrl: https://portal.woodgrove.example
        firstParty: true
        assignmentRequired: true
        requiresMfa: true
        accessTokenFormat: opaque
        apiPermissions: [User.Invite.All]
      - clientId: reports
        displayName: Reports
      - clientId: spa
        displayName: SPA
        clientType: public
        redirectUris: [http://localhost:3000/callback]
  - slug: fabrikam
    displayName: Fabrikam
`

var env = map[string]string{
	"WOODGROVE_ADMIN_PASSWORD": "admin-password-from-env",
	"PORTAL_SECRET":            "portal-secret-of-at-least-32-characters!",
}

type fixture struct {
	store  store.Store
	dir    *directory.Directory
	keys   *keys.Manager
	deps   bootstrap.Deps
	now    time.Time
	hasher *secret.Hasher
}

func newFixture(t *testing.T, b sqltest.Backend) *fixture {
	t.Helper()
	st := b.OpenMigrated(t)
	master := secret.GenerateMasterKey()
	f := &fixture{store: st, now: time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC), hasher: master.Hasher("client-secrets")}
	passwords := secret.NewPasswordHasher(secret.Argon2Params{MemoryKiB: 64, Time: 1, Threads: 1}, 2)
	clock := func() time.Time { return f.now }
	var err error
	f.keys, err = keys.New(keys.Config{Store: st, Sealer: master.Sealer("signing-keys"), Now: clock})
	require.NoError(t, err)
	fed := &directory.FederationConfig{
		Sealer:      master.Sealer("idp-secrets"),
		Issuer:      func(t store.Tenant) string { return "https://foyer.example/t/" + t.Slug },
		CallbackURL: func(t store.Tenant) string { return "https://foyer.example/t/" + t.Slug + "/federation/callback" },
	}
	f.dir, err = directory.New(directory.Config{Store: st, SecretHasher: f.hasher, Passwords: passwords, Now: clock, Federation: fed})
	require.NoError(t, err)
	f.deps = bootstrap.Deps{
		Store: st, SecretHasher: f.hasher, Passwords: passwords, Keys: f.keys, Now: clock, Federation: fed,
		LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok },
	}
	return f
}

func parse(t *testing.T, doc string) bootstrap.File {
	t.Helper()
	file, err := bootstrap.Parse([]byte(doc))
	require.NoError(t, err)
	return file
}

func (f *fixture) auditCount(t *testing.T) int {
	t.Helper()
	events, err := f.store.ListAudit(t.Context(), store.AuditFilter{})
	require.NoError(t, err)
	return len(events)
}

func (f *fixture) tenant(t *testing.T, slug string) store.Tenant {
	t.Helper()
	tn, err := f.dir.Tenant(t.Context(), slug)
	require.NoError(t, err)
	return tn
}

func results(r bootstrap.Report) map[string]string {
	out := map[string]string{}
	for _, o := range r.Objects {
		out[o.Kind+" "+o.Tenant+"/"+o.Name] = o.Result
	}
	return out
}

func TestBootstrap(t *testing.T) {
	t.Parallel()
	tests := []sqltest.Case[*fixture]{
		{Name: "ApplyTwiceChangesNothing", Fn: testApplyTwiceChangesNothing},
		{Name: "UpdatesDeclaredFieldsOnly", Fn: testUpdatesDeclaredFieldsOnly},
		{Name: "InvalidFileWritesNothing", Fn: testInvalidFileWritesNothing},
		{Name: "DirectoryRefusalsNamePaths", Fn: testDirectoryRefusalsNamePaths},
		{Name: "Secrets", Fn: testSecrets},
		{Name: "Passwords", Fn: testPasswords},
		{Name: "DevFile", Fn: testDevFile},
	}
	sqltest.RunSuite(t, tests, newFixture)
}

func testApplyTwiceChangesNothing(t *testing.T, f *fixture) {
	ctx := t.Context()
	first, err := bootstrap.Apply(ctx, f.deps, parse(t, example))
	require.NoError(t, err)
	require.Equal(t, map[string]string{
		"tenant woodgrove/woodgrove":            "created",
		"member woodgrove/admin@woodgrove.test": "created",
		"member woodgrove/bob@woodgrove.test":   "created",
		"group woodgrove/Engineers":             "created",
		"application woodgrove/portal":          "created",
		"application woodgrove/reports":         "created",
		"application woodgrove/spa":             "created",
		"tenant fabrikam/fabrikam":              "created",
	}, results(first))
	require.True(t, first.Changed())

	tn := f.tenant(t, "woodgrove")
	require.Equal(t, "ES256", tn.SigningAlg)
	require.Equal(t, "#1f6feb", tn.Branding.AccentColor)
	for _, slug := range []string{"woodgrove", "fabrikam"} {
		ks, err := f.store.ListSigningKeys(ctx, f.tenant(t, slug).ID)
		require.NoError(t, err)
		require.Len(t, ks, 2, "active and next keys for %s", slug)
	}
	admin, err := f.dir.VerifyPassword(ctx, tn.ID, "admin@woodgrove.test", env["WOODGROVE_ADMIN_PASSWORD"])
	require.NoError(t, err, "passwordEnv is read through the injected lookup")
	roles, err := f.dir.UserRoles(ctx, tn.ID, admin.ID)
	require.NoError(t, err)
	require.Equal(t, []string{"Tenant Administrator"}, roles)
	bob, err := f.dir.User(ctx, tn.ID, "bob@woodgrove.test")
	require.NoError(t, err)
	require.False(t, bob.AccountEnabled)
	groups, err := f.dir.Groups(ctx, tn.ID)
	require.NoError(t, err)
	require.Len(t, groups, 1)
	members, err := f.dir.GroupMembers(ctx, tn.ID, groups[0].ID)
	require.NoError(t, err)
	require.Len(t, members, 2)

	portal, err := f.dir.Application(ctx, tn.ID, "portal")
	require.NoError(t, err)
	require.Equal(t, "opaque", portal.AccessTokenFormat)
	require.True(t, portal.FirstParty)
	require.True(t, portal.AssignmentRequired)
	require.True(t, portal.RequiresMFA)
	require.Equal(t, store.MFARequiredEveryone, tn.MFA.Required)
	_, err = f.dir.VerifyClientSecret(ctx, tn.ID, "portal", env["PORTAL_SECRET"])
	require.NoError(t, err)
	secrets, err := f.dir.ClientSecrets(ctx, tn.ID, portal.ID)
	require.NoError(t, err)
	require.Len(t, secrets, 1, "the chosen secret replaced the generated one")

	var reports *bootstrap.Object
	for i, o := range first.Objects {
		if o.Name == "reports" {
			reports = &first.Objects[i]
		}
	}
	require.NotNil(t, reports)
	require.NotNil(t, reports.Secret, "a confidential app without a declared secret shows its generated one once")
	_, err = f.dir.VerifyClientSecret(ctx, tn.ID, "reports", reports.Secret.Value)
	require.NoError(t, err)

	events := f.auditCount(t)
	second, err := bootstrap.Apply(ctx, f.deps, parse(t, example))
	require.NoError(t, err)
	require.False(t, second.Changed(), "%+v", second)
	require.Equal(t, len(first.Objects), second.Count(bootstrap.Unchanged))
	for _, o := range second.Objects {
		require.Nil(t, o.Secret, "no secret is generated again")
	}
	require.Equal(t, events, f.auditCount(t), "a second run writes no audit event")
}

func testUpdatesDeclaredFieldsOnly(t *testing.T, f *fixture) {
	ctx := t.Context()
	_, err := bootstrap.Apply(ctx, f.deps, parse(t, example))
	require.NoError(t, err)
	tn := f.tenant(t, "woodgrove")
	// Someone adds a member and an app by hand; the file never names them.
	extra, err := f.dir.CreateMember(ctx, tn.ID, directory.NewMember{DisplayName: "Extra", Mail: "extra@woodgrove.test"})
	require.NoError(t, err)
	_, _, err = f.dir.CreateApplication(ctx, tn.ID, directory.NewApplication{DisplayName: "Manual", ClientID: "manual"})
	require.NoError(t, err)

	f.now = f.now.Add(time.Hour)
	changed := strings.NewReplacer(
		"displayName: Woodgrove Bank", "displayName: Woodgrove Bank plc",
		"redirectUris: [https://portal.woodgrove.example/callback]", "redirectUris: [https://portal.woodgrove.example/cb2]",
		"roles: [Tenant Administrator]", "roles: [Tenant Administrator, Guest Inviter]",
		"members: [admin@woodgrove.test, bob@woodgrove.test]", "members: [admin@woodgrove.test, bob@woodgrove.test, extra@woodgrove.test]",
	).Replace(example)
	// Leaving a key out leaves its value alone.
	changed = strings.Replace(changed, "        accentColor: \"#1f6feb\"\n", "", 1)
	changed = strings.Replace(changed, "      senderName: Woodgrove IT\n", "", 1)
	r, err := bootstrap.Apply(ctx, f.deps, parse(t, changed))
	require.NoError(t, err)
	got := map[string][]string{}
	for _, o := range r.Objects {
		if o.Result == bootstrap.Updated {
			got[o.Kind+" "+o.Name] = o.Changed
		}
	}
	require.Equal(t, map[string][]string{
		"tenant woodgrove":            {"displayName"},
		"member admin@woodgrove.test": {"roles"},
		"group Engineers":             {"members"},
		"application portal":          {"redirectUris"},
	}, got)

	tn = f.tenant(t, "woodgrove")
	require.Equal(t, "Woodgrove Bank plc", tn.DisplayName)
	require.Equal(t, "#1f6feb", tn.Branding.AccentColor, "an undeclared field is left as it was")
	portal, err := f.dir.Application(ctx, tn.ID, "portal")
	require.NoError(t, err)
	require.Equal(t, []string{"https://portal.woodgrove.example/cb2"}, portal.RedirectURIs)
	_, err = f.dir.User(ctx, tn.ID, extra.ID)
	require.NoError(t, err, "what the file does not name is never deleted")
	_, err = f.dir.Application(ctx, tn.ID, "manual")
	require.NoError(t, err)

	all, err := f.store.ListAudit(ctx, store.AuditFilter{TenantID: tn.ID})
	require.NoError(t, err)
	var activities []string
	for _, e := range all {
		if e.Time.Equal(f.now) { // this run's, an hour after the first
			activities = append(activities, e.Activity+"/"+e.Result)
		}
	}
	require.ElementsMatch(t, []string{"Set company information/success", "Add member to role/success",
		"Add member to group/success", "Update application/success"}, activities, "every change is audited, and only the changes")
}

func testInvalidFileWritesNothing(t *testing.T, f *fixture) {
	bad := `
tenants:
  - slug: woodgrove
    displayName: Woodgrove
    branding: {accentColor: red}
    members:
      - mail: admin@woodgrove.test
        displayName: Admin
        passwordEnv: NOT_SET
        roles: [Global Emperor]
      - mail: ADMIN@woodgrove.test
        displayName: Twin
    groups:
      - displayName: Engineers
        members: [nobody@woodgrove.test]
    applications:
      - clientId: portal
        displayName: Portal
        secret: too-short
        redirectUris: ["https://*.woodgrove.example/cb"]
      - clientId: portal
        displayName: Again
      - clientId: spa
        displayName: SPA
        clientType: public
        secret: a-secret-for-a-public-client-is-wrong
        grantTypes: [client_credentials]
  - displayName: No slug
  - slug: Bad Slug
    displayName: Bad
`
	_, err := bootstrap.Apply(t.Context(), f.deps, parse(t, bad))
	require.Error(t, err)
	require.ErrorIs(t, err, directory.ErrInvalid)
	for _, want := range []string{
		"tenants[0].branding.accentColor: must be a colour",
		"tenants[0].members[0].passwordEnv: environment variable NOT_SET is not set",
		`tenants[0].members[0].roles[0]: "Global Emperor" is not one of`,
		`tenants[0].members[1].mail: "ADMIN@woodgrove.test" is declared twice (first at tenants[0].members[0])`,
		`tenants[0].groups[0].members[0]: "nobody@woodgrove.test" is no user of tenant "woodgrove"`,
		"tenants[0].applications[0].secret: is too short: at least 32 characters",
		`tenants[0].applications[0].redirectUris: "https://*.woodgrove.example/cb": wildcards are not allowed`,
		`tenants[0].applications[1].clientId: "portal" is declared twice (first at tenants[0].applications[0])`,
		"tenants[0].applications[2].secret: only a confidential application has a secret",
		"tenants[0].applications[2].grantTypes: client_credentials needs a confidential client",
		"tenants[1].slug: is required",
		"tenants[2].slug: must be 2–63 lower-case letters",
	} {
		require.Contains(t, err.Error(), want)
	}
	require.NotContains(t, err.Error(), "too-short", "no message quotes a secret")

	tenants, err := f.dir.Tenants(t.Context())
	require.NoError(t, err)
	require.Empty(t, tenants, "nothing written")
	require.Zero(t, f.auditCount(t), "not even an audit event")
}

func testDirectoryRefusalsNamePaths(t *testing.T, f *fixture) {
	_, err := bootstrap.Apply(t.Context(), f.deps, parse(t, example))
	require.NoError(t, err)
	events := f.auditCount(t)
	bad := strings.Replace(example, "clientType: public", "clientType: native", 1)
	bad = strings.Replace(bad, "mail: Bob@Woodgrove.test", "mail: bob@woodgrove.test\n        userPrincipalName: not-an-address", 1)
	_, err = bootstrap.Apply(t.Context(), f.deps, parse(t, bad))
	require.ErrorContains(t, err, "tenants[0].applications[2].clientType: is public and cannot change")
	require.ErrorContains(t, err, "tenants[0].members[1].userPrincipalName: must be an email address")
	require.Equal(t, events, f.auditCount(t))

	// A refused tenant's children are checked in the tenant as it is.
	_, err = bootstrap.Apply(t.Context(), f.deps, parse(t, `
tenants:
  - slug: woodgrove
    groups: [{displayName: Engineers, members: [admin@woodgrove.test]}]
    applications: [{clientId: x, displayName: X, redirectUris: ["http://example.com/cb"]}]
`))
	require.ErrorContains(t, err, "tenants[0].displayName: is required")
	require.ErrorContains(t, err, "tenants[0].applications[0].redirectUris:")
	require.NotContains(t, err.Error(), "is no user", "the existing members are found")
	require.Equal(t, events, f.auditCount(t))
}

func testSecrets(t *testing.T, f *fixture) {
	ctx := t.Context()
	_, err := bootstrap.Apply(ctx, f.deps, parse(t, example))
	require.NoError(t, err)
	tn := f.tenant(t, "woodgrove")
	env := map[string]string{"WOODGROVE_ADMIN_PASSWORD": "admin-password-from-env", "PORTAL_SECRET": "a-rotated-portal-secret-of-32-characters"}
	deps := f.deps
	deps.LookupEnv = func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	r, err := bootstrap.Apply(ctx, deps, parse(t, example))
	require.NoError(t, err)
	require.Equal(t, "updated", results(r)["application woodgrove/portal"])
	for _, s := range []string{"a-rotated-portal-secret-of-32-characters", "portal-secret-of-at-least-32-characters!"} {
		_, err = f.dir.VerifyClientSecret(ctx, tn.ID, "portal", s)
		require.NoError(t, err, "a new secret is added; the old one stays until removed")
	}
	r, err = bootstrap.Apply(ctx, deps, parse(t, example))
	require.NoError(t, err)
	require.False(t, r.Changed())

	deps.MinSecretLength = bootstrap.DevMinSecretLength
	short := strings.Replace(example, "secretEnv: PORTAL_SECRET", "secret: demo-secret", 1)
	_, err = bootstrap.Apply(ctx, deps, parse(t, short))
	require.NoError(t, err, "development mode accepts the dev seed's secret")
	_, err = f.dir.VerifyClientSecret(ctx, tn.ID, "portal", "demo-secret")
	require.NoError(t, err)
	_, err = bootstrap.Apply(ctx, f.deps, parse(t, short))
	require.ErrorContains(t, err, "secret: is too short", "outside it, 32 characters")

	both := strings.Replace(example, "secretEnv: PORTAL_SECRET", "secretEnv: PORTAL_SECRET\n        secret: x", 1)
	_, err = bootstrap.Apply(ctx, f.deps, parse(t, both))
	require.ErrorContains(t, err, "tenants[0].applications[0].secretEnv: give secret or secretEnv, not both")

	deps.LookupEnv = nil
	_, err = bootstrap.Apply(ctx, deps, parse(t, example))
	require.ErrorContains(t, err, "tenants[0].applications[0].secretEnv: environment variables cannot be read here")
}

func testPasswords(t *testing.T, f *fixture) {
	ctx := t.Context()
	_, err := bootstrap.Apply(ctx, f.deps, parse(t, example))
	require.NoError(t, err)
	tn := f.tenant(t, "woodgrove")
	bob, err := f.dir.User(ctx, tn.ID, "bob@woodgrove.test")
	require.NoError(t, err)
	require.NoError(t, f.dir.SetPassword(ctx, tn.ID, bob.ID, "bob-chose-another"))

	r, err := bootstrap.Apply(ctx, f.deps, parse(t, example))
	require.NoError(t, err)
	require.Equal(t, "updated", results(r)["member woodgrove/bob@woodgrove.test"], "a declared password is enforced, even for a disabled account")
	_, err = f.dir.VerifyPassword(ctx, tn.ID, "bob@woodgrove.test", "bobs-long-password")
	require.ErrorIs(t, err, directory.ErrAccountDisabled, "the file's password is back (and the account still disabled)")

	short := strings.Replace(example, "password: bobs-long-password", "password: short", 1)
	_, err = bootstrap.Apply(ctx, f.deps, parse(t, short))
	require.ErrorContains(t, err, "tenants[0].members[1].password: is too short")
}

func testDevFile(t *testing.T, f *fixture) {
	ctx := t.Context()
	deps := f.deps
	deps.MinSecretLength = bootstrap.DevMinSecretLength
	deps.LookupEnv = nil
	r, err := bootstrap.Apply(ctx, deps, bootstrap.DevFile("http://localhost:8080/"))
	require.NoError(t, err)
	require.Equal(t, 7, r.Count(bootstrap.Created), "%+v", r)

	wg := f.tenant(t, "woodgrove")
	require.Equal(t, "WoodGrove", wg.DisplayName)
	admin, err := f.dir.VerifyPassword(ctx, wg.ID, "admin@woodgrove.test", "foyer-dev")
	require.NoError(t, err)
	roles, err := f.dir.UserRoles(ctx, wg.ID, admin.ID)
	require.NoError(t, err)
	require.Equal(t, []string{directory.RoleTenantAdministrator}, roles)
	fb := f.tenant(t, "fabrikam")
	require.Equal(t, "Fabrikam", fb.DisplayName)
	_, err = f.dir.VerifyPassword(ctx, fb.ID, "sam@fabrikam.test", "foyer-dev")
	require.NoError(t, err)
	owner, ok, err := f.dir.DomainTenant(ctx, bootstrap.DevFabrikamMember)
	require.NoError(t, err)
	require.True(t, ok, "fabrikam verified fabrikam.test")
	require.Equal(t, fb.ID, owner.ID)

	app, err := f.dir.VerifyClientSecret(ctx, wg.ID, "demo-app", "demo-secret")
	require.NoError(t, err)
	require.Equal(t, directory.APIPermissions, app.APIPermissions)
	require.ElementsMatch(t, []string{"authorization_code", "refresh_token", "client_credentials"}, app.GrantTypes)
	require.Equal(t, []string{"http://127.0.0.1:5556/callback"}, app.RedirectURIs)
	secrets, err := f.dir.ClientSecrets(ctx, wg.ID, app.ID)
	require.NoError(t, err)
	require.Len(t, secrets, 1, "only demo-secret")
	cli, err := f.dir.Application(ctx, wg.ID, "demo-cli")
	require.NoError(t, err)
	require.Equal(t, store.ClientNative, cli.ClientType)
	require.Contains(t, cli.GrantTypes, directory.GrantDeviceCode, "the CLI signs in with the device flow")
	demo, err := f.dir.Application(ctx, wg.ID, "foyer-demo")
	require.NoError(t, err)
	require.Equal(t, store.ClientPublic, demo.ClientType)
	require.Equal(t, "Foyer demo", demo.DisplayName)
	require.Equal(t, []string{"http://localhost:8080/demo/callback"}, demo.RedirectURIs)
	require.Equal(t, []string{"http://localhost:8080/demo"}, demo.PostLogoutRedirectURIs)
	for _, o := range r.Objects {
		require.Nil(t, o.Secret, "every dev secret is a known one")
	}

	events := f.auditCount(t)
	again, err := bootstrap.Apply(ctx, deps, bootstrap.DevFile("http://localhost:8080"))
	require.NoError(t, err)
	require.False(t, again.Changed(), "serve --dev seeds on every start without noise")
	require.Equal(t, events, f.auditCount(t))
}

func TestParseRefusesUnknownKeys(t *testing.T) {
	t.Parallel()
	_, err := bootstrap.Parse([]byte(`
tenants:
  - slug: woodgrove
    displayName: Woodgrove
    colour: blue
    applications:
      - clientId: portal
        displayName: Portal
        secrett: x
`))
	require.ErrorContains(t, err, "line 5: field colour not found")
	require.ErrorContains(t, err, "line 9: field secrett not found")

	_, err = bootstrap.Parse([]byte("  \n"))
	require.ErrorContains(t, err, "empty")
	_, err = bootstrap.Parse([]byte("tenants: []\n---\ntenants: []\n"))
	require.ErrorContains(t, err, "more than one YAML document")
	_, err = bootstrap.Parse([]byte("tenants: {slug: x}\n"))
	require.Error(t, err)
}

func TestApplyChecksDeps(t *testing.T) {
	t.Parallel()
	_, err := bootstrap.Apply(context.Background(), bootstrap.Deps{MinSecretLength: -1}, bootstrap.File{})
	for _, want := range []string{"Store", "SecretHasher", "Passwords", "Keys", "MinSecretLength"} {
		require.ErrorContains(t, err, want)
	}
}

// failingKeys makes Ensure fail, to show key errors surface after the
// directory changes committed.
type failingKeys struct{}

func (failingKeys) Ensure(context.Context, string) error { return errors.New("no entropy today") }

func TestKeyFailureIsReported(t *testing.T) {
	t.Parallel()
	f := newFixture(t, sqltest.Backends()[0])
	deps := f.deps
	deps.Keys = failingKeys{}
	r, err := bootstrap.Apply(t.Context(), deps, parse(t, "tenants: [{slug: woodgrove, displayName: W}]"))
	require.ErrorContains(t, err, "no entropy today")
	require.Equal(t, 1, r.Count(bootstrap.Created), "the report still says what was written")
}

// TestREADMEExample applies the README's example file, so the
// documentation never shows a file Foyer refuses.
func TestREADMEExample(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	_, block, found := strings.Cut(string(readme), "```yaml\n# foyer-bootstrap.yaml\n")
	require.True(t, found, "the README shows a bootstrap file")
	block, _, found = strings.Cut(block, "```")
	require.True(t, found)

	f := newFixture(t, sqltest.Backends()[0])
	file := parse(t, block)
	deps := f.deps
	deps.LookupEnv = func(k string) (string, bool) {
		v, ok := map[string]string{
			"WOODGROVE_ADMIN_PASSWORD": "a-long-admin-password",
			"PORTAL_SECRET":            "portal-secret-of-at-least-32-characters!",
			"FABRIKAM_CLIENT_SECRET":   "fabrikam-client-secret",
		}[k]
		return v, ok
	}
	r, err := bootstrap.Apply(t.Context(), deps, file)
	require.NoError(t, err)
	require.Equal(t, 7, r.Count(bootstrap.Created))
	r, err = bootstrap.Apply(t.Context(), deps, file)
	require.NoError(t, err)
	require.False(t, r.Changed())
}
