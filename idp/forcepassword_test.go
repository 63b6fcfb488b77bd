package idp_test

import (
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/foyer-idp/foyer/idp/signin"
	"github.com/foyer-idp/foyer/internal/audit"
	"github.com/foyer-idp/foyer/internal/directory"
	"github.com/foyer-idp/foyer/internal/mfa"
	"github.com/foyer-idp/foyer/internal/store"
	"github.com/foyer-idp/foyer/internal/webclient"
)

// A member whose admin set forceChangePasswordNextSignIn proves the
// current password, then must choose a new one on a branded page before
// the sign-in goes on (and before the second factor, as in Entra). Every
// way around the page gets no code.

const newPassword = "a brand new passphrase"

// mustChange creates a member who must change their password at the
// next sign-in.
func (e *env) mustChange(t *testing.T, tn store.Tenant, mail string) store.User {
	t.Helper()
	u, err := e.dir.CreateMember(t.Context(), tn.ID, directory.NewMember{DisplayName: "Alex Example", Mail: mail,
		Password: password, ForceChangePassword: true})
	require.NoError(t, err)
	return u
}

// toChangePage signs in with the current password and answers the change
// page it leads to.
func toChangePage(t *testing.T, b *webclient.Client, ar authRequest, mail, pw string) *webclient.Page {
	t.Helper()
	p := mustPage(t)(b.Get(t.Context(), ar.url))
	p = submit(t, b, p, "email", "Sign in", map[string]string{"email": mail, "password": pw})
	require.Equal(t, http.StatusOK, p.Status, p.Summary())
	require.Equal(t, "/t/contoso"+signin.ChangePasswordPath, p.URL.Path, p.Summary())
	return p
}

// changeTo submits the change page with a new password and its
// confirmation.
func changeTo(t *testing.T, b *webclient.Client, p *webclient.Page, pw, confirm string) *webclient.Page {
	t.Helper()
	return submit(t, b, p, "new_password", "Update password", map[string]string{"new_password": pw, "confirm_password": confirm})
}

// forcedAtFirstParty is a member of contoso who must change their
// password, signing in to a first-party app in a browser that stands on
// the change page; extra adds authorization parameters.
type forcedAtFirstParty struct {
	tn   store.Tenant
	c    *client
	alex store.User
	b    *webclient.Client
	page *webclient.Page
}

func (e *env) forcedAtFirstParty(t *testing.T, extra url.Values) forcedAtFirstParty {
	t.Helper()
	f := forcedAtFirstParty{tn: e.tenant(t, "contoso", ""), b: e.browser()}
	f.c = e.app(t, f.tn, "wiki", firstParty)
	f.alex = e.mustChange(t, f.tn, "alex@contoso.test")
	f.page = toChangePage(t, f.b, f.c.authURL(extra), f.alex.Mail, password)
	return f
}

func (e *env) forced(t *testing.T, tn store.Tenant, userID string) bool {
	t.Helper()
	u, err := e.raw.GetUserCore(t.Context(), tn.ID, userID)
	require.NoError(t, err)
	return u.ForceChangePassword
}

func TestForcedPasswordChange(t *testing.T) {
	t.Parallel()
	runBoth(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		tn := e.tenant(t, "contoso", "")
		c := e.app(t, tn, "wiki")
		alex := e.mustChange(t, tn, "alex@contoso.test")
		b := e.browser()
		ar := c.authURL(nil)
		page := toChangePage(t, b, ar, alex.Mail, password)

		// The page: branded, labelled, no script, tied to the transaction.
		body := string(page.Body)
		require.Contains(t, page.Title, "Update your password")
		require.Contains(t, body, "#107c10", "the tenant's accent")
		require.Contains(t, body, "https://cdn.example.test/contoso.png", "the tenant's logo")
		require.Contains(t, body, `<label for="new_password">`)
		require.Contains(t, body, `<label for="confirm_password">`)
		require.Contains(t, body, `id="new_password" name="new_password" autocomplete="new-password"`)
		require.Contains(t, body, `id="confirm_password" name="confirm_password" autocomplete="new-password"`)
		require.NotContains(t, body, "<script")
		id := hiddenID.FindStringSubmatch(body)[1]

		// Skipping the page: the callback has nothing to give.
		skipped := mustPage(t)(b.Get(ctx, e.issuer("contoso")+signin.CallbackPath+"?id="+id))
		require.True(t, skipped.Stopped(), skipped.Summary())
		require.Empty(t, skipped.Query().Get("code"))
		require.Equal(t, "interaction_required", skipped.Query().Get("error"))
		// No session either: a silent request is told to sign in, a new one
		// gets the sign-in page.
		silent := mustPage(t)(b.Get(ctx, c.authURL(url.Values{"prompt": {"none"}}).url))
		require.True(t, silent.Stopped(), silent.Summary())
		require.Empty(t, silent.Query().Get("code"))
		require.Equal(t, "login_required", silent.Query().Get("error"))
		again := mustPage(t)(b.Get(ctx, c.authURL(nil).url))
		require.Equal(t, "/t/contoso/login", again.URL.Path, again.Summary())

		// Bad new passwords: the page again, with the reason, nothing changed.
		for _, bad := range []struct{ pw, confirm, says string }{
			{newPassword, newPassword + "!", "do not match"},
			{password, password, "must differ from the current password"},
			{"short", "short", "too short"},
			{"", "", "Enter a new password"},
		} {
			page = mustPage(t)(b.Get(ctx, e.issuer("contoso")+signin.ChangePasswordPath+"?id="+id))
			p := changeTo(t, b, page, bad.pw, bad.confirm)
			require.Equal(t, http.StatusBadRequest, p.Status, p.Summary())
			require.Contains(t, p.Text(), bad.says)
			require.Contains(t, p.Title, "Update your password", "the same branded page")
			if bad.pw != "" {
				require.NotContains(t, string(p.Body), `value="`+bad.pw, "the password is not echoed")
			}
		}

		// Without the form token, or from another browser: refused.
		noCSRF, err := page.FormWith("new_password")
		require.NoError(t, err)
		require.NoError(t, noCSRF.Fill("csrf_token", ""))
		require.NoError(t, noCSRF.Fill("new_password", newPassword))
		require.NoError(t, noCSRF.Fill("confirm_password", newPassword))
		refused := mustPage(t)(b.Submit(ctx, noCSRF, nil))
		require.Equal(t, http.StatusForbidden, refused.Status, refused.Summary())
		require.Contains(t, refused.Title, "Request refused")
		elsewhere := changeTo(t, e.browser(), page, newPassword, newPassword)
		require.Equal(t, http.StatusBadRequest, elsewhere.Status, elsewhere.Summary())
		require.Contains(t, elsewhere.Title, "Sign-in started elsewhere")

		require.True(t, e.forced(t, tn, alex.ID), "still must change")
		_, err = e.dir.VerifyPassword(ctx, tn.ID, alex.Mail, password)
		require.NoError(t, err, "the old password still stands")

		// The change: the sign-in goes on to consent and a code.
		page = mustPage(t)(b.Get(ctx, e.issuer("contoso")+signin.ChangePasswordPath+"?id="+id))
		page = changeTo(t, b, page, newPassword, newPassword)
		require.Contains(t, page.Text(), c.app.DisplayName, page.Summary())
		page = mustPage(t)(b.Continue(ctx, page, webclient.Credentials{}))
		require.True(t, page.Stopped(), page.Summary())
		require.Equal(t, ar.state, page.Query().Get("state"))
		tok, err := c.oauth().Exchange(ctx, page.Query().Get("code"), oauth2.VerifierOption(ar.verifier))
		require.NoError(t, err)
		_, claims := idClaims(t, c.verifier(t), tok.Extra("id_token").(string))
		require.Equal(t, alex.ID, claims["sub"])
		require.False(t, e.forced(t, tn, alex.ID), "the flag is gone")
		events, err := e.raw.ListAudit(ctx, store.AuditFilter{TenantID: tn.ID, Activity: audit.ActivityChangePassword})
		require.NoError(t, err)
		results := map[string]int{}
		for _, ev := range events {
			results[ev.Result]++
		}
		require.Equal(t, map[string]int{store.ResultSuccess: 1, store.ResultFailure: 2}, results,
			"one change; the same and the short password refused by the directory")

		// The finished transaction cannot be replayed.
		replay := mustPage(t)(b.Get(ctx, e.issuer("contoso")+signin.ChangePasswordPath+"?id="+id))
		require.Equal(t, http.StatusBadRequest, replay.Status)
		require.Contains(t, replay.Title, "Sign-in expired")

		// Next time the new password signs in at once; the old one is refused.
		next := mustPage(t)(e.browser().SignIn(ctx, c.authURL(nil).url, webclient.Credentials{Username: alex.Mail, Password: newPassword}))
		require.NotEmpty(t, next.Query().Get("code"), next.Summary())
		_, err = e.browser().SignIn(ctx, c.authURL(nil).url, webclient.Credentials{Username: alex.Mail, Password: password})
		require.ErrorContains(t, err, "The email or password is incorrect.")
	})
}

// TestForcedPasswordChangeComesBeforeMFA: after the new password, the
// second factor policy asks for comes next, and only then a code.
func TestForcedPasswordChangeComesBeforeMFA(t *testing.T) {
	t.Parallel()
	runBoth(t, func(t *testing.T, e *env) {
		f := e.forcedAtFirstParty(t, url.Values{"acr_values": {mfa.ACRMultiFactor}})
		page := changeTo(t, f.b, f.page, newPassword, newPassword)
		require.Equal(t, "/t/contoso/mfa", page.URL.Path, page.Summary())
		require.Contains(t, page.Text(), "Set up your authenticator app")
		require.False(t, e.forced(t, f.tn, f.alex.ID))
	})
}

// TestForcedPasswordChangeVoidedByReset: an admin's reset between the
// password step and the change wins; the user signs in again with the
// password the admin set, and must still change it.
func TestForcedPasswordChangeVoidedByReset(t *testing.T) {
	t.Parallel()
	runBoth(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		f := e.forcedAtFirstParty(t, nil)
		tn, c, alex := f.tn, f.c, f.alex

		const reset = "the admin's temporary one"
		require.NoError(t, e.dir.SetPassword(ctx, tn.ID, alex.ID, reset))
		p := changeTo(t, f.b, f.page, newPassword, newPassword)
		require.Equal(t, http.StatusConflict, p.Status, p.Summary())
		require.Contains(t, p.Title, "Sign in again")
		require.True(t, e.forced(t, tn, alex.ID))
		_, err := e.dir.VerifyPassword(ctx, tn.ID, alex.Mail, reset)
		require.NoError(t, err, "the reset stands")

		page := toChangePage(t, e.browser(), c.authURL(nil), alex.Mail, reset)
		require.Contains(t, page.Title, "Update your password")
	})
}

// TestForcedPasswordChangeEndsSilentSignIn: a session from before an
// admin set the flag no longer signs the user in silently.
func TestForcedPasswordChangeEndsSilentSignIn(t *testing.T) {
	t.Parallel()
	runBoth(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		tn := e.tenant(t, "contoso", "")
		c := e.app(t, tn, "wiki", firstParty)
		alex := e.member(t, tn, "alex@contoso.test")
		b := e.browser()
		c.code(t, b, c.authURL(nil), alex.Mail)
		silent := func() url.Values {
			p := mustPage(t)(b.Get(ctx, c.authURL(url.Values{"prompt": {"none"}}).url))
			require.True(t, p.Stopped(), p.Summary())
			return p.Query()
		}
		require.NotEmpty(t, silent().Get("code"), "the session signs in silently")

		_, err := e.dir.UpdateUser(ctx, tn.ID, alex.ID, directory.UserPatch{ForceChangePassword: new(true)})
		require.NoError(t, err)
		q := silent()
		require.Empty(t, q.Get("code"))
		require.Equal(t, "login_required", q.Get("error"))
		toChangePage(t, b, c.authURL(nil), alex.Mail, password)
	})
}

// TestForcedPasswordChangeRace: the same change page submitted twice at
// once, with two different new passwords: one lands and signs in, the
// other is refused, and only the winner's password works.
func TestForcedPasswordChangeRace(t *testing.T) {
	t.Parallel()
	runBoth(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		f := e.forcedAtFirstParty(t, nil)
		tn, alex, b, page := f.tn, f.alex, f.b, f.page
		candidates := []string{newPassword + " one", newPassword + " two"}
		pages := make([]*webclient.Page, len(candidates))
		var wg sync.WaitGroup
		for i, pw := range candidates {
			form, err := page.FormWith("new_password")
			require.NoError(t, err)
			values := form.Values()
			values.Set("new_password", pw)
			values.Set("confirm_password", pw)
			wg.Go(func() {
				req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.issuer("contoso")+signin.ChangePasswordPath,
					strings.NewReader(values.Encode()))
				if err != nil {
					return
				}
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				pages[i], _ = b.Do(req)
			})
		}
		wg.Wait()
		won := -1
		for i, p := range pages {
			require.NotNil(t, p, "answer %d", i)
			if p.Stopped() && p.Query().Get("code") != "" {
				require.Equal(t, -1, won, "only one change signs in")
				won = i
			} else {
				require.GreaterOrEqual(t, p.Status, http.StatusBadRequest, p.Summary())
				t.Logf("the other change: %d %s", p.Status, p.Title)
			}
		}
		require.NotEqual(t, -1, won, "one change signs in")
		for i, pw := range candidates {
			_, err := e.dir.VerifyPassword(ctx, tn.ID, alex.Mail, pw)
			if i == won {
				require.NoError(t, err, "the winner's password")
			} else {
				require.ErrorIs(t, err, directory.ErrBadCredentials, "the loser's password")
			}
		}
		events, err := e.raw.ListAudit(ctx, store.AuditFilter{TenantID: tn.ID, Activity: audit.ActivityChangePassword, Result: store.ResultSuccess})
		require.NoError(t, err)
		require.Len(t, events, 1)
	})
}
