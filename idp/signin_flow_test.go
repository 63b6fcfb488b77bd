package idp_test

import (
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/idp/signin"
	"github.com/foyer-idp/foyer/internal/directory"
	"github.com/foyer-idp/foyer/internal/store"
	"github.com/foyer-idp/foyer/internal/store/sqlstore/sqltest"
	"github.com/foyer-idp/foyer/internal/webclient"
)

// rawBrowser follows no redirects and keeps every cookie it is given, Secure
// or not, so a test can look at each response and replay requests.
type rawBrowser struct {
	t       testing.TB
	cookies map[string]*http.Cookie
	client  *http.Client
}

func newRawBrowser(t testing.TB) *rawBrowser {
	return &rawBrowser{t: t, cookies: map[string]*http.Cookie{}, client: &http.Client{
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// do sends req with the browser's cookies and keeps the ones set.
func (b *rawBrowser) do(req *http.Request) response {
	b.t.Helper()
	for _, c := range b.cookies {
		req.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
	}
	resp, err := b.client.Do(req)
	require.NoError(b.t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(b.t, err)
	for _, c := range resp.Cookies() {
		if c.MaxAge < 0 {
			delete(b.cookies, c.Name)
			continue
		}
		b.cookies[c.Name] = c
	}
	return response{status: resp.StatusCode, header: resp.Header, body: string(body)}
}

func (b *rawBrowser) get(rawURL string) response {
	b.t.Helper()
	req, err := http.NewRequestWithContext(b.t.Context(), http.MethodGet, rawURL, nil)
	require.NoError(b.t, err)
	return b.do(req)
}

func (b *rawBrowser) post(rawURL string, form url.Values, header ...string) response {
	b.t.Helper()
	req, err := http.NewRequestWithContext(b.t.Context(), http.MethodPost, rawURL, strings.NewReader(form.Encode()))
	require.NoError(b.t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return b.do(req)
}

var (
	hiddenID   = regexp.MustCompile(`name="id" value="([^"]+)"`)
	hiddenCSRF = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)
	errorText  = regexp.MustCompile(`(?s)<p class="error" role="alert" id="error">(.*?)</p>`)
)

// loginForm answers the id and CSRF token of a login or consent page.
func loginForm(t testing.TB, r response) (id, csrf string) {
	t.Helper()
	require.Equal(t, http.StatusOK, r.status, r.body)
	m := hiddenID.FindStringSubmatch(r.body)
	require.NotNil(t, m, "the page has a transaction id")
	c := hiddenCSRF.FindStringSubmatch(r.body)
	require.NotNil(t, c, "the page has a CSRF token")
	return m[1], c[1]
}

// startLogin runs the authorization request up to the login page.
func (b *rawBrowser) startLogin(ar authRequest) (loginURL, id, csrf string) {
	b.t.Helper()
	r := b.get(ar.url)
	require.Equal(b.t, http.StatusFound, r.status, r.body)
	loginURL = r.header.Get("Location")
	require.Contains(b.t, loginURL, "/login?id=")
	id, csrf = loginForm(b.t, b.get(loginURL))
	return loginURL, id, csrf
}

func loginValues(id, csrf, email, pass string) url.Values {
	return url.Values{"id": {id}, "csrf_token": {csrf}, "email": {email}, "password": {pass}}
}

func pageError(body string) string {
	m := errorText.FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return strings.TrimSpace(m[1])
}

func TestLoginCSRF(t *testing.T) {
	t.Parallel()
	runWoodgrove(t, func(t *testing.T, w woodgrove) {
		b := newRawBrowser(t)
		_, id, csrf := b.startLogin(w.web.authURL(nil))
		action := w.issuer("woodgrove") + "/login"
		session := "foyer-session-woodgrove"

		r := b.post(action, loginValues(id, "", w.alice.Mail, password))
		assert.Equal(t, http.StatusForbidden, r.status, "no token")
		r = b.post(action, loginValues(id, "forged", w.alice.Mail, password))
		assert.Equal(t, http.StatusForbidden, r.status, "a wrong token")
		r = b.post(action, loginValues(id, csrf, w.alice.Mail, password), "Origin", "https://evil.example.test")
		assert.Equal(t, http.StatusForbidden, r.status, "a cross-site Origin")
		r = b.post(action, loginValues(id, csrf, w.alice.Mail, password), "Sec-Fetch-Site", "cross-site")
		assert.Equal(t, http.StatusForbidden, r.status, "a cross-site fetch")
		assert.NotContains(t, b.cookies, session, "none of them signed in")

		// The same form from the same site goes through.
		r = b.post(action, loginValues(id, csrf, w.alice.Mail, password), "Origin", w.base, "Sec-Fetch-Site", "same-origin")
		require.Equal(t, http.StatusFound, r.status, r.body)
		assert.Contains(t, b.cookies, session)
	})
}

func TestLoginCannotBeFinishedInAnotherBrowser(t *testing.T) {
	t.Parallel()
	runWoodgrove(t, func(t *testing.T, w woodgrove) {
		first := w.app(t, w.tn, "trusted", firstParty)
		a, other := newRawBrowser(t), newRawBrowser(t)
		ar := first.authURL(nil)
		loginURL, id, csrf := a.startLogin(ar)
		action := w.issuer("woodgrove") + "/login"

		// Another browser can neither see the page nor post the form.
		r := other.get(loginURL)
		assert.Equal(t, http.StatusBadRequest, r.status)
		assert.Contains(t, r.body, "where you started")
		r = other.post(action, loginValues(id, csrf, w.alice.Mail, password))
		assert.Equal(t, http.StatusBadRequest, r.status)
		other.get(first.authURL(nil).url) // a binding cookie of its own changes nothing
		r = other.post(action, loginValues(id, csrf, w.alice.Mail, password))
		assert.Equal(t, http.StatusBadRequest, r.status)

		// The first browser signs in; its callback works only there.
		r = a.post(action, loginValues(id, csrf, w.alice.Mail, password))
		require.Equal(t, http.StatusFound, r.status, r.body)
		callback := r.header.Get("Location")
		require.Contains(t, callback, "/authorize/callback?id=")
		r = other.get(callback)
		assert.Equal(t, http.StatusBadRequest, r.status)
		assert.Empty(t, r.header.Get("Location"))
		r = a.get(callback)
		q := redirectQuery(t, r)
		assert.NotEmpty(t, q.Get("code"))
		assert.Equal(t, ar.state, q.Get("state"))
	})
}

func TestThrottlePerAccount(t *testing.T) {
	t.Parallel()
	runWoodgrove(t, func(t *testing.T, w woodgrove) {
		b := newRawBrowser(t)
		_, id, csrf := b.startLogin(w.web.authURL(nil))
		action := w.issuer("woodgrove") + "/login"
		for i := range 5 {
			r := b.post(action, loginValues(id, csrf, w.alice.Mail, "wrong password "+string(rune('a'+i))))
			require.Equal(t, http.StatusUnauthorized, r.status)
		}
		r := b.post(action, loginValues(id, csrf, w.alice.Mail, password))
		require.Equal(t, http.StatusTooManyRequests, r.status, "the right password is refused too")
		assert.Equal(t, "Too many attempts. Wait 30 seconds, then try again.", pageError(r.body), "says when to try again")
		assert.NotEmpty(t, r.header.Get("Retry-After"))
		assert.Empty(t, r.header.Get("Location"))
		// Another spelling of the same account is the same account.
		r = b.post(action, loginValues(id, csrf, "  ALICE@woodgrove.test ", password))
		require.Equal(t, http.StatusTooManyRequests, r.status)

		w.clock.Advance(15*time.Minute + time.Second)
		r = b.post(action, loginValues(id, csrf, w.alice.Mail, password))
		require.Equal(t, http.StatusFound, r.status, "the window has passed")
	})
}

func TestThrottlePerAddress(t *testing.T) {
	t.Parallel()
	runWoodgrove(t, func(t *testing.T, w woodgrove) {
		b := newRawBrowser(t)
		_, id, csrf := b.startLogin(w.web.authURL(nil))
		action := w.issuer("woodgrove") + "/login"
		for i := range 20 {
			// A spray: one attempt at each of many accounts.
			r := b.post(action, loginValues(id, csrf, "user"+string(rune('a'+i))+"@woodgrove.test", "guess"))
			require.Equal(t, http.StatusUnauthorized, r.status)
		}
		r := b.post(action, loginValues(id, csrf, w.alice.Mail, password))
		require.Equal(t, http.StatusTooManyRequests, r.status)
	})
}

func TestSameAnswerForUnknownAccountAndWrongPassword(t *testing.T) {
	t.Parallel()
	runWoodgrove(t, func(t *testing.T, w woodgrove) {
		b := newRawBrowser(t)
		_, id, csrf := b.startLogin(w.web.authURL(nil))
		action := w.issuer("woodgrove") + "/login"
		wrong := b.post(action, loginValues(id, csrf, w.alice.Mail, "not the password"))
		unknown := b.post(action, loginValues(id, csrf, "nobody@woodgrove.test", "not the password"))
		assert.Equal(t, http.StatusUnauthorized, wrong.status)
		assert.Equal(t, wrong.status, unknown.status)
		assert.Equal(t, "The email or password is incorrect.", pageError(wrong.body))
		assert.Equal(t, pageError(wrong.body), pageError(unknown.body))
		strip := func(s string) string {
			s = regexp.MustCompile(`nonce-[^']+'|nonce="[^"]+"`).ReplaceAllString(s, "")
			return strings.ReplaceAll(s, "nobody@woodgrove.test", w.alice.Mail)
		}
		assert.Equal(t, strip(wrong.body), strip(unknown.body), "the pages differ only in what was typed")
	})
}

func TestSessionFixation(t *testing.T) {
	t.Parallel()
	runWoodgrove(t, func(t *testing.T, w woodgrove) {
		first := w.app(t, w.tn, "trusted", firstParty)
		b := webclient.New(webclient.Config{StopAt: []string{rpBase}})
		base, _ := url.Parse(w.base + "/")
		planted := strings.Repeat("A", 43)
		b.HTTPClient().Jar.SetCookies(base, []*http.Cookie{{Name: "foyer-session-woodgrove", Value: planted, Path: "/"}})
		sessionCookie := func() string {
			for _, c := range b.Cookies(base) {
				if c.Name == "foyer-session-woodgrove" {
					return c.Value
				}
			}
			return ""
		}

		first.code(t, b, first.authURL(nil), w.alice.Mail)
		v1 := sessionCookie()
		require.NotEmpty(t, v1)
		assert.NotEqual(t, planted, v1, "the planted value was replaced at sign-in")

		first.code(t, b, first.authURL(url.Values{"prompt": {"login"}}), w.alice.Mail)
		v2 := sessionCookie()
		assert.NotEqual(t, v1, v2, "every sign-in renews the session")

		// The old session is gone, not merely forgotten by this browser.
		old := webclient.New(webclient.Config{StopAt: []string{rpBase}})
		old.HTTPClient().Jar.SetCookies(base, []*http.Cookie{{Name: "foyer-session-woodgrove", Value: v1, Path: "/"}})
		page, err := old.Get(t.Context(), first.authURL(url.Values{"prompt": {"none"}}).url)
		require.NoError(t, err)
		require.True(t, page.Stopped())
		assert.Equal(t, "login_required", page.Query().Get("error"))
	})
}

func TestConsentIsRememberedAndPromptConsentAsksAgain(t *testing.T) {
	t.Parallel()
	runWoodgrove(t, func(t *testing.T, w woodgrove) {
		consentShown := func(b *webclient.Client, ar authRequest) (bool, url.Values) {
			page, err := b.Get(t.Context(), ar.url)
			require.NoError(t, err)
			shown := false
			for range 4 {
				if page.Stopped() {
					return shown, page.Query()
				}
				form := page.Forms[0]
				if strings.Contains(page.Text(), "Review permissions") {
					shown = true
					page, err = b.Submit(t.Context(), form, form.Button("allow"))
				} else {
					require.NoError(t, form.Fill("username", w.alice.Mail))
					require.NoError(t, form.Fill("current-password", password))
					page, err = b.Submit(t.Context(), form, nil)
				}
				require.NoError(t, err)
			}
			t.Fatal("no redirect back")
			return false, nil
		}
		shown, q := consentShown(w.browser(), w.web.authURL(nil, "openid", "email"))
		assert.True(t, shown, "first sign-in asks")
		assert.NotEmpty(t, q.Get("code"))

		b := w.browser()
		shown, q = consentShown(b, w.web.authURL(nil, "openid", "email"))
		assert.False(t, shown, "remembered, even in a new browser")
		assert.NotEmpty(t, q.Get("code"))

		shown, _ = consentShown(b, w.web.authURL(nil, "openid"))
		assert.False(t, shown, "fewer scopes than consented")

		shown, _ = consentShown(b, w.web.authURL(url.Values{"prompt": {"consent"}}, "openid", "email"))
		assert.True(t, shown, "prompt=consent asks again")

		shown, _ = consentShown(b, w.web.authURL(nil, "openid", "email", "profile"))
		assert.True(t, shown, "more scopes ask again")

		trusted := w.app(t, w.tn, "trusted", firstParty)
		shown, _ = consentShown(w.browser(), trusted.authURL(url.Values{"prompt": {"consent"}}))
		assert.False(t, shown, "first-party apps never ask")
	})
}

func TestAssignmentRequired(t *testing.T) {
	t.Parallel()
	runWoodgrove(t, func(t *testing.T, w woodgrove) {
		hr := w.app(t, w.tn, "hr-app", firstParty, func(in *directory.NewApplication) { in.AssignmentRequired = true })
		ar := hr.authURL(nil)
		q := signIn(t, w.browser(), ar, w.alice.Mail)
		assert.Equal(t, "access_denied", q.Get("error"))
		assert.Equal(t, w.issuer("woodgrove"), q.Get("iss"))
		assert.Equal(t, ar.state, q.Get("state"))
		assert.Empty(t, q.Get("code"))

		// One attempt, one row: the success the sign-in page wrote became
		// the refusal.
		events, err := w.raw.ListSignIns(t.Context(), store.SignInFilter{TenantID: w.tn.ID})
		require.NoError(t, err)
		require.Len(t, events, 1)
		assert.Equal(t, signin.CodeNotAssigned, events[0].ErrorCode)
		assert.Contains(t, events[0].FailureReason, "not assigned")
		assert.Equal(t, w.alice.ID, events[0].UserID)
		assert.Equal(t, "hr-app", events[0].AppID)

		require.NoError(t, w.dir.Assign(t.Context(), w.tn.ID, hr.app.ID, store.PrincipalUser, w.alice.ID))
		hr.code(t, w.browser(), hr.authURL(nil), w.alice.Mail)
	})
}

func TestDisabledAccount(t *testing.T) {
	t.Parallel()
	runWoodgrove(t, func(t *testing.T, w woodgrove) {
		b := w.browser()
		tok, _ := w.web.tokens(t, b, w.alice.Mail)
		disabled := false
		_, err := w.dir.UpdateUser(t.Context(), w.tn.ID, w.alice.ID, directory.UserPatch{AccountEnabled: &disabled})
		require.NoError(t, err)

		page, err := b.Get(t.Context(), w.web.authURL(url.Values{"prompt": {"none"}}).url)
		require.NoError(t, err)
		assert.Equal(t, "login_required", page.Query().Get("error"), "the session no longer counts")

		rb := newRawBrowser(t)
		_, id, csrf := rb.startLogin(w.web.authURL(nil))
		r := rb.post(w.issuer("woodgrove")+"/login", loginValues(id, csrf, w.alice.Mail, password))
		assert.Equal(t, http.StatusForbidden, r.status)
		assert.Contains(t, pageError(r.body), "disabled")

		requireOAuthError(t, w.web.token(t, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}}),
			http.StatusBadRequest, "invalid_grant")
		assert.Equal(t, http.StatusUnauthorized, w.userinfo(t, "woodgrove", tok.AccessToken).status)
	})
}

func TestPagesAreBrandedAndNeverFramed(t *testing.T) {
	t.Parallel()
	runWoodgrove(t, func(t *testing.T, w woodgrove) {
		b := newRawBrowser(t)
		loginURL, _, _ := b.startLogin(w.web.authURL(url.Values{"login_hint": {"alice@woodgrove.test"}}))
		r := b.get(loginURL)
		assert.Equal(t, "DENY", r.header.Get("X-Frame-Options"))
		assert.Contains(t, r.header.Get("Content-Security-Policy"), "frame-ancestors 'none'")
		assert.NotContains(t, r.header.Get("Content-Security-Policy"), "script-src")
		assert.Equal(t, "no-store", r.header.Get("Cache-Control"))
		assert.Contains(t, r.body, `autocomplete="username"`)
		assert.Contains(t, r.body, `autocomplete="current-password"`)
		assert.Contains(t, r.body, `value="alice@woodgrove.test"`, "login_hint fills the email")
		assert.Contains(t, r.body, "--accent: #107c10", "the tenant's accent colour")
		assert.Contains(t, r.body, `src="https://cdn.example.test/woodgrove.png"`, "the tenant's logo")
		assert.Contains(t, r.body, "Woodgrove")
		assert.NotContains(t, r.body, "<script")
	})
}

func TestCookies(t *testing.T) {
	t.Parallel()
	runWoodgrove(t, func(t *testing.T, w woodgrove) {
		b := newRawBrowser(t)
		_, id, csrf := b.startLogin(w.web.authURL(nil))
		r := b.post(w.issuer("woodgrove")+"/login", loginValues(id, csrf, w.alice.Mail, password))
		require.Equal(t, http.StatusFound, r.status)
		var session *http.Cookie
		for _, c := range (&http.Response{Header: r.header}).Cookies() {
			if c.Name == "foyer-session-woodgrove" {
				session = c
			}
		}
		require.NotNil(t, session)
		assert.True(t, session.HttpOnly)
		assert.Equal(t, http.SameSiteLaxMode, session.SameSite)
		assert.Equal(t, "/", session.Path)
		assert.False(t, session.Secure, "plain http in this test")
	})
	sqltest.Run(t, func(t *testing.T, bk sqltest.Backend) {
		e := newEnv(t, bk, func(o *envOptions) {
			o.externalURL = func(string) string { return "https://id.example.test" }
		})
		w := newWoodgrove(t, e)
		r := e.get(t, w.web.authURL(nil).url)
		require.Equal(t, http.StatusFound, r.status, r.body)
		assert.True(t, strings.HasPrefix(r.header.Get("Location"), "https://id.example.test/t/woodgrove/login?id="))
		cookies := (&http.Response{Header: r.header}).Cookies()
		require.Len(t, cookies, 1)
		c := cookies[0]
		assert.Equal(t, "__Host-foyer-browser", c.Name)
		assert.True(t, c.Secure)
		assert.True(t, c.HttpOnly)
		assert.Equal(t, "/", c.Path)
		assert.Empty(t, c.Domain)
		assert.NotEmpty(t, r.header.Get("Strict-Transport-Security"), "https external URL turns HSTS on")

		// The session cookie is __Host- too.
		rb := newRawBrowser(t)
		rb.cookies["__Host-foyer-browser"] = c
		login := strings.Replace(r.header.Get("Location"), "https://id.example.test", e.base, 1)
		id, csrf := loginForm(t, rb.get(login))
		r = rb.post(e.issuer("woodgrove")+"/login", loginValues(id, csrf, w.alice.Mail, password))
		require.Equal(t, http.StatusFound, r.status, r.body)
		assert.Contains(t, rb.cookies, "__Host-foyer-session-woodgrove")
		assert.True(t, rb.cookies["__Host-foyer-session-woodgrove"].Secure)
	})
}

func TestSignInIsAuditedAndCounted(t *testing.T) {
	t.Parallel()
	runWoodgrove(t, func(t *testing.T, w woodgrove) {
		b := newRawBrowser(t)
		_, id, csrf := b.startLogin(w.web.authURL(nil))
		action := w.issuer("woodgrove") + "/login"
		b.post(action, loginValues(id, csrf, w.alice.Mail, "wrong"), "User-Agent", "audit-test/1")
		b.post(action, loginValues(id, csrf, "nobody@woodgrove.test", "wrong"), "User-Agent", "audit-test/1")
		r := b.post(action, loginValues(id, csrf, w.alice.Mail, password), "User-Agent", "audit-test/1")
		require.Equal(t, http.StatusFound, r.status)

		events, err := w.raw.ListSignIns(t.Context(), store.SignInFilter{TenantID: w.tn.ID})
		require.NoError(t, err)
		require.Len(t, events, 3)
		success, unknown, wrong := events[0], events[1], events[2] // newest first
		for _, e := range events {
			assert.Equal(t, "127.0.0.1", e.IPAddress)
			assert.Equal(t, "audit-test/1", e.UserAgent)
			assert.NotEmpty(t, e.CorrelationID)
			assert.Equal(t, w.web.app.ClientID, e.AppID)
		}
		assert.Zero(t, success.ErrorCode)
		assert.Equal(t, w.alice.ID, success.UserID)
		assert.Equal(t, []string{signin.MethodPassword}, success.AuthenticationMethods)
		assert.Equal(t, signin.CodeBadCredentials, wrong.ErrorCode)
		assert.Equal(t, w.alice.ID, wrong.UserID, "a known account is named")
		assert.NotEmpty(t, wrong.FailureReason)
		assert.Equal(t, signin.CodeBadCredentials, unknown.ErrorCode, "an unknown account reads as a wrong password")
		assert.Empty(t, unknown.UserID)
		assert.Equal(t, "nobody@woodgrove.test", unknown.UserPrincipalName)
		for _, e := range events {
			assert.NotContains(t, e.FailureReason, "wrong")
		}
		audited, err := w.raw.ListAudit(t.Context(), store.AuditFilter{TenantID: w.tn.ID, Category: signin.CategorySignIn})
		require.NoError(t, err)
		assert.Empty(t, audited, "sign-in attempts are no longer audit rows")
		assert.NotContains(t, w.logs.String(), password)

		// count sums the series of name whose labels include the pairs.
		count := func(name string, pairs ...string) float64 {
			families, err := w.registry.Gather()
			require.NoError(t, err)
			sum := 0.0
			for _, f := range families {
				if f.GetName() != name {
					continue
				}
			series:
				for _, m := range f.GetMetric() {
					got := map[string]string{}
					for _, l := range m.GetLabel() {
						got[l.GetName()] = l.GetValue()
					}
					for i := 0; i < len(pairs); i += 2 {
						if got[pairs[i]] != pairs[i+1] {
							continue series
						}
					}
					sum += m.GetCounter().GetValue()
				}
			}
			return sum
		}
		assert.Equal(t, 1.0, count("foyer_signins_total", "tenant", "woodgrove", "result", "success"))
		assert.Equal(t, 1.0, count("foyer_signins_total", "tenant", "woodgrove", "result", "success", "method", "password"))
		assert.Equal(t, 2.0, count("foyer_signins_total", "tenant", "woodgrove", "result", "failure"))
		assert.Equal(t, 2.0, count("foyer_signins_total", "tenant", "woodgrove", "result", "failure", "method", "password"))

		c := w.app(t, w.tn, "daemon", func(in *directory.NewApplication) {
			in.GrantTypes = []string{"client_credentials"}
			in.RedirectURIs = nil
		})
		require.Equal(t, http.StatusOK, c.token(t, url.Values{"grant_type": {"client_credentials"}}).status)
		assert.Equal(t, 1.0, count("foyer_tokens_issued_total", "tenant", "woodgrove", "grant_type", "client_credentials"))
	})
}

func TestLogout(t *testing.T) {
	t.Parallel()
	runWoodgrove(t, func(t *testing.T, w woodgrove) {
		b := w.browser()
		w.web.code(t, b, w.web.authURL(nil), w.alice.Mail)
		ctx := t.Context()

		// Without an id_token_hint Foyer asks first.
		page, err := b.Get(ctx, w.issuer("woodgrove")+"/end_session")
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, page.Status)
		assert.Contains(t, page.Text(), "Sign out?")
		still, err := b.Get(ctx, w.web.authURL(url.Values{"prompt": {"none"}}).url)
		require.NoError(t, err)
		assert.NotEmpty(t, still.Query().Get("code"), "asking did not sign out")

		page, err = b.Get(ctx, w.issuer("woodgrove")+"/end_session")
		require.NoError(t, err)
		form := page.Forms[0]
		page, err = b.Submit(ctx, form, nil)
		require.NoError(t, err)
		assert.Contains(t, page.Text(), "You have signed out")
		gone, err := b.Get(ctx, w.web.authURL(url.Values{"prompt": {"none"}}).url)
		require.NoError(t, err)
		assert.Equal(t, "login_required", gone.Query().Get("error"))

		events, err := w.raw.ListAudit(ctx, store.AuditFilter{TenantID: w.tn.ID, Activity: signin.ActivitySignOut})
		require.NoError(t, err)
		require.Len(t, events, 1)
		assert.Equal(t, w.alice.ID, events[0].ActorID)

		// An unregistered post-logout redirect URI is never followed.
		tok, _ := w.web.tokens(t, w.browser(), w.alice.Mail)
		r := w.get(t, w.issuer("woodgrove")+"/end_session?"+url.Values{
			"id_token_hint": {tok.Extra("id_token").(string)}, "post_logout_redirect_uri": {"https://evil.example.test/"},
		}.Encode())
		assert.Equal(t, http.StatusBadRequest, r.status)
		assert.Empty(t, r.header.Get("Location"))
	})
}

func TestLoginTransactionExpires(t *testing.T) {
	t.Parallel()
	runWoodgrove(t, func(t *testing.T, w woodgrove) {
		b := newRawBrowser(t)
		loginURL, id, csrf := b.startLogin(w.web.authURL(nil))
		w.clock.Advance(31 * time.Minute)
		r := b.get(loginURL)
		assert.Equal(t, http.StatusBadRequest, r.status)
		assert.Contains(t, r.body, "expired")
		r = b.post(w.issuer("woodgrove")+"/login", loginValues(id, csrf, w.alice.Mail, password))
		assert.Equal(t, http.StatusBadRequest, r.status)
	})
}
