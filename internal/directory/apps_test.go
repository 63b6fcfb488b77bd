package directory_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/internal/directory"
	"github.com/foyer-idp/foyer/internal/store"
	"github.com/foyer-idp/foyer/internal/store/sqlstore/sqltest"
)

func demoApp() directory.NewApplication {
	return directory.NewApplication{
		DisplayName:    "Demo",
		ClientID:       "demo-app",
		RedirectURIs:   []string{"http://127.0.0.1:5556/callback"},
		GrantTypes:     []string{"authorization_code", "refresh_token", "client_credentials"},
		APIPermissions: []string{"User.Invite.All"},
	}
}

func testCreateConfidentialApplicationShowsSecretOnce(t *testing.T, f *fixture) {
	tn := f.tenant(t, "woodgrove")
	app, sec, err := f.dir.CreateApplication(t.Context(), tn.ID, demoApp())
	require.NoError(t, err)
	require.Equal(t, store.ClientConfidential, app.ClientType)
	require.Equal(t, "jwt", app.AccessTokenFormat)
	require.NotNil(t, sec)
	require.Len(t, sec.Value, 43, "256-bit secret, base64url")
	require.Equal(t, sec.Value[:3], sec.Hint)

	stored, err := f.store.ListClientSecrets(t.Context(), tn.ID, app.ID)
	require.NoError(t, err)
	require.Len(t, stored, 1)
	require.NotEqual(t, sec.Value, stored[0].Hash)
	require.NotContains(t, stored[0].Hash, sec.Value)

	got, err := f.dir.VerifyClientSecret(t.Context(), tn.ID, "demo-app", sec.Value)
	require.NoError(t, err)
	require.Equal(t, app.ID, got.ID)
	require.Contains(t, f.auditActivities(t, tn.ID), "Add application/success")
}

func testVerifyClientSecretRefuses(t *testing.T, f *fixture) {
	tn := f.tenant(t, "woodgrove")
	other := f.tenant(t, "fabrikam")
	_, sec, err := f.dir.CreateApplication(t.Context(), tn.ID, demoApp())
	require.NoError(t, err)
	_, _, err = f.dir.CreateApplication(t.Context(), tn.ID, directory.NewApplication{DisplayName: "CLI", ClientID: "cli", ClientType: store.ClientNative})
	require.NoError(t, err)

	for name, tc := range map[string]struct{ tenant, client, secret string }{
		"wrong secret":    {tn.ID, "demo-app", sec.Value + "x"},
		"empty secret":    {tn.ID, "demo-app", ""},
		"unknown client":  {tn.ID, "nobody", sec.Value},
		"another tenant":  {other.ID, "demo-app", sec.Value},
		"public client":   {tn.ID, "cli", ""},
		"the hash itself": {tn.ID, "demo-app", mustHash(t, f, tn.ID)},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := f.dir.VerifyClientSecret(t.Context(), tc.tenant, tc.client, tc.secret)
			require.ErrorIs(t, err, directory.ErrBadCredentials)
		})
	}
}

func mustHash(t *testing.T, f *fixture, tenantID string) string {
	t.Helper()
	app, err := f.dir.Application(t.Context(), tenantID, "demo-app")
	require.NoError(t, err)
	secrets, err := f.store.ListClientSecrets(t.Context(), tenantID, app.ID)
	require.NoError(t, err)
	return secrets[0].Hash
}

func testClientSecretRolloverAndExpiry(t *testing.T, f *fixture) {
	tn := f.tenant(t, "woodgrove")
	app, first, err := f.dir.CreateApplication(t.Context(), tn.ID, demoApp())
	require.NoError(t, err)

	expires := f.now.Add(time.Hour)
	second, err := f.dir.AddClientSecret(t.Context(), tn.ID, app.ID, directory.SecretInput{DisplayName: "rollover", ExpiresAt: &expires})
	require.NoError(t, err)
	for _, s := range []string{first.Value, second.Value} {
		_, err := f.dir.VerifyClientSecret(t.Context(), tn.ID, "demo-app", s)
		require.NoError(t, err, "both secrets work during a rollover")
	}

	f.now = f.now.Add(2 * time.Hour)
	_, err = f.dir.VerifyClientSecret(t.Context(), tn.ID, "demo-app", second.Value)
	require.ErrorIs(t, err, directory.ErrBadCredentials, "an expired secret is refused")

	require.NoError(t, f.dir.RemoveClientSecret(t.Context(), tn.ID, app.ID, first.ID))
	_, err = f.dir.VerifyClientSecret(t.Context(), tn.ID, "demo-app", first.Value)
	require.ErrorIs(t, err, directory.ErrBadCredentials, "a removed secret is refused")

	past := f.now.Add(-time.Minute)
	_, err = f.dir.AddClientSecret(t.Context(), tn.ID, app.ID, directory.SecretInput{ExpiresAt: &past})
	requireFields(t, err, directory.ErrInvalid, "endDateTime")
	_, err = f.dir.AddClientSecret(t.Context(), tn.ID, app.ID, directory.SecretInput{DisplayName: "bad\x00label"})
	requireFields(t, err, directory.ErrInvalid, "displayName")
	listed, err := f.dir.ClientSecrets(t.Context(), tn.ID, app.ID)
	require.NoError(t, err)
	require.Len(t, listed, 1)
	require.Equal(t, "rollover", listed[0].DisplayName, "the label is kept")

	// WithoutSecret: the caller adds secrets itself.
	bare := demoApp()
	bare.ClientID, bare.WithoutSecret = "bare-app", true
	app, sec, err := f.dir.CreateApplication(t.Context(), tn.ID, bare)
	require.NoError(t, err)
	require.Nil(t, sec)
	listed, err = f.dir.ClientSecrets(t.Context(), tn.ID, app.ID)
	require.NoError(t, err)
	require.Empty(t, listed)
}

func testApplicationRedirectURIRules(t *testing.T, f *fixture) {
	tn := f.tenant(t, "woodgrove")
	cases := []struct {
		uri, clientType string
		ok              bool
	}{
		{"https://app.example.com/callback", "", true},
		{"http://127.0.0.1:5556/callback", "", true},
		{"http://localhost:3000/cb", "", true},
		{"http://[::1]/cb", store.ClientNative, true},
		{"com.example.app:/oauth2redirect", store.ClientNative, true},
		{"https://app.example.com/cb?x=1", "", true},
		{"http://app.example.com/callback", "", false},
		{"https://app.example.com/cb#frag", "", false},
		{"https://*.example.com/cb", "", false},
		{"https://app.example.com/*", "", false},
		{"/relative/callback", "", false},
		{"https://user:pw@app.example.com/cb", "", false},
		{"https://app.example.com/c b", "", false},
		{"javascript:alert(1)", "", false},
		{"com.example.app:/cb", store.ClientConfidential, false},
		{"https:///nohost", "", false},
	}
	for i, tc := range cases {
		t.Run(tc.uri, func(t *testing.T) {
			_, _, err := f.dir.CreateApplication(t.Context(), tn.ID, directory.NewApplication{
				DisplayName: "App", ClientID: fmt.Sprintf("app-%d", i), ClientType: tc.clientType,
				RedirectURIs: []string{tc.uri}, PostLogoutRedirectURIs: []string{tc.uri},
			})
			if tc.ok {
				require.NoError(t, err)
				return
			}
			requireFields(t, err, directory.ErrInvalid, "redirectUris", "postLogoutRedirectUris")
		})
	}
}

func testApplicationRefusesBadSettings(t *testing.T, f *fixture) {
	tn := f.tenant(t, "woodgrove")
	_, _, err := f.dir.CreateApplication(t.Context(), tn.ID, directory.NewApplication{
		DisplayName: "", ClientID: "a b", ClientType: store.ClientPublic,
		GrantTypes:        []string{"password", "client_credentials"},
		APIPermissions:    []string{"Directory.Everything"},
		AccessTokenFormat: "paseto", HomePageURL: "ftp://x",
	})
	requireFields(t, err, directory.ErrInvalid, "displayName", "appId", "grantTypes", "apiPermissions", "accessTokenFormat", "homePageUrl")
	require.Contains(t, err.Error(), "client_credentials needs a confidential client")
	require.Contains(t, err.Error(), "only a confidential client can hold application permissions")

	apps, err := f.dir.Applications(t.Context(), tn.ID)
	require.NoError(t, err)
	require.Empty(t, apps)

	_, _, err = f.dir.CreateApplication(t.Context(), tn.ID, demoApp())
	require.NoError(t, err)
	_, _, err = f.dir.CreateApplication(t.Context(), tn.ID, demoApp())
	requireFields(t, err, store.ErrConflict, "appId")
	apps, err = f.dir.Applications(t.Context(), tn.ID)
	require.NoError(t, err)
	require.Len(t, apps, 1, "the refused duplicate left no row and no secret")
}

func testPublicApplicationHasNoSecret(t *testing.T, f *fixture) {
	tn := f.tenant(t, "woodgrove")
	app, sec, err := f.dir.CreateApplication(t.Context(), tn.ID, directory.NewApplication{
		DisplayName: "CLI", ClientID: "demo-cli", ClientType: store.ClientNative,
		RedirectURIs: []string{"http://127.0.0.1/callback"},
	})
	require.NoError(t, err)
	require.Nil(t, sec)
	_, err = f.dir.AddClientSecret(t.Context(), tn.ID, app.ID, directory.SecretInput{})
	requireFields(t, err, directory.ErrInvalid, "clientType")
}

func testUpdateApplication(t *testing.T, f *fixture) {
	tn := f.tenant(t, "woodgrove")
	app, _, err := f.dir.CreateApplication(t.Context(), tn.ID, demoApp())
	require.NoError(t, err)
	uris := []string{"https://a.example.com/cb", "https://a.example.com/cb"}
	got, err := f.dir.UpdateApplication(t.Context(), tn.ID, app.ID, directory.ApplicationPatch{RedirectURIs: &uris})
	require.NoError(t, err)
	require.Equal(t, []string{"https://a.example.com/cb"}, got.RedirectURIs)

	bad := []string{"https://a.example.com/*"}
	_, err = f.dir.UpdateApplication(t.Context(), tn.ID, app.ID, directory.ApplicationPatch{RedirectURIs: &bad})
	requireFields(t, err, directory.ErrInvalid, "redirectUris")
	stored, err := f.dir.Application(t.Context(), tn.ID, app.ID)
	require.NoError(t, err)
	require.Equal(t, []string{"https://a.example.com/cb"}, stored.RedirectURIs)

	require.NoError(t, f.dir.DeleteApplication(t.Context(), tn.ID, app.ID))
	_, err = f.dir.Application(t.Context(), tn.ID, "demo-app")
	require.ErrorIs(t, err, store.ErrNotFound)
}

func testAssignmentsAndOwners(t *testing.T, f *fixture) {
	tn := f.tenant(t, "woodgrove")
	other := f.tenant(t, "fabrikam")
	direct := f.member(t, tn.ID, "direct@woodgrove.test")
	viaGroup := f.member(t, tn.ID, "group@woodgrove.test")
	outsider := f.member(t, tn.ID, "out@woodgrove.test")
	stranger := f.member(t, other.ID, "s@fabrikam.test")

	in := demoApp()
	in.AssignmentRequired = true
	app, _, err := f.dir.CreateApplication(t.Context(), tn.ID, in)
	require.NoError(t, err)
	g, err := f.dir.CreateGroup(t.Context(), tn.ID, directory.NewGroup{DisplayName: "Staff"})
	require.NoError(t, err)
	require.NoError(t, f.dir.AddGroupMember(t.Context(), tn.ID, g.ID, viaGroup.ID))

	require.NoError(t, f.dir.Assign(t.Context(), tn.ID, app.ID, store.PrincipalUser, direct.ID))
	require.NoError(t, f.dir.Assign(t.Context(), tn.ID, app.ID, store.PrincipalGroup, g.ID))
	requireFields(t, f.dir.Assign(t.Context(), tn.ID, app.ID, store.PrincipalUser, stranger.ID), store.ErrNotFound, "principalId")
	requireFields(t, f.dir.Assign(t.Context(), tn.ID, app.ID, "Robot", direct.ID), directory.ErrInvalid, "principalType")

	for _, tc := range []struct {
		user store.User
		want bool
	}{{direct, true}, {viaGroup, true}, {outsider, false}} {
		ok, err := f.dir.MayUse(t.Context(), app, tc.user.ID)
		require.NoError(t, err)
		require.Equal(t, tc.want, ok, tc.user.Mail)
	}

	require.NoError(t, f.dir.Unassign(t.Context(), tn.ID, app.ID, g.ID))
	ok, err := f.dir.MayUse(t.Context(), app, viaGroup.ID)
	require.NoError(t, err)
	require.False(t, ok)

	require.NoError(t, f.dir.AddApplicationOwner(t.Context(), tn.ID, app.ID, direct.ID))
	requireFields(t, f.dir.AddApplicationOwner(t.Context(), tn.ID, app.ID, stranger.ID), store.ErrNotFound, "user")
	owners, err := f.dir.ApplicationOwners(t.Context(), tn.ID, app.ID)
	require.NoError(t, err)
	require.Len(t, owners, 1)
	require.NoError(t, f.dir.RemoveApplicationOwner(t.Context(), tn.ID, app.ID, direct.ID))
}

// BenchmarkVerifyClientSecret measures the client authentication that every
// confidential token request pays.
func BenchmarkVerifyClientSecret(b *testing.B) {
	f := newFixture(b, sqltest.Backends()[0])
	tn := f.tenant(b, "woodgrove")
	_, sec, err := f.dir.CreateApplication(b.Context(), tn.ID, demoApp())
	require.NoError(b, err)
	b.ResetTimer()
	for b.Loop() {
		if _, err := f.dir.VerifyClientSecret(b.Context(), tn.ID, "demo-app", sec.Value); err != nil {
			b.Fatal(err)
		}
	}
}

func testImportClientSecret(t *testing.T, f *fixture) {
	tn := f.tenant(t, "woodgrove")
	app, generated, err := f.dir.CreateApplication(t.Context(), tn.ID, demoApp())
	require.NoError(t, err)
	chosen := "an-operator-chosen-secret-of-40-characters"

	s, err := f.dir.ImportClientSecret(t.Context(), tn.ID, app.ID, chosen, nil, directory.MinImportedSecretLength)
	require.NoError(t, err)
	require.Equal(t, "an-", s.Hint)
	require.NotContains(t, s.Hash, chosen)
	for _, v := range []string{chosen, generated.Value} {
		got, err := f.dir.VerifyClientSecret(t.Context(), tn.ID, "demo-app", v)
		require.NoError(t, err, "the imported secret works beside the generated one")
		require.Equal(t, app.ID, got.ID)
	}
	stored, err := f.store.ListClientSecrets(t.Context(), tn.ID, app.ID)
	require.NoError(t, err)
	require.Len(t, stored, 2)
	require.Contains(t, f.auditActivities(t, tn.ID), "Update application – Certificates and secrets management/success")
	events, err := f.store.ListAudit(t.Context(), store.AuditFilter{TenantID: tn.ID})
	require.NoError(t, err)
	for _, e := range events {
		require.NotContains(t, fmt.Sprintf("%+v", e), chosen, "the audit log never holds the secret")
	}

	expires := f.now.Add(time.Hour)
	_, err = f.dir.ImportClientSecret(t.Context(), tn.ID, app.ID, "another-operator-chosen-secret-40-chars!", &expires, directory.MinImportedSecretLength)
	require.NoError(t, err)
	f.now = f.now.Add(2 * time.Hour)
	_, err = f.dir.VerifyClientSecret(t.Context(), tn.ID, "demo-app", "another-operator-chosen-secret-40-chars!")
	require.ErrorIs(t, err, directory.ErrBadCredentials, "an imported secret expires like a generated one")
}

func testImportClientSecretRefuses(t *testing.T, f *fixture) {
	tn := f.tenant(t, "woodgrove")
	other := f.tenant(t, "fabrikam")
	app, _, err := f.dir.CreateApplication(t.Context(), tn.ID, demoApp())
	require.NoError(t, err)
	native, _, err := f.dir.CreateApplication(t.Context(), tn.ID, directory.NewApplication{DisplayName: "CLI", ClientID: "demo-cli", ClientType: store.ClientNative})
	require.NoError(t, err)
	long := strings.Repeat("s", 40)
	past := f.now.Add(-time.Minute)

	for name, tc := range map[string]struct {
		tenant, app, value string
		expires            *time.Time
		minLength          int
		field              string
		sentinel           error
	}{
		"too short":               {tn.ID, app.ID, strings.Repeat("s", 31), nil, directory.MinImportedSecretLength, "secret", directory.ErrInvalid},
		"empty":                   {tn.ID, app.ID, "", nil, 0, "secret", directory.ErrInvalid},
		"too long":                {tn.ID, app.ID, strings.Repeat("s", 513), nil, directory.MinImportedSecretLength, "secret", directory.ErrInvalid},
		"spaces":                  {tn.ID, app.ID, long + " x", nil, directory.MinImportedSecretLength, "secret", directory.ErrInvalid},
		"control characters":      {tn.ID, app.ID, long + "\n", nil, directory.MinImportedSecretLength, "secret", directory.ErrInvalid},
		"expired":                 {tn.ID, app.ID, long, &past, directory.MinImportedSecretLength, "endDateTime", directory.ErrInvalid},
		"public client":           {tn.ID, native.ID, long, nil, directory.MinImportedSecretLength, "clientType", directory.ErrInvalid},
		"another tenant's app":    {other.ID, app.ID, long, nil, directory.MinImportedSecretLength, "", store.ErrNotFound},
		"dev length in non-dev":   {tn.ID, app.ID, "demo-secret", nil, directory.MinImportedSecretLength, "secret", directory.ErrInvalid},
		"unknown application id":  {tn.ID, "nope", long, nil, directory.MinImportedSecretLength, "", store.ErrNotFound},
		"invalid UTF-8":           {tn.ID, app.ID, long + "\xff", nil, directory.MinImportedSecretLength, "secret", directory.ErrInvalid},
		"below the hint's length": {tn.ID, app.ID, "ab", nil, 1, "secret", directory.ErrInvalid},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := f.dir.ImportClientSecret(t.Context(), tc.tenant, tc.app, tc.value, tc.expires, tc.minLength)
			if tc.field == "" {
				require.ErrorIs(t, err, tc.sentinel)
				return
			}
			requireFields(t, err, tc.sentinel, tc.field)
			if tc.value != "" {
				require.NotContains(t, err.Error(), tc.value, "a refusal never quotes the secret")
			}
		})
	}
	stored, err := f.store.ListClientSecrets(t.Context(), tn.ID, app.ID)
	require.NoError(t, err)
	require.Len(t, stored, 1, "only the generated secret: every refusal wrote nothing")
	require.Contains(t, f.auditActivities(t, tn.ID), "Update application – Certificates and secrets management/failure")

	s, err := f.dir.ImportClientSecret(t.Context(), tn.ID, app.ID, "demo-secret", nil, len("demo-secret"))
	require.NoError(t, err, "development mode passes the dev secret's own length")
	require.Equal(t, "dem", s.Hint)
	_, err = f.dir.VerifyClientSecret(t.Context(), tn.ID, "demo-app", "demo-secret")
	require.NoError(t, err)
}

func testClientCacheServesBrieflyThenRereads(t *testing.T, f *fixture) {
	tn := f.tenant(t, "woodgrove")
	app, sec, err := f.dir.CreateApplication(t.Context(), tn.ID, demoApp())
	require.NoError(t, err)
	cache := f.dir.NewClientCache(5 * time.Second)

	got, err := cache.VerifyClientSecret(t.Context(), tn.ID, "demo-app", sec.Value)
	require.NoError(t, err)
	require.Equal(t, app.ID, got.ID)
	_, err = cache.VerifyClientSecret(t.Context(), tn.ID, "demo-app", sec.Value+"x")
	require.ErrorIs(t, err, directory.ErrBadCredentials, "a cached client still checks the secret")

	require.NoError(t, f.dir.RemoveClientSecret(t.Context(), tn.ID, app.ID, sec.ID))
	_, err = cache.VerifyClientSecret(t.Context(), tn.ID, "demo-app", sec.Value)
	require.NoError(t, err, "within the cache's lifetime the removal is not seen yet")
	f.now = f.now.Add(5 * time.Second)
	_, err = cache.VerifyClientSecret(t.Context(), tn.ID, "demo-app", sec.Value)
	require.ErrorIs(t, err, directory.ErrBadCredentials, "after it, the removed secret is refused")

	_, err = cache.VerifyClientSecret(t.Context(), tn.ID, "later-app", "x")
	require.ErrorIs(t, err, directory.ErrBadCredentials)
	later := demoApp()
	later.ClientID = "later-app"
	laterApp, laterSecret, err := f.dir.CreateApplication(t.Context(), tn.ID, later)
	require.NoError(t, err)
	_, err = cache.VerifyClientSecret(t.Context(), tn.ID, "later-app", laterSecret.Value)
	require.NoError(t, err, "an unknown client is not cached: once created it authenticates at once")

	other := f.tenant(t, "fabrikam")
	_, err = cache.Application(t.Context(), other.ID, "demo-app")
	require.ErrorIs(t, err, store.ErrNotFound, "entries are per tenant")

	// Told of a change, the cache forgets that tenant's clients at once
	// and no other's.
	otherApp, otherSecret, err := f.dir.CreateApplication(t.Context(), other.ID, demoApp())
	require.NoError(t, err)
	_, err = cache.VerifyClientSecret(t.Context(), other.ID, "demo-app", otherSecret.Value)
	require.NoError(t, err)
	_, err = cache.VerifyClientSecret(t.Context(), tn.ID, "later-app", laterSecret.Value)
	require.NoError(t, err)
	require.NoError(t, f.dir.RemoveClientSecret(t.Context(), other.ID, otherApp.ID, otherSecret.ID))
	require.NoError(t, f.dir.DeleteApplication(t.Context(), tn.ID, laterApp.ID))
	cache.Forget(other.ID)
	_, err = cache.VerifyClientSecret(t.Context(), other.ID, "demo-app", otherSecret.Value)
	require.ErrorIs(t, err, directory.ErrBadCredentials, "the forgotten tenant's removal counts at once")
	_, err = cache.VerifyClientSecret(t.Context(), tn.ID, "later-app", laterSecret.Value)
	require.NoError(t, err, "another tenant's entry is kept")
	cache.Forget("")
	_, err = cache.VerifyClientSecret(t.Context(), tn.ID, "later-app", laterSecret.Value)
	require.ErrorIs(t, err, directory.ErrBadCredentials, "forgetting everything reaches every tenant")
}
