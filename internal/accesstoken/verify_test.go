package accesstoken_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/internal/accesstoken"
	"github.com/foyer-idp/foyer/internal/secret"
	"github.com/foyer-idp/foyer/internal/store"
	"github.com/foyer-idp/foyer/internal/store/sqlstore"
	"github.com/foyer-idp/foyer/internal/store/sqlstore/sqltest"
	"github.com/foyer-idp/foyer/keys"
)

const external = "https://id.example"

type fixture struct {
	store *sqlstore.Store
	keys  *keys.Manager
	now   time.Time
	// tenants by slug
	tenants map[string]store.Tenant
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	b := sqltest.Backends()[0]
	st := b.OpenStore(t, b.NewDB(t))
	require.NoError(t, st.Migrate(t.Context()))
	f := &fixture{store: st, now: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC), tenants: map[string]store.Tenant{}}
	m, err := keys.New(keys.Config{
		Store: st, Sealer: secret.GenerateMasterKey().Sealer("signing-keys"), Now: func() time.Time { return f.now },
		Logger: slog.New(slog.NewTextHandler(t.Output(), nil)),
	})
	require.NoError(t, err)
	f.keys = m
	for _, slug := range []string{"woodgrove", "fabrikam"} {
		tn := store.Tenant{ID: secret.NewID(), Slug: slug, DisplayName: slug, SigningAlg: "ES256", CreatedAt: f.now, UpdatedAt: f.now}
		require.NoError(t, st.CreateTenant(t.Context(), tn))
		f.tenants[slug] = tn
	}
	return f
}

func (f *fixture) expect(aud string) accesstoken.Expect {
	return accesstoken.Expect{
		ExternalURL: external, Audience: aud,
		Tenant: func(_ context.Context, slug string) (store.Tenant, error) {
			tn, ok := f.tenants[slug]
			if !ok {
				return store.Tenant{}, store.ErrNotFound
			}
			return tn, nil
		},
	}
}

func (f *fixture) deps() accesstoken.Deps {
	return accesstoken.Deps{Keys: f.keys, Store: f.store, Now: func() time.Time { return f.now }}
}

// appClaims are a client-credentials token's claims for the admin API.
func (f *fixture) appClaims(slug string) map[string]any {
	tn := f.tenants[slug]
	return map[string]any{
		"iss": external + "/t/" + slug, "sub": "daemon", "aud": external, "client_id": "daemon",
		"exp": f.now.Add(time.Hour).Unix(), "iat": f.now.Unix(), "nbf": f.now.Unix(), "jti": secret.NewID(),
		"tid": tn.ID, "roles": []string{"User.Invite.All"}, "scope": external + "/.default",
	}
}

// sign signs claims with the tenant's active key and the header typ.
func (f *fixture) sign(t *testing.T, slug, typ string, claims map[string]any) string {
	t.Helper()
	key, err := f.keys.Signer(t.Context(), f.tenants[slug].ID)
	require.NoError(t, err)
	return signWith(t, jose.SigningKey{Algorithm: key.SignatureAlgorithm(), Key: key.Key()}, key.ID(), typ, claims)
}

func signWith(t *testing.T, k jose.SigningKey, kid, typ string, claims map[string]any) string {
	t.Helper()
	opts := (&jose.SignerOptions{}).WithType(jose.ContentType(typ)).WithHeader(jose.HeaderKey("kid"), kid)
	s, err := jose.NewSigner(k, opts)
	require.NoError(t, err)
	payload, err := json.Marshal(claims)
	require.NoError(t, err)
	jws, err := s.Sign(payload)
	require.NoError(t, err)
	raw, err := jws.CompactSerialize()
	require.NoError(t, err)
	return raw
}

func TestVerifyGoodAppToken(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	c := f.appClaims("woodgrove")
	raw := f.sign(t, "woodgrove", "at+jwt", c)
	got, err := accesstoken.Verify(t.Context(), raw, f.expect(external), f.deps())
	require.NoError(t, err)
	assert.Equal(t, f.tenants["woodgrove"].ID, got.TenantID)
	assert.Equal(t, "woodgrove", got.TenantSlug)
	assert.Equal(t, "daemon", got.Subject)
	assert.Equal(t, "daemon", got.ClientID)
	assert.Equal(t, []string{"User.Invite.All"}, got.Roles)
	assert.Empty(t, got.Scp)
	assert.False(t, got.IsUser)
	assert.Equal(t, c["jti"], got.JTI)
	assert.Equal(t, f.now.Add(time.Hour), got.ExpiresAt)
}

func TestVerifyUserToken(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	tn := f.tenants["woodgrove"]
	u := store.User{
		TenantID: tn.ID, ID: secret.NewID(), UserPrincipalName: "alice@woodgrove.test", DisplayName: "Alice",
		UserType: store.UserTypeMember, AccountEnabled: true, CreatedAt: f.now, UpdatedAt: f.now,
	}
	require.NoError(t, f.store.CreateUser(t.Context(), u))
	c := f.appClaims("woodgrove")
	delete(c, "roles")
	c["sub"], c["client_id"], c["scp"], c["scope"] = u.ID, "web-app", "User.Invite.All", "openid "+external+"/User.Invite.All"
	raw := f.sign(t, "woodgrove", "at+jwt", c)
	ex := f.expect(external)
	ex.ActiveUser = true

	// Foyer stores every user token: one it does not know is invalid.
	_, err := accesstoken.Verify(t.Context(), raw, ex, f.deps())
	require.ErrorIs(t, err, accesstoken.ErrInvalid)

	rec := store.AccessToken{
		TenantID: tn.ID, ID: c["jti"].(string), ClientID: "web-app", Subject: u.ID, Scopes: strings.Fields(c["scope"].(string)),
		Audience: []string{external}, CreatedAt: f.now, ExpiresAt: f.now.Add(time.Hour),
	}
	require.NoError(t, f.store.CreateAccessToken(t.Context(), rec))
	got, err := accesstoken.Verify(t.Context(), raw, ex, f.deps())
	require.NoError(t, err)
	assert.True(t, got.IsUser)
	assert.Equal(t, []string{"User.Invite.All"}, got.Scp)
	assert.Equal(t, u.ID, got.Subject)

	// A disabled user's token is refused where the caller asks.
	u.AccountEnabled = false
	require.NoError(t, f.store.UpdateUser(t.Context(), u))
	_, err = accesstoken.Verify(t.Context(), raw, ex, f.deps())
	require.ErrorIs(t, err, accesstoken.ErrInvalid)

	// Revoked: invalid.
	require.NoError(t, f.store.RevokeAccessToken(t.Context(), rec, f.now))
	ex.ActiveUser = false
	_, err = accesstoken.Verify(t.Context(), raw, ex, f.deps())
	require.ErrorIs(t, err, accesstoken.ErrInvalid)
}

// TestVerifyReferencedUserToken: a user token whose jti names its refresh
// family or grant is live without any stored row, and dead once the jti
// or the reference is revoked, in its own tenant only.
func TestVerifyReferencedUserToken(t *testing.T) {
	t.Parallel()
	for _, revoke := range []string{"jti", "reference"} {
		t.Run(revoke, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			tn := f.tenants["woodgrove"]
			family := secret.NewID()
			c := f.appClaims("woodgrove")
			delete(c, "roles")
			c["sub"], c["client_id"], c["scp"] = secret.NewID(), "web-app", "User.Read"
			c["jti"] = accesstoken.NewJTI(family)
			raw := f.sign(t, "woodgrove", "at+jwt", c)

			got, err := accesstoken.Verify(t.Context(), raw, f.expect(external), f.deps())
			require.NoError(t, err, "no row is needed")
			assert.True(t, got.IsUser)
			_, err = f.store.GetAccessToken(t.Context(), tn.ID, got.JTI)
			require.ErrorIs(t, err, store.ErrNotFound)

			require.NoError(t, f.store.RevokeTokenID(t.Context(), f.tenants["fabrikam"].ID, c["jti"].(string), f.now, f.now.Add(time.Hour)))
			require.NoError(t, f.store.RevokeTokenID(t.Context(), f.tenants["fabrikam"].ID, family, f.now, f.now.Add(time.Hour)))
			_, err = accesstoken.Verify(t.Context(), raw, f.expect(external), f.deps())
			require.NoError(t, err, "another tenant's revocations do not reach it")

			id := map[string]string{"jti": c["jti"].(string), "reference": family}[revoke]
			require.NoError(t, f.store.RevokeTokenID(t.Context(), tn.ID, id, f.now, f.now.Add(time.Hour)))
			_, err = accesstoken.Verify(t.Context(), raw, f.expect(external), f.deps())
			require.ErrorIs(t, err, accesstoken.ErrInvalid)
		})
	}
}

func TestJTIReference(t *testing.T) {
	t.Parallel()
	for _, ref := range []string{secret.NewID(), "pHk0tP4Xx9c3bK_d-1aZ0QeWq8yJm2LnVr5sTu7vWx0"} {
		jti := accesstoken.NewJTI(ref)
		got, ok := accesstoken.RefOf(jti)
		assert.True(t, ok)
		assert.Equal(t, ref, got)
		assert.NotEqual(t, jti, accesstoken.NewJTI(ref), "unique")
	}
	_, ok := accesstoken.RefOf(accesstoken.NewJTI(""))
	assert.False(t, ok, "a plain jti names nothing")
	_, ok = accesstoken.RefOf(".x")
	assert.False(t, ok, "an empty reference is none")
}

func TestVerifyRefuses(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	good := func() map[string]any { return f.appClaims("woodgrove") }
	with := func(k string, v any) map[string]any {
		c := good()
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
		return c
	}
	woodgroveKey, err := f.keys.Signer(t.Context(), f.tenants["woodgrove"].ID)
	require.NoError(t, err)

	cases := []struct {
		name string
		raw  func() string
		aud  string
	}{
		{"wrong audience", func() string { return f.sign(t, "woodgrove", "at+jwt", good()) }, "https://graph.example"},
		{"audience is the client", func() string { return f.sign(t, "woodgrove", "at+jwt", with("aud", "daemon")) }, external},
		{"ID token", func() string {
			return f.sign(t, "woodgrove", "JWT", with("jti", nil))
		}, external},
		{"ID token typ with jti", func() string { return f.sign(t, "woodgrove", "JWT", good()) }, external},
		{"no typ", func() string { return f.sign(t, "woodgrove", "", good()) }, external},
		{"another tenant's key, this tenant's iss", func() string { return f.sign(t, "fabrikam", "at+jwt", good()) }, external},
		{"another tenant's iss, this tenant's tid", func() string {
			c := good()
			c["iss"] = external + "/t/fabrikam"
			return f.sign(t, "fabrikam", "at+jwt", c)
		}, external},
		{"another tenant's tid", func() string {
			return f.sign(t, "woodgrove", "at+jwt", with("tid", f.tenants["fabrikam"].ID))
		}, external},
		{"unknown tenant", func() string { return f.sign(t, "woodgrove", "at+jwt", with("iss", external+"/t/nobody")) }, external},
		{"foreign issuer", func() string {
			return f.sign(t, "woodgrove", "at+jwt", with("iss", "https://evil.example/t/woodgrove"))
		}, external},
		{"expired", func() string { return f.sign(t, "woodgrove", "at+jwt", with("exp", f.now.Unix())) }, external},
		{"no exp", func() string { return f.sign(t, "woodgrove", "at+jwt", with("exp", nil)) }, external},
		{"not yet valid", func() string {
			return f.sign(t, "woodgrove", "at+jwt", with("nbf", f.now.Add(time.Hour).Unix()))
		}, external},
		{"issued in the future", func() string {
			return f.sign(t, "woodgrove", "at+jwt", with("iat", f.now.Add(time.Hour).Unix()))
		}, external},
		{"missing jti", func() string { return f.sign(t, "woodgrove", "at+jwt", with("jti", nil)) }, external},
		{"alg none", func() string {
			enc := base64.RawURLEncoding
			h, _ := json.Marshal(map[string]any{"alg": "none", "typ": "at+jwt", "kid": woodgroveKey.ID()})
			p, _ := json.Marshal(good())
			return enc.EncodeToString(h) + "." + enc.EncodeToString(p) + "."
		}, external},
		{"HS256 with the public key's kid", func() string {
			return signWith(t, jose.SigningKey{Algorithm: jose.HS256, Key: []byte("0123456789abcdef0123456789abcdef")}, woodgroveKey.ID(), "at+jwt", good())
		}, external},
		{"RS256 with an unknown key under the tenant's kid", func() string {
			return signWith(t, jose.SigningKey{Algorithm: jose.RS256, Key: rsaKey}, woodgroveKey.ID(), "at+jwt", good())
		}, external},
		{"ES256 with an unknown key under the tenant's kid", func() string {
			other, err := f.keys.Signer(t.Context(), f.tenants["fabrikam"].ID)
			require.NoError(t, err)
			return signWith(t, jose.SigningKey{Algorithm: other.SignatureAlgorithm(), Key: other.Key()}, woodgroveKey.ID(), "at+jwt", good())
		}, external},
		{"tampered signature", func() string {
			raw := f.sign(t, "woodgrove", "at+jwt", good())
			parts := strings.Split(raw, ".")
			sig, _ := base64.RawURLEncoding.DecodeString(parts[2])
			sig[0] ^= 0xff
			return parts[0] + "." + parts[1] + "." + base64.RawURLEncoding.EncodeToString(sig)
		}, external},
		{"tampered payload", func() string {
			raw := f.sign(t, "woodgrove", "at+jwt", good())
			parts := strings.Split(raw, ".")
			p, _ := json.Marshal(with("roles", []string{"User.ReadWrite.All"}))
			return parts[0] + "." + base64.RawURLEncoding.EncodeToString(p) + "." + parts[2]
		}, external},
		{"not a JWT", func() string { return "opaque-value" }, external},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := accesstoken.Verify(t.Context(), tc.raw(), f.expect(tc.aud), f.deps())
			require.ErrorIs(t, err, accesstoken.ErrInvalid)
		})
	}

	t.Run("revoked app token", func(t *testing.T) {
		c := good()
		raw := f.sign(t, "woodgrove", "at+jwt", c)
		_, err := accesstoken.Verify(t.Context(), raw, f.expect(external), f.deps())
		require.NoError(t, err, "valid before revocation")
		require.NoError(t, f.store.RevokeAccessToken(t.Context(), store.AccessToken{
			TenantID: f.tenants["woodgrove"].ID, ID: c["jti"].(string), ClientID: "daemon", Subject: "daemon",
			Audience: []string{external}, CreatedAt: f.now, ExpiresAt: f.now.Add(time.Hour),
		}, f.now))
		_, err = accesstoken.Verify(t.Context(), raw, f.expect(external), f.deps())
		require.ErrorIs(t, err, accesstoken.ErrInvalid)
	})

	t.Run("a misconfigured caller is an error, not a pass", func(t *testing.T) {
		raw := f.sign(t, "woodgrove", "at+jwt", good())
		_, err := accesstoken.Verify(t.Context(), raw, f.expect(""), f.deps())
		require.Error(t, err)
		require.NotErrorIs(t, err, accesstoken.ErrInvalid)
	})
}

// TestVerifyUserTokenOfAnEndedSignIn: once the user was disabled after
// the sign-in behind a token (SignInSessionsValidFrom), the token is
// refused where the caller asks for an active user, even with the account
// enabled again; a later sign-in's token is not. Without auth_time the
// token's iat stands for the sign-in.
func TestVerifyUserTokenOfAnEndedSignIn(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	tn := f.tenants["woodgrove"]
	from := f.now.Add(-time.Minute)
	u := store.User{
		TenantID: tn.ID, ID: secret.NewID(), UserPrincipalName: "alice@woodgrove.test", DisplayName: "Alice",
		UserType: store.UserTypeMember, AccountEnabled: true, SignInSessionsValidFrom: &from, CreatedAt: f.now, UpdatedAt: f.now,
	}
	require.NoError(t, f.store.CreateUser(t.Context(), u))
	token := func(authTime *time.Time, iat time.Time) string {
		c := f.appClaims("woodgrove")
		delete(c, "roles")
		c["sub"], c["client_id"], c["scope"], c["iat"] = u.ID, "web-app", "openid", iat.Unix()
		if authTime != nil {
			c["auth_time"] = authTime.Unix()
		}
		require.NoError(t, f.store.CreateAccessToken(t.Context(), store.AccessToken{
			TenantID: tn.ID, ID: c["jti"].(string), ClientID: "web-app", Subject: u.ID, Scopes: []string{"openid"},
			Audience: []string{external}, CreatedAt: iat, ExpiresAt: f.now.Add(time.Hour),
		}))
		return f.sign(t, "woodgrove", "at+jwt", c)
	}
	before, after := from.Add(-time.Second), from
	ex := f.expect(external)
	for name, tc := range map[string]struct {
		raw  string
		good bool
	}{
		"signed in before, issued after": {token(&before, f.now), false},
		"signed in at the moment":        {token(&after, f.now), true},
		"no auth_time, issued before":    {token(nil, before), false},
		"no auth_time, issued after":     {token(nil, f.now), true},
	} {
		t.Run(name, func(t *testing.T) {
			ex.ActiveUser = true
			got, err := accesstoken.Verify(t.Context(), tc.raw, ex, f.deps())
			if !tc.good {
				require.ErrorIs(t, err, accesstoken.ErrInvalid)
				ex.ActiveUser = false
				_, err = accesstoken.Verify(t.Context(), tc.raw, ex, f.deps())
				require.NoError(t, err, "only where the caller asks")
				return
			}
			require.NoError(t, err)
			require.False(t, got.AuthTime.Before(from))
		})
	}
}

// VerifySignature checks only who signed and issued a token: an expired
// ID token (an id_token_hint) passes; another tenant's, a forged or an
// unsigned one does not.
func TestVerifySignature(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	wood := f.tenants["woodgrove"]
	idClaims := map[string]any{
		"iss": external + "/t/woodgrove", "sub": "alice", "aud": "web-app", "azp": "web-app", "sid": "s1",
		"exp": f.now.Add(-time.Hour).Unix(), "iat": f.now.Add(-2 * time.Hour).Unix(), "tid": wood.ID,
	}
	got, err := accesstoken.VerifySignature(t.Context(), f.sign(t, "woodgrove", "JWT", idClaims), external, wood, f.keys)
	require.NoError(t, err)
	assert.Equal(t, "JWT", got.Typ)
	assert.Equal(t, "alice", got.Subject)
	assert.Equal(t, "web-app", got.AZP)
	assert.Equal(t, "s1", got.SID)
	assert.Equal(t, []string{"web-app"}, got.Audience)
	assert.Equal(t, f.now.Add(-time.Hour).Unix(), got.ExpiresAt.Unix())

	app := f.appClaims("woodgrove")
	got, err = accesstoken.VerifySignature(t.Context(), f.sign(t, "woodgrove", "at+jwt", app), external, wood, f.keys)
	require.NoError(t, err)
	assert.True(t, accesstoken.IsAccessTyp(got.Typ))
	assert.Equal(t, app["jti"], got.JTI)
	assert.Equal(t, []string{external + "/.default"}, got.Scopes)

	rogue, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	wrongIss := maps.Clone(idClaims)
	wrongIss["iss"] = external + "/t/fabrikam"
	for name, raw := range map[string]string{
		"another tenant's key": f.sign(t, "fabrikam", "JWT", idClaims),
		"another issuer":       f.sign(t, "woodgrove", "JWT", wrongIss),
		"a rogue key":          signWith(t, jose.SigningKey{Algorithm: jose.RS256, Key: rogue}, "rogue", "JWT", idClaims),
		"not a JWS":            "a.b.c",
	} {
		_, err := accesstoken.VerifySignature(t.Context(), raw, external, wood, f.keys)
		require.ErrorIs(t, err, accesstoken.ErrInvalid, name)
	}
}
