package idp_test

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"
)

// TestEndToEnd walks a relying party through everything: discovery, code +
// PKCE through the sign-in and consent pages, ID token verification,
// userinfo, refresh, revocation, introspection and logout.
func TestEndToEnd(t *testing.T) {
	t.Parallel()
	runBoth(t, func(t *testing.T, e *env) {
		tn := e.tenant(t, "woodgrove", "")
		alice := e.member(t, tn, "alice@woodgrove.test")
		c := e.app(t, tn, "web-app")
		ctx := t.Context()

		// Discovery.
		provider := c.provider(t)
		assert.Equal(t, e.issuer("woodgrove")+"/oauth/token", provider.Endpoint().TokenURL)
		verifier := c.verifier(t)

		// Sign-in with code + PKCE through the login and consent pages.
		b := e.browser()
		ar := c.authURL(nil)
		page, err := b.Get(ctx, ar.url)
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, page.Status)
		login, err := page.FormWith("current-password")
		require.NoError(t, err)
		require.NoError(t, login.Fill("username", "alice@woodgrove.test"))
		require.NoError(t, login.Fill("current-password", password))
		page, err = b.Submit(ctx, login, nil)
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, page.Status)
		assert.Contains(t, page.Text(), "Review permissions")
		assert.Contains(t, page.Text(), "App web-app")
		assert.Contains(t, page.Text(), "Woodgrove")
		assert.Contains(t, page.Text(), "See your email address")
		consent, err := page.FormWith("decision")
		if err != nil {
			consent = page.Forms[0]
		}
		page, err = b.Submit(ctx, consent, consent.Button("allow"))
		require.NoError(t, err)
		require.True(t, page.Stopped(), page.Summary())
		q := page.Query()
		require.Equal(t, ar.state, q.Get("state"))
		require.Equal(t, e.issuer("woodgrove"), q.Get("iss"), "RFC 9207")

		// Code exchange with x/oauth2, ID token verified by go-oidc.
		tok, err := c.oauth().Exchange(ctx, q.Get("code"), oauth2.VerifierOption(ar.verifier))
		require.NoError(t, err)
		rawID, _ := tok.Extra("id_token").(string)
		require.NotEmpty(t, rawID)
		idt, claims := idClaims(t, verifier, rawID)
		assert.Equal(t, e.issuer("woodgrove"), idt.Issuer)
		assert.Equal(t, []string{"web-app"}, idt.Audience)
		assert.Equal(t, alice.ID, idt.Subject, "sub is the user id")
		assert.Equal(t, ar.nonce, idt.Nonce)
		require.NoError(t, idt.VerifyAccessToken(tok.AccessToken), "at_hash")
		assert.NotEmpty(t, idt.AccessTokenHash)
		assert.Equal(t, []any{"pwd"}, claims["amr"])
		assert.Equal(t, tn.ID, claims["tid"])
		assert.NotEmpty(t, claims["acr"])
		authTime, ok := claims["auth_time"].(float64)
		require.True(t, ok, "auth_time is a number")
		assert.InDelta(t, float64(e.clock.Now().Unix()), authTime, 5)
		assert.Equal(t, "alice@woodgrove.test", claims["email"])
		// An admin-set member mail is not verified by Foyer (issue 12): false.
		assert.Equal(t, false, claims["email_verified"])
		assert.Equal(t, "alice@woodgrove.test", claims["preferred_username"])
		assert.Equal(t, "Alice Example", claims["name"])
		assert.Equal(t, "alice", claims["given_name"])
		assert.Equal(t, "Example", claims["family_name"])
		require.NotEmpty(t, tok.RefreshToken, "offline_access gives a refresh token")
		assert.InDelta(t, time.Hour.Seconds(), time.Until(tok.Expiry).Seconds(), 60)

		// The access token is an RFC 9068 JWT.
		atHeader, atClaims := jwtParts(t, tok.AccessToken)
		assert.Equal(t, "at+jwt", atHeader["typ"])
		for _, claim := range []string{"iss", "sub", "aud", "exp", "iat", "jti", "client_id", "scope", "tid"} {
			assert.Contains(t, atClaims, claim)
		}
		assert.Equal(t, "web-app", atClaims["client_id"])
		assert.Equal(t, "openid profile email offline_access", atClaims["scope"])

		// Userinfo through go-oidc.
		info, err := provider.UserInfo(ctx, oauth2.StaticTokenSource(tok))
		require.NoError(t, err)
		assert.Equal(t, alice.ID, info.Subject)
		assert.Equal(t, "alice@woodgrove.test", info.Email)
		assert.False(t, info.EmailVerified, "an admin-set mail is not verified")
		var infoClaims map[string]any
		require.NoError(t, info.Claims(&infoClaims))
		assert.Equal(t, tn.ID, infoClaims["tid"])

		// Refresh: a new refresh token, a new ID token for the same user.
		r := c.token(t, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}})
		require.Equal(t, http.StatusOK, r.status, r.body)
		newRefresh := r.json["refresh_token"].(string)
		assert.NotEqual(t, tok.RefreshToken, newRefresh, "rotation")
		refreshedID, _ := idClaims(t, verifier, r.json["id_token"].(string))
		assert.Equal(t, alice.ID, refreshedID.Subject)
		refreshedAccess := r.json["access_token"].(string)
		assert.Equal(t, true, c.introspect(t, refreshedAccess)["active"])
		assert.Equal(t, true, c.introspect(t, newRefresh)["active"])
		assert.Equal(t, false, c.introspect(t, tok.RefreshToken)["active"], "a rotated token is spent")

		// Revoke the refresh token: its whole family goes, access tokens too.
		r = e.post(t, e.issuer("woodgrove")+"/oauth/revoke", url.Values{"token": {newRefresh}}, c.app.ClientID, c.secret)
		require.Equal(t, http.StatusOK, r.status, r.body)
		in := c.introspect(t, newRefresh)
		assert.Equal(t, map[string]any{"active": false}, in)
		assert.Equal(t, false, c.introspect(t, refreshedAccess)["active"])
		assert.Equal(t, false, c.introspect(t, tok.AccessToken)["active"])
		assert.Equal(t, http.StatusUnauthorized, e.userinfo(t, "woodgrove", refreshedAccess).status)

		// Logout: end_session ends the session and returns to the app.
		page, err = b.Get(ctx, e.issuer("woodgrove")+"/end_session?"+url.Values{
			"id_token_hint": {rawID}, "post_logout_redirect_uri": {rpSignedOut}, "state": {"bye"},
		}.Encode())
		require.NoError(t, err)
		require.True(t, page.Stopped(), page.Summary())
		assert.Equal(t, rpSignedOut+"?state=bye", page.Stop.String())

		// The next authorization shows the login page again.
		page, err = b.Get(ctx, c.authURL(nil).url)
		require.NoError(t, err)
		require.False(t, page.Stopped())
		_, err = page.FormWith("current-password")
		require.NoError(t, err, "signed out: the login page is back")
	})
}

// TestClientCredentials issues a client an RFC 9068 token for the admin
// API with its application permissions, without storing it, and
// introspects it.
func TestClientCredentials(t *testing.T) {
	t.Parallel()
	runBoth(t, func(t *testing.T, e *env) {
		tn := e.tenant(t, "woodgrove", "")
		c := e.app(t, tn, "daemon", func(in *directoryApp) {
			in.GrantTypes = []string{"client_credentials"}
			in.RedirectURIs = nil
			in.APIPermissions = []string{"User.Invite.All"}
		})
		r := c.token(t, url.Values{"grant_type": {"client_credentials"}, "scope": {e.base + "/.default"}})
		require.Equal(t, http.StatusOK, r.status, r.body)
		assert.Equal(t, "Bearer", r.json["token_type"])
		assert.Equal(t, e.base+"/.default", r.json["scope"])
		assert.Nil(t, r.json["refresh_token"])
		assert.Nil(t, r.json["id_token"])
		h, claims := jwtParts(t, r.json["access_token"].(string))
		assert.Equal(t, "at+jwt", h["typ"])
		assert.Equal(t, "daemon", claims["sub"])
		assert.Equal(t, "daemon", claims["client_id"])
		assert.Equal(t, e.base, claims["aud"], "a token for the admin API")
		assert.Equal(t, tn.ID, claims["tid"])
		assert.Equal(t, []any{"User.Invite.All"}, claims["roles"])
		assert.Nil(t, claims["scp"])
		in := c.introspect(t, r.json["access_token"].(string))
		assert.Equal(t, true, in["active"])
		assert.Equal(t, "daemon", in["sub"])

		// Revoked, it stays revoked although it was never stored before.
		rv := e.post(t, e.issuer("woodgrove")+"/oauth/revoke", url.Values{"token": {r.json["access_token"].(string)}}, c.app.ClientID, c.secret)
		require.Equal(t, http.StatusOK, rv.status)
		assert.Equal(t, false, c.introspect(t, r.json["access_token"].(string))["active"])

		// client_secret_post works too.
		r = e.post(t, e.issuer("woodgrove")+"/oauth/token", url.Values{
			"grant_type": {"client_credentials"}, "client_id": {"daemon"}, "client_secret": {c.secret},
		}, "", "")
		require.Equal(t, http.StatusOK, r.status, r.body)
	})
}

// TestOpaqueAccessTokens: an application may take opaque access tokens,
// stored hashed, introspectable and accepted at userinfo.
func TestOpaqueAccessTokens(t *testing.T) {
	t.Parallel()
	runBoth(t, func(t *testing.T, e *env) {
		tn := e.tenant(t, "woodgrove", "")
		alice := e.member(t, tn, "alice@woodgrove.test")
		c := e.app(t, tn, "legacy", firstParty, func(in *directoryApp) { in.AccessTokenFormat = "opaque" })
		tok, _ := c.tokens(t, e.browser(), alice.Mail)
		require.NotContains(t, tok.AccessToken, ".", "not a JWT")
		in := c.introspect(t, tok.AccessToken)
		assert.Equal(t, true, in["active"])
		assert.Equal(t, alice.ID, in["sub"])
		assert.Equal(t, "legacy", in["client_id"])
		r := e.userinfo(t, "woodgrove", tok.AccessToken)
		require.Equal(t, http.StatusOK, r.status, r.body)
		assert.Equal(t, alice.ID, r.json["sub"])
		rawID := tok.Extra("id_token").(string)
		idt, _ := idClaims(t, c.verifier(t), rawID)
		require.NoError(t, idt.VerifyAccessToken(tok.AccessToken))
	})
}

// TestSigningAlgorithms: ES256 and EdDSA tenants' tokens verify with
// go-oidc when the relying party accepts those algorithms.
func TestSigningAlgorithms(t *testing.T) {
	t.Parallel()
	runBoth(t, func(t *testing.T, e *env) {
		for _, alg := range []string{oidc.RS256, oidc.ES256, oidc.EdDSA} {
			t.Run(alg, func(t *testing.T) {
				slug := "t-" + map[string]string{oidc.RS256: "rsa", oidc.ES256: "ec", oidc.EdDSA: "ed"}[alg]
				tn := e.tenant(t, slug, alg)
				u := e.member(t, tn, "bob@"+slug+".test")
				c := e.app(t, tn, "app-"+slug, firstParty)
				tok, ar := c.tokens(t, e.browser(), u.Mail)
				idt, _ := idClaims(t, c.verifier(t, alg), tok.Extra("id_token").(string))
				assert.Equal(t, ar.nonce, idt.Nonce)
				require.NoError(t, idt.VerifyAccessToken(tok.AccessToken))
				h, _ := jwtParts(t, tok.AccessToken)
				assert.Equal(t, alg, h["alg"])
				assert.Equal(t, http.StatusOK, e.userinfo(t, slug, tok.AccessToken).status)

				d := getJSON(t, e.issuer(slug)+"/.well-known/openid-configuration")
				assert.Equal(t, []any{alg}, d["id_token_signing_alg_values_supported"])
			})
		}
	})
}
