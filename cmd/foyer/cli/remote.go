package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

// A client of a running server's admin API, for the commands that can act
// either on the local database or, given --server, through /v1.0 as any
// Graph script would: with an app's client credentials, so the server
// checks the app's permissions and audits the app, or, without them, as
// the user foyer login signed in.

// Remote flags and their environment variables (--client-id and
// --client-secret share their names with the apps and bench commands'
// flags). The secret is best given by environment: a flag shows in the
// process list.
const (
	flagServer      = "server"
	envServer       = "FOYER_SERVER"
	envClientID     = "FOYER_CLIENT_ID"
	envClientSecret = "FOYER_CLIENT_SECRET"
)

// Limits of a call to the server: no command waits forever, and no answer
// fills the memory.
const (
	remoteTimeout     = 30 * time.Second
	remoteDialTimeout = 10 * time.Second
	maxRemoteBody     = 4 << 20
	// maxRemotePages bounds how many @odata.nextLink a listing follows.
	maxRemotePages = 10000
)

// addRemoteFlags adds --server and, with credentialFlags, --client-id and
// --client-secret.
func addRemoteFlags(cmd *cobra.Command, credentialFlags bool) {
	f := cmd.Flags()
	f.String(flagServer, "", "act through this Foyer server's admin API, e.g. https://id.example.com (env "+envServer+"; default: the local database)")
	if !credentialFlags {
		return
	}
	f.String(flagClientID, "", "with --server: the client id of an app with API permissions (env "+envClientID+")")
	f.String(flagClientSecret, "", "with --server: the app's client secret (visible in the process list; prefer env "+envClientSecret+")")
}

// remoteSetting answers a remote flag's value, or else its environment
// variable's.
func remoteSetting(cmd *cobra.Command, d deps, flag, env string) string {
	if v, _ := cmd.Flags().GetString(flag); cmd.Flags().Changed(flag) {
		return v
	}
	return envSetting(d, env)
}

// envSetting answers an environment variable's value ("" when unset).
func envSetting(d deps, env string) string {
	if d.lookupEnv == nil {
		return ""
	}
	v, _ := d.lookupEnv(env)
	return v
}

// newAPIClient answers the client the remote flags describe, or nil when
// neither --server nor FOYER_SERVER names a server. Nothing is sent yet.
// Without credentialFlags the command's --client-id is its own, and the
// credentials come from the environment only.
func newAPIClient(cmd *cobra.Command, d deps, tenant string, credentialFlags bool) (*apiClient, error) {
	server := strings.TrimRight(remoteSetting(cmd, d, flagServer, envServer), "/")
	if server == "" {
		for _, name := range []string{flagClientID, flagClientSecret} {
			if credentialFlags && cmd.Flags().Changed(name) {
				return nil, usageErrorf("--%s needs --%s (or %s)", name, flagServer, envServer)
			}
		}
		return nil, nil
	}
	if err := checkServerURL(server); err != nil {
		return nil, err
	}
	clientID, secret := envSetting(d, envClientID), envSetting(d, envClientSecret)
	if credentialFlags {
		clientID = remoteSetting(cmd, d, flagClientID, envClientID)
		var err error
		if secret, err = secretFlag(cmd, d, flagClientSecret, envClientSecret); err != nil { // warns when given as a flag
			return nil, err
		}
	}
	if clientID == "" && secret == "" {
		// No app credentials: the sign-in of foyer login, if it is for
		// this server and tenant.
		l, err := loadLogin(d)
		switch {
		case err == nil && l.Server == server && l.Tenant == tenant:
			c := newRemoteClient(server, tenant, l.ClientID, "")
			c.login, c.saveLogin = &l, func(l storedLogin) error { return saveLogin(d, l) }
			return c, nil
		case err != nil && !errors.Is(err, fs.ErrNotExist):
			return nil, err
		}
		return nil, usageErrorf("with --%s, run foyer login --%s %s --%s %s first, or give app credentials: --%s and --%s (or %s and %s)",
			flagServer, flagServer, server, flagTenant, tenant, flagClientID, flagClientSecret, envClientID, envClientSecret)
	}
	var missing []string
	if clientID == "" {
		missing = append(missing, "--"+flagClientID+" (or "+envClientID+")")
	}
	if secret == "" {
		missing = append(missing, "--"+flagClientSecret+" (or "+envClientSecret+")")
	}
	switch len(missing) {
	case 0:
	case 1:
		return nil, usageErrorf("with --%s, %s is required", flagServer, missing[0])
	default:
		return nil, usageErrorf("with --%s, %s are required", flagServer, strings.Join(missing, " and "))
	}
	return newRemoteClient(server, tenant, clientID, secret), nil
}

// newRemoteClient answers a client of server's admin API for tenant (a
// slug), authenticating as clientID with secret.
func newRemoteClient(server, tenant, clientID, secret string) *apiClient {
	return &apiClient{
		server:   server,
		tenant:   tenant,
		clientID: clientID,
		secret:   secret,
		http: &http.Client{
			Timeout: remoteTimeout,
			Transport: &http.Transport{
				Proxy:               http.ProxyFromEnvironment,
				DialContext:         (&net.Dialer{Timeout: remoteDialTimeout}).DialContext,
				TLSHandshakeTimeout: remoteDialTimeout,
			},
			// The API does not redirect; following one would carry the
			// token or the credentials somewhere else.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}
}

// checkServerURL refuses a server URL that is not a plain http(s) origin,
// and plain http to anything but this machine: the client secret and the
// tokens would cross the network readable.
func checkServerURL(server string) error {
	u, err := url.Parse(server)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil ||
		u.RawQuery != "" || u.Fragment != "" {
		return usageErrorf("--%s must be an http(s) URL such as https://id.example.com, got %q", flagServer, server)
	}
	if u.Scheme == "http" && !isLoopback(u.Hostname()) {
		return usageErrorf("--%s %s: refusing to send credentials over plain http to another machine; use https", flagServer, server)
	}
	return nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// apiClient calls one tenant's admin API with a token it gets by the
// client credentials grant. The secret is sent to the token endpoint only
// and never printed.
type apiClient struct {
	server   string // origin, without trailing slash
	tenant   string // slug
	clientID string
	secret   string
	http     *http.Client
	token    string // once fetched
	// login, when set, is foyer login's sign-in: the client acts as the
	// signed-in user with its tokens, and saveLogin keeps them renewed.
	login     *storedLogin
	saveLogin func(storedLogin) error
}

// graphError is the admin API's error body, {"error":{"code","message"}}.
type graphError struct {
	Status  int    `json:"-"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (e *graphError) Error() string { return e.Code + ": " + e.Message }

// accessToken gets (once) an access token for the API: the signed-in
// user's, or the app's by client credentials.
func (c *apiClient) accessToken(ctx context.Context) (string, error) {
	if c.login != nil {
		return c.delegatedToken(ctx)
	}
	if c.token != "" {
		return c.token, nil
	}
	tok, err := c.requestToken(ctx, url.Values{"grant_type": {"client_credentials"}, "scope": {c.server + "/.default"}})
	var refused oauthError
	if errors.As(err, &refused) {
		return "", fmt.Errorf("%s refused client %q of tenant %q: %w", c.tenantEndpoint("/oauth/token"), c.clientID, c.tenant, refused)
	}
	if err != nil {
		return "", err
	}
	c.token = tok.AccessToken
	return c.token, nil
}

// send does req and answers the status and body. Transport failures say
// which server could not be reached.
func (c *apiClient) send(req *http.Request) (int, []byte, error) {
	resp, err := c.http.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URL is in the message already
		}
		if ctxErr := req.Context().Err(); ctxErr != nil {
			return 0, nil, fmt.Errorf("%s %s: %w", req.Method, req.URL.Redacted(), ctxErr)
		}
		return 0, nil, fmt.Errorf("cannot reach Foyer at %s: %s %s: %w", c.server, req.Method, req.URL.Redacted(), err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxRemoteBody+1))
	if err != nil {
		return 0, nil, fmt.Errorf("%s %s: read answer: %w", req.Method, req.URL.Redacted(), err)
	}
	if len(body) > maxRemoteBody {
		return 0, nil, fmt.Errorf("%s %s: answer larger than %d bytes", req.Method, req.URL.Redacted(), maxRemoteBody)
	}
	return resp.StatusCode, body, nil
}

// call sends a request to the API, target being a path under the server
// (/v1.0/...) or a link the API answered. in, when not nil, is the JSON
// body; out, when not nil, takes the JSON answer. A Graph error body
// becomes a *graphError.
func (c *apiClient) call(ctx context.Context, method, target string, in, out any) error {
	if !strings.HasPrefix(target, c.server+"/v1.0/") {
		target = c.server + target
		if !strings.HasPrefix(target, c.server+"/v1.0/") {
			// A next link to another server would get our token.
			return fmt.Errorf("the server answered a link outside %s/v1.0/: %q", c.server, target)
		}
	}
	token, err := c.accessToken(ctx)
	if err != nil {
		return err
	}
	var body io.Reader
	if in != nil {
		raw, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, method, target, body)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	status, raw, err := c.send(req)
	if err != nil {
		return err
	}
	if status < 200 || status > 299 {
		var e struct {
			Error *graphError `json:"error"`
		}
		if json.Unmarshal(raw, &e) == nil && e.Error != nil && e.Error.Code != "" {
			e.Error.Status = status
			return e.Error
		}
		return fmt.Errorf("%s %s: the server answered %d %s", method, req.URL.Redacted(), status, http.StatusText(status))
	}
	if out == nil || status == http.StatusNoContent {
		return nil
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("%s %s: unexpected answer: %w", method, req.URL.Redacted(), err)
	}
	return nil
}

// listAll gets every page of a collection, following @odata.nextLink, and
// answers all items.
func listAll[T any](ctx context.Context, c *apiClient, target string) ([]T, error) {
	var all []T
	for pages := 0; target != ""; pages++ {
		if pages == maxRemotePages {
			return nil, fmt.Errorf("GET %s: more than %d pages", target, maxRemotePages)
		}
		var page struct {
			Value    []T    `json:"value"`
			NextLink string `json:"@odata.nextLink"`
		}
		if err := c.call(ctx, http.MethodGet, target, nil, &page); err != nil {
			return nil, err
		}
		all = append(all, page.Value...)
		target = page.NextLink
	}
	return all, nil
}
