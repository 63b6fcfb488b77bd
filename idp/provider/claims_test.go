package provider

import (
	"encoding/base64"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zitadel/oidc/v3/pkg/oidc"

	"github.com/foyer-idp/foyer/internal/mfa"
	"github.com/foyer-idp/foyer/internal/secret"
	"github.com/foyer-idp/foyer/internal/store"
	"github.com/foyer-idp/foyer/internal/store/sqlstore/sqltest"
	"github.com/foyer-idp/foyer/keys"
)

// The typed claims write what the map-based minting wrote, claim by claim
// and byte for byte, for access and ID tokens and every optional claim.
// The map-based code is kept below as it was, as the reference.
func TestTypedClaimsMatchTheMapBasedClaims(t *testing.T) {
	t.Parallel()
	const external = "https://id.example"
	now := time.Date(2026, 3, 1, 9, 30, 15, 0, time.UTC)
	tk := &tokens{
		external: external, hasher: secret.GenerateMasterKey().Hasher("tokens"), now: func() time.Time { return now },
		lifetimes: Lifetimes{AccessToken: time.Hour, IDToken: 20 * time.Minute, RefreshToken: 24 * time.Hour, AuthCode: time.Minute},
	}
	tenant := store.Tenant{ID: "tenant-1", Slug: "woodgrove"}
	daemon := store.Application{ClientID: "daemon", APIPermissions: []string{"User.Invite.All", "Group.ReadWrite.All"}}
	bare := store.Application{ClientID: "bare-daemon"}
	web := store.Application{ClientID: "web-app"}
	opaque := store.Application{ClientID: "opaque-app", AccessTokenFormat: formatOpaque}
	full := &store.User{
		ID: "user-1", DisplayName: `Zoë <b>"Quote"</b> & Co`, GivenName: "Zoë", Surname: "O'Brien\u2028",
		UserPrincipalName: "zoe@woodgrove.example", Mail: "zoe+tag@woodgrove.example", MailVerified: true,
	}
	member := &store.User{ID: "user-2", DisplayName: "Member", Mail: "m@woodgrove.example", MailVerified: false}
	noMail := &store.User{ID: "user-3", GivenName: "Only given"}
	signIn := now.Add(-10 * time.Minute)
	everything := []string{oidc.ScopeOpenID, oidc.ScopeProfile, oidc.ScopeEmail, oidc.ScopeOfflineAccess}

	cases := map[string]issue{
		"client credentials for itself":           {tenant: tenant, app: daemon},
		"client credentials for the API":          {tenant: tenant, app: daemon, scopes: []string{external + "/.default"}},
		"client credentials, API, no permissions": {tenant: tenant, app: bare, scopes: []string{external + "/.default"}},
		"user, every optional claim": {tenant: tenant, app: web, user: full, authTime: signIn,
			scopes: append(slices.Clone(everything), external+"/User.Invite.All", external+"/AuditLog.Read.All"),
			nonce:  "n-<0>&", sid: "sid-1", amr: []string{"pwd", "otp"}, grantID: "g1"},
		"user, openid only, no amr":               {tenant: tenant, app: web, user: full, authTime: signIn, scopes: []string{oidc.ScopeOpenID}},
		"user, email not verified":                {tenant: tenant, app: web, user: member, authTime: signIn, scopes: everything, amr: []string{"pwd"}},
		"user, email scope without mail":          {tenant: tenant, app: web, user: noMail, authTime: signIn, scopes: everything, amr: []string{}},
		"user, no openid: no ID token":            {tenant: tenant, app: web, user: full, authTime: signIn, scopes: []string{oidc.ScopeProfile}},
		"user, unknown API permission not in scp": {tenant: tenant, app: web, user: full, authTime: signIn, scopes: []string{oidc.ScopeOpenID, external + "/Nope.All"}},
		"user, opaque access token":               {tenant: tenant, app: opaque, user: full, authTime: signIn, scopes: everything, nonce: "n", sid: "s", amr: []string{"fed"}},
		"user, epoch sign-in":                     {tenant: tenant, app: web, user: full, authTime: time.Unix(0, 0).UTC(), scopes: everything},
	}
	for _, alg := range []string{keys.ES256, keys.RS256, keys.EdDSA} {
		key := signingKey(t, alg)
		for name, is := range cases {
			t.Run(alg+"/"+name, func(t *testing.T) {
				m, err := tk.mintWith(key, is)
				require.NoError(t, err)
				access := m.resp.AccessToken
				if is.app.AccessTokenFormat == formatOpaque {
					assert.NotContains(t, access, ".", "opaque, not a JWT")
				} else {
					got := payloadOf(t, access)
					var jti struct {
						ID string `json:"jti"`
					}
					require.NoError(t, json.Unmarshal(got, &jti))
					want, err := json.Marshal(mapAccessClaims(tk, is, now, jti.ID))
					require.NoError(t, err)
					sameClaims(t, want, got)
					assert.Equal(t, typAccessToken, headerOf(t, access)["typ"])
				}
				if m.resp.IDToken == "" {
					assert.False(t, is.user != nil && slices.Contains(is.scopes, oidc.ScopeOpenID), "an ID token was due")
					return
				}
				want, err := json.Marshal(mapIDClaims(t, tk, key, is, access, now))
				require.NoError(t, err)
				sameClaims(t, want, payloadOf(t, m.resp.IDToken))
				assert.Equal(t, "JWT", headerOf(t, m.resp.IDToken)["typ"])
			})
		}
	}
}

// userinfo's claims come from the same rules as the ID token's, as they
// did before.
func TestUserClaimsMatchTheMapBasedClaims(t *testing.T) {
	t.Parallel()
	users := []store.User{
		{ID: "u1", DisplayName: "A <b>", GivenName: "A", Surname: "B", UserPrincipalName: "a@x", Mail: "a@x", MailVerified: true},
		{ID: "u2", Mail: "m@x"},
		{ID: "u3"},
	}
	for _, scopes := range [][]string{nil, {"openid"}, {"openid", "profile"}, {"openid", "email"}, {"openid", "profile", "email"}} {
		for _, u := range users {
			got, want := map[string]any{"sub": u.ID}, map[string]any{"sub": u.ID}
			userClaims(got, u, scopes)
			mapUserClaims(want, u, scopes)
			assert.Equal(t, want, got, "%s %v", u.ID, scopes)
		}
	}
}

// sameClaims compares two JSON payloads claim by claim, then as bytes.
func sameClaims(t *testing.T, want, got []byte) {
	t.Helper()
	var w, g map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(want, &w))
	require.NoError(t, json.Unmarshal(got, &g))
	for k, v := range w {
		if assert.Contains(t, g, k, "claim %s is missing", k) {
			assert.Equal(t, string(v), string(g[k]), "claim %s", k)
		}
	}
	for k := range g {
		assert.Contains(t, w, k, "claim %s is new", k)
	}
	assert.Equal(t, string(want), string(got), "the same bytes")
}

func payloadOf(t *testing.T, jwt string) []byte {
	t.Helper()
	parts := strings.Split(jwt, ".")
	require.Len(t, parts, 3)
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	require.NoError(t, err)
	return raw
}

func headerOf(t *testing.T, jwt string) map[string]any {
	t.Helper()
	raw, err := base64.RawURLEncoding.DecodeString(jwt[:strings.IndexByte(jwt, '.')])
	require.NoError(t, err)
	var h map[string]any
	require.NoError(t, json.Unmarshal(raw, &h))
	return h
}

// signingKey answers a real tenant key for alg, from a Manager on SQLite.
func signingKey(t *testing.T, alg string) *keys.SigningKey {
	t.Helper()
	st := sqltest.Backends()[0].OpenMigrated(t)
	m, err := keys.New(keys.Config{Store: st, Sealer: secret.GenerateMasterKey().Sealer("signing-keys")})
	require.NoError(t, err)
	now := time.Now()
	require.NoError(t, st.CreateTenant(t.Context(), store.Tenant{ID: "t-" + alg, Slug: "s-" + strings.ToLower(alg),
		DisplayName: alg, SigningAlg: alg, CreatedAt: now, UpdatedAt: now}))
	k, err := m.Signer(t.Context(), "t-"+alg)
	require.NoError(t, err)
	require.Equal(t, jose.SignatureAlgorithm(alg), k.SignatureAlgorithm())
	return k
}

// mapAccessClaims is the access token's claims as the map-based minting
// built them.
func mapAccessClaims(tk *tokens, is issue, now time.Time, jti string) map[string]any {
	exp := now.Add(tk.lifetimes.AccessToken)
	subject := is.app.ClientID
	if is.user != nil {
		subject = is.user.ID
	}
	aud := is.app.ClientID
	scp := tk.delegated(is.scopes)
	appToken := is.user == nil && slices.Contains(is.scopes, tk.external+"/"+defaultScope)
	if appToken || (is.user != nil && len(scp) > 0) {
		aud = tk.external
	}
	claims := map[string]any{
		"iss": tk.issuer(is.tenant), "sub": subject, "aud": aud,
		"exp": exp.Unix(), "iat": now.Unix(), "nbf": now.Unix(), "jti": jti,
		"client_id": is.app.ClientID, "scope": strings.Join(is.scopes, " "), "tid": is.tenant.ID,
	}
	switch {
	case is.user != nil:
		claims["auth_time"] = is.authTime.Unix()
		if len(scp) > 0 {
			claims["scp"] = strings.Join(scp, " ")
		}
	case appToken && len(is.app.APIPermissions) > 0:
		claims["roles"] = is.app.APIPermissions
	}
	return claims
}

// mapIDClaims is the ID token's claims as the map-based minting built
// them.
func mapIDClaims(t *testing.T, tk *tokens, key *keys.SigningKey, is issue, accessToken string, now time.Time) map[string]any {
	t.Helper()
	atHash, err := oidc.ClaimHash(accessToken, key.SignatureAlgorithm())
	require.NoError(t, err)
	claims := map[string]any{
		"iss": tk.issuer(is.tenant), "sub": is.user.ID, "aud": is.app.ClientID, "azp": is.app.ClientID,
		"exp": now.Add(tk.lifetimes.IDToken).Unix(), "iat": now.Unix(), "auth_time": is.authTime.Unix(),
		"amr": is.amr, "acr": mfa.ACR(is.amr), "tid": is.tenant.ID, "at_hash": atHash,
	}
	if is.nonce != "" {
		claims["nonce"] = is.nonce
	}
	if is.sid != "" {
		claims["sid"] = is.sid
	}
	mapUserClaims(claims, *is.user, is.scopes)
	return claims
}

// mapUserClaims is userClaims as it was.
func mapUserClaims(claims map[string]any, u store.User, scopes []string) {
	set := func(k, v string) {
		if v != "" {
			claims[k] = v
		}
	}
	if slices.Contains(scopes, oidc.ScopeProfile) {
		set("name", u.DisplayName)
		set("given_name", u.GivenName)
		set("family_name", u.Surname)
		set("preferred_username", u.UserPrincipalName)
	}
	if slices.Contains(scopes, oidc.ScopeEmail) && u.Mail != "" {
		claims["email"] = u.Mail
		claims["email_verified"] = u.MailVerified
	}
}
