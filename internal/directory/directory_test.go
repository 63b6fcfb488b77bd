package directory_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/internal/directory"
	"github.com/foyer-idp/foyer/internal/mail"
	"github.com/foyer-idp/foyer/internal/secret"
	"github.com/foyer-idp/foyer/internal/store"
	"github.com/foyer-idp/foyer/internal/store/sqlstore/sqltest"
)

type fixture struct {
	dir    *directory.Directory
	store  store.Store
	now    time.Time
	hasher *secret.Hasher
	// idpSealer is the directory's Federation.Sealer; checkURL, when set,
	// is its CheckURL.
	idpSealer *secret.Sealer
	checkURL  func(ctx context.Context, rawURL string) error
}

// cheap argon2 parameters keep tests fast; the code path is the same.
var testArgon2 = secret.Argon2Params{MemoryKiB: 64, Time: 1, Threads: 1}

func newFixture(t testing.TB, b sqltest.Backend) *fixture {
	t.Helper()
	st := b.OpenMigrated(t)
	f := &fixture{store: st, now: time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)}
	master := secret.GenerateMasterKey()
	f.hasher = master.Hasher("tokens")
	f.idpSealer = master.Sealer("idp-secrets")
	outbox, err := mail.NewOutbox(mail.OutboxConfig{
		Store: st, Sealer: master.Sealer("mail"), Sender: noSender{}, Logger: slog.New(slog.DiscardHandler),
		Rand: func() float64 { return 0.5 }, Now: func() time.Time { return f.now },
	})
	require.NoError(t, err)
	f.dir, err = directory.New(directory.Config{
		Store:        st,
		SecretHasher: master.Hasher("client-secrets"),
		Passwords:    secret.NewPasswordHasher(testArgon2, 2),
		Now:          func() time.Time { return f.now },
		Invitations: &directory.InvitationConfig{
			Hasher:        f.hasher,
			Mailer:        outbox,
			InitialDomain: func(t store.Tenant) string { return t.Slug + ".localhost" },
			RedeemURL: func(t store.Tenant, token string) string {
				return "https://foyer.localhost/t/" + t.Slug + "/redeem?token=" + token
			},
			BlockURL: func(t store.Tenant, token string) string {
				return "https://foyer.localhost/t/" + t.Slug + "/redeem/block?token=" + token
			},
		},
		Federation: &directory.FederationConfig{
			Sealer: f.idpSealer,
			CheckURL: func(ctx context.Context, rawURL string) error {
				if f.checkURL == nil {
					return nil
				}
				return f.checkURL(ctx, rawURL)
			},
			Issuer:      func(t store.Tenant) string { return "https://foyer.localhost/t/" + t.Slug },
			CallbackURL: func(t store.Tenant) string { return "https://foyer.localhost/t/" + t.Slug + "/federation/callback" },
		},
	})
	require.NoError(t, err)
	return f
}

func (f *fixture) tenant(t testing.TB, slug string) store.Tenant {
	t.Helper()
	tn, err := f.dir.CreateTenant(t.Context(), directory.NewTenant{Slug: slug, DisplayName: strings.ToUpper(slug)})
	require.NoError(t, err)
	return tn
}

func (f *fixture) member(t *testing.T, tenantID, mail string) store.User {
	t.Helper()
	u, err := f.dir.CreateMember(t.Context(), tenantID, directory.NewMember{DisplayName: mail, Mail: mail, Password: "foyer-dev-pw"})
	require.NoError(t, err)
	return u
}

// requireFields asserts err is a validation error naming exactly these
// fields (in any order, each at least once).
func requireFields(t *testing.T, err error, sentinel error, fields ...string) {
	t.Helper()
	require.Error(t, err)
	require.ErrorIs(t, err, sentinel)
	for _, field := range fields {
		require.Contains(t, err.Error(), field+":", "error should name %s", field)
	}
}

func (f *fixture) auditActivities(t *testing.T, tenantID string) []string {
	t.Helper()
	events, err := f.store.ListAudit(t.Context(), store.AuditFilter{TenantID: tenantID})
	require.NoError(t, err)
	var out []string
	for _, e := range events {
		out = append(out, e.Activity+"/"+e.Result)
	}
	return out
}

// TestDirectory runs every directory test on each storage back end.
func TestDirectory(t *testing.T) {
	t.Parallel()
	tests := []sqltest.Case[*fixture]{
		{Name: "CreateTenant", Fn: testCreateTenant},
		{Name: "CreateTenantReportsEveryProblem", Fn: testCreateTenantReportsEveryProblem},
		{Name: "UpdateTenantKeepsSlugAndValidates", Fn: testUpdateTenantKeepsSlugAndValidates},
		{Name: "DeleteTenantKeepsAudit", Fn: testDeleteTenantKeepsAudit},
		{Name: "CreateMember", Fn: testCreateMember},
		{Name: "CreateMemberRefusesBadInput", Fn: testCreateMemberRefusesBadInput},
		{Name: "VerifyPassword", Fn: testVerifyPassword},
		{Name: "UpdateUserRenamesLocalIdentity", Fn: testUpdateUserRenamesLocalIdentity},
		{Name: "DisablingEndsSignInsForGood", Fn: testDisablingEndsSignInsForGood},
		{Name: "DeleteUser", Fn: testDeleteUser},
		{Name: "Groups", Fn: testGroups},
		{Name: "Roles", Fn: testRoles},
		{Name: "ErrorsAreFieldErrors", Fn: testErrorsAreFieldErrors},
		{Name: "CreateConfidentialApplicationShowsSecretOnce", Fn: testCreateConfidentialApplicationShowsSecretOnce},
		{Name: "VerifyClientSecretRefuses", Fn: testVerifyClientSecretRefuses},
		{Name: "ClientSecretRolloverAndExpiry", Fn: testClientSecretRolloverAndExpiry},
		{Name: "ApplicationRedirectURIRules", Fn: testApplicationRedirectURIRules},
		{Name: "ApplicationRefusesBadSettings", Fn: testApplicationRefusesBadSettings},
		{Name: "PublicApplicationHasNoSecret", Fn: testPublicApplicationHasNoSecret},
		{Name: "UpdateApplication", Fn: testUpdateApplication},
		{Name: "AssignmentsAndOwners", Fn: testAssignmentsAndOwners},
		{Name: "ClientCacheServesBrieflyThenRereads", Fn: testClientCacheServesBrieflyThenRereads},
		{Name: "ImportClientSecret", Fn: testImportClientSecret},
		{Name: "ImportClientSecretRefuses", Fn: testImportClientSecretRefuses},
		{Name: "InviteCreatesPendingGuest", Fn: testInviteCreatesPendingGuest},
		{Name: "ReinviteReusesGuestAndVoidsOldToken", Fn: testReinviteReusesGuest},
		{Name: "ConcurrentInvitesMakeOneGuest", Fn: testConcurrentInvites},
		{Name: "InviteRefusesMember", Fn: testInviteRefusesMember},
		{Name: "InviteRedirectRules", Fn: testInviteRedirectRules},
		{Name: "InviteRedirectStaysUnderHomePage", Fn: testInviteRedirectStaysUnderHomePage},
		{Name: "InviteRefusalsWriteNothing", Fn: testInviteRefusalsWriteNothing},
		{Name: "InviteWithoutMessageSendsNoMail", Fn: testInviteWithoutMessage},
		{Name: "InviteGroupsAndApps", Fn: testInviteGroupsAndApps},
		{Name: "InviteResetRedemption", Fn: testInviteResetRedemption},
		{Name: "InviteRefusesAddressOfUnprovenGuest", Fn: testInviteUnprovenGuest},
		{Name: "RevokeInvitation", Fn: testRevokeInvitation},
		{Name: "RedeemBindingRules", Fn: testRedeemBindingRules},
		{Name: "RedemptionTransaction", Fn: testRedemptionTransaction},
	}
	sqltest.RunSuite(t, tests, func(t *testing.T, b sqltest.Backend) *fixture { return newFixture(t, b) })
}

func TestNewReportsEveryMissingDependency(t *testing.T) {
	t.Parallel()
	_, err := directory.New(directory.Config{})
	require.ErrorContains(t, err, "Store")
	require.ErrorContains(t, err, "SecretHasher")
	require.ErrorContains(t, err, "Passwords")

	_, err = directory.New(directory.Config{Federation: &directory.FederationConfig{}})
	require.ErrorContains(t, err, "Federation.Sealer")
	require.ErrorContains(t, err, "Federation.Issuer and CallbackURL")
}

func testCreateTenant(t *testing.T, f *fixture) {
	tn := f.tenant(t, "woodgrove")
	require.Equal(t, "RS256", tn.SigningAlg)
	require.Equal(t, f.now, tn.CreatedAt)
	require.Contains(t, f.auditActivities(t, tn.ID), "Create company/success")

	got, err := f.dir.Tenant(t.Context(), "woodgrove")
	require.NoError(t, err)
	require.Equal(t, tn.ID, got.ID)
	got, err = f.dir.Tenant(t.Context(), tn.ID)
	require.NoError(t, err)
	require.Equal(t, "woodgrove", got.Slug)

	_, err = f.dir.CreateTenant(t.Context(), directory.NewTenant{Slug: "woodgrove", DisplayName: "Again"})
	requireFields(t, err, store.ErrConflict, "slug")

	_, err = f.dir.Tenant(t.Context(), "nope")
	require.ErrorIs(t, err, store.ErrNotFound)
}

func testCreateTenantReportsEveryProblem(t *testing.T, f *fixture) {
	_, err := f.dir.CreateTenant(t.Context(), directory.NewTenant{
		Slug: "Wood Grove", DisplayName: " ", SigningAlg: "HS256",
		Branding: store.Branding{LogoURL: "javascript:alert(1)", AccentColor: "red", SenderName: "a\nBcc: x"},
	})
	requireFields(t, err, directory.ErrInvalid, "slug", "displayName", "signingAlgorithm",
		"branding.logoUrl", "branding.accentColor", "branding.senderName")
	tenants, err := f.dir.Tenants(t.Context())
	require.NoError(t, err)
	require.Empty(t, tenants, "nothing half-written")
}

func testUpdateTenantKeepsSlugAndValidates(t *testing.T, f *fixture) {
	tn := f.tenant(t, "woodgrove")
	name, alg, color := "WoodGrove Ltd", "ES256", "#1f6feb"
	f.now = f.now.Add(time.Hour)
	got, err := f.dir.UpdateTenant(t.Context(), tn.ID, directory.TenantPatch{DisplayName: &name, SigningAlg: &alg, AccentColor: &color})
	require.NoError(t, err)
	require.Equal(t, "woodgrove", got.Slug)
	require.Equal(t, "ES256", got.SigningAlg)
	require.Equal(t, f.now, got.UpdatedAt)

	bad := "none"
	_, err = f.dir.UpdateTenant(t.Context(), tn.ID, directory.TenantPatch{SigningAlg: &bad})
	requireFields(t, err, directory.ErrInvalid, "signingAlgorithm")
	stored, err := f.dir.Tenant(t.Context(), tn.ID)
	require.NoError(t, err)
	require.Equal(t, "ES256", stored.SigningAlg, "a refused update changes nothing")
	require.Contains(t, f.auditActivities(t, tn.ID), "Set company information/failure")
}

func testDeleteTenantKeepsAudit(t *testing.T, f *fixture) {
	tn := f.tenant(t, "woodgrove")
	f.member(t, tn.ID, "a@woodgrove.test")
	require.NoError(t, f.dir.DeleteTenant(t.Context(), tn.ID))
	_, err := f.dir.Tenant(t.Context(), tn.ID)
	require.ErrorIs(t, err, store.ErrNotFound)
	require.Contains(t, f.auditActivities(t, tn.ID), "Delete company/success")
	require.ErrorIs(t, f.dir.DeleteTenant(t.Context(), tn.ID), store.ErrNotFound)
}

func testCreateMember(t *testing.T, f *fixture) {
	tn := f.tenant(t, "woodgrove")
	u, err := f.dir.CreateMember(t.Context(), tn.ID, directory.NewMember{
		DisplayName: "Admin", Mail: "Admin@WoodGrove.test", Password: "foyer-dev-pw",
	})
	require.NoError(t, err)
	require.Equal(t, "admin@woodgrove.test", u.Mail)
	require.Equal(t, "admin@woodgrove.test", u.UserPrincipalName, "UPN defaults to the mail address")
	require.Equal(t, store.UserTypeMember, u.UserType)
	require.True(t, u.AccountEnabled)
	require.Equal(t, []store.Identity{{SignInType: "userPrincipalName", Issuer: "woodgrove", IssuerAssignedID: "admin@woodgrove.test"}}, u.Identities)

	stored, err := f.store.GetUser(t.Context(), tn.ID, u.ID)
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(stored.PasswordHash, "$argon2id$"), "only a hash is stored")
	require.NotContains(t, stored.PasswordHash, "foyer-dev-pw")

	_, err = f.dir.CreateMember(t.Context(), tn.ID, directory.NewMember{DisplayName: "Twin", Mail: "admin@woodgrove.test"})
	require.ErrorIs(t, err, store.ErrConflict)

	got, err := f.dir.User(t.Context(), tn.ID, "ADMIN@woodgrove.test")
	require.NoError(t, err)
	require.Equal(t, u.ID, got.ID)
	require.Contains(t, f.auditActivities(t, tn.ID), "Add user/success")
}

func testCreateMemberRefusesBadInput(t *testing.T, f *fixture) {
	tn := f.tenant(t, "woodgrove")
	cases := []struct {
		name   string
		in     directory.NewMember
		fields []string
	}{
		{"invalid email", directory.NewMember{DisplayName: "X", Mail: "not-an-email"}, []string{"mail"}},
		{"display-name form", directory.NewMember{DisplayName: "X", Mail: "Sam <sam@x.test>"}, []string{"mail"}},
		{"no domain dot", directory.NewMember{DisplayName: "X", Mail: "sam@localhost"}, []string{"mail"}},
		{"no address at all", directory.NewMember{DisplayName: "X"}, []string{"userPrincipalName"}},
		{"short password", directory.NewMember{DisplayName: "X", Mail: "x@w.test", Password: "short"}, []string{"password"}},
		{"missing name and bad upn", directory.NewMember{Mail: "x@w.test", UserPrincipalName: "nope"}, []string{"displayName", "userPrincipalName"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.dir.CreateMember(t.Context(), tn.ID, tc.in)
			requireFields(t, err, directory.ErrInvalid, tc.fields...)
		})
	}
	users, err := f.dir.Users(t.Context(), tn.ID, store.UserFilter{})
	require.NoError(t, err)
	require.Empty(t, users, "nothing half-written")

	_, err = f.dir.CreateMember(t.Context(), "no-such-tenant", directory.NewMember{DisplayName: "X", Mail: "x@w.test"})
	requireFields(t, err, store.ErrNotFound, "tenant")
}

func testVerifyPassword(t *testing.T, f *fixture) {
	tn := f.tenant(t, "woodgrove")
	other := f.tenant(t, "fabrikam")
	u := f.member(t, tn.ID, "admin@woodgrove.test")
	_, err := f.dir.CreateMember(t.Context(), tn.ID, directory.NewMember{DisplayName: "No password", Mail: "nopw@woodgrove.test"})
	require.NoError(t, err)

	got, err := f.dir.VerifyPassword(t.Context(), tn.ID, " Admin@Woodgrove.test", "foyer-dev-pw")
	require.NoError(t, err)
	require.Equal(t, u.ID, got.ID)

	for name, tc := range map[string]struct{ tenant, email, pw string }{
		"wrong password":          {tn.ID, "admin@woodgrove.test", "foyer-dev-pX"},
		"unknown account":         {tn.ID, "ghost@woodgrove.test", "foyer-dev-pw"},
		"user without a password": {tn.ID, "nopw@woodgrove.test", ""},
		"another tenant":          {other.ID, "admin@woodgrove.test", "foyer-dev-pw"},
		"garbage login":           {tn.ID, "%%%", "foyer-dev-pw"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := f.dir.VerifyPassword(t.Context(), tc.tenant, tc.email, tc.pw)
			require.ErrorIs(t, err, directory.ErrBadCredentials)
		})
	}

	disabled := false
	_, err = f.dir.UpdateUser(t.Context(), tn.ID, u.ID, directory.UserPatch{AccountEnabled: &disabled})
	require.NoError(t, err)
	_, err = f.dir.VerifyPassword(t.Context(), tn.ID, "admin@woodgrove.test", "foyer-dev-pw")
	require.ErrorIs(t, err, directory.ErrAccountDisabled)
	_, err = f.dir.VerifyPassword(t.Context(), tn.ID, "admin@woodgrove.test", "wrong-password")
	require.ErrorIs(t, err, directory.ErrBadCredentials, "a disabled account is only revealed to its password")

	require.NoError(t, f.dir.SetPassword(t.Context(), tn.ID, u.ID, "a-new-password"))
	requireFields(t, f.dir.SetPassword(t.Context(), tn.ID, u.ID, "short"), directory.ErrInvalid, "password")

	// A guest gets no password: it would sign in past their home account.
	inviting := f.inviteTenant(t, "inviting")
	guest := f.acceptedGuest(t, inviting.ID, "kim@fabrikam.example", "kim-at-home")
	requireFields(t, f.dir.SetPassword(t.Context(), inviting.ID, guest.ID, "a-guest-password"), directory.ErrInvalid, "password")
	_, err = f.dir.VerifyPassword(t.Context(), inviting.ID, "kim@fabrikam.example", "a-guest-password")
	require.ErrorIs(t, err, directory.ErrBadCredentials)
}

func testUpdateUserRenamesLocalIdentity(t *testing.T, f *fixture) {
	tn := f.tenant(t, "woodgrove")
	u := f.member(t, tn.ID, "a@woodgrove.test")
	upn := "b@woodgrove.test"
	got, err := f.dir.UpdateUser(t.Context(), tn.ID, u.ID, directory.UserPatch{UserPrincipalName: &upn})
	require.NoError(t, err)
	require.Equal(t, "b@woodgrove.test", got.Identities[0].IssuerAssignedID)
	stored, err := f.store.GetUserByIdentity(t.Context(), tn.ID, "woodgrove", "b@woodgrove.test")
	require.NoError(t, err)
	require.Equal(t, u.ID, stored.ID)

	bad := "nope"
	_, err = f.dir.UpdateUser(t.Context(), tn.ID, u.ID, directory.UserPatch{Mail: &bad})
	requireFields(t, err, directory.ErrInvalid, "mail")
}

func testDisablingEndsSignInsForGood(t *testing.T, f *fixture) {
	ctx := t.Context()
	tn := f.tenant(t, "woodgrove")
	u := f.member(t, tn.ID, "a@woodgrove.test")
	other := f.member(t, tn.ID, "b@woodgrove.test")
	f.now = f.now.Add(1500 * time.Millisecond) // between two whole seconds
	signIn := f.now
	for _, who := range []store.User{u, other} {
		require.NoError(t, f.store.CreateSession(ctx, store.Session{TenantID: tn.ID, ID: "sess-" + who.ID, UserID: who.ID,
			AuthTime: signIn, CreatedAt: signIn, LastSeenAt: signIn, ExpiresAt: signIn.Add(time.Hour)}))
	}
	require.True(t, u.Honours(signIn))

	// A profile change is not a disabling.
	name := "Renamed"
	got, err := f.dir.UpdateUser(ctx, tn.ID, u.ID, directory.UserPatch{DisplayName: &name})
	require.NoError(t, err)
	require.Nil(t, got.SignInSessionsValidFrom)
	_, err = f.store.GetSession(ctx, tn.ID, "sess-"+u.ID, signIn)
	require.NoError(t, err)

	off, on := false, true
	got, err = f.dir.UpdateUser(ctx, tn.ID, u.ID, directory.UserPatch{AccountEnabled: &off})
	require.NoError(t, err)
	from := time.Date(2026, 11, 27, 9, 0, 2, 0, time.UTC)
	require.NotNil(t, got.SignInSessionsValidFrom)
	require.Equal(t, from, *got.SignInSessionsValidFrom, "the next whole second")
	_, err = f.store.GetSession(ctx, tn.ID, "sess-"+u.ID, signIn)
	require.ErrorIs(t, err, store.ErrNotFound, "the user's sessions end")
	_, err = f.store.GetSession(ctx, tn.ID, "sess-"+other.ID, signIn)
	require.NoError(t, err, "another user's stay")

	// Disabling again, or enabling, keeps the moment.
	f.now = f.now.Add(time.Hour)
	got, err = f.dir.UpdateUser(ctx, tn.ID, u.ID, directory.UserPatch{AccountEnabled: &off})
	require.NoError(t, err)
	require.Equal(t, from, *got.SignInSessionsValidFrom)
	got, err = f.dir.UpdateUser(ctx, tn.ID, u.ID, directory.UserPatch{AccountEnabled: &on})
	require.NoError(t, err)
	stored, err := f.store.GetUser(ctx, tn.ID, u.ID)
	require.NoError(t, err)
	require.Equal(t, got, stored)
	require.True(t, stored.AccountEnabled)
	require.False(t, stored.Honours(signIn), "re-enabling does not revive the old sign-in")
	require.False(t, stored.Honours(signIn.Truncate(time.Second)), "nor one stated in whole seconds")
	require.True(t, stored.Honours(f.now), "a new sign-in counts")

	// A second disabling moves it on; at a whole second, to the next one.
	f.now = f.now.Truncate(time.Second)
	got, err = f.dir.UpdateUser(ctx, tn.ID, u.ID, directory.UserPatch{AccountEnabled: &off})
	require.NoError(t, err)
	require.Equal(t, f.now.Add(time.Second), *got.SignInSessionsValidFrom)
	require.False(t, got.Honours(f.now), "a sign-in at the very moment of the disabling")
}

func testDeleteUser(t *testing.T, f *fixture) {
	tn := f.tenant(t, "woodgrove")
	other := f.tenant(t, "fabrikam")
	u := f.member(t, tn.ID, "a@woodgrove.test")
	require.ErrorIs(t, f.dir.DeleteUser(t.Context(), other.ID, u.ID), store.ErrNotFound, "another tenant cannot delete it")
	require.NoError(t, f.dir.DeleteUser(t.Context(), tn.ID, u.ID))
	_, err := f.dir.User(t.Context(), tn.ID, u.ID)
	require.ErrorIs(t, err, store.ErrNotFound)
	require.Contains(t, f.auditActivities(t, tn.ID), "Delete user/success")
}

func testGroups(t *testing.T, f *fixture) {
	tn := f.tenant(t, "woodgrove")
	other := f.tenant(t, "fabrikam")
	u := f.member(t, tn.ID, "a@woodgrove.test")
	stranger := f.member(t, other.ID, "s@fabrikam.test")

	g, err := f.dir.CreateGroup(t.Context(), tn.ID, directory.NewGroup{DisplayName: "Partners", OwnersCanInviteGuests: true})
	require.NoError(t, err)
	require.NoError(t, f.dir.AddGroupMember(t.Context(), tn.ID, g.ID, u.ID))
	require.ErrorIs(t, f.dir.AddGroupMember(t.Context(), tn.ID, g.ID, u.ID), store.ErrConflict)
	requireFields(t, f.dir.AddGroupMember(t.Context(), tn.ID, g.ID, stranger.ID), store.ErrNotFound, "user")
	requireFields(t, f.dir.AddGroupMember(t.Context(), other.ID, g.ID, stranger.ID), store.ErrNotFound, "group")
	require.NoError(t, f.dir.AddGroupOwner(t.Context(), tn.ID, g.ID, u.ID))

	members, err := f.dir.GroupMembers(t.Context(), tn.ID, g.ID)
	require.NoError(t, err)
	require.Len(t, members, 1)
	owners, err := f.dir.GroupOwners(t.Context(), tn.ID, g.ID)
	require.NoError(t, err)
	require.Len(t, owners, 1)

	require.NoError(t, f.dir.RemoveGroupMember(t.Context(), tn.ID, g.ID, u.ID))
	require.ErrorIs(t, f.dir.RemoveGroupMember(t.Context(), tn.ID, g.ID, u.ID), store.ErrNotFound)

	empty := ""
	_, err = f.dir.UpdateGroup(t.Context(), tn.ID, g.ID, directory.GroupPatch{DisplayName: &empty})
	requireFields(t, err, directory.ErrInvalid, "displayName")
	require.NoError(t, f.dir.DeleteGroup(t.Context(), tn.ID, g.ID))
	acts := f.auditActivities(t, tn.ID)
	for _, want := range []string{"Add group/success", "Add member to group/success", "Add member to group/failure",
		"Add owner to group/success", "Remove member from group/success", "Update group/failure", "Delete group/success"} {
		require.Contains(t, acts, want)
	}
}

func testRoles(t *testing.T, f *fixture) {
	tn := f.tenant(t, "woodgrove")
	u := f.member(t, tn.ID, "a@woodgrove.test")
	require.NoError(t, f.dir.AssignRole(t.Context(), tn.ID, u.ID, directory.RoleTenantAdministrator))
	requireFields(t, f.dir.AssignRole(t.Context(), tn.ID, u.ID, "Global Emperor"), directory.ErrInvalid, "role")
	roles, err := f.dir.UserRoles(t.Context(), tn.ID, u.ID)
	require.NoError(t, err)
	require.Equal(t, []string{directory.RoleTenantAdministrator}, roles)
	holders, err := f.dir.RoleMembers(t.Context(), tn.ID, directory.RoleTenantAdministrator)
	require.NoError(t, err)
	require.Len(t, holders, 1)
	// Another administrator first: the last one keeps the role.
	other := f.member(t, tn.ID, "b@woodgrove.test")
	require.NoError(t, f.dir.AssignRole(t.Context(), tn.ID, other.ID, directory.RoleTenantAdministrator))
	require.NoError(t, f.dir.UnassignRole(t.Context(), tn.ID, u.ID, directory.RoleTenantAdministrator))
	require.ErrorIs(t, f.dir.UnassignRole(t.Context(), tn.ID, u.ID, directory.RoleTenantAdministrator), store.ErrNotFound)
}

func testErrorsAreFieldErrors(t *testing.T, f *fixture) {
	_, err := f.dir.CreateTenant(t.Context(), directory.NewTenant{Slug: "x", DisplayName: "X"})
	var fe *directory.FieldError
	require.True(t, errors.As(err, &fe))
	require.Equal(t, "slug", fe.Field)
}

type noSender struct{}

func (noSender) Send(context.Context, mail.Message) error { return nil }
