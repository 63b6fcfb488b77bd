package idp_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestClientCredentialsWithoutTheAPI: a token asked for without
// {external}/.default is the client's own and carries no permission.
func TestClientCredentialsWithoutTheAPI(t *testing.T) {
	t.Parallel()
	runBoth(t, func(t *testing.T, e *env) {
		tn := e.tenant(t, "woodgrove", "")
		c := e.app(t, tn, "daemon", func(in *directoryApp) {
			in.GrantTypes = []string{"client_credentials"}
			in.RedirectURIs = nil
			in.APIPermissions = []string{"User.Invite.All", "AuditLog.Read.All"}
		})
		for _, scope := range []string{"", "User.Invite.All Unknown.Scope"} {
			r := c.token(t, url.Values{"grant_type": {"client_credentials"}, "scope": {scope}})
			require.Equal(t, http.StatusOK, r.status, r.body)
			_, claims := jwtParts(t, r.json["access_token"].(string))
			assert.Equal(t, "daemon", claims["aud"], scope)
			assert.Nil(t, claims["roles"], "roles only in tokens for the API")
			assert.Empty(t, claims["scope"], scope)
		}

		// Single permissions, another resource's .default or .default
		// mixed with anything else are invalid_scope.
		for _, scope := range []string{
			e.base + "/User.Invite.All",
			e.base + "/.default openid",
			e.base + "/.default " + e.base + "/User.Invite.All",
		} {
			r := c.token(t, url.Values{"grant_type": {"client_credentials"}, "scope": {scope}})
			requireOAuthError(t, r, http.StatusBadRequest, "invalid_scope")
		}
	})
}

// TestClientCredentialsPublicClientGetsNoAPIToken: a public client cannot
// keep a secret, so cannot be an application with permissions.
func TestClientCredentialsPublicClientGetsNoAPIToken(t *testing.T) {
	t.Parallel()
	runWoodgrove(t, func(t *testing.T, w woodgrove) {
		w.app(t, w.tn, "spa", public)
		r := w.post(t, w.issuer("woodgrove")+"/oauth/token", url.Values{
			"grant_type": {"client_credentials"}, "client_id": {"spa"}, "scope": {w.base + "/.default"},
		}, "", "")
		assert.NotEqual(t, http.StatusOK, r.status, r.body)
		assert.Nil(t, r.json["access_token"])
	})
}

// TestDelegatedAPIScopes: a user's app asks for {external}/User.Invite.All
// and gets an access token for the admin API with scp; the ID token stays
// the app's; a refresh keeps the resource and may narrow.
func TestDelegatedAPIScopes(t *testing.T) {
	t.Parallel()
	runWoodgrove(t, func(t *testing.T, w woodgrove) {
		invite := w.base + "/User.Invite.All"
		tok, _ := w.web.tokens(t, w.browser(), w.alice.Mail, "openid", "offline_access", invite)
		_, claims := jwtParts(t, tok.AccessToken)
		assert.Equal(t, w.base, claims["aud"])
		assert.Equal(t, "User.Invite.All", claims["scp"])
		assert.Equal(t, w.alice.ID, claims["sub"])
		assert.Nil(t, claims["roles"])
		_, id := jwtParts(t, tok.Extra("id_token").(string))
		assert.Equal(t, "web-app", id["aud"], "the ID token is the app's")

		// Userinfo and introspection take the token as before.
		assert.Equal(t, http.StatusOK, w.userinfo(t, "woodgrove", tok.AccessToken).status)
		in := w.web.introspect(t, tok.AccessToken)
		assert.Equal(t, true, in["active"])
		assert.Equal(t, []any{w.base}, in["aud"])

		// Refresh keeps the resource.
		r := w.web.token(t, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}})
		require.Equal(t, http.StatusOK, r.status, r.body)
		_, claims = jwtParts(t, r.json["access_token"].(string))
		assert.Equal(t, w.base, claims["aud"])
		assert.Equal(t, "User.Invite.All", claims["scp"])

		// It may narrow to the OIDC scopes (a token for the app), never
		// widen to another permission.
		next := r.json["refresh_token"].(string)
		r = w.web.token(t, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {next}, "scope": {"openid " + w.base + "/User.ReadWrite.All"}})
		requireOAuthError(t, r, http.StatusBadRequest, "invalid_scope")
		r = w.web.token(t, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {next}, "scope": {"openid"}})
		require.Equal(t, http.StatusOK, r.status, r.body)
		_, claims = jwtParts(t, r.json["access_token"].(string))
		assert.Equal(t, "web-app", claims["aud"])
		assert.Nil(t, claims["scp"])

		// Without API scopes the token is the app's, as before.
		tok, _ = w.web.tokens(t, w.browser(), w.alice.Mail, "openid")
		_, claims = jwtParts(t, tok.AccessToken)
		assert.Equal(t, "web-app", claims["aud"])
		assert.Nil(t, claims["scp"])
	})
}

// TestUnknownAPIPermissionIsInvalidScope: a permission the admin API does
// not have, or .default, in a user's sign-in is invalid_scope, sent back
// before anyone signs in.
func TestUnknownAPIPermissionIsInvalidScope(t *testing.T) {
	t.Parallel()
	runWoodgrove(t, func(t *testing.T, w woodgrove) {
		for _, scope := range []string{w.base + "/Directory.Everything", w.base + "/.default", w.base + "/"} {
			ar := w.web.authURL(url.Values{"scope": {"openid " + scope}})
			q := redirectQuery(t, w.get(t, ar.url))
			assert.Equal(t, "invalid_scope", q.Get("error"), scope)
			assert.Equal(t, ar.state, q.Get("state"))
		}
	})
}

// TestConsentNamesDelegatedPermissions: the consent page says in plain
// words what the app may do as the user, and remembers it per scope set.
func TestConsentNamesDelegatedPermissions(t *testing.T) {
	t.Parallel()
	runWoodgrove(t, func(t *testing.T, w woodgrove) {
		b := w.browser()
		page, err := b.Get(t.Context(), w.web.authURL(nil, "openid", w.base+"/User.Invite.All").url)
		require.NoError(t, err)
		login, err := page.FormWith("current-password")
		require.NoError(t, err)
		require.NoError(t, login.Fill("username", w.alice.Mail))
		require.NoError(t, login.Fill("current-password", password))
		page, err = b.Submit(t.Context(), login, nil)
		require.NoError(t, err)
		require.Contains(t, page.Text(), "Review permissions")
		assert.Contains(t, page.Text(), "Invite guest users on your behalf")
		page, err = b.Submit(t.Context(), page.Forms[0], page.Forms[0].Button("allow"))
		require.NoError(t, err)
		require.True(t, page.Stopped(), page.Summary())

		// The same scopes again: no page. Another permission: asked.
		page, err = b.Get(t.Context(), w.web.authURL(nil, "openid", w.base+"/User.Invite.All").url)
		require.NoError(t, err)
		assert.True(t, page.Stopped(), page.Summary())
		page, err = b.Get(t.Context(), w.web.authURL(nil, "openid", w.base+"/AuditLog.Read.All").url)
		require.NoError(t, err)
		require.False(t, page.Stopped())
		assert.Contains(t, page.Text(), "Read the audit log on your behalf")
	})
}
