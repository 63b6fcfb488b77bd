package webclient_test

import (
	"errors"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/internal/webclient"
)

const signInPage = `<!doctype html>
<html><head><title>Sign in</title><base href="/t/woodgrove/"></head>
<body>
<h1>Sign in to WoodGrove</h1>
<script>document.write("not text")</script>
<form method="post" action="login?flow=1" id="signin">
  <input type="hidden" name="csrf" value="tok-123">
  <label>Email <input name="login" autocomplete="section-a username" value=""></label>
  <label>Password <input type="password" name="pw" autocomplete="current-password"></label>
  <input type="checkbox" name="remember" value="yes">
  <input type="checkbox" name="terms" checked>
  <input type="radio" name="method" value="password" checked><input type="radio" name="method" value="passcode">
  <input type="text" name="disabled-one" value="x" disabled>
  <select name="lang"><option value="en">English</option><option value="fr" selected>Français</option></select>
  <textarea name="note">hello</textarea>
  <button type="button" name="show">Show password</button>
  <button type="submit" name="action" value="signin">Sign in</button>
  <input type="submit" name="action" value="passkey" formaction="/passkey" formmethod="get">
</form>
<form action="/search"><input name="q"></form>
</body></html>`

func TestParsesForms(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, signInPage)
	}))
	defer srv.Close()

	page, err := webclient.New(webclient.Config{}).Get(t.Context(), srv.URL+"/t/woodgrove/authorize")
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, page.Status)
	require.False(t, page.Stopped())
	require.Equal(t, "Sign in", page.Title)
	require.Contains(t, page.Text(), "Sign in to WoodGrove")
	require.NotContains(t, page.Text(), "not text", "scripts are not text")
	require.Len(t, page.Forms, 2)

	f := page.Forms[0]
	require.Equal(t, "signin", f.ID)
	require.Equal(t, "POST", f.Method)
	require.Equal(t, "login?flow=1", f.Action)
	require.Equal(t, "GET", page.Forms[1].Method, "GET is the default method")
	require.Equal(t, "login", f.Input("username").Name, "found by autocomplete token")
	require.Equal(t, []string{"section-a", "username"}, f.Input("login").Autocomplete)
	require.Equal(t, "pw", f.Input("current-password").Name)
	require.Equal(t, "password", f.Input("pw").Type)
	require.Equal(t, []string{"en", "fr"}, f.Input("lang").Options)
	require.Nil(t, f.Input("nothing"))

	require.Len(t, f.Buttons, 2, "type=button is not a way to submit")
	require.Equal(t, "Sign in", f.Buttons[0].Text)
	require.Same(t, f.Buttons[1], f.Button("passkey"))

	require.Equal(t, url.Values{
		"csrf": {"tok-123"}, "login": {""}, "pw": {""}, "terms": {"on"}, "method": {"password"},
		"lang": {"fr"}, "note": {"hello"},
	}, f.Values(), "unchecked and disabled fields and buttons are not sent")

	f2, err := page.FormWith("current-password")
	require.NoError(t, err)
	require.Same(t, f, f2)
	_, err = page.FormWith("one-time-code")
	require.ErrorIs(t, err, webclient.ErrNoForm)
}

func TestFill(t *testing.T) {
	t.Parallel()
	f := parseOne(t, signInPage)
	require.NoError(t, f.Fill("username", "admin@woodgrove.test"))
	require.NoError(t, f.Fill("pw", "foyer-dev"))
	require.NoError(t, f.Fill("method", "passcode"))
	require.NoError(t, f.Fill("remember", "yes"))
	v := f.Values()
	require.Equal(t, "admin@woodgrove.test", v.Get("login"))
	require.Equal(t, "foyer-dev", v.Get("pw"))
	require.Equal(t, []string{"passcode"}, v["method"], "one radio of a group is checked")
	require.Equal(t, "yes", v.Get("remember"))

	require.Error(t, f.Fill("one-time-code", "123456"))
	require.Error(t, f.Fill("method", "carrier-pigeon"))
}

func parseOne(t *testing.T, body string) *webclient.Form {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, body)
	}))
	defer srv.Close()
	page, err := webclient.New(webclient.Config{}).Get(t.Context(), srv.URL)
	require.NoError(t, err)
	require.NotEmpty(t, page.Forms)
	return page.Forms[0]
}

// echo serves signInPage and answers each submission with what it got.
func echo(t *testing.T) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /t/woodgrove/authorize", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, signInPage)
	})
	report := func(w http.ResponseWriter, r *http.Request) {
		require.NoError(t, r.ParseForm())
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprintf(w, "%s %s?%s\n%s\norigin=%s", r.Method, r.URL.Path, r.URL.RawQuery, r.PostForm.Encode(), r.Header.Get("Origin"))
	}
	mux.HandleFunc("POST /t/woodgrove/login", report)
	mux.HandleFunc("GET /passkey", report)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func TestSubmitResolvesActionAgainstBase(t *testing.T) {
	t.Parallel()
	srv := echo(t)
	c := webclient.New(webclient.Config{})
	page, err := c.Get(t.Context(), srv.URL+"/t/woodgrove/authorize")
	require.NoError(t, err)
	f := page.Forms[0]
	require.NoError(t, f.Fill("username", "admin@woodgrove.test"))
	require.NoError(t, f.Fill("current-password", "p&ss word"))

	got, err := c.Submit(t.Context(), f, nil)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, got.Status)
	lines := strings.Split(string(got.Body), "\n")
	require.Equal(t, "POST /t/woodgrove/login?flow=1", lines[0], "relative action resolved against <base href>")
	sent, err := url.ParseQuery(lines[1])
	require.NoError(t, err)
	require.Equal(t, "p&ss word", sent.Get("pw"))
	require.Equal(t, "tok-123", sent.Get("csrf"))
	require.Equal(t, "signin", sent.Get("action"), "nil submits with the first button")
	require.Equal(t, "origin="+srv.URL, lines[2])

	got, err = c.Submit(t.Context(), f, f.Button("passkey"))
	require.NoError(t, err)
	lines = strings.Split(string(got.Body), "\n")
	require.True(t, strings.HasPrefix(lines[0], "GET /passkey?"), "formaction and formmethod override the form's: %s", lines[0])
	sent, err = url.ParseQuery(strings.TrimPrefix(lines[0], "GET /passkey?"))
	require.NoError(t, err)
	require.Equal(t, "passkey", sent.Get("action"))
	require.Equal(t, "admin@woodgrove.test", sent.Get("login"))
}

func TestStopsAtTheRedirectURIAndKeepsCookies(t *testing.T) {
	t.Parallel()
	var rpHits atomic.Int32
	rp := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { rpHits.Add(1) }))
	defer rp.Close()
	redirectURI := rp.URL + "/callback"

	mux := http.NewServeMux()
	mux.HandleFunc("GET /authorize", func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "flow", Value: "f1", Path: "/", HttpOnly: true})
		http.Redirect(w, r, "/login?id=f1", http.StatusFound)
	})
	mux.HandleFunc("GET /login", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, `<form method="post"><input name="username" autocomplete="username"><button>Next</button></form>`)
	})
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		if c, err := r.Cookie("flow"); err != nil || c.Value != "f1" {
			http.Error(w, "no flow cookie", http.StatusBadRequest)
			return
		}
		http.Redirect(w, r, "/done", http.StatusSeeOther)
	})
	mux.HandleFunc("GET /done", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, redirectURI+"?code=c-1&state=s-1&iss="+url.QueryEscape("http://op/t/w"), http.StatusFound)
	})
	op := httptest.NewServer(mux)
	defer op.Close()

	c := webclient.New(webclient.Config{StopAt: []string{redirectURI}})
	page, err := c.Get(t.Context(), op.URL+"/authorize")
	require.NoError(t, err)
	require.Equal(t, op.URL+"/login?id=f1", page.URL.String(), "the provider's own redirects are followed")
	page, err = c.Submit(t.Context(), page.Forms[0], nil)
	require.NoError(t, err)
	require.True(t, page.Stopped())
	require.Equal(t, http.StatusFound, page.Status)
	require.Equal(t, redirectURI, page.Stop.Scheme+"://"+page.Stop.Host+page.Stop.Path)
	require.Equal(t, "c-1", page.Query().Get("code"))
	require.Equal(t, "s-1", page.Query().Get("state"))
	require.Equal(t, "http://op/t/w", page.Query().Get("iss"))
	require.Zero(t, rpHits.Load(), "the relying party is never called")

	stop := page.Stop
	page, err = c.Get(t.Context(), redirectURI+"?code=x")
	require.NoError(t, err)
	require.True(t, page.Stopped(), "a stop URL asked for directly is not requested either")
	require.Zero(t, rpHits.Load())

	page, err = c.Follow(t.Context(), stop)
	require.NoError(t, err)
	require.False(t, page.Stopped())
	require.EqualValues(t, 1, rpHits.Load(), "Follow goes on to the relying party")

	c.ResetCookies()
	page, err = c.Get(t.Context(), op.URL+"/login")
	require.NoError(t, err)
	page, err = c.Submit(t.Context(), page.Forms[0], nil)
	require.NoError(t, err)
	require.Equal(t, http.StatusBadRequest, page.Status, "a new jar has no cookie")
}

func TestRedirectLimitsAndCheckURL(t *testing.T) {
	t.Parallel()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /loop", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/loop", http.StatusFound) })
	mux.HandleFunc("GET /away", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://203.0.113.7/elsewhere", http.StatusFound)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	_, err := webclient.New(webclient.Config{MaxRedirects: 3}).Get(t.Context(), srv.URL+"/loop")
	require.ErrorContains(t, err, "stopped after 3 redirects")

	errRemote := errors.New("not loopback")
	c := webclient.New(webclient.Config{CheckURL: func(u *url.URL) error {
		if u.Hostname() != "127.0.0.1" {
			return errRemote
		}
		return nil
	}})
	_, err = c.Get(t.Context(), srv.URL+"/away")
	require.ErrorIs(t, err, errRemote, "a redirect off loopback is refused before it is sent")
	_, err = c.Get(t.Context(), "http://203.0.113.7/")
	require.ErrorIs(t, err, errRemote)
}

// fakeProvider is an authorization endpoint with a sign-in form and a
// consent page, enough for SignIn.
func fakeProvider(t *testing.T, redirectURI string, identifierFirst bool) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	page := func(w http.ResponseWriter, body string) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, "<!doctype html><title>Foyer</title>"+body)
	}
	mux.HandleFunc("GET /authorize", func(w http.ResponseWriter, r *http.Request) {
		state := html.EscapeString(r.URL.Query().Get("state"))
		if identifierFirst {
			page(w, `<form method="post" action="/identify"><input type="hidden" name="state" value="`+state+`">
				<input type="email" name="email" autocomplete="username"><button>Next</button></form>`)
			return
		}
		page(w, `<form method="post" action="/login"><input type="hidden" name="state" value="`+state+`">
			<input name="user" autocomplete="username"><input type="password" name="pass" autocomplete="current-password">
			<button type="submit">Sign in</button></form>`)
	})
	mux.HandleFunc("POST /identify", func(w http.ResponseWriter, r *http.Request) {
		page(w, `<form method="post" action="/login"><input type="hidden" name="state" value="`+html.EscapeString(r.FormValue("state"))+`">
			<input type="hidden" name="user" autocomplete="username" value="`+html.EscapeString(r.FormValue("email"))+`">
			<input type="password" name="pass" autocomplete="current-password"><button>Sign in</button></form>`)
	})
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		state := html.EscapeString(r.FormValue("state"))
		if r.FormValue("user") != "admin@woodgrove.test" || r.FormValue("pass") != "foyer-dev" {
			page(w, `<p>Wrong email or password.</p><form method="post" action="/login"><input type="hidden" name="state" value="`+state+`">
				<input name="user" autocomplete="username"><input type="password" name="pass" autocomplete="current-password"><button>Sign in</button></form>`)
			return
		}
		page(w, `<p>Demo wants to read your profile.</p><form method="post" action="/consent"><input type="hidden" name="state" value="`+state+`">
			<button name="decision" value="deny">Cancel</button><button name="decision" value="allow">Allow</button></form>`)
	})
	mux.HandleFunc("POST /consent", func(w http.ResponseWriter, r *http.Request) {
		q := url.Values{"state": {r.FormValue("state")}}
		if r.FormValue("decision") == "allow" {
			q.Set("code", "the-code")
		} else {
			q.Set("error", "access_denied")
		}
		http.Redirect(w, r, redirectURI+"?"+q.Encode(), http.StatusFound)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func TestSignIn(t *testing.T) {
	t.Parallel()
	const redirectURI = "http://127.0.0.1:5556/callback"
	for _, identifierFirst := range []bool{false, true} {
		t.Run(fmt.Sprintf("identifierFirst=%v", identifierFirst), func(t *testing.T) {
			op := fakeProvider(t, redirectURI, identifierFirst)
			c := webclient.New(webclient.Config{StopAt: []string{redirectURI}})
			page, err := c.SignIn(t.Context(), op.URL+"/authorize?state=st-9", webclient.Credentials{Username: "admin@woodgrove.test", Password: "foyer-dev"})
			require.NoError(t, err)
			require.True(t, page.Stopped())
			require.Equal(t, "the-code", page.Query().Get("code"), "consent was approved, not denied")
			require.Equal(t, "st-9", page.Query().Get("state"))

			_, err = c.SignIn(t.Context(), op.URL+"/authorize?state=st-9", webclient.Credentials{Username: "admin@woodgrove.test", Password: "wrong"})
			require.ErrorIs(t, err, webclient.ErrSignInRefused)
			require.ErrorContains(t, err, "Wrong email or password")
			require.NotContains(t, err.Error(), "wrong\"", "the password is not quoted")
		})
	}
}

func TestSignInReportsAPageItCannotDrive(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		if r.URL.Path == "/broken" {
			w.WriteHeader(http.StatusInternalServerError)
		}
		fmt.Fprint(w, "<title>Oops</title><p>Something went wrong.</p>")
	}))
	defer srv.Close()
	c := webclient.New(webclient.Config{StopAt: []string{"http://127.0.0.1:1/cb"}})
	_, err := c.SignIn(t.Context(), srv.URL+"/nothing", webclient.Credentials{})
	require.ErrorContains(t, err, "has no form to submit: Oops: Something went wrong.")
	_, err = c.SignIn(t.Context(), srv.URL+"/broken", webclient.Credentials{})
	require.ErrorContains(t, err, "answered 500")
}

// TestPress fills the form holding a field and presses the named button;
// a missing form or button is an error, not a guess.
func TestPress(t *testing.T) {
	t.Parallel()
	srv := echo(t)
	c := webclient.New(webclient.Config{})
	page, err := c.Get(t.Context(), srv.URL+"/t/woodgrove/authorize")
	require.NoError(t, err)
	got, err := c.Press(t.Context(), page, "pw", "signin", map[string]string{"username": "kim@partner.test", "pw": "secret"})
	require.NoError(t, err)
	require.Contains(t, string(got.Body), "POST /t/woodgrove/login?flow=1")
	require.Contains(t, string(got.Body), "login=kim%40partner.test")
	require.Contains(t, string(got.Body), "action=signin")

	_, err = c.Press(t.Context(), page, "no-such-field", "signin", nil)
	require.ErrorIs(t, err, webclient.ErrNoForm)
	_, err = c.Press(t.Context(), page, "pw", "no-such-button", nil)
	require.ErrorContains(t, err, "no button")
	_, err = c.Press(t.Context(), page, "pw", "signin", map[string]string{"one-time-code": "1"})
	require.Error(t, err, "a field the form lacks")
}

// TestSignInStopsAtACodePage: a page asking for a one-time code is handed
// back, not submitted empty: only the caller knows the code.
func TestSignInStopsAtACodePage(t *testing.T) {
	t.Parallel()
	submitted := false
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			submitted = true
		}
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, `<title>Verify</title><form method="post"><input name="code" autocomplete="one-time-code"><button>Verify</button></form>`)
	}))
	defer srv.Close()
	page, err := webclient.New(webclient.Config{}).SignIn(t.Context(), srv.URL, webclient.Credentials{})
	require.NoError(t, err)
	require.False(t, page.Stopped())
	require.Equal(t, "Verify", page.Title)
	require.False(t, submitted, "the code form was left for the caller")
}
