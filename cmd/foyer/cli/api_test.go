package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// clientCredentials asks woodgrove's token endpoint for a token as the
// seeded demo-app and answers the access token.
func clientCredentials(t *testing.T, base, scope string) string {
	t.Helper()
	return clientCredentialsOf(t, base, "demo-app", "demo-secret", scope)
}

// clientCredentialsOf answers an access token woodgrove's token endpoint
// issues to clientID with the client credentials grant (scope "": none
// asked for).
func clientCredentialsOf(t *testing.T, base, clientID, secret, scope string) string {
	t.Helper()
	status, token := tryClientCredentials(t, base, clientID, secret, scope)
	require.Equal(t, http.StatusOK, status)
	require.NotEmpty(t, token)
	return token
}

// tryClientCredentials asks woodgrove's token endpoint for a token as
// clientID and answers the status and the access token, if any.
func tryClientCredentials(t *testing.T, base, clientID, secret, scope string) (int, string) {
	t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}}
	if scope != "" {
		form.Set("scope", scope)
	}
	req, err := http.NewRequest(http.MethodPost, base+"/t/woodgrove/oauth/token", strings.NewReader(form.Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(clientID, secret)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var body struct {
		AccessToken string `json:"access_token"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
	return resp.StatusCode, body.AccessToken
}

func callAPI(t *testing.T, token, method, rawURL string) (int, http.Header, string) {
	t.Helper()
	return sendAPI(t, token, method, rawURL, "")
}

// sendAPI is callAPI with a JSON body (none when "").
func sendAPI(t *testing.T, token, method, rawURL, body string) (int, http.Header, string) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, rawURL, rd)
	require.NoError(t, err)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, resp.Header, string(raw)
}

// TestAdminAPIWithRealTokens calls /v1.0 of a running serve --dev with
// tokens from its own token endpoint: only a token issued for the API
// (scope {external}/.default) gets data, and only its own tenant's.
func TestAdminAPIWithRealTokens(t *testing.T) {
	t.Parallel()
	s := startDevServer(t)
	base := s.base
	apiToken := clientCredentials(t, base, base+"/.default")

	status, _, body := callAPI(t, apiToken, http.MethodGet, base+"/v1.0/users")
	require.Equal(t, http.StatusOK, status, body)
	require.Contains(t, body, "admin@woodgrove.test")
	require.NotContains(t, body, "sam@fabrikam.test", "another tenant's users never show")
	require.NotContains(t, body, "argon2id")

	status, header, body := callAPI(t, "", http.MethodGet, base+"/v1.0/users")
	require.Equal(t, http.StatusUnauthorized, status)
	require.Contains(t, header.Get("WWW-Authenticate"), "Bearer")
	require.Contains(t, body, `"code":"InvalidAuthenticationToken"`)

	appToken := clientCredentials(t, base, "")
	status, _, body = callAPI(t, appToken, http.MethodGet, base+"/v1.0/users")
	require.Equal(t, http.StatusUnauthorized, status, "a token for the app itself is no API token: %s", body)

	status, _, _ = callAPI(t, apiToken+"x", http.MethodGet, base+"/v1.0/users")
	require.Equal(t, http.StatusUnauthorized, status, "a tampered token")

	r := s.cli.run(t, "-o", "json", "users", "show", "--tenant", "fabrikam", "sam@fabrikam.test")
	require.Equal(t, exitOK, r.code, r.stderr)
	var sam struct{ ID string }
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &sam))
	require.NotEmpty(t, sam.ID)
	status, _, body = callAPI(t, apiToken, http.MethodGet, base+"/v1.0/users/"+sam.ID)
	require.Equal(t, http.StatusNotFound, status, "another tenant's object is not found: %s", body)
	status, _, _ = callAPI(t, apiToken, http.MethodDelete, base+"/v1.0/users/"+sam.ID)
	require.Equal(t, http.StatusNotFound, status)
	r = s.cli.run(t, "users", "show", "--tenant", "fabrikam", "sam@fabrikam.test")
	require.Equal(t, exitOK, r.code, "sam is still there")

	requireOpenAPIOfServe(t, base, apiToken)
	s.shutdown(t)
}

// requireOpenAPIOfServe checks the API's OpenAPI document as serve
// publishes it: without a token (a valid one changes nothing), and with
// OAuth endpoints that are the tenants' own, as woodgrove's discovery
// names them.
func requireOpenAPIOfServe(t *testing.T, base, token string) {
	t.Helper()
	status, _, public := callAPI(t, "", http.MethodGet, base+"/v1.0/openapi.json")
	require.Equal(t, http.StatusOK, status, public)
	status, _, withToken := callAPI(t, token, http.MethodGet, base+"/v1.0/openapi.json")
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, public, withToken)
	status, _, _ = callAPI(t, token+"x", http.MethodGet, base+"/v1.0/openapi.json")
	require.Equal(t, http.StatusUnauthorized, status, "a tampered token is refused here too, as documented")
	var doc struct {
		Components struct {
			SecuritySchemes map[string]struct {
				Flows map[string]struct {
					AuthorizationURL string `json:"authorizationUrl"`
					TokenURL         string `json:"tokenUrl"`
				} `json:"flows"`
			} `json:"securitySchemes"`
		} `json:"components"`
	}
	require.NoError(t, json.Unmarshal([]byte(public), &doc))
	flows := doc.Components.SecuritySchemes["oauth2"].Flows
	require.NotEmpty(t, flows)
	status, _, raw := callAPI(t, "", http.MethodGet, base+"/t/woodgrove/.well-known/openid-configuration")
	require.Equal(t, http.StatusOK, status, raw)
	var disco struct {
		AuthorizationEndpoint string `json:"authorization_endpoint"`
		TokenEndpoint         string `json:"token_endpoint"`
	}
	require.NoError(t, json.Unmarshal([]byte(raw), &disco))
	woodgrove := func(u string) string { return base + strings.ReplaceAll(u, "{tenant}", "woodgrove") }
	for name, flow := range flows {
		require.Equal(t, disco.TokenEndpoint, woodgrove(flow.TokenURL), name)
		if flow.AuthorizationURL != "" {
			require.Equal(t, disco.AuthorizationEndpoint, woodgrove(flow.AuthorizationURL), name)
		}
	}
}

// TestInvitationsThroughServe invites a guest through a running serve
// --dev with a real token: the redeem link points at the tenant's
// redemption page, the guest is pending, and a revoke removes it.
func TestInvitationsThroughServe(t *testing.T) {
	t.Parallel()
	s := startDevServer(t)
	base := s.base
	apiToken := clientCredentials(t, base, base+"/.default")

	body := `{"invitedUserEmailAddress":"Kim@Partner.test","inviteRedirectUrl":"http://127.0.0.1:5556/callback",` +
		`"sendInvitationMessage":true,"invitedUserMessageInfo":{"customizedMessageBody":"Hi"}}`
	status, _, raw := sendAPI(t, apiToken, http.MethodPost, base+"/v1.0/invitations", body)
	require.Equal(t, http.StatusCreated, status, raw)
	var inv struct {
		ID              string
		InviteRedeemURL string `json:"inviteRedeemUrl"`
		Status          string
		InvitedUser     struct{ ID string } `json:"invitedUser"`
	}
	require.NoError(t, json.Unmarshal([]byte(raw), &inv))
	require.Equal(t, "PendingAcceptance", inv.Status)
	require.True(t, strings.HasPrefix(inv.InviteRedeemURL, base+"/t/woodgrove/redeem?token="), inv.InviteRedeemURL)

	status, _, user := callAPI(t, apiToken, http.MethodGet, base+"/v1.0/users/"+inv.InvitedUser.ID)
	require.Equal(t, http.StatusOK, status, user)
	require.Contains(t, user, `"userType":"Guest"`)
	require.Contains(t, user, `kim_partner.test#EXT#@woodgrove.`)

	status, _, list := callAPI(t, apiToken, http.MethodGet, base+"/v1.0/invitations")
	require.Equal(t, http.StatusOK, status, list)
	require.Contains(t, list, inv.ID)
	require.NotContains(t, list, "token=")

	status, _, _ = callAPI(t, apiToken, http.MethodDelete, base+"/v1.0/invitations/"+inv.ID)
	require.Equal(t, http.StatusNoContent, status)
	status, _, _ = callAPI(t, apiToken, http.MethodGet, base+"/v1.0/users/"+inv.InvitedUser.ID)
	require.Equal(t, http.StatusNotFound, status, "the never-redeemed guest went with its invitation")

	s.shutdown(t)
}

// TestInviteRedirectStaysUnderHomePageThroughServe: the dev seed's demo app
// has its home page at {base}/demo, on Foyer's own origin. An inviter may
// send guests under /demo, but no dot segment, raw or encoded, takes the
// redirect to another path of that origin.
func TestInviteRedirectStaysUnderHomePageThroughServe(t *testing.T) {
	t.Parallel()
	s := startDevServer(t)
	base := s.base
	apiToken := clientCredentials(t, base, base+"/.default")
	invite := func(email, redirect string) (int, string) {
		body, err := json.Marshal(map[string]any{"invitedUserEmailAddress": email, "inviteRedirectUrl": redirect})
		require.NoError(t, err)
		status, _, raw := sendAPI(t, apiToken, http.MethodPost, base+"/v1.0/invitations", string(body))
		return status, raw
	}
	for i, bad := range []string{
		base + "/demo/../t/woodgrove/logout",
		base + "/demo/%2e%2e/t/woodgrove/logout",
		base + "/demo/.%2E/dev/mail",
		base + "/demo/%252e%252e/dev/mail",
		base + "/demo/..%2fdev/mail",
		base + "/demo-other",
		base + "/dev/mail",
	} {
		status, body := invite(fmt.Sprintf("bad%d@partner.test", i), bad)
		require.Equal(t, http.StatusBadRequest, status, "%s: %s", bad, body)
		require.Contains(t, body, "inviteRedirectUrl", bad)
	}
	status, body := invite("ok@partner.test", base+"/demo/welcome")
	require.Equal(t, http.StatusCreated, status, body)
	s.shutdown(t)
}

// TestApplicationSecretsThroughServe registers an application and a
// secret through a running serve --dev's API: the secret authenticates
// the app at the token endpoint until its endDateTime, then never again;
// it is shown once and is in no later answer and no log line.
func TestApplicationSecretsThroughServe(t *testing.T) {
	t.Parallel()
	s := startDevServer(t)
	base := s.base
	apiToken := clientCredentials(t, base, base+"/.default")

	status, _, raw := sendAPI(t, apiToken, http.MethodPost, base+"/v1.0/applications",
		`{"displayName":"Nightly job","appId":"nightly","grantTypes":["client_credentials"]}`)
	require.Equal(t, http.StatusCreated, status, raw)
	var app struct{ ID string }
	require.NoError(t, json.Unmarshal([]byte(raw), &app))

	end := time.Now().Add(3 * time.Second).UTC().Format(time.RFC3339Nano)
	status, _, raw = sendAPI(t, apiToken, http.MethodPost, base+"/v1.0/applications/nightly/addPassword",
		`{"passwordCredential":{"displayName":"short-lived","endDateTime":"`+end+`"}}`)
	require.Equal(t, http.StatusOK, status, raw)
	var cred struct {
		SecretText string `json:"secretText"`
		KeyID      string `json:"keyId"`
	}
	require.NoError(t, json.Unmarshal([]byte(raw), &cred))
	require.NotEmpty(t, cred.SecretText)

	status, token := tryClientCredentials(t, base, "nightly", cred.SecretText, "")
	require.Equal(t, http.StatusOK, status, "the new secret authenticates")
	require.NotEmpty(t, token)
	status, _ = tryClientCredentials(t, base, "nightly", cred.SecretText+"x", "")
	require.Equal(t, http.StatusUnauthorized, status)

	// Past endDateTime the token endpoint refuses it (the client cache
	// does not outlive a secret's end).
	require.Eventually(t, func() bool {
		status, _ := tryClientCredentials(t, base, "nightly", cred.SecretText, "")
		return status == http.StatusUnauthorized
	}, 20*time.Second, 250*time.Millisecond, "an expired secret must not authenticate")

	status, _, raw = callAPI(t, apiToken, http.MethodGet, base+"/v1.0/applications/"+app.ID)
	require.Equal(t, http.StatusOK, status, raw)
	require.Contains(t, raw, cred.KeyID)
	require.Contains(t, raw, `"displayName":"short-lived"`)
	require.NotContains(t, raw, cred.SecretText)
	require.NotContains(t, raw, "secretText")
	s.shutdown(t)
	require.NotContains(t, s.logs.String(), cred.SecretText, "no log line holds the secret")
}

// TestAppMayNotGrantMoreThanItHolds: an app holding only
// Application.ReadWrite.All tries, with its own token from the real token
// endpoint, to give itself and a new app User.ReadWrite.All: both are
// refused and nothing changes; granting what it holds is allowed, and a
// signed-in administrator's power is not at stake here.
func TestAppMayNotGrantMoreThanItHolds(t *testing.T) {
	t.Parallel()
	s := startDevServer(t)
	admin := clientCredentials(t, s.base, s.base+"/.default")
	status, _, body := sendAPI(t, admin, http.MethodPost, s.base+"/v1.0/applications", `{"displayName":"Deployer",
		"grantTypes":["client_credentials"],"apiPermissions":["Application.ReadWrite.All"]}`)
	require.Equal(t, http.StatusCreated, status, body)
	var deployer struct{ ID, AppID string }
	require.NoError(t, json.Unmarshal([]byte(body), &deployer))
	secret, _ := addPassword(t, s.base, admin, deployer.ID)
	token := clientCredentialsOf(t, s.base, deployer.AppID, secret, s.base+"/.default")
	self := s.base + "/v1.0/applications/" + deployer.ID

	for _, attempt := range []struct{ method, url, body string }{
		{http.MethodPatch, self, `{"apiPermissions":["Application.ReadWrite.All","User.ReadWrite.All"]}`},
		{http.MethodPost, s.base + "/v1.0/applications", `{"displayName":"Sidekick","apiPermissions":["User.ReadWrite.All"]}`},
	} {
		status, _, body := sendAPI(t, token, attempt.method, attempt.url, attempt.body)
		require.Equal(t, http.StatusForbidden, status, body)
		require.Contains(t, body, "Authorization_RequestDenied")
		require.Contains(t, body, "'User.ReadWrite.All'")
	}
	status, _, body = callAPI(t, admin, http.MethodGet, self)
	require.Equal(t, http.StatusOK, status, body)
	require.Contains(t, body, `"apiPermissions":["Application.ReadWrite.All"]`, "unchanged")
	status, _, body = callAPI(t, admin, http.MethodGet, s.base+"/v1.0/applications?$filter=displayName eq 'Sidekick'")
	require.NotContains(t, body, "Sidekick", "not created (%d)", status)
	fresh := clientCredentialsOf(t, s.base, deployer.AppID, secret, s.base+"/.default")
	status, _, _ = callAPI(t, fresh, http.MethodGet, s.base+"/v1.0/users")
	require.Equal(t, http.StatusForbidden, status, "still no user access")

	// What it holds, it may grant.
	status, _, body = sendAPI(t, token, http.MethodPost, s.base+"/v1.0/applications",
		`{"displayName":"Sidekick","apiPermissions":["Application.ReadWrite.All"]}`)
	require.Equal(t, http.StatusCreated, status, body)
}
