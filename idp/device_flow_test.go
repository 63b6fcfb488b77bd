package idp_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/internal/directory"
	"github.com/foyer-idp/foyer/internal/store"
	"github.com/foyer-idp/foyer/internal/webclient"
)

// The device authorization grant (RFC 8628) end to end: a client asks
// for codes over HTTP, polls the token endpoint as a device would, and a
// cookie-jar browser enters the user code, signs in and approves or denies
// on the pages.

const deviceGrantType = directory.GrantDeviceCode

// userCodeShape is the user code as shown: two groups of five letters of
// the unambiguous alphabet.
var userCodeShape = regexp.MustCompile(`^[BCDFGHJKLMNPQRSTVWXZ]{5}-[BCDFGHJKLMNPQRSTVWXZ]{5}$`)

// deviceApp registers a native app holding the device grant (and the
// refresh grant), first party: a device approval is asked all the same.
func (e *env) deviceApp(t *testing.T, tn store.Tenant, clientID string, edit ...func(*directory.NewApplication)) *client {
	t.Helper()
	return e.app(t, tn, clientID, append([]func(*directory.NewApplication){func(in *directory.NewApplication) {
		in.ClientType = store.ClientNative
		in.RedirectURIs = []string{"http://127.0.0.1/callback"}
		in.FirstParty = true
		in.GrantTypes = []string{directory.GrantAuthorizationCode, directory.GrantRefreshToken, deviceGrantType}
	}}, edit...)...)
}

// contosoWithAda creates the tenant contoso with the member
// ada@contoso.test.
func (e *env) contosoWithAda(t *testing.T) store.Tenant {
	t.Helper()
	tn := e.tenant(t, "contoso", "")
	e.member(t, tn, "ada@contoso.test")
	return tn
}

// deviceCodes is a device authorization response.
type deviceCodes struct {
	deviceCode, userCode, verificationURI, complete string
}

// authorizeDevice asks for codes as the client, checking the answer.
func (c *client) authorizeDevice(t *testing.T, scope string) deviceCodes {
	t.Helper()
	r := c.postAs(t, "/oauth/device_authorization", url.Values{"scope": {scope}})
	require.Equal(t, http.StatusOK, r.status, r.body)
	require.Equal(t, "no-store", r.header.Get("Cache-Control"))
	d := deviceCodes{
		deviceCode: r.json["device_code"].(string), userCode: r.json["user_code"].(string),
		verificationURI: r.json["verification_uri"].(string), complete: r.json["verification_uri_complete"].(string),
	}
	require.Len(t, d.deviceCode, 43, "256 random bits")
	require.Regexp(t, userCodeShape, d.userCode)
	require.Equal(t, c.env.issuer(c.tenant.Slug)+"/device", d.verificationURI)
	require.Equal(t, d.verificationURI+"?user_code="+d.userCode, d.complete)
	require.EqualValues(t, 600, r.json["expires_in"])
	require.EqualValues(t, 5, r.json["interval"])
	return d
}

// pollDevice polls the token endpoint as the client.
func (c *client) pollDevice(t *testing.T, deviceCode string) response {
	t.Helper()
	return c.token(t, url.Values{"grant_type": {deviceGrantType}, "device_code": {deviceCode}})
}

// enterUserCode opens link (the verification URI, complete or not) in b
// and continues with typed as the code; answers the next page.
func enterUserCode(t *testing.T, b *webclient.Client, link, typed string) *webclient.Page {
	t.Helper()
	p := mustPage(t)(b.Get(t.Context(), link))
	require.Equal(t, http.StatusOK, p.Status, p.Summary())
	fill := map[string]string{}
	if typed != "" {
		fill["user_code"] = typed
	}
	return submit(t, b, p, "user_code", "Continue", fill)
}

// requireWrongCode checks the code page refused the code entered.
func requireWrongCode(t *testing.T, p *webclient.Page) {
	t.Helper()
	require.Equal(t, http.StatusBadRequest, p.Status, p.Summary())
	require.Contains(t, p.Text(), "That code is not right")
}

// toDeviceApproval enters the code at the verification link and signs in
// as mail: the page asking to approve the device.
func toDeviceApproval(t *testing.T, b *webclient.Client, d deviceCodes, mail string) *webclient.Page {
	t.Helper()
	p := enterUserCode(t, b, d.complete, "")
	require.Equal(t, http.StatusOK, p.Status, p.Summary())
	p = submit(t, b, p, "email", "Sign in", map[string]string{"email": mail, "password": password})
	require.Equal(t, http.StatusOK, p.Status, p.Summary())
	require.Contains(t, p.Title, "Approve sign-in on a device")
	return p
}

// decideDevice presses Approve ("allow") or Deny ("deny").
func decideDevice(t *testing.T, b *webclient.Client, approval *webclient.Page, decision string) *webclient.Page {
	t.Helper()
	p := submit(t, b, approval, "csrf_token", decision, nil)
	require.Equal(t, http.StatusOK, p.Status, p.Summary())
	return p
}

func TestDeviceFlowEndToEnd(t *testing.T) {
	t.Parallel()
	runBoth(t, func(t *testing.T, e *env) {
		tn := e.tenant(t, "contoso", "")
		u := e.member(t, tn, "ada@contoso.test")
		c := e.deviceApp(t, tn, "cli")

		meta := getJSON(t, e.issuer("contoso")+"/.well-known/openid-configuration")
		require.Equal(t, e.issuer("contoso")+"/oauth/device_authorization", meta["device_authorization_endpoint"])
		require.Contains(t, meta["grant_types_supported"], deviceGrantType)

		d := c.authorizeDevice(t, "openid profile offline_access "+e.base+"/AuditLog.Read.All")
		requireOAuthError(t, c.pollDevice(t, d.deviceCode), http.StatusBadRequest, "authorization_pending")
		// Polling again at once is too fast: the interval grows to 10 s,
		// then, 6 s later, again too fast, to 15 s.
		requireOAuthError(t, c.pollDevice(t, d.deviceCode), http.StatusBadRequest, "slow_down")
		e.clock.Advance(6 * time.Second)
		requireOAuthError(t, c.pollDevice(t, d.deviceCode), http.StatusBadRequest, "slow_down")
		e.clock.Advance(15 * time.Second)
		requireOAuthError(t, c.pollDevice(t, d.deviceCode), http.StatusBadRequest, "authorization_pending")

		b := e.browser()
		approval := toDeviceApproval(t, b, d, "ada@contoso.test")
		require.Contains(t, approval.Text(), "App cli")
		require.Contains(t, approval.Text(), "Sign you in")
		require.Contains(t, approval.Text(), "Keep access to what you allowed")
		require.Contains(t, approval.Text(), "Read the audit log on your behalf")
		done := decideDevice(t, b, approval, "allow")
		require.Contains(t, done.Title, "Device signed in", done.Summary())

		e.clock.Advance(20 * time.Second)
		r := c.pollDevice(t, d.deviceCode)
		require.Equal(t, http.StatusOK, r.status, r.body)
		require.Equal(t, "no-store", r.header.Get("Cache-Control"))
		_, claims := idClaims(t, c.verifier(t), r.json["id_token"].(string))
		require.Equal(t, u.ID, claims["sub"])
		require.Equal(t, "cli", claims["aud"])
		require.Equal(t, []any{"pwd"}, claims["amr"])
		require.NotEmpty(t, claims["sid"], "the device is signed in by the browser's session")
		_, access := jwtParts(t, r.json["access_token"].(string))
		require.Equal(t, u.ID, access["sub"])
		require.Equal(t, "AuditLog.Read.All", access["scp"])
		require.Equal(t, e.base, access["aud"])
		require.NotEmpty(t, r.json["refresh_token"])

		// The refresh token works like any other.
		refreshed := c.token(t, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {r.json["refresh_token"].(string)}})
		require.Equal(t, http.StatusOK, refreshed.status, refreshed.body)

		// Single use: the code gives nothing twice, and the user code is gone.
		requireOAuthError(t, c.pollDevice(t, d.deviceCode), http.StatusBadRequest, "invalid_grant")
		requireWrongCode(t, enterUserCode(t, b, d.complete, ""))

		// Neither code, nor any token, reaches the log.
		logs := e.logs.String()
		for _, secret := range []string{d.deviceCode, d.userCode, strings.ReplaceAll(d.userCode, "-", ""),
			r.json["access_token"].(string), r.json["refresh_token"].(string)} {
			require.NotContains(t, logs, secret)
		}
	})
}

func TestDeviceFlowDenyAndExpiry(t *testing.T) {
	t.Parallel()
	runBoth(t, func(t *testing.T, e *env) {
		tn := e.contosoWithAda(t)
		c := e.deviceApp(t, tn, "cli")

		t.Run("deny", func(t *testing.T) {
			d := c.authorizeDevice(t, "openid")
			b := e.browser()
			done := decideDevice(t, b, toDeviceApproval(t, b, d, "ada@contoso.test"), "deny")
			require.Contains(t, done.Title, "Request denied", done.Summary())
			requireOAuthError(t, c.pollDevice(t, d.deviceCode), http.StatusBadRequest, "access_denied")
		})

		t.Run("expiry", func(t *testing.T) {
			d := c.authorizeDevice(t, "openid")
			b := e.browser()
			approval := toDeviceApproval(t, b, d, "ada@contoso.test")
			e.clock.Advance(601 * time.Second)
			requireOAuthError(t, c.pollDevice(t, d.deviceCode), http.StatusBadRequest, "expired_token")
			// Approving too late approves nothing.
			late := submit(t, b, approval, "csrf_token", "allow", nil)
			require.GreaterOrEqual(t, late.Status, http.StatusBadRequest, late.Summary())
			require.Less(t, late.Status, http.StatusInternalServerError, late.Summary())
			requireOAuthError(t, c.pollDevice(t, d.deviceCode), http.StatusBadRequest, "expired_token")
			requireWrongCode(t, enterUserCode(t, e.browser(), d.complete, ""))
		})
	})
}

func TestDeviceCodeBoundToItsClient(t *testing.T) {
	t.Parallel()
	runBoth(t, func(t *testing.T, e *env) {
		tn := e.contosoWithAda(t)
		cli := e.deviceApp(t, tn, "cli")
		other := e.deviceApp(t, tn, "other-cli")
		confidential := e.deviceApp(t, tn, "smart-tv", func(in *directory.NewApplication) {
			in.ClientType, in.RedirectURIs = store.ClientConfidential, []string{rpCallback}
		})

		d := cli.authorizeDevice(t, "openid")
		b := e.browser()
		decideDevice(t, b, toDeviceApproval(t, b, d, "ada@contoso.test"), "allow")
		// Another client holding the code gets nothing, and does not spend it.
		requireOAuthError(t, other.pollDevice(t, d.deviceCode), http.StatusBadRequest, "invalid_grant")
		requireOAuthError(t, confidential.pollDevice(t, d.deviceCode), http.StatusBadRequest, "invalid_grant")
		r := cli.pollDevice(t, d.deviceCode)
		require.Equal(t, http.StatusOK, r.status, r.body)

		// A confidential client authenticates as at the token endpoint.
		wrong := e.post(t, e.issuer("contoso")+"/oauth/device_authorization", url.Values{"scope": {"openid"}}, "smart-tv", "not-the-secret")
		requireOAuthError(t, wrong, http.StatusUnauthorized, "invalid_client")
		require.NotEmpty(t, wrong.header.Get("WWW-Authenticate"))
		noSecret := e.post(t, e.issuer("contoso")+"/oauth/device_authorization", url.Values{"scope": {"openid"}, "client_id": {"smart-tv"}}, "", "")
		requireOAuthError(t, noSecret, http.StatusUnauthorized, "invalid_client")
		// So does it when polling.
		dc := confidential.authorizeDevice(t, "openid")
		stolen := e.post(t, e.issuer("contoso")+"/oauth/token", url.Values{"grant_type": {deviceGrantType}, "device_code": {dc.deviceCode}, "client_id": {"smart-tv"}}, "", "")
		requireOAuthError(t, stolen, http.StatusUnauthorized, "invalid_client")
		unknown := cli.pollDevice(t, "not-a-device-code")
		requireOAuthError(t, unknown, http.StatusBadRequest, "invalid_grant")
	})
}

func TestDeviceGrantOnlyForAppsGrantedIt(t *testing.T) {
	t.Parallel()
	runBoth(t, func(t *testing.T, e *env) {
		tn := e.tenant(t, "contoso", "")
		plain := e.app(t, tn, "web")
		native := e.app(t, tn, "native", func(in *directory.NewApplication) {
			in.ClientType = store.ClientNative
			in.RedirectURIs = []string{"http://127.0.0.1/callback"}
		})
		for _, c := range []*client{plain, native} {
			r := c.postAs(t, "/oauth/device_authorization", url.Values{"scope": {"openid"}})
			requireOAuthError(t, r, http.StatusBadRequest, "unauthorized_client")
			r = c.pollDevice(t, "whatever")
			requireOAuthError(t, r, http.StatusBadRequest, "unauthorized_client")
		}
		cli := e.deviceApp(t, tn, "cli")
		r := cli.postAs(t, "/oauth/device_authorization", url.Values{"scope": {"openid " + e.base + "/.default"}})
		requireOAuthError(t, r, http.StatusBadRequest, "invalid_scope")
	})
}

func TestDeviceVerificationPageRefusals(t *testing.T) {
	t.Parallel()
	runBoth(t, func(t *testing.T, e *env) {
		tn := e.contosoWithAda(t)
		c := e.deviceApp(t, tn, "cli")
		d := c.authorizeDevice(t, "openid")

		t.Run("approval without its form token", func(t *testing.T) {
			b := e.browser()
			approval := toDeviceApproval(t, b, d, "ada@contoso.test")
			f, err := approval.FormWith("csrf_token")
			require.NoError(t, err)
			require.NoError(t, f.Fill("csrf_token", ""))
			p := mustPage(t)(b.Submit(t.Context(), f, f.Button("allow")))
			require.Equal(t, http.StatusForbidden, p.Status, p.Summary())
			requireOAuthError(t, c.pollDevice(t, d.deviceCode), http.StatusBadRequest, "authorization_pending")
		})

		t.Run("code form without its form token", func(t *testing.T) {
			b := e.browser()
			p := mustPage(t)(b.Get(t.Context(), d.verificationURI))
			f, err := p.FormWith("user_code")
			require.NoError(t, err)
			require.NoError(t, f.Fill("user_code", d.userCode))
			require.NoError(t, f.Fill("csrf_token", "forged"))
			p = mustPage(t)(b.Submit(t.Context(), f, f.Button("Continue")))
			require.Equal(t, http.StatusForbidden, p.Status, p.Summary())
		})

		t.Run("codes typed loosely still match", func(t *testing.T) {
			b := e.browser()
			loose := strings.ToLower(strings.ReplaceAll(d.userCode, "-", " "))
			p := enterUserCode(t, b, d.verificationURI, loose)
			require.Equal(t, http.StatusOK, p.Status, p.Summary())
			_, err := p.FormWith("password")
			require.NoError(t, err, "the sign-in page")
		})

		t.Run("wrong codes are throttled per address and tenant", func(t *testing.T) {
			// A tenant of its own: the codes entered above counted at contoso.
			fab := e.tenant(t, "fabrikam", "")
			fd := e.deviceApp(t, fab, "cli").authorizeDevice(t, "openid")
			b := e.browser()
			for i := range 20 {
				wrong := "BCDFG-HJKL" + string("MNPQRSTVWXZBCDFGHJKLM"[i])
				p := enterUserCode(t, b, fd.verificationURI, wrong)
				require.Equal(t, http.StatusBadRequest, p.Status, "attempt %d: %s", i+1, p.Summary())
			}
			// Past the limit even the right code is refused, until the
			// window ends; the address still enters codes at contoso.
			p := enterUserCode(t, b, fd.verificationURI, fd.userCode)
			require.Equal(t, http.StatusTooManyRequests, p.Status, p.Summary())
			require.NotEmpty(t, p.Header.Get("Retry-After"))
			p = enterUserCode(t, b, d.verificationURI, d.userCode)
			require.Equal(t, http.StatusOK, p.Status, p.Summary())
			// After the window the address is heard again (the code has
			// expired meanwhile).
			e.clock.Advance(16 * time.Minute)
			requireWrongCode(t, enterUserCode(t, b, fd.verificationURI, fd.userCode))
		})
	})
}

// TestDeviceFlowFollowsSignInPolicy: the verification page's sign-in is
// the tenant's own, so an app requiring a second factor has the user enrol
// before approving, and an app the user is not assigned to is denied.
func TestDeviceFlowFollowsSignInPolicy(t *testing.T) {
	t.Parallel()
	runBoth(t, func(t *testing.T, e *env) {
		tn := e.contosoWithAda(t)

		t.Run("second factor", func(t *testing.T) {
			c := e.deviceApp(t, tn, "mfa-cli", func(in *directory.NewApplication) { in.RequiresMFA = true })
			d := c.authorizeDevice(t, "openid")
			b := e.browser()
			p := enterUserCode(t, b, d.complete, "")
			p = submit(t, b, p, "email", "Sign in", map[string]string{"email": "ada@contoso.test", "password": password})
			p, _ = enrol(t, b, p)
			p = cont(t, b, p)
			require.Contains(t, p.Title, "Approve sign-in on a device", p.Summary())
			decideDevice(t, b, p, "allow")
			r := c.pollDevice(t, d.deviceCode)
			require.Equal(t, http.StatusOK, r.status, r.body)
			_, claims := jwtParts(t, r.json["id_token"].(string))
			require.Contains(t, claims["amr"], "mfa")
		})

		t.Run("not assigned", func(t *testing.T) {
			c := e.deviceApp(t, tn, "assigned-cli", func(in *directory.NewApplication) { in.AssignmentRequired = true })
			d := c.authorizeDevice(t, "openid")
			b := e.browser()
			p := submit(t, b, toDeviceApproval(t, b, d, "ada@contoso.test"), "csrf_token", "allow", nil)
			require.Equal(t, http.StatusForbidden, p.Status, p.Summary())
			requireOAuthError(t, c.pollDevice(t, d.deviceCode), http.StatusBadRequest, "access_denied")
		})
	})
}
