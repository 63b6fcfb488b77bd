package cli

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/foyer-idp/foyer/internal/bootstrap"
	"github.com/foyer-idp/foyer/internal/directory"
)

// foyer login and logout, as Connect-MgGraph and Disconnect-MgGraph: an
// admin signs in to a tenant of a running server, in a browser (code and
// PKCE on a loopback redirect) or with the device flow, asking for the
// admin API's delegated permissions. The tokens are kept in the user's
// configuration directory, readable by the user alone, and the remote
// commands use them when no app credentials are given: the server then
// lets them do what the signed-in user may.

const (
	flagDevice = "device"
	// credentialsFile is the stored sign-in, under {config dir}/foyer.
	credentialsFile = "credentials.json"
	// loginTimeout bounds how long login waits for the browser.
	loginTimeout = 10 * time.Minute
	// tokenLeeway refreshes an access token this long before it expires.
	tokenLeeway = 30 * time.Second
)

// storedLogin is the sign-in foyer login keeps: one server and tenant at a
// time, as Connect-MgGraph holds one context.
type storedLogin struct {
	Server       string    `json:"server"`
	Tenant       string    `json:"tenant"`
	ClientID     string    `json:"clientId"`
	Account      string    `json:"account,omitempty"`
	AccessToken  string    `json:"accessToken"`
	RefreshToken string    `json:"refreshToken,omitempty"`
	ExpiresAt    time.Time `json:"expiresAt"`
	Scope        string    `json:"scope,omitempty"`
}

// credentialsPath answers where the sign-in is kept.
func credentialsPath(d deps) (string, error) {
	if d.configDir == nil {
		return "", errors.New("no user configuration directory to keep the sign-in in")
	}
	dir, err := d.configDir()
	if err != nil {
		return "", fmt.Errorf("user configuration directory: %w", err)
	}
	return filepath.Join(dir, "foyer", credentialsFile), nil
}

// loadLogin reads the stored sign-in; fs.ErrNotExist when there is none.
// A file others may read is refused, not used: its tokens may have been
// seen.
func loadLogin(d deps) (storedLogin, error) {
	path, err := credentialsPath(d)
	if err != nil {
		return storedLogin{}, err
	}
	f, err := os.Open(path)
	if err != nil {
		return storedLogin{}, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return storedLogin{}, err
	}
	if perm := info.Mode().Perm(); perm&0o077 != 0 {
		return storedLogin{}, fmt.Errorf("refusing to use %s: others may read it (mode %04o); remove it and run foyer login again", path, perm)
	}
	var l storedLogin
	if err := json.NewDecoder(io.LimitReader(f, maxRemoteBody)).Decode(&l); err != nil {
		return storedLogin{}, fmt.Errorf("read %s: %w", path, err)
	}
	return l, nil
}

// saveLogin writes the sign-in readable by the user alone, replacing the
// file in one rename so a reader never sees half of it.
func saveLogin(d deps, l storedLogin) error {
	path, err := credentialsPath(d)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	raw, err := json.MarshalIndent(l, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), credentialsFile+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // after the rename, there is nothing to remove
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(append(raw, '\n')); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// delegatedScopes are what login asks for: an ID token, a refresh token
// and every delegated permission of the admin API, named under server.
func delegatedScopes(server string) string {
	scopes := []string{"openid", "profile", "offline_access"}
	for _, p := range directory.APIPermissions {
		scopes = append(scopes, server+"/"+p)
	}
	return strings.Join(scopes, " ")
}

func newLoginCmd(d deps) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "login",
		Short: "Sign in to a tenant of a Foyer server, for the remote commands (like Connect-MgGraph)",
		Long: "Sign in as an administrator of a tenant, in a browser (authorization code with PKCE on a loopback\n" +
			"redirect) or, with --device, by typing a code on another device. The remote commands then act\n" +
			"as you, with what you may do, when no app credentials are given. The sign-in is kept in\n" +
			"{user config dir}/foyer/credentials.json, readable by you alone.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			server := strings.TrimRight(remoteSetting(cmd, d, flagServer, envServer), "/")
			if server == "" {
				return usageErrorf("--%s (or %s) is required", flagServer, envServer)
			}
			if err := checkServerURL(server); err != nil {
				return err
			}
			tenant, _ := cmd.Flags().GetString(flagTenant)
			clientID, _ := cmd.Flags().GetString(flagClientID)
			device, _ := cmd.Flags().GetBool(flagDevice)
			c := newRemoteClient(server, tenant, clientID, "")
			defer c.http.CloseIdleConnections()
			ctx, cancel := context.WithTimeout(cmd.Context(), loginTimeout)
			defer cancel()
			var tok tokenAnswer
			var err error
			if device {
				tok, err = c.deviceLogin(ctx, cmd.ErrOrStderr())
			} else {
				tok, err = c.browserLogin(ctx, cmd.ErrOrStderr())
			}
			if err != nil {
				return err
			}
			l := storedLogin{Server: server, Tenant: tenant, ClientID: clientID, Account: tok.account()}
			tok.store(&l, time.Now())
			if err := saveLogin(d, l); err != nil {
				return fmt.Errorf("keep the sign-in: %w", err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Signed in to %s at %s as %s.\n", tenant, server, l.Account)
			return nil
		},
	}
	f := cmd.Flags()
	f.String(flagServer, "", "the Foyer server, e.g. https://id.example.com (env "+envServer+")")
	f.String(flagTenant, "", "tenant slug (required)")
	f.String(flagClientID, bootstrap.DevNativeClientID, "client id of the tenant's native app for the CLI (it needs a loopback redirect URI, or the device grant for --device)")
	f.Bool(flagDevice, false, "sign in on another device: type the code shown at the address shown (RFC 8628)")
	required(cmd, flagTenant)
	return cmd
}

func newLogoutCmd(d deps) *cobra.Command {
	return &cobra.Command{
		Use:   "logout",
		Short: "Revoke and forget the sign-in of foyer login",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			l, err := loadLogin(d)
			if errors.Is(err, fs.ErrNotExist) {
				fmt.Fprintln(cmd.OutOrStdout(), "Not signed in.")
				return nil
			}
			if err != nil {
				return err
			}
			c := newRemoteClient(l.Server, l.Tenant, l.ClientID, "")
			defer c.http.CloseIdleConnections()
			// Revoking the refresh token takes its family with it; the
			// access token is revoked too, so it is not good until it expires.
			var revokeErr error
			for _, tok := range []string{l.RefreshToken, l.AccessToken} {
				if tok != "" {
					revokeErr = errors.Join(revokeErr, c.revoke(cmd.Context(), tok))
				}
			}
			path, err := credentialsPath(d)
			if err != nil {
				return err
			}
			if err := os.Remove(path); err != nil {
				return err
			}
			if revokeErr != nil {
				return fmt.Errorf("forgot the sign-in, but the server did not revoke it: %w", revokeErr)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Signed out of %s at %s.\n", l.Tenant, l.Server)
			return nil
		},
	}
}

// tokenAnswer is a token endpoint's answer.
type tokenAnswer struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	IDToken      string `json:"id_token"`
	ExpiresIn    int64  `json:"expires_in"`
	Scope        string `json:"scope"`
	Error        string `json:"error"`
	Description  string `json:"error_description"`
}

// store puts the answer's tokens in l, keeping l's refresh token when the
// answer has none.
func (t tokenAnswer) store(l *storedLogin, now time.Time) {
	l.AccessToken, l.Scope = t.AccessToken, t.Scope
	if t.RefreshToken != "" {
		l.RefreshToken = t.RefreshToken
	}
	l.ExpiresAt = now.Add(time.Duration(t.ExpiresIn) * time.Second)
}

// account names who signed in, from the ID token the token endpoint
// answered over the connection login made itself (OIDC Core §3.1.3.7:
// no signature check is needed for that).
func (t tokenAnswer) account() string {
	parts := strings.Split(t.IDToken, ".")
	if len(parts) != 3 {
		return "(unknown)"
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	var claims struct {
		Username string `json:"preferred_username"`
		Subject  string `json:"sub"`
	}
	if err != nil || json.Unmarshal(raw, &claims) != nil {
		return "(unknown)"
	}
	if claims.Username != "" {
		return claims.Username
	}
	return claims.Subject
}

// tenantEndpoint answers the URL of a path under the tenant's issuer.
func (c *apiClient) tenantEndpoint(path string) string {
	return c.server + "/t/" + url.PathEscape(c.tenant) + path
}

// postForm posts form to the tenant's endpoint at path as the client
// (with its secret, if it has one) and decodes the JSON answer into out;
// it answers the status.
func (c *apiClient) postForm(ctx context.Context, path string, form url.Values, out any) (int, error) {
	if c.secret == "" {
		form.Set("client_id", c.clientID)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.tenantEndpoint(path), strings.NewReader(form.Encode()))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	if c.secret != "" {
		// RFC 6749 §2.3.1: both form-encoded before Basic.
		req.SetBasicAuth(url.QueryEscape(c.clientID), url.QueryEscape(c.secret))
	}
	status, body, err := c.send(req)
	if err != nil {
		return 0, err
	}
	if out != nil && len(body) > 0 {
		if err := json.Unmarshal(body, out); err != nil {
			return status, fmt.Errorf("POST %s: unexpected answer (%d): is %s a Foyer server with tenant %q?",
				c.tenantEndpoint(path), status, c.server, c.tenant)
		}
	}
	return status, nil
}

// requestToken asks the token endpoint for tokens with form.
func (c *apiClient) requestToken(ctx context.Context, form url.Values) (tokenAnswer, error) {
	var tok tokenAnswer
	status, err := c.postForm(ctx, "/oauth/token", form, &tok)
	switch {
	case err != nil:
		return tok, err
	case status == http.StatusOK && tok.AccessToken != "":
		return tok, nil
	case tok.Error != "":
		return tok, oauthError{code: tok.Error, description: tok.Description}
	}
	return tok, fmt.Errorf("%s answered %s without an access token: is %s a Foyer server with tenant %q?",
		c.tenantEndpoint("/oauth/token"), http.StatusText(status), c.server, c.tenant)
}

// oauthError is an OAuth error answer.
type oauthError struct{ code, description string }

func (e oauthError) Error() string {
	if e.description == "" {
		return e.code
	}
	return e.code + ": " + e.description
}

// deviceLogin runs the device flow: it shows the user the address and the
// code, and polls until they approve or deny it, or the code expires.
func (c *apiClient) deviceLogin(ctx context.Context, tell io.Writer) (tokenAnswer, error) {
	var auth struct {
		DeviceCode              string `json:"device_code"`
		UserCode                string `json:"user_code"`
		VerificationURI         string `json:"verification_uri"`
		VerificationURIComplete string `json:"verification_uri_complete"`
		ExpiresIn               int64  `json:"expires_in"`
		Interval                int64  `json:"interval"`
		Error                   string `json:"error"`
		Description             string `json:"error_description"`
	}
	status, err := c.postForm(ctx, "/oauth/device_authorization", url.Values{"scope": {delegatedScopes(c.server)}}, &auth)
	if err != nil {
		return tokenAnswer{}, err
	}
	if status != http.StatusOK || auth.DeviceCode == "" {
		return tokenAnswer{}, fmt.Errorf("%s refused the device sign-in of client %q: %v", c.server, c.clientID,
			oauthError{code: auth.Error, description: auth.Description})
	}
	fmt.Fprintf(tell, "To sign in, open %s and enter the code %s\n(or open %s)\n",
		auth.VerificationURI, auth.UserCode, auth.VerificationURIComplete)
	interval := max(time.Duration(auth.Interval)*time.Second, time.Second)
	deadline := time.Now().Add(time.Duration(auth.ExpiresIn) * time.Second)
	for {
		select {
		case <-ctx.Done():
			return tokenAnswer{}, fmt.Errorf("waiting for the sign-in: %w", ctx.Err())
		case <-time.After(interval):
		}
		tok, err := c.requestToken(ctx, url.Values{"grant_type": {directory.GrantDeviceCode}, "device_code": {auth.DeviceCode}})
		var oe oauthError
		switch {
		case err == nil:
			return tok, nil
		case !errors.As(err, &oe):
			return tokenAnswer{}, err
		case oe.code == "authorization_pending" && time.Now().Before(deadline):
		case oe.code == "slow_down":
			interval += 5 * time.Second
		case oe.code == "access_denied":
			return tokenAnswer{}, errors.New("the sign-in was denied")
		case oe.code == "expired_token" || oe.code == "authorization_pending":
			return tokenAnswer{}, errors.New("the code expired before the sign-in was approved; run foyer login again")
		default:
			return tokenAnswer{}, fmt.Errorf("sign-in refused: %w", err)
		}
	}
}

// browserLogin runs the authorization code flow with PKCE through the
// user's browser, receiving the code on a loopback listener of its own
// (RFC 8252 §7.3: the app registers http://127.0.0.1/callback; any port
// matches).
func (c *apiClient) browserLogin(ctx context.Context, tell io.Writer) (tokenAnswer, error) {
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return tokenAnswer{}, fmt.Errorf("listen for the browser: %w", err)
	}
	defer ln.Close()
	redirect := "http://" + ln.Addr().String() + "/callback"
	state, verifier := randomToken(), randomToken()
	sum := sha256.Sum256([]byte(verifier))
	q := url.Values{
		"response_type": {"code"}, "client_id": {c.clientID}, "redirect_uri": {redirect},
		"scope": {delegatedScopes(c.server)}, "state": {state},
		"code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])}, "code_challenge_method": {"S256"},
	}
	fmt.Fprintf(tell, "To sign in, open this address in your browser:\n%s\n", c.tenantEndpoint("/authorize")+"?"+q.Encode())

	type result struct {
		code string
		err  error
	}
	done := make(chan result, 1)
	srv := &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/callback" {
			http.NotFound(w, r)
			return
		}
		got := r.URL.Query()
		var res result
		switch {
		case got.Get("state") != state:
			// Not our sign-in's answer: ignored, the real one may follow.
			http.Error(w, "This is not the sign-in foyer login is waiting for.", http.StatusBadRequest)
			return
		case got.Get("iss") != c.tenantEndpoint(""):
			res.err = fmt.Errorf("the answer came from %q, not %q", got.Get("iss"), c.tenantEndpoint(""))
		case got.Get("error") != "":
			res.err = fmt.Errorf("sign-in refused: %v", oauthError{code: got.Get("error"), description: got.Get("error_description")})
		default:
			res.code = got.Get("code")
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Security-Policy", "default-src 'none'")
		message := "Signed in. You can close this window and return to the terminal."
		if res.err != nil {
			w.WriteHeader(http.StatusBadRequest)
			message = "Sign-in failed; see the terminal."
		}
		fmt.Fprintf(w, "<!doctype html>\n<title>foyer login</title>\n<p>%s</p>\n", message)
		select {
		case done <- res:
		default:
		}
	})}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	var res result
	select {
	case <-ctx.Done():
		return tokenAnswer{}, fmt.Errorf("waiting for the browser: %w", ctx.Err())
	case res = <-done:
	}
	if res.err != nil {
		return tokenAnswer{}, res.err
	}
	return c.requestToken(ctx, url.Values{"grant_type": {"authorization_code"}, "code": {res.code},
		"redirect_uri": {redirect}, "code_verifier": {verifier}})
}

// revoke revokes a token at the tenant's revocation endpoint (RFC 7009).
func (c *apiClient) revoke(ctx context.Context, token string) error {
	var answer struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	status, err := c.postForm(ctx, "/oauth/revoke", url.Values{"token": {token}}, &answer)
	if err != nil {
		return err
	}
	if status != http.StatusOK {
		return fmt.Errorf("revoke: %v", oauthError{code: answer.Error, description: answer.Description})
	}
	return nil
}

// delegatedToken answers the stored sign-in's access token, refreshing it
// (and keeping the rotated refresh token) when it is about to expire.
func (c *apiClient) delegatedToken(ctx context.Context) (string, error) {
	l := c.login
	if time.Now().Add(tokenLeeway).Before(l.ExpiresAt) {
		return l.AccessToken, nil
	}
	if l.RefreshToken == "" {
		return "", errors.New("the sign-in has expired; run foyer login again")
	}
	tok, err := c.requestToken(ctx, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {l.RefreshToken}})
	if err != nil {
		return "", fmt.Errorf("the sign-in could not be renewed (%w); run foyer login again", err)
	}
	tok.store(l, time.Now())
	if err := c.saveLogin(*l); err != nil {
		return "", fmt.Errorf("keep the renewed sign-in: %w", err)
	}
	return l.AccessToken, nil
}

// randomToken answers 256 random bits, base64url.
func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return base64.RawURLEncoding.EncodeToString(b)
}
