package cli

import (
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/internal/bootstrap"
	"github.com/foyer-idp/foyer/internal/testlog"
	"github.com/foyer-idp/foyer/internal/webclient"
)

// background runs a command beside the test, for one that waits on a
// person (login); answers its output buffers and its exit code to come.
func (c *cli) background(t *testing.T, args ...string) (stdout, stderr *testlog.Buffer, exited <-chan int) {
	t.Helper()
	stdout, stderr = &testlog.Buffer{}, &testlog.Buffer{}
	ch := make(chan int, 1)
	go func() { ch <- run(t.Context(), args, stdout, stderr, c.deps()) }()
	return stdout, stderr, ch
}

// waitFor answers the first match of re in out, waiting for it to appear.
func waitFor(t *testing.T, out *testlog.Buffer, re *regexp.Regexp) []string {
	t.Helper()
	var m []string
	require.Eventually(t, func() bool { m = re.FindStringSubmatch(out.String()); return m != nil },
		20*time.Second, 20*time.Millisecond, "waiting for %s in:\n%s", re, out.String())
	return m
}

// exitCode waits for a background command's exit code.
func exitCode(t *testing.T, exited <-chan int, stderr *testlog.Buffer) int {
	t.Helper()
	select {
	case code := <-exited:
		return code
	case <-time.After(60 * time.Second):
		t.Fatalf("the command did not finish:\n%s", stderr.String())
		return 0
	}
}

var deviceLink = regexp.MustCompile(`\(or open (\S+/device\?user_code=\S+)\)`)

// TestLoginWithTheDeviceFlow signs the dev admin in with foyer login
// --device against serve --dev, approving through the verification page
// with a cookie-jar browser; a remote command then acts as that admin with
// no app credentials, renews the expired token, and logout revokes it.
func TestLoginWithTheDeviceFlow(t *testing.T) {
	t.Parallel()
	s := startDevServer(t)
	c := newCLI(t)
	stdout, stderr, exited := c.background(t, "login", "--server", s.base, "--tenant", "woodgrove", "--device")
	link := waitFor(t, stderr, deviceLink)[1]
	require.True(t, strings.HasPrefix(link, s.base+"/t/woodgrove/device?user_code="), link)

	consent := approveDevice(t, link, bootstrap.DevAdmin, bootstrap.DevPassword)
	require.Contains(t, consent, "Demo CLI")
	require.Contains(t, consent, "Invite guest users on your behalf")

	require.Equal(t, exitOK, exitCode(t, exited, stderr), stderr.String())
	require.Equal(t, "Signed in to woodgrove at "+s.base+" as "+bootstrap.DevAdmin+".\n", stdout.String())
	path := filepath.Join(c.configDir, "foyer", "credentials.json")
	info, err := os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), info.Mode().Perm())
	first := readLogin(t, path)
	require.NotEmpty(t, first.RefreshToken)

	// A remote command with no app credentials acts as the admin.
	c.env[envServer] = s.base
	local := s.cli.mustRun(t, "guests", "list", "--tenant", "woodgrove")
	require.Equal(t, local, c.mustRun(t, "guests", "list", "--tenant", "woodgrove"))
	require.Equal(t, first.AccessToken, readLogin(t, path).AccessToken, "a live token is used as it is")

	// An expired access token is renewed with the refresh token, which
	// rotates.
	first.ExpiresAt = time.Now().Add(-time.Minute)
	writeLogin(t, path, first)
	require.Equal(t, local, c.mustRun(t, "guests", "list", "--tenant", "woodgrove"))
	renewed := readLogin(t, path)
	require.NotEqual(t, first.AccessToken, renewed.AccessToken)
	require.NotEqual(t, first.RefreshToken, renewed.RefreshToken)
	require.True(t, renewed.ExpiresAt.After(time.Now()))

	// Another tenant's commands do not get this sign-in.
	r := c.run(t, "guests", "list", "--tenant", "fabrikam")
	require.Equal(t, exitUsage, r.code, r.stderr)
	require.Contains(t, r.stderr, "run foyer login --server "+s.base+" --tenant fabrikam first")

	// A file others may read is refused, not used.
	require.NoError(t, os.Chmod(path, 0o640))
	r = c.run(t, "guests", "list", "--tenant", "woodgrove")
	require.Equal(t, exitError, r.code)
	require.Contains(t, r.stderr, "others may read it")
	require.NoError(t, os.Chmod(path, 0o600))

	// logout revokes the tokens and forgets them.
	require.Equal(t, "Signed out of woodgrove at "+s.base+".\n", c.mustRun(t, "logout"))
	_, err = os.Stat(path)
	require.ErrorIs(t, err, os.ErrNotExist)
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {renewed.RefreshToken}, "client_id": {bootstrap.DevNativeClientID}}
	resp, err := http.PostForm(s.base+"/t/woodgrove/oauth/token", form)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusBadRequest, resp.StatusCode, "the refresh token was revoked")
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, s.base+"/v1.0/users", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+renewed.AccessToken)
	resp, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode, "so was the access token")
	r = c.run(t, "guests", "list", "--tenant", "woodgrove")
	require.Equal(t, exitUsage, r.code)
	require.Equal(t, "Not signed in.\n", c.mustRun(t, "logout"))
}

// approveDevice approves the device code of link in a fresh scripted
// browser, signing in as mail, and answers the text of the consent page
// it approved.
func approveDevice(t *testing.T, link, mail, password string) string {
	t.Helper()
	b := webclient.New(webclient.Config{})
	p, err := b.Get(t.Context(), link)
	require.NoError(t, err)
	p, err = b.Press(t.Context(), p, "user_code", "Continue", nil)
	require.NoError(t, err)
	p, err = b.Press(t.Context(), p, "email", "Sign in", map[string]string{"email": mail, "password": password})
	require.NoError(t, err)
	consent := p.Text()
	p, err = b.Press(t.Context(), p, "csrf_token", "allow", nil)
	require.NoError(t, err)
	require.Contains(t, p.Title, "Device signed in", p.Summary())
	return consent
}

// browserLogin runs foyer login for c in the browser mode, signing in as
// mail in the scripted browser; it checks that an answer to the loopback
// redirect which is not the sign-in's own (another state) is refused
// without ending the wait.
func browserLogin(t *testing.T, s *devServer, c *cli, mail, password string) {
	t.Helper()
	stdout, stderr, exited := c.background(t, "login", "--server", s.base, "--tenant", "woodgrove")
	authURL := waitFor(t, stderr, regexp.MustCompile(`(?m)^(http\S+/authorize\?\S+)$`))[1]
	u, err := url.Parse(authURL)
	require.NoError(t, err)
	q := u.Query()
	require.Equal(t, "S256", q.Get("code_challenge_method"))
	redirect := q.Get("redirect_uri")
	require.True(t, strings.HasPrefix(redirect, "http://127.0.0.1:"), redirect)
	require.Contains(t, q.Get("scope"), s.base+"/User.ReadWrite.All")

	forged, err := http.Get(redirect + "?" + url.Values{"code": {"forged"}, "state": {"not-the-state"}, "iss": {s.base + "/t/woodgrove"}}.Encode())
	require.NoError(t, err)
	forged.Body.Close()
	require.Equal(t, http.StatusBadRequest, forged.StatusCode)

	b := webclient.New(webclient.Config{})
	// The sign-in ends on the CLI's own page, which has no form to go on
	// with: SignIn stops there, saying so.
	_, err = b.SignIn(t.Context(), authURL, webclient.Credentials{Username: mail, Password: password})
	require.ErrorContains(t, err, "Signed in. You can close this window", "the browser lands on the CLI's own page")
	require.Equal(t, exitOK, exitCode(t, exited, stderr), stderr.String())
	require.Equal(t, "Signed in to woodgrove at "+s.base+" as "+mail+".\n", stdout.String())
}

// TestLoginInTheBrowser signs in with the code flow and PKCE on a
// loopback redirect, the browser being the scripted one; a remote command
// then answers as the local one does.
func TestLoginInTheBrowser(t *testing.T) {
	t.Parallel()
	s := startDevServer(t)
	c := newCLI(t)
	browserLogin(t, s, c, bootstrap.DevAdmin, bootstrap.DevPassword)
	c.env[envServer] = s.base
	require.Equal(t, s.cli.mustRun(t, "invitations", "list", "--tenant", "woodgrove"),
		c.mustRun(t, "invitations", "list", "--tenant", "woodgrove"))
}

// TestLoginGivesAMemberNoRights: a delegated call can do only what the
// signed-in user may: a member without a directory role is refused.
func TestLoginGivesAMemberNoRights(t *testing.T) {
	t.Parallel()
	s := startDevServer(t)
	const mail = "pat@woodgrove.test"
	s.staffMember(t, mail, "")
	c := newCLI(t)
	browserLogin(t, s, c, mail, staffPassword)
	var kim invitationOut
	require.NoError(t, json.Unmarshal([]byte(s.cli.mustRun(t, "-o", "json", "invite", "--tenant", "woodgrove",
		"--email", "kim@partner.test", "--redirect-url", bootstrap.DevRedirectURI, "--no-mail")), &kim))
	c.env[envServer] = s.base
	r := c.run(t, "guests", "remove", "--tenant", "woodgrove", kim.InvitedUserID)
	require.Equal(t, exitError, r.code, r.stdout)
	require.Contains(t, r.stderr, "Authorization_RequestDenied")
	require.Contains(t, s.cli.mustRun(t, "guests", "list", "--tenant", "woodgrove"), kim.InvitedUserID, "the guest stays")
}

// TestLoginRefusals: what login refuses before anything is kept.
func TestLoginRefusals(t *testing.T) {
	t.Parallel()
	s := startDevServer(t)
	c := newCLI(t)
	r := c.run(t, "login", "--tenant", "woodgrove")
	require.Equal(t, exitUsage, r.code)
	require.Contains(t, r.stderr, "--server")
	r = c.run(t, "login", "--server", "http://id.example.com", "--tenant", "woodgrove")
	require.Equal(t, exitUsage, r.code)
	require.Contains(t, r.stderr, "plain http")
	// An app without the device grant cannot use --device.
	r = c.run(t, "login", "--server", s.base, "--tenant", "woodgrove", "--device", "--client-id", bootstrap.DemoClientID)
	require.Equal(t, exitError, r.code)
	require.Contains(t, r.stderr, "unauthorized_client")
	_, err := os.Stat(filepath.Join(c.configDir, "foyer", "credentials.json"))
	require.ErrorIs(t, err, os.ErrNotExist)
}

func readLogin(t *testing.T, path string) storedLogin {
	t.Helper()
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	var l storedLogin
	require.NoError(t, json.Unmarshal(raw, &l))
	return l
}

func writeLogin(t *testing.T, path string, l storedLogin) {
	t.Helper()
	raw, err := json.Marshal(l)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, raw, 0o600))
}
