package idp_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/foyer-idp/foyer/internal/accesstoken"
	"github.com/foyer-idp/foyer/internal/config"
	"github.com/foyer-idp/foyer/internal/secret"
	"github.com/foyer-idp/foyer/internal/store"
)

// TestMain keeps zitadel's route registration and request logs, which go
// to slog's default logger, out of the test output.
func TestMain(m *testing.M) {
	slog.SetDefault(slog.New(slog.NewTextHandler(io.Discard, nil)))
	os.Exit(m.Run())
}

// woodgrove is the common fixture: a tenant, its member alice and a
// confidential app that needs consent.
type woodgrove struct {
	*env
	tn    store.Tenant
	alice store.User
	web   *client
}

func newWoodgrove(t testing.TB, e *env) woodgrove {
	t.Helper()
	tn := e.tenant(t, "woodgrove", "")
	return woodgrove{env: e, tn: tn, alice: e.member(t, tn, "alice@woodgrove.test"), web: e.app(t, tn, "web-app")}
}

func runWoodgrove(t *testing.T, fn func(t *testing.T, w woodgrove)) {
	t.Helper()
	runBoth(t, func(t *testing.T, e *env) { fn(t, newWoodgrove(t, e)) })
}

// exchange redeems a code as the client, with a verifier.
func (c *client) exchange(t testing.TB, code, verifier string) response {
	t.Helper()
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {rpCallback}}
	if verifier != "" {
		form.Set("code_verifier", verifier)
	}
	return c.token(t, form)
}

func requireOAuthError(t testing.TB, r response, status int, code string) {
	t.Helper()
	require.Equal(t, status, r.status, r.body)
	require.Equal(t, code, r.json["error"], r.body)
}

func TestCodeReuseRevokesTheFirstTokens(t *testing.T) {
	t.Parallel()
	runWoodgrove(t, func(t *testing.T, w woodgrove) {
		ar := w.web.authURL(nil)
		code := w.web.code(t, w.browser(), ar, w.alice.Mail)
		first := w.web.exchange(t, code, ar.verifier)
		require.Equal(t, http.StatusOK, first.status, first.body)
		access, refresh := first.json["access_token"].(string), first.json["refresh_token"].(string)
		require.Equal(t, true, w.web.introspect(t, access)["active"])

		requireOAuthError(t, w.web.exchange(t, code, ar.verifier), http.StatusBadRequest, "invalid_grant")

		assert.Equal(t, false, w.web.introspect(t, access)["active"], "the first access token is revoked")
		assert.Equal(t, false, w.web.introspect(t, refresh)["active"], "the first refresh token is revoked")
		requireOAuthError(t, w.web.token(t, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh}}),
			http.StatusBadRequest, "invalid_grant")
		assert.Equal(t, http.StatusUnauthorized, w.userinfo(t, "woodgrove", access).status)
	})
}

// TestRedirectURIMustMatchExactly: anything but the registered string is
// refused on Foyer's own page, never redirected to.
func TestRedirectURIMustMatchExactly(t *testing.T) {
	t.Parallel()
	runWoodgrove(t, func(t *testing.T, w woodgrove) {
		native := w.app(t, w.tn, "native-app", func(in *directoryApp) {
			in.ClientType = store.ClientNative
			in.RedirectURIs = []string{"http://127.0.0.1/callback", "http://localhost/cb"}
		})
		spa := w.app(t, w.tn, "spa", public, func(in *directoryApp) {
			in.RedirectURIs = []string{"http://127.0.0.1:5000/callback"}
		})
		for _, tc := range []struct {
			name     string
			c        *client
			redirect string
		}{
			{"unregistered", w.web, "https://evil.example.test/callback"},
			{"trailing slash", w.web, rpCallback + "/"},
			{"case", w.web, "https://RP.example.test/callback"},
			{"path case", w.web, rpBase + "/Callback"},
			{"added query", w.web, rpCallback + "?next=/admin"},
			{"encoded", w.web, rpBase + "/%63allback"},
			{"encoded slash", w.web, "https://rp.example.test%2Fcallback"},
			{"fragment", w.web, rpCallback + "#x"},
			{"other port", w.web, "https://rp.example.test:8443/callback"},
			{"native: other path on loopback", native, "http://127.0.0.1:4000/other"},
			{"native: other loopback host", native, "http://127.0.0.2:4000/callback"},
			{"native: https loopback", native, "https://127.0.0.1:4000/callback"},
			{"public (not native): loopback on another port", spa, "http://127.0.0.1:5001/callback"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				ar := tc.c.authURL(url.Values{"redirect_uri": {tc.redirect}})
				r := w.get(t, ar.url)
				require.Equal(t, http.StatusBadRequest, r.status)
				assert.Empty(t, r.header.Get("Location"), "never redirected")
				assert.Contains(t, r.header.Get("Content-Type"), "text/html")
				assert.Contains(t, r.body, "Invalid redirect URI")
				assert.Contains(t, r.body, "Woodgrove", "the tenant's branded page")
			})
		}
		// RFC 8252 §7.3: a native app's loopback redirect matches on any port.
		for _, redirect := range []string{"http://127.0.0.1:51234/callback", "http://localhost:8999/cb", "http://127.0.0.1/callback"} {
			ar := native.authURL(url.Values{"redirect_uri": {redirect}})
			r := w.get(t, ar.url)
			require.Equal(t, http.StatusFound, r.status, redirect)
			assert.Contains(t, r.header.Get("Location"), "/t/woodgrove/login?id=")
		}
	})
}

func TestWrongPKCEVerifier(t *testing.T) {
	t.Parallel()
	runWoodgrove(t, func(t *testing.T, w woodgrove) {
		ar := w.web.authURL(nil)
		code := w.web.code(t, w.browser(), ar, w.alice.Mail)
		requireOAuthError(t, w.web.exchange(t, code, oauth2.GenerateVerifier()), http.StatusBadRequest, "invalid_grant")
		requireOAuthError(t, w.web.exchange(t, code, ar.verifier), http.StatusBadRequest, "invalid_grant")
	})
}

func TestPKCEWithoutVerifierIsRefused(t *testing.T) {
	t.Parallel()
	runWoodgrove(t, func(t *testing.T, w woodgrove) {
		// A confidential client sent a challenge: omitting the verifier
		// must not downgrade the exchange.
		ar := w.web.authURL(nil)
		code := w.web.code(t, w.browser(), ar, w.alice.Mail)
		requireOAuthError(t, w.web.exchange(t, code, ""), http.StatusBadRequest, "invalid_grant")
	})
}

func TestPlainAndUnknownPKCEMethodsAreRefused(t *testing.T) {
	t.Parallel()
	runWoodgrove(t, func(t *testing.T, w woodgrove) {
		verifier := oauth2.GenerateVerifier()
		for _, tc := range []struct {
			name   string
			params url.Values
		}{
			{"plain", url.Values{"code_challenge": {verifier}, "code_challenge_method": {"plain"}}},
			{"unknown", url.Values{"code_challenge": {s256(verifier)}, "code_challenge_method": {"S512"}}},
			{"missing method", url.Values{"code_challenge": {s256(verifier)}, "code_challenge_method": {""}}},
			{"method without challenge", url.Values{"code_challenge": {""}, "code_challenge_method": {"S256"}}},
			{"malformed S256 challenge", url.Values{"code_challenge": {"short"}, "code_challenge_method": {"S256"}}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				ar := w.web.authURL(tc.params)
				q := redirectQuery(t, w.get(t, ar.url))
				assert.Equal(t, "invalid_request", q.Get("error"))
				assert.Equal(t, ar.state, q.Get("state"))
				assert.Equal(t, w.issuer("woodgrove"), q.Get("iss"))
			})
		}
	})
}

func TestPublicClientNeedsPKCE(t *testing.T) {
	t.Parallel()
	runWoodgrove(t, func(t *testing.T, w woodgrove) {
		spa := w.app(t, w.tn, "spa", public)
		ar := spa.authURL(url.Values{"code_challenge": {""}, "code_challenge_method": {""}})
		q := redirectQuery(t, w.get(t, ar.url))
		assert.Equal(t, "invalid_request", q.Get("error"))
		assert.Contains(t, q.Get("error_description"), "PKCE")

		// With PKCE the public client signs in, authenticating with none.
		tok, _ := spa.tokens(t, w.browser(), w.alice.Mail)
		assert.NotEmpty(t, tok.AccessToken)
	})
}

func TestVerifierWithoutChallengeIsRefused(t *testing.T) {
	t.Parallel()
	runWoodgrove(t, func(t *testing.T, w woodgrove) {
		ar := w.web.authURL(url.Values{"code_challenge": {""}, "code_challenge_method": {""}})
		code := w.web.code(t, w.browser(), ar, w.alice.Mail)
		requireOAuthError(t, w.web.exchange(t, code, ar.verifier), http.StatusBadRequest, "invalid_request")
	})
}

func TestExpiredCode(t *testing.T) {
	t.Parallel()
	runWoodgrove(t, func(t *testing.T, w woodgrove) {
		ar := w.web.authURL(nil)
		code := w.web.code(t, w.browser(), ar, w.alice.Mail)
		w.clock.Advance(5*time.Minute + time.Second)
		requireOAuthError(t, w.web.exchange(t, code, ar.verifier), http.StatusBadRequest, "invalid_grant")
	})
}

// TestCodeOfAnotherClient: a stolen code tried at other clients — a
// confidential one with its own secret, a public one, with the right
// verifier or a wrong one, with the right redirect URI or not — is refused
// and does not burn the code: its own client still redeems it once.
func TestCodeOfAnotherClient(t *testing.T) {
	t.Parallel()
	runWoodgrove(t, func(t *testing.T, w woodgrove) {
		other := w.app(t, w.tn, "other-app")
		spa := w.app(t, w.tn, "spa", public)
		ar := w.web.authURL(nil)
		code := w.web.code(t, w.browser(), ar, w.alice.Mail)
		requireOAuthError(t, other.exchange(t, code, ar.verifier), http.StatusBadRequest, "invalid_grant")
		requireOAuthError(t, spa.exchange(t, code, ar.verifier), http.StatusBadRequest, "invalid_grant")
		requireOAuthError(t, spa.exchange(t, code, oauth2.GenerateVerifier()), http.StatusBadRequest, "invalid_grant")
		requireOAuthError(t, other.token(t, url.Values{"grant_type": {"authorization_code"}, "code": {code},
			"redirect_uri": {"https://evil.example.test/callback"}}), http.StatusBadRequest, "invalid_grant")

		r := w.web.exchange(t, code, ar.verifier)
		require.Equal(t, http.StatusOK, r.status, "the code is still good for its own client: %s", r.body)
		assert.Equal(t, true, w.web.introspect(t, r.json["access_token"].(string))["active"])
		// Once redeemed, the code is spent: another client presenting it
		// is refused without revoking what the owner got, and a replay by
		// its own client still revokes it.
		requireOAuthError(t, other.exchange(t, code, ar.verifier), http.StatusBadRequest, "invalid_grant")
		assert.Equal(t, true, w.web.introspect(t, r.json["access_token"].(string))["active"])
		requireOAuthError(t, w.web.exchange(t, code, ar.verifier), http.StatusBadRequest, "invalid_grant")
		assert.Equal(t, false, w.web.introspect(t, r.json["access_token"].(string))["active"])
	})
}

// TestCodeOfItsOwnClientIsOneTry: its own client gets one try; a wrong
// redirect URI spends the code like a wrong verifier (TestWrongPKCEVerifier).
func TestCodeOfItsOwnClientIsOneTry(t *testing.T) {
	t.Parallel()
	runWoodgrove(t, func(t *testing.T, w woodgrove) {
		ar := w.web.authURL(nil)
		code := w.web.code(t, w.browser(), ar, w.alice.Mail)
		requireOAuthError(t, w.web.token(t, url.Values{"grant_type": {"authorization_code"}, "code": {code},
			"redirect_uri": {rpCallback + "/"}, "code_verifier": {ar.verifier}}), http.StatusBadRequest, "invalid_grant")
		requireOAuthError(t, w.web.exchange(t, code, ar.verifier), http.StatusBadRequest, "invalid_grant")
	})
}

func TestRedirectURIOfTheExchangeMustMatch(t *testing.T) {
	t.Parallel()
	runWoodgrove(t, func(t *testing.T, w woodgrove) {
		ar := w.web.authURL(nil)
		code := w.web.code(t, w.browser(), ar, w.alice.Mail)
		r := w.web.token(t, url.Values{"grant_type": {"authorization_code"}, "code": {code},
			"redirect_uri": {rpCallback + "/"}, "code_verifier": {ar.verifier}})
		requireOAuthError(t, r, http.StatusBadRequest, "invalid_grant")
	})
}

func TestRefreshReuseRevokesTheFamily(t *testing.T) {
	t.Parallel()
	runWoodgrove(t, func(t *testing.T, w woodgrove) {
		tok, _ := w.web.tokens(t, w.browser(), w.alice.Mail)
		refresh := func(rt string) response {
			return w.web.token(t, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}})
		}
		second := refresh(tok.RefreshToken)
		require.Equal(t, http.StatusOK, second.status, second.body)
		next := second.json["refresh_token"].(string)

		// After the retry grace window (TestRefreshRetryWithinGrace).
		w.clock.Advance(config.DefaultTokens().RefreshReuseGrace + time.Second)
		requireOAuthError(t, refresh(tok.RefreshToken), http.StatusBadRequest, "invalid_grant")

		requireOAuthError(t, refresh(next), http.StatusBadRequest, "invalid_grant")
		assert.Equal(t, false, w.web.introspect(t, next)["active"], "the whole family is revoked")
		assert.Equal(t, false, w.web.introspect(t, second.json["access_token"].(string))["active"])
	})
}

func TestRefreshCannotWidenScope(t *testing.T) {
	t.Parallel()
	runWoodgrove(t, func(t *testing.T, w woodgrove) {
		tok, _ := w.web.tokens(t, w.browser(), w.alice.Mail, "openid", "offline_access")
		r := w.web.token(t, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}, "scope": {"openid email"}})
		requireOAuthError(t, r, http.StatusBadRequest, "invalid_scope")

		// Narrowing is fine, and the refresh token keeps its scope.
		r = w.web.token(t, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}, "scope": {"openid"}})
		require.Equal(t, http.StatusOK, r.status, r.body)
		assert.Equal(t, "openid", r.json["scope"])
		in := w.web.introspect(t, r.json["refresh_token"].(string))
		assert.Equal(t, "openid offline_access", in["scope"])
	})
}

func TestRefreshTokenHasAnAbsoluteLifetime(t *testing.T) {
	t.Parallel()
	runWoodgrove(t, func(t *testing.T, w woodgrove) {
		tok, _ := w.web.tokens(t, w.browser(), w.alice.Mail)
		rt := tok.RefreshToken
		for range 3 {
			w.clock.Advance(9 * 24 * time.Hour)
			r := w.web.token(t, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}})
			require.Equal(t, http.StatusOK, r.status, r.body)
			rt = r.json["refresh_token"].(string)
		}
		w.clock.Advance(3*24*time.Hour + time.Minute) // 30 days and a minute after the sign-in
		requireOAuthError(t, w.web.token(t, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}),
			http.StatusBadRequest, "invalid_grant")
	})
}

func TestWrongClientSecret(t *testing.T) {
	t.Parallel()
	runWoodgrove(t, func(t *testing.T, w woodgrove) {
		for _, tc := range []struct {
			name       string
			user, pass string
			form       url.Values
		}{
			{"basic, wrong secret", "web-app", "not-the-secret", nil},
			{"basic, unknown client", "nobody", "x", nil},
			{"post, wrong secret", "", "", url.Values{"client_id": {"web-app"}, "client_secret": {"nope"}}},
			{"confidential client without a secret", "", "", url.Values{"client_id": {"web-app"}}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"whatever"}}
				for k, v := range tc.form {
					form[k] = v
				}
				r := w.post(t, w.issuer("woodgrove")+"/oauth/token", form, tc.user, tc.pass)
				requireOAuthError(t, r, http.StatusUnauthorized, "invalid_client")
				assert.Equal(t, `Basic realm="`+w.issuer("woodgrove")+`"`, r.header.Get("WWW-Authenticate"))
				assert.Equal(t, "no-store", r.header.Get("Cache-Control"))
			})
		}
	})
}

func TestTokenOfAnotherTenantAtUserinfo(t *testing.T) {
	t.Parallel()
	runWoodgrove(t, func(t *testing.T, w woodgrove) {
		fabrikam := w.tenant(t, "fabrikam", "")
		_ = w.member(t, fabrikam, "carol@fabrikam.test")
		tok, _ := w.web.tokens(t, w.browser(), w.alice.Mail)
		require.Equal(t, http.StatusOK, w.userinfo(t, "woodgrove", tok.AccessToken).status)

		r := w.userinfo(t, "fabrikam", tok.AccessToken)
		require.Equal(t, http.StatusUnauthorized, r.status, r.body)
		assert.Equal(t, `Bearer realm="`+w.issuer("fabrikam")+`", error="invalid_token"`, r.header.Get("WWW-Authenticate"))
		assert.Equal(t, "invalid_token", r.json["error"])

		// Nor does fabrikam's introspection know it.
		fabApp := w.app(t, fabrikam, "web-app")
		assert.Equal(t, false, fabApp.introspect(t, tok.AccessToken)["active"])
	})
}

func TestIDTokenIsNoAccessToken(t *testing.T) {
	t.Parallel()
	runWoodgrove(t, func(t *testing.T, w woodgrove) {
		tok, _ := w.web.tokens(t, w.browser(), w.alice.Mail)
		rawID := tok.Extra("id_token").(string)
		r := w.userinfo(t, "woodgrove", rawID)
		require.Equal(t, http.StatusUnauthorized, r.status)
		assert.Contains(t, r.header.Get("WWW-Authenticate"), `error="invalid_token"`)
		assert.Equal(t, false, w.web.introspect(t, rawID)["active"])

		// No token at all: a challenge without an error (RFC 6750 §3.1).
		r = w.get(t, w.issuer("woodgrove")+"/userinfo")
		require.Equal(t, http.StatusUnauthorized, r.status)
		assert.Equal(t, `Bearer realm="`+w.issuer("woodgrove")+`"`, r.header.Get("WWW-Authenticate"))

		// A garbled token.
		r = w.userinfo(t, "woodgrove", tok.AccessToken[:len(tok.AccessToken)-4]+"AAAA")
		require.Equal(t, http.StatusUnauthorized, r.status)
	})
}

func TestUserinfoByPost(t *testing.T) {
	t.Parallel()
	runWoodgrove(t, func(t *testing.T, w woodgrove) {
		tok, _ := w.web.tokens(t, w.browser(), w.alice.Mail)
		r := w.post(t, w.issuer("woodgrove")+"/userinfo", url.Values{"access_token": {tok.AccessToken}}, "", "")
		require.Equal(t, http.StatusOK, r.status, r.body)
		assert.Equal(t, w.alice.ID, r.json["sub"])
		assert.Equal(t, "no-store", r.header.Get("Cache-Control"))
	})
}

func TestTokensSignedBeforeKeyRotationStillVerify(t *testing.T) {
	t.Parallel()
	runWoodgrove(t, func(t *testing.T, w woodgrove) {
		tok, _ := w.web.tokens(t, w.browser(), w.alice.Mail)
		oldHeader, _ := jwtParts(t, tok.Extra("id_token").(string))

		state, err := w.keys.Rotate(t.Context(), w.tn.ID)
		require.NoError(t, err)
		require.NotEqual(t, oldHeader["kid"], state.Active.ID)

		v := w.web.verifier(t) // fetches the JWKS after the rotation
		_, err = v.Verify(t.Context(), tok.Extra("id_token").(string))
		require.NoError(t, err, "the retired key is still published")
		require.Equal(t, http.StatusOK, w.userinfo(t, "woodgrove", tok.AccessToken).status)

		tok2, _ := w.web.tokens(t, w.browser(), w.alice.Mail)
		newHeader, _ := jwtParts(t, tok2.Extra("id_token").(string))
		assert.Equal(t, state.Active.ID, newHeader["kid"], "new tokens use the new key")
		_, err = v.Verify(t.Context(), tok2.Extra("id_token").(string))
		require.NoError(t, err)
	})
}

func TestPromptNoneWithoutSession(t *testing.T) {
	t.Parallel()
	runWoodgrove(t, func(t *testing.T, w woodgrove) {
		ar := w.web.authURL(url.Values{"prompt": {"none"}})
		q := redirectQuery(t, w.get(t, ar.url))
		assert.Equal(t, "login_required", q.Get("error"))
		assert.Equal(t, ar.state, q.Get("state"))
		assert.Equal(t, w.issuer("woodgrove"), q.Get("iss"))
	})
}

func TestPromptNoneWithSession(t *testing.T) {
	t.Parallel()
	runWoodgrove(t, func(t *testing.T, w woodgrove) {
		b := w.browser()
		w.web.code(t, b, w.web.authURL(nil), w.alice.Mail)

		// Signed in and consented: prompt=none answers a code at once.
		ar := w.web.authURL(url.Values{"prompt": {"none"}})
		page, err := b.Get(t.Context(), ar.url)
		require.NoError(t, err)
		require.True(t, page.Stopped())
		assert.NotEmpty(t, page.Query().Get("code"))
		assert.Equal(t, w.issuer("woodgrove"), page.Query().Get("iss"))

		// Asking for more than was consented: consent_required.
		other := w.app(t, w.tn, "second-app")
		page, err = b.Get(t.Context(), other.authURL(url.Values{"prompt": {"none"}}).url)
		require.NoError(t, err)
		require.True(t, page.Stopped())
		assert.Equal(t, "consent_required", page.Query().Get("error"))

		// An id_token_hint naming someone else: login_required.
		bob := w.member(t, w.tn, "bob@woodgrove.test")
		bobTok, _ := w.web.tokens(t, w.browser(), bob.Mail)
		page, err = b.Get(t.Context(), w.web.authURL(url.Values{"prompt": {"none"}, "id_token_hint": {bobTok.Extra("id_token").(string)}}).url)
		require.NoError(t, err)
		require.True(t, page.Stopped())
		assert.Equal(t, "login_required", page.Query().Get("error"))

		// max_age already passed: login_required.
		w.clock.Advance(2 * time.Minute)
		page, err = b.Get(t.Context(), w.web.authURL(url.Values{"prompt": {"none"}, "max_age": {"60"}}).url)
		require.NoError(t, err)
		require.True(t, page.Stopped())
		assert.Equal(t, "login_required", page.Query().Get("error"))
	})
}

func TestPromptLoginAndMaxAgeShowTheLoginPage(t *testing.T) {
	t.Parallel()
	runWoodgrove(t, func(t *testing.T, w woodgrove) {
		b := w.browser()
		w.web.code(t, b, w.web.authURL(nil), w.alice.Mail)
		for _, params := range []url.Values{{"prompt": {"login"}}, {"max_age": {"0"}}} {
			page, err := b.Get(t.Context(), w.web.authURL(params).url)
			require.NoError(t, err)
			_, err = page.FormWith("current-password")
			require.NoError(t, err, "%v shows the login page", params)
		}
		w.clock.Advance(10 * time.Second)
		page, err := b.Get(t.Context(), w.web.authURL(url.Values{"max_age": {"3600"}}).url)
		require.NoError(t, err)
		require.True(t, page.Stopped(), "a recent sign-in satisfies max_age")

		// The new auth_time appears after a forced sign-in.
		w.clock.Advance(time.Minute)
		ar := w.web.authURL(url.Values{"prompt": {"login"}})
		code := w.web.code(t, b, ar, w.alice.Mail)
		r := w.web.exchange(t, code, ar.verifier)
		require.Equal(t, http.StatusOK, r.status)
		_, claims := jwtParts(t, r.json["id_token"].(string))
		assert.EqualValues(t, w.clock.Now().Unix(), claims["auth_time"])
	})
}

func TestIssOnSuccessAndErrorRedirects(t *testing.T) {
	t.Parallel()
	runWoodgrove(t, func(t *testing.T, w woodgrove) {
		b := w.browser()
		q := signIn(t, b, w.web.authURL(nil), w.alice.Mail)
		assert.Equal(t, w.issuer("woodgrove"), q.Get("iss"))
		assert.NotEmpty(t, q.Get("code"))

		for _, params := range []url.Values{
			{"scope": {"profile"}},                 // invalid_scope: no openid
			{"response_type": {"token"}},           // unsupported_response_type
			{"max_age": {"soon"}},                  // invalid_request
			{"request": {"eyJhbGciOiJub25lIn0.."}}, // request_not_supported
		} {
			ar := w.web.authURL(params)
			q := redirectQuery(t, w.get(t, ar.url))
			assert.NotEmpty(t, q.Get("error"), "%v", params)
			assert.Equal(t, w.issuer("woodgrove"), q.Get("iss"), "%v", params)
			assert.Equal(t, ar.state, q.Get("state"))
		}

		// Declining consent: access_denied, with iss.
		page, err := b.Get(t.Context(), w.app(t, w.tn, "new-app").authURL(nil).url)
		require.NoError(t, err)
		form := page.Forms[0]
		page, err = b.Submit(t.Context(), form, form.Button("deny"))
		require.NoError(t, err)
		require.True(t, page.Stopped(), page.Summary())
		assert.Equal(t, "access_denied", page.Query().Get("error"))
		assert.Equal(t, w.issuer("woodgrove"), page.Query().Get("iss"))
	})
}

func TestDiscovery(t *testing.T) {
	t.Parallel()
	runWoodgrove(t, func(t *testing.T, w woodgrove) {
		d := getJSON(t, w.issuer("woodgrove")+"/.well-known/openid-configuration")
		iss := w.issuer("woodgrove")
		assert.Equal(t, iss, d["issuer"])
		assert.Equal(t, true, d["authorization_response_iss_parameter_supported"])
		assert.Equal(t, []any{"S256"}, d["code_challenge_methods_supported"])
		assert.Equal(t, []any{"code"}, d["response_types_supported"])
		assert.Equal(t, []any{"authorization_code", "refresh_token", "client_credentials", "urn:ietf:params:oauth:grant-type:device_code"},
			d["grant_types_supported"])
		assert.Equal(t, []any{"RS256"}, d["id_token_signing_alg_values_supported"])
		assert.Equal(t, iss+"/authorize", d["authorization_endpoint"])
		assert.Equal(t, iss+"/oauth/token", d["token_endpoint"])
		assert.Equal(t, iss+"/userinfo", d["userinfo_endpoint"])
		assert.Equal(t, iss+"/keys", d["jwks_uri"])
		assert.Equal(t, iss+"/end_session", d["end_session_endpoint"])
		assert.Equal(t, iss+"/oauth/revoke", d["revocation_endpoint"])
		assert.Equal(t, iss+"/oauth/introspect", d["introspection_endpoint"])
		assert.ElementsMatch(t, []any{"client_secret_basic", "client_secret_post", "none"}, d["token_endpoint_auth_methods_supported"])
		assert.Equal(t, iss+"/oauth/device_authorization", d["device_authorization_endpoint"])

		// The keys the discovery names are the tenant's.
		jwks := getJSON(t, d["jwks_uri"].(string))
		keys, _ := jwks["keys"].([]any)
		assert.Len(t, keys, 2)
	})
}

func TestImplicitAndHybridAreRefused(t *testing.T) {
	t.Parallel()
	runWoodgrove(t, func(t *testing.T, w woodgrove) {
		for _, rt := range []string{"token", "id_token", "id_token token", "code id_token", "code token", "code id_token token", "none"} {
			ar := w.web.authURL(url.Values{"response_type": {rt}})
			q := redirectQuery(t, w.get(t, ar.url))
			assert.Equal(t, "unsupported_response_type", q.Get("error"), rt)
			assert.Equal(t, w.issuer("woodgrove"), q.Get("iss"), rt)
			assert.Empty(t, q.Get("access_token"))
		}
	})
}

func TestUnsupportedGrantTypes(t *testing.T) {
	t.Parallel()
	runWoodgrove(t, func(t *testing.T, w woodgrove) {
		for _, gt := range []string{"password", "implicit", "urn:ietf:params:oauth:grant-type:jwt-bearer",
			"urn:ietf:params:oauth:grant-type:token-exchange"} {
			r := w.web.token(t, url.Values{"grant_type": {gt}, "username": {w.alice.Mail}, "password": {password}, "assertion": {"x.y.z"}})
			requireOAuthError(t, r, http.StatusBadRequest, "unsupported_grant_type")
			assert.Nil(t, r.json["access_token"], gt)
		}
		// A grant the client is not registered for: unauthorized_client.
		requireOAuthError(t, w.web.token(t, url.Values{"grant_type": {"client_credentials"}}), http.StatusBadRequest, "unauthorized_client")
		requireOAuthError(t, w.web.token(t, url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:device_code"}, "device_code": {"x"}}),
			http.StatusBadRequest, "unauthorized_client")
	})
}

func TestTokenResponsesAreNeverCached(t *testing.T) {
	t.Parallel()
	runWoodgrove(t, func(t *testing.T, w woodgrove) {
		ar := w.web.authURL(nil)
		code := w.web.code(t, w.browser(), ar, w.alice.Mail)
		for name, r := range map[string]response{
			"success":       w.web.exchange(t, code, ar.verifier),
			"invalid_grant": w.web.exchange(t, code, ar.verifier),
			"invalid_client": w.post(t, w.issuer("woodgrove")+"/oauth/token",
				url.Values{"grant_type": {"client_credentials"}}, "web-app", "wrong"),
			"unsupported_grant_type": w.web.token(t, url.Values{"grant_type": {"password"}}),
			"introspection":          w.post(t, w.issuer("woodgrove")+"/oauth/introspect", url.Values{"token": {"x"}}, "web-app", w.web.secret),
		} {
			assert.Equal(t, "no-store", r.header.Get("Cache-Control"), name)
			assert.Equal(t, "no-cache", r.header.Get("Pragma"), name)
		}
	})
}

func TestStoreOutageAtTheTokenEndpointIs5xx(t *testing.T) {
	t.Parallel()
	runWoodgrove(t, func(t *testing.T, w woodgrove) {
		ar := w.web.authURL(nil)
		code := w.web.code(t, w.browser(), ar, w.alice.Mail)
		tok, _ := w.web.tokens(t, w.browser(), w.alice.Mail)

		w.store.fail("ConsumeToken", "GetRefreshToken")
		r := w.web.exchange(t, code, ar.verifier)
		requireOAuthError(t, r, http.StatusServiceUnavailable, "server_error")
		r = w.web.token(t, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}})
		requireOAuthError(t, r, http.StatusServiceUnavailable, "server_error")
		assert.NotContains(t, r.body, "storage unavailable", "no internal detail reaches the client")

		w.store.fail("ListClientSecrets") // client authentication itself
		requireOAuthError(t, w.web.token(t, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}}),
			http.StatusServiceUnavailable, "server_error")

		w.store.fail("TokenRevoked")
		r = w.userinfo(t, "woodgrove", tok.AccessToken)
		assert.Equal(t, http.StatusServiceUnavailable, r.status, "userinfo: 503, not 401")
	})
}

func TestClosedStoreAtTheTokenEndpointIs5xx(t *testing.T) {
	t.Parallel()
	runWoodgrove(t, func(t *testing.T, w woodgrove) {
		ar := w.web.authURL(nil)
		code := w.web.code(t, w.browser(), ar, w.alice.Mail)
		require.NoError(t, w.raw.Close())
		r := w.web.exchange(t, code, ar.verifier)
		requireOAuthError(t, r, http.StatusServiceUnavailable, "server_error")
	})
}

func TestUnknownTenantIs404(t *testing.T) {
	t.Parallel()
	runWoodgrove(t, func(t *testing.T, w woodgrove) {
		for _, path := range []string{
			"/t/nobody/.well-known/openid-configuration", "/t/nobody/authorize?client_id=web-app",
			"/t/nobody/keys", "/t/nobody/login?id=x", "/t/WOODGROVE/.well-known/openid-configuration",
		} {
			r := w.get(t, w.base+path)
			assert.Equal(t, http.StatusNotFound, r.status, path)
		}
		r := w.post(t, w.base+"/t/nobody/oauth/token", url.Values{"grant_type": {"client_credentials"}}, "web-app", "x")
		assert.Equal(t, http.StatusNotFound, r.status)
	})
}

func TestUnknownClientAndMissingParametersShowThePage(t *testing.T) {
	t.Parallel()
	runWoodgrove(t, func(t *testing.T, w woodgrove) {
		for _, q := range []url.Values{
			{"client_id": {"nobody"}, "redirect_uri": {rpCallback}, "response_type": {"code"}, "scope": {"openid"}},
			{"redirect_uri": {rpCallback}, "response_type": {"code"}, "scope": {"openid"}},
			{"client_id": {"web-app"}, "response_type": {"code"}, "scope": {"openid"}},
			{"client_id": {"web-app", "web-app"}, "redirect_uri": {rpCallback}},
		} {
			r := w.get(t, w.issuer("woodgrove")+"/authorize?"+q.Encode())
			assert.Equal(t, http.StatusBadRequest, r.status, q.Encode())
			assert.Empty(t, r.header.Get("Location"))
		}
	})
}

func TestAccessTokenRevocation(t *testing.T) {
	t.Parallel()
	runWoodgrove(t, func(t *testing.T, w woodgrove) {
		tok, _ := w.web.tokens(t, w.browser(), w.alice.Mail)
		other := w.app(t, w.tn, "other-app")
		// Another client cannot revoke it (answered 200, nothing done).
		r := w.post(t, w.issuer("woodgrove")+"/oauth/revoke", url.Values{"token": {tok.AccessToken}}, other.app.ClientID, other.secret)
		require.Equal(t, http.StatusOK, r.status)
		assert.Equal(t, http.StatusOK, w.userinfo(t, "woodgrove", tok.AccessToken).status)

		r = w.post(t, w.issuer("woodgrove")+"/oauth/revoke", url.Values{"token": {tok.AccessToken}, "token_type_hint": {"access_token"}}, "web-app", w.web.secret)
		require.Equal(t, http.StatusOK, r.status)
		assert.Equal(t, http.StatusUnauthorized, w.userinfo(t, "woodgrove", tok.AccessToken).status)
		// The refresh token lives on: only the access token was revoked.
		assert.Equal(t, true, w.web.introspect(t, tok.RefreshToken)["active"])
		// Unknown tokens are fine too (RFC 7009 §2.2).
		r = w.post(t, w.issuer("woodgrove")+"/oauth/revoke", url.Values{"token": {"never-issued"}}, "web-app", w.web.secret)
		require.Equal(t, http.StatusOK, r.status)
	})
}

// TestUserAccessTokensNameTheirFamily: a user's access tokens are not
// stored one row each; their jti names the refresh family, so revoking one
// token, or the family, still reaches exactly what it should.
func TestUserAccessTokensNameTheirFamily(t *testing.T) {
	t.Parallel()
	runWoodgrove(t, func(t *testing.T, w woodgrove) {
		tok, _ := w.web.tokens(t, w.browser(), w.alice.Mail)
		r := w.web.token(t, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}})
		require.Equal(t, http.StatusOK, r.status, r.body)
		second, nextRefresh := r.json["access_token"].(string), r.json["refresh_token"].(string)

		var family string
		for _, at := range []string{tok.AccessToken, second} {
			_, claims := jwtParts(t, at)
			jti := claims["jti"].(string)
			ref, ok := accesstoken.RefOf(jti)
			require.True(t, ok, "jti %q names a family", jti)
			if family == "" {
				family = ref
			}
			assert.Equal(t, family, ref, "code and refresh tokens name one family")
			_, err := w.raw.GetAccessToken(t.Context(), w.tn.ID, jti)
			require.ErrorIs(t, err, store.ErrNotFound, "no row per access token")
			assert.Equal(t, true, w.web.introspect(t, at)["active"])
		}

		r = w.post(t, w.issuer("woodgrove")+"/oauth/revoke", url.Values{"token": {tok.AccessToken}}, "web-app", w.web.secret)
		require.Equal(t, http.StatusOK, r.status)
		assert.Equal(t, false, w.web.introspect(t, tok.AccessToken)["active"], "the revoked token")
		assert.Equal(t, true, w.web.introspect(t, second)["active"], "its sibling lives on")

		r = w.post(t, w.issuer("woodgrove")+"/oauth/revoke", url.Values{"token": {nextRefresh}}, "web-app", w.web.secret)
		require.Equal(t, http.StatusOK, r.status)
		assert.Equal(t, false, w.web.introspect(t, second)["active"], "the family's revocation reaches it")
		assert.Equal(t, http.StatusUnauthorized, w.userinfo(t, "woodgrove", second).status)
	})
}

// redirectQuery answers the query of a redirect to the relying party.
func redirectQuery(t testing.TB, r response) url.Values {
	t.Helper()
	require.Equal(t, http.StatusFound, r.status, r.body)
	loc, err := url.Parse(r.header.Get("Location"))
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(loc.String(), rpBase), "redirected to the relying party, not %s", loc)
	return loc.Query()
}

// forge signs claims with the tenant's own active key, as only Foyer
// could: what is refused then is refused for its claims or type, not for
// its signature.
func (e *env) forge(t testing.TB, tn store.Tenant, typ string, claims map[string]any) string {
	t.Helper()
	k, err := e.keys.Signer(t.Context(), tn.ID)
	require.NoError(t, err)
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: k.SignatureAlgorithm(), Key: k.Key()},
		(&jose.SignerOptions{}).WithType(jose.ContentType(typ)).WithHeader("kid", k.ID()))
	require.NoError(t, err)
	payload, err := json.Marshal(claims)
	require.NoError(t, err)
	jws, err := signer.Sign(payload)
	require.NoError(t, err)
	out, err := jws.CompactSerialize()
	require.NoError(t, err)
	return out
}

// TestAccessTokenChecks: a token signed with the tenant's key is still
// refused unless it is an unexpired at+jwt of this issuer and tenant, and
// introspection tells only the client it was issued to.
func TestAccessTokenChecks(t *testing.T) {
	t.Parallel()
	runWoodgrove(t, func(t *testing.T, w woodgrove) {
		daemon := w.app(t, w.tn, "daemon", func(in *directoryApp) {
			in.GrantTypes = []string{"client_credentials"}
			in.RedirectURIs = nil
		})
		now := w.clock.Now()
		valid := func() map[string]any {
			return map[string]any{
				"iss": w.issuer("woodgrove"), "sub": "daemon", "aud": "daemon", "client_id": "daemon",
				"jti": secret.NewID(), "tid": w.tn.ID, "scope": "", "iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
			}
		}
		active := func(token string) any { return daemon.introspect(t, token)["active"] }
		require.Equal(t, true, active(w.forge(t, w.tn, "at+jwt", valid())), "the baseline is accepted")

		for name, edit := range map[string]func(c map[string]any) string{
			"typ JWT":      func(c map[string]any) string { return w.forge(t, w.tn, "JWT", c) },
			"no typ":       func(c map[string]any) string { return w.forge(t, w.tn, "", c) },
			"other issuer": func(c map[string]any) string { c["iss"] = w.issuer("fabrikam"); return w.forge(t, w.tn, "at+jwt", c) },
			"other tenant": func(c map[string]any) string { c["tid"] = "another-tenant"; return w.forge(t, w.tn, "at+jwt", c) },
			"no jti":       func(c map[string]any) string { delete(c, "jti"); return w.forge(t, w.tn, "at+jwt", c) },
			"expired": func(c map[string]any) string {
				c["exp"] = now.Add(-time.Second).Unix()
				return w.forge(t, w.tn, "at+jwt", c)
			},
			"unstored user": func(c map[string]any) string { c["sub"] = w.alice.ID; return w.forge(t, w.tn, "at+jwt", c) },
			"other client's": func(c map[string]any) string {
				c["client_id"], c["aud"] = "web-app", "web-app"
				return w.forge(t, w.tn, "at+jwt", c)
			},
		} {
			assert.Equal(t, false, active(edit(valid())), name)
		}

		// A user's token is introspectable by its client only.
		tok, _ := w.web.tokens(t, w.browser(), w.alice.Mail)
		other := w.app(t, w.tn, "other-app")
		assert.Equal(t, false, other.introspect(t, tok.AccessToken)["active"])
		assert.Equal(t, false, other.introspect(t, tok.RefreshToken)["active"])
		assert.Equal(t, true, w.web.introspect(t, tok.AccessToken)["active"])
		// Public clients cannot introspect at all.
		r := w.post(t, w.issuer("woodgrove")+"/oauth/introspect", url.Values{"token": {tok.AccessToken}, "client_id": {"web-app"}}, "", "")
		assert.Equal(t, http.StatusUnauthorized, r.status)
	})
}

func TestRefreshTokenOfAnotherClient(t *testing.T) {
	t.Parallel()
	runWoodgrove(t, func(t *testing.T, w woodgrove) {
		tok, _ := w.web.tokens(t, w.browser(), w.alice.Mail)
		other := w.app(t, w.tn, "other-app")
		requireOAuthError(t, other.token(t, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}}),
			http.StatusBadRequest, "invalid_grant")
		r := w.web.token(t, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}})
		require.Equal(t, http.StatusOK, r.status, "the owner's token is untouched")
	})
}

// TestConcurrentCodeRedemption: of redemptions racing for one code exactly
// one wins, and the losers, seeing a replay, revoke what it issued — even
// though they ran while it was still storing its tokens.
func TestConcurrentCodeRedemption(t *testing.T) {
	t.Parallel()
	runWoodgrove(t, func(t *testing.T, w woodgrove) {
		ar := w.web.authURL(nil)
		code := w.web.code(t, w.browser(), ar, w.alice.Mail)
		const racers = 6
		results := make(chan response, racers)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for range racers {
			wg.Go(func() {
				<-start
				results <- w.web.exchange(t, code, ar.verifier)
			})
		}
		close(start)
		wg.Wait()
		close(results)
		var won []response
		for r := range results {
			if r.status == http.StatusOK {
				won = append(won, r)
				continue
			}
			requireOAuthError(t, r, http.StatusBadRequest, "invalid_grant")
		}
		require.Len(t, won, 1, "exactly one redemption wins")
		assert.Equal(t, false, w.web.introspect(t, won[0].json["access_token"].(string))["active"])
		assert.Equal(t, false, w.web.introspect(t, won[0].json["refresh_token"].(string))["active"])
	})
}

// TestReplayDuringRedemptionRevokesItsTokens pins the order the race test
// can only hope for: the replay arrives after the first redemption consumed
// the code and before it stored its tokens. The replay must wait for those
// tokens and revoke them, not revoke nothing and let them live.
func TestReplayDuringRedemptionRevokesItsTokens(t *testing.T) {
	t.Parallel()
	runWoodgrove(t, func(t *testing.T, w woodgrove) {
		ar := w.web.authURL(nil)
		code := w.web.code(t, w.browser(), ar, w.alice.Mail)
		consumed, revoking := make(chan struct{}), make(chan struct{}, 1)
		var once sync.Once
		w.store.faults.mu.Lock()
		w.store.faults.afterConsume = func() {
			once.Do(func() {
				close(consumed)
				// Hold the first redemption until the replay revokes,
				// or long enough to show the replay waits for it.
				select {
				case <-revoking:
				case <-time.After(300 * time.Millisecond):
				}
			})
		}
		w.store.faults.onRevokeGrant = func() {
			select {
			case revoking <- struct{}{}:
			default:
			}
		}
		w.store.faults.mu.Unlock()

		first := make(chan response, 1)
		go func() { first <- w.web.exchange(t, code, ar.verifier) }()
		<-consumed
		requireOAuthError(t, w.web.exchange(t, code, ar.verifier), http.StatusBadRequest, "invalid_grant")
		r := <-first
		require.Equal(t, http.StatusOK, r.status, r.body)
		assert.Equal(t, false, w.web.introspect(t, r.json["access_token"].(string))["active"], "revoked by the replay")
		assert.Equal(t, false, w.web.introspect(t, r.json["refresh_token"].(string))["active"])
	})
}

// TestCodeRaceWithAnotherClient: attempts of another client racing the
// code's own client never take the code from it, whichever holds the row
// first.
func TestCodeRaceWithAnotherClient(t *testing.T) {
	t.Parallel()
	runWoodgrove(t, func(t *testing.T, w woodgrove) {
		other := w.app(t, w.tn, "other-app")
		ar := w.web.authURL(nil)
		code := w.web.code(t, w.browser(), ar, w.alice.Mail)
		const attackers = 5
		start := make(chan struct{})
		var wg sync.WaitGroup
		for range attackers {
			wg.Go(func() {
				<-start
				requireOAuthError(t, other.exchange(t, code, ar.verifier), http.StatusBadRequest, "invalid_grant")
			})
		}
		own := make(chan response, 1)
		wg.Go(func() { <-start; own <- w.web.exchange(t, code, ar.verifier) })
		close(start)
		wg.Wait()
		r := <-own
		require.Equal(t, http.StatusOK, r.status, r.body)
		assert.Equal(t, true, w.web.introspect(t, r.json["access_token"].(string))["active"])
	})
}
