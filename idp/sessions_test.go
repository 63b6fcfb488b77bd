package idp_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/internal/directory"
	"github.com/foyer-idp/foyer/internal/store"
	"github.com/foyer-idp/foyer/internal/webclient"
)

func (f *faultyStore) TouchSession(ctx context.Context, tenantID, id string, at time.Time) error {
	if err := f.err("TouchSession"); err != nil {
		return err
	}
	return f.Store.TouchSession(ctx, tenantID, id, at)
}

// heal undoes fail.
func (f *faultyStore) heal(methods ...string) {
	f.faults.mu.Lock()
	defer f.faults.mu.Unlock()
	for _, m := range methods {
		delete(f.faults.failing, m)
	}
}

var _ store.Sessions = (*faultyStore)(nil)

// silentCode asks for a code with prompt=none in the browser b: the code,
// or the error the client gets.
func (c *client) silentCode(t testing.TB, b *webclient.Client) (code, errCode string) {
	t.Helper()
	page, err := b.Get(t.Context(), c.authURL(url.Values{"prompt": {"none"}}).url)
	require.NoError(t, err)
	require.True(t, page.Stopped(), page.Summary())
	return page.Query().Get("code"), page.Query().Get("error")
}

// requireSignedIn asserts the browser's session still yields codes.
func (c *client) requireSignedIn(t testing.TB, b *webclient.Client, msg string) {
	t.Helper()
	code, errCode := c.silentCode(t, b)
	require.NotEmpty(t, code, "%s: %s", msg, errCode)
}

// requireSignedOut asserts the browser's session no longer counts.
func (c *client) requireSignedOut(t testing.TB, b *webclient.Client, msg string) {
	t.Helper()
	_, errCode := c.silentCode(t, b)
	require.Equal(t, "login_required", errCode, msg)
}

// TestLogoutLinkWithAnotherIDTokenAsks is the logout CSRF attack: a link
// to end_session carrying a valid ID token of the tenant, but not of the
// victim's session, must not sign the victim out without a confirmation.
// Only an ID token of the browser's own session (its sub and sid) signs
// out at once.
func TestLogoutLinkWithAnotherIDTokenAsks(t *testing.T) {
	t.Parallel()
	runWoodgrove(t, func(t *testing.T, w woodgrove) {
		ctx := t.Context()
		mallory := w.member(t, w.tn, "mallory@woodgrove.test")
		malloryTok, _ := w.web.tokens(t, w.browser(), mallory.Mail)
		elsewhere, _ := w.web.tokens(t, w.browser(), w.alice.Mail) // alice, another browser

		victim := w.browser()
		own, _ := w.web.tokens(t, victim, w.alice.Mail)
		refreshed := w.web.token(t, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {own.RefreshToken}})
		require.Equal(t, http.StatusOK, refreshed.status, refreshed.body)

		// The ID tokens name their sessions: opaque, one per session,
		// the same for every app of one session.
		verifier := w.web.verifier(t)
		_, ownClaims := idClaims(t, verifier, own.Extra("id_token").(string))
		_, elsewhereClaims := idClaims(t, verifier, elsewhere.Extra("id_token").(string))
		sid, _ := ownClaims["sid"].(string)
		require.NotEmpty(t, sid)
		assert.NotEqual(t, sid, elsewhereClaims["sid"], "another session, another sid")
		for _, c := range victim.Cookies(mustParse(t, w.issuer("woodgrove"))) {
			assert.NotContains(t, sid, c.Value, "the sid is not a cookie")
		}
		again, _ := w.web.tokens(t, victim, w.alice.Mail)
		_, againClaims := idClaims(t, verifier, again.Extra("id_token").(string))
		assert.Equal(t, sid, againClaims["sid"], "the same session, the same sid")

		for _, tc := range []struct{ name, hint string }{
			{"another user's ID token", malloryTok.Extra("id_token").(string)},
			{"the user's ID token from another session", elsewhere.Extra("id_token").(string)},
			{"an ID token of a refresh, which names no session", refreshed.json["id_token"].(string)},
		} {
			t.Run(tc.name, func(t *testing.T) {
				link := w.issuer("woodgrove") + "/end_session?" + url.Values{
					"id_token_hint": {tc.hint}, "post_logout_redirect_uri": {rpSignedOut}, "state": {"x"},
				}.Encode()
				page, err := victim.Get(ctx, link)
				require.NoError(t, err)
				require.False(t, page.Stopped(), "no redirect before the user confirms: %s", page.Summary())
				assert.Equal(t, http.StatusOK, page.Status)
				assert.Contains(t, page.Text(), "Sign out?")
				w.web.requireSignedIn(t, victim, "the link alone signs nobody out")

				// A POST of the same from the victim's browser, with a
				// confirmation but without the page's token.
				req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.issuer("woodgrove")+"/end_session",
					strings.NewReader(url.Values{"id_token_hint": {tc.hint}, "confirm": {"yes"}, "csrf_token": {"forged"}}.Encode()))
				require.NoError(t, err)
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				page, err = victim.Do(req)
				require.NoError(t, err)
				assert.Contains(t, page.Text(), "Sign out?")
				w.web.requireSignedIn(t, victim, "a forged confirmation signs nobody out")
			})
		}

		// The user confirms: signed out, and sent back to the app.
		page, err := victim.Get(ctx, w.issuer("woodgrove")+"/end_session?"+url.Values{
			"id_token_hint": {malloryTok.Extra("id_token").(string)}, "post_logout_redirect_uri": {rpSignedOut}, "state": {"x"},
		}.Encode())
		require.NoError(t, err)
		page, err = victim.Submit(ctx, page.Forms[0], nil)
		require.NoError(t, err)
		require.True(t, page.Stopped(), page.Summary())
		assert.Equal(t, rpSignedOut+"?state=x", page.Stop.String())
		w.web.requireSignedOut(t, victim, "confirmed")

		// The browser's own session's ID token signs out without asking.
		own, _ = w.web.tokens(t, victim, w.alice.Mail)
		page, err = victim.Get(ctx, w.issuer("woodgrove")+"/end_session?"+url.Values{
			"id_token_hint": {own.Extra("id_token").(string)}, "post_logout_redirect_uri": {rpSignedOut},
		}.Encode())
		require.NoError(t, err)
		require.True(t, page.Stopped(), page.Summary())
		assert.Equal(t, rpSignedOut, page.Stop.String())
		w.web.requireSignedOut(t, victim, "signed out by its own ID token")
	})
}

func mustParse(t testing.TB, raw string) *url.URL {
	t.Helper()
	u, err := url.Parse(raw)
	require.NoError(t, err)
	return u
}

// TestDisabledUserStaysSignedOut: disabling a user makes every token and
// session of theirs worthless at once — introspection says inactive,
// userinfo and the refresh grant refuse, the browser session yields no
// code, a code issued before cannot be redeemed — and enabling the
// account again revives none of it: only a new sign-in counts.
func TestDisabledUserStaysSignedOut(t *testing.T) {
	t.Parallel()
	runWoodgrove(t, func(t *testing.T, w woodgrove) {
		ctx := t.Context()
		opaque := w.app(t, w.tn, "opaque-app", firstParty, func(in *directory.NewApplication) { in.AccessTokenFormat = "opaque" })
		b := w.browser()
		jwtTok, _ := w.web.tokens(t, b, w.alice.Mail)
		opaqueTok, _ := opaque.tokens(t, b, w.alice.Mail)
		pending := w.web.authURL(nil)
		pendingCode := w.web.code(t, b, pending, w.alice.Mail)
		bob := w.member(t, w.tn, "bob@woodgrove.test")
		bobTok, _ := w.web.tokens(t, w.browser(), bob.Mail)

		requireDead := func(t *testing.T, msg string) {
			t.Helper()
			for name, tc := range map[string]struct {
				c     *client
				token string
			}{
				"JWT access token":    {w.web, jwtTok.AccessToken},
				"opaque access token": {opaque, opaqueTok.AccessToken},
				"refresh token":       {w.web, jwtTok.RefreshToken},
			} {
				assert.Equal(t, map[string]any{"active": false}, tc.c.introspect(t, tc.token), "%s: %s introspects inactive", msg, name)
			}
			for name, token := range map[string]string{"JWT": jwtTok.AccessToken, "opaque": opaqueTok.AccessToken} {
				assert.Equal(t, http.StatusUnauthorized, w.userinfo(t, "woodgrove", token).status, "%s: userinfo refuses the %s token", msg, name)
			}
			requireOAuthError(t, w.web.token(t, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {jwtTok.RefreshToken}}),
				http.StatusBadRequest, "invalid_grant")
			w.web.requireSignedOut(t, b, msg)
		}

		w.clock.Advance(time.Minute)
		assert.Equal(t, true, w.web.introspect(t, jwtTok.AccessToken)["active"])
		assert.Equal(t, true, opaque.introspect(t, opaqueTok.AccessToken)["active"])
		assert.Equal(t, true, w.web.introspect(t, jwtTok.RefreshToken)["active"])

		off, on := false, true
		_, err := w.dir.UpdateUser(ctx, w.tn.ID, w.alice.ID, directory.UserPatch{AccountEnabled: &off})
		require.NoError(t, err)
		requireDead(t, "disabled")

		w.clock.Advance(time.Minute)
		_, err = w.dir.UpdateUser(ctx, w.tn.ID, w.alice.ID, directory.UserPatch{AccountEnabled: &on})
		require.NoError(t, err)
		requireDead(t, "enabled again")
		requireOAuthError(t, w.web.exchange(t, pendingCode, pending.verifier), http.StatusBadRequest, "invalid_grant")

		// Another user's tokens are untouched.
		assert.Equal(t, true, w.web.introspect(t, bobTok.AccessToken)["active"])
		assert.Equal(t, true, w.web.introspect(t, bobTok.RefreshToken)["active"])

		// A new sign-in counts, in the same browser.
		w.clock.Advance(time.Second)
		fresh, _ := w.web.tokens(t, b, w.alice.Mail)
		assert.Equal(t, true, w.web.introspect(t, fresh.AccessToken)["active"])
		assert.Equal(t, http.StatusOK, w.userinfo(t, "woodgrove", fresh.AccessToken).status)
		r := w.web.token(t, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {fresh.RefreshToken}})
		require.Equal(t, http.StatusOK, r.status, r.body)
		w.web.requireSignedIn(t, b, "the new session counts")
	})
}

// TestSessionIdleTimeout: a session unused for tokens.sessionIdleTimeout
// (8h by default) is not honoured, though its absolute lifetime (10h) has
// not run out; each use extends it, and a use is written down at most
// once a minute.
func TestSessionIdleTimeout(t *testing.T) {
	t.Parallel()
	runWoodgrove(t, func(t *testing.T, w woodgrove) {
		ctx := t.Context()
		b := w.browser()
		w.web.code(t, b, w.web.authURL(nil), w.alice.Mail)

		// Within a minute of the last use nothing is written: a session
		// store that cannot be written to does not matter yet.
		w.store.fail("TouchSession")
		w.clock.Advance(59 * time.Second)
		w.web.requireSignedIn(t, b, "a use within the minute writes nothing")
		w.store.heal("TouchSession")

		// Sliding: used after 5h, it is still good 4h later (9h after
		// the sign-in, 4h after the last use).
		w.clock.Advance(5 * time.Hour)
		w.web.requireSignedIn(t, b, "5h idle")
		w.clock.Advance(4 * time.Hour)
		w.web.requireSignedIn(t, b, "4h idle, 9h after the sign-in")

		// Past the absolute lifetime it ends, however busy.
		w.clock.Advance(time.Hour)
		w.web.requireSignedOut(t, b, "10h after the sign-in")

		// A fresh session left alone for 8h ends, 2h before its
		// absolute end.
		w.web.code(t, b, w.web.authURL(nil), w.alice.Mail)
		w.clock.Advance(8 * time.Hour)
		w.web.requireSignedOut(t, b, "8h idle")
		page, err := b.Get(ctx, w.web.authURL(nil).url)
		require.NoError(t, err)
		require.False(t, page.Stopped(), page.Summary())
		_, err = page.FormWith("current-password")
		require.NoError(t, err, "a normal authorization asks to sign in: %s", page.Summary())
	})
}
