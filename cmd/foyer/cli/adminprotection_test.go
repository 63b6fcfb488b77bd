package cli

import (
	"encoding/json"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/foyer-idp/foyer/internal/bootstrap"
	"github.com/foyer-idp/foyer/internal/secret"
	"github.com/foyer-idp/foyer/internal/store"
	"github.com/foyer-idp/foyer/internal/store/sqlstore"
	"github.com/foyer-idp/foyer/internal/store/sqlstore/sqltest"
	"github.com/foyer-idp/foyer/internal/webclient"
)

// Administrator protection, attacked from outside: through a running
// serve --dev with real tokens, through the CLI and through a bootstrap
// file, on both back ends.

// backendEnv answers the environment that puts the CLI (and a server it
// starts) on back end b: SQLite in the data directory, or a PostgreSQL
// schema of the test's own.
func backendEnv(t *testing.T, b sqltest.Backend) map[string]string {
	t.Helper()
	if b.Name == "Postgres" {
		return map[string]string{"FOYER_DATABASE": sqltest.PostgresSchema(t)}
	}
	return map[string]string{}
}

// openStore opens the database the CLI uses, for setting up what no
// command makes (a guest who has redeemed).
func (c *cli) openStore(t *testing.T) *sqlstore.Store {
	t.Helper()
	var st *sqlstore.Store
	var err error
	if dsn, ok := c.env["FOYER_DATABASE"]; ok {
		st, err = sqlstore.OpenPostgres(t.Context(), dsn)
	} else {
		st, err = sqlstore.OpenSQLite(t.Context(), filepath.Join(c.dataDir, "foyer.db"))
	}
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	return st
}

// graphCall sends a JSON body (none when body is empty) with a bearer
// token and answers the status and the decoded answer.
func graphCall(t *testing.T, token, method, rawURL, body string) (int, map[string]any) {
	t.Helper()
	require.NotEmpty(t, token)
	status, _, raw := sendAPI(t, token, method, rawURL, body)
	var out map[string]any
	if len(raw) > 0 {
		require.NoError(t, json.Unmarshal([]byte(raw), &out), raw)
	}
	return status, out
}

// requireGraphError asserts Graph's error body with code and a message
// containing each of parts.
func requireGraphError(t *testing.T, status int, body map[string]any, wantStatus int, code string, parts ...string) {
	t.Helper()
	require.Equal(t, wantStatus, status, "%v", body)
	e, ok := body["error"].(map[string]any)
	require.True(t, ok, "%v", body)
	require.Equal(t, code, e["code"], "%v", body)
	for _, p := range parts {
		require.Contains(t, e["message"], p)
	}
}

// appToken registers a confidential app of woodgrove holding only these
// application permissions and answers an API token for it.
func (s *devServer) appToken(t *testing.T, clientID string, permissions ...string) string {
	t.Helper()
	args := []string{"-o", "json", "apps", "create", "--tenant", "woodgrove", "--name", clientID, "--client-id", clientID,
		"--grant", "client_credentials"}
	for _, p := range permissions {
		args = append(args, "--permission", p)
	}
	var app struct {
		Secret struct {
			Value string `json:"secretText"`
		} `json:"passwordCredential"`
	}
	require.NoError(t, json.Unmarshal([]byte(s.cli.mustRun(t, args...)), &app))
	return clientCredentialsOf(t, s.base, clientID, app.Secret.Value, s.base+"/.default")
}

const staffPassword = "staff-password-1"

// staffMember creates a member of woodgrove with a password and, unless
// empty, a directory role.
func (s *devServer) staffMember(t *testing.T, mail, role string) string {
	t.Helper()
	args := []string{"-o", "json", "users", "create", "--tenant", "woodgrove", "--mail", mail, "--name", mail, "--password-stdin"}
	if role != "" {
		args = append(args, "--role", role)
	}
	r := s.cli.runIn(t, staffPassword+"\n", args...)
	require.Equal(t, exitOK, r.code, r.stderr)
	var u struct{ ID string }
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &u))
	return u.ID
}

// delegatedToken signs mail in to demo-app in a fresh browser, asking for
// these admin API permissions, and answers the access token.
func (s *devServer) delegatedToken(t *testing.T, mail, password string, permissions ...string) string {
	t.Helper()
	ctx := t.Context()
	scopes := []string{oidc.ScopeOpenID}
	for _, p := range permissions {
		scopes = append(scopes, s.base+"/"+p)
	}
	cfg := &oauth2.Config{ClientID: bootstrap.DevClientID, ClientSecret: bootstrap.DevClientSecret,
		RedirectURL: bootstrap.DevRedirectURI, Scopes: scopes,
		Endpoint: oauth2.Endpoint{AuthURL: s.base + "/t/woodgrove/authorize", TokenURL: s.base + "/t/woodgrove/oauth/token",
			AuthStyle: oauth2.AuthStyleInHeader}}
	state, verifier := secret.NewToken(8), oauth2.GenerateVerifier()
	br := webclient.New(webclient.Config{StopAt: []string{bootstrap.DevRedirectURI}})
	page, err := br.SignIn(ctx, cfg.AuthCodeURL(state, oidc.Nonce(secret.NewToken(8)), oauth2.S256ChallengeOption(verifier)),
		webclient.Credentials{Username: mail, Password: password})
	require.NoError(t, err)
	require.True(t, page.Stopped(), page.Summary())
	require.Equal(t, state, page.Query().Get("state"))
	tok, err := cfg.Exchange(ctx, page.Query().Get("code"), oauth2.VerifierOption(verifier))
	require.NoError(t, err)
	return tok.AccessToken
}

// TestAdminProtectionThroughServe attacks administrators through the
// admin API of a running server: an app holding only User.ReadWrite.All
// tries to disable, re-address and delete the Tenant Administrator; a
// User Administrator tries the same; the last Tenant Administrator tries
// to remove themself; path identifiers with white space try to reach
// the administrator.
func TestAdminProtectionThroughServe(t *testing.T) {
	t.Parallel()
	sqltest.Run(t, func(t *testing.T, b sqltest.Backend) {
		s := startDevServerWith(t, backendEnv(t, b))
		users := s.base + "/v1.0/users/"
		status, admin := graphCall(t, clientCredentials(t, s.base, s.base+"/.default"), http.MethodGet, users+bootstrap.DevAdmin, "")
		require.Equal(t, http.StatusOK, status, "%v", admin)
		adminID := admin["id"].(string)
		uaID := s.staffMember(t, "ua@woodgrove.test", "User Administrator")
		giID := s.staffMember(t, "gi@woodgrove.test", "Guest Inviter")

		// An app with only User.ReadWrite.All changes no Tenant or User
		// Administrator, by id or by any spelling of the address.
		hr := s.appToken(t, "hr-sync", "User.ReadWrite.All")
		for _, ref := range []string{adminID, bootstrap.DevAdmin, "ADMIN@WoodGrove.test", uaID} {
			status, body := graphCall(t, hr, http.MethodPatch, users+url.PathEscape(ref), `{"accountEnabled":false}`)
			requireGraphError(t, status, body, http.StatusForbidden, "Authorization_RequestDenied", "An application may not change")
			status, body = graphCall(t, hr, http.MethodPatch, users+url.PathEscape(ref), `{"mail":"cfo@woodgrove.test"}`)
			requireGraphError(t, status, body, http.StatusForbidden, "Authorization_RequestDenied")
			status, body = graphCall(t, hr, http.MethodDelete, users+url.PathEscape(ref), "")
			requireGraphError(t, status, body, http.StatusForbidden, "Authorization_RequestDenied")
		}
		// Nor is the administrator found with white space around it.
		for _, ref := range []string{"admin@woodgrove.test%20", "%20admin@woodgrove.test",
			"ADMIN@woodgrove.test%20", adminID + "%20"} {
			status, body := graphCall(t, hr, http.MethodDelete, users+ref, "")
			requireGraphError(t, status, body, http.StatusNotFound, "Request_ResourceNotFound")
		}
		// A control character in a path is refused before any look-up.
		status, body := graphCall(t, hr, http.MethodDelete, users+"admin@woodgrove.test%09", "")
		requireGraphError(t, status, body, http.StatusBadRequest, "Request_BadRequest")
		// A Guest Inviter it may change.
		status, body = graphCall(t, hr, http.MethodPatch, users+giID, `{"displayName":"Gi"}`)
		require.Equal(t, http.StatusNoContent, status, "%v", body)

		// A User Administrator changes their equals and below, not a
		// Tenant Administrator.
		ua := s.delegatedToken(t, "ua@woodgrove.test", staffPassword, "User.ReadWrite.All")
		status, body = graphCall(t, ua, http.MethodPatch, users+adminID, `{"accountEnabled":false}`)
		requireGraphError(t, status, body, http.StatusForbidden, "Authorization_RequestDenied",
			"Only a Tenant Administrator or a higher administrator")
		status, body = graphCall(t, ua, http.MethodDelete, users+bootstrap.DevAdmin, "")
		requireGraphError(t, status, body, http.StatusForbidden, "Authorization_RequestDenied")
		status, body = graphCall(t, ua, http.MethodPatch, users+giID, `{"accountEnabled":false}`)
		require.Equal(t, http.StatusNoContent, status, "%v", body)

		// The last Tenant Administrator can neither disable nor delete
		// themself.
		ta := s.delegatedToken(t, bootstrap.DevAdmin, bootstrap.DevPassword, "User.ReadWrite.All")
		status, body = graphCall(t, ta, http.MethodPatch, users+adminID, `{"accountEnabled":false}`)
		requireGraphError(t, status, body, http.StatusBadRequest, "Request_BadRequest", "last enabled Tenant Administrator")
		status, body = graphCall(t, ta, http.MethodDelete, users+adminID, "")
		requireGraphError(t, status, body, http.StatusBadRequest, "Request_BadRequest", "last enabled Tenant Administrator")

		// Everything the attacks tried left the administrator as it was.
		status, admin = graphCall(t, ta, http.MethodGet, users+adminID, "")
		require.Equal(t, http.StatusOK, status)
		require.Equal(t, true, admin["accountEnabled"])
		require.Equal(t, bootstrap.DevAdmin, admin["mail"])
		audit := s.cli.mustRun(t, "-o", "json", "audit", "list", "--tenant", "woodgrove", "--activity", "Delete user")
		require.Contains(t, audit, `"result": "failure"`)
		require.NotContains(t, audit, `"result": "success"`)
		s.shutdown(t)
	})
}

// TestResetRedemptionThroughServe: resetRedemption strips a guest's
// identity so whoever redeems next becomes the guest; only User and
// Tenant Administrators (and admin-granted apps) may ask, and the reset is
// audited with the identity it took. A group owner brings into their
// group no guest who has redeemed.
func TestResetRedemptionThroughServe(t *testing.T) {
	t.Parallel()
	sqltest.Run(t, func(t *testing.T, b sqltest.Backend) {
		s := startDevServerWith(t, backendEnv(t, b))
		demo := clientCredentials(t, s.base, s.base+"/.default")
		s.staffMember(t, "gi@woodgrove.test", "Guest Inviter")
		s.staffMember(t, "ua@woodgrove.test", "User Administrator")
		s.staffMember(t, "employee@woodgrove.test", "")
		ownerID := s.staffMember(t, "owner@woodgrove.test", "")

		// A guest who has redeemed with their own account.
		guestID := s.acceptedGuest(t, demo, "kim@partner.test", "kim-subject")
		reset := `{"invitedUserEmailAddress":"kim@partner.test","inviteRedirectUrl":"` + bootstrap.DevRedirectURI +
			`","resetRedemption":true,"invitedUser":{"id":"` + guestID + `"}}`

		// The most open policy: everyone may invite.
		s.cli.mustRun(t, "tenants", "policy", "set", "--tenant", "woodgrove", "--allow-invites-from", "everyone")
		for _, who := range []string{"gi@woodgrove.test", "employee@woodgrove.test"} {
			tok := s.delegatedToken(t, who, staffPassword, "User.Invite.All")
			status, body := graphCall(t, tok, http.MethodPost, s.base+"/v1.0/invitations", reset)
			requireGraphError(t, status, body, http.StatusForbidden, "Authorization_RequestDenied",
				"Only a User Administrator or Tenant Administrator may reset")
		}
		st := s.cli.openStore(t)
		kim, err := st.GetUser(t.Context(), s.tenantID(t, st), guestID)
		require.NoError(t, err)
		require.Equal(t, store.ExternalStateAccepted, kim.ExternalUserState, "the guest keeps its identity")
		require.Len(t, kim.Identities, 1)

		// A group owner re-inviting the accepted guest into their group.
		s.cli.mustRun(t, "tenants", "policy", "set", "--tenant", "woodgrove", "--allow-invites-from", "adminsAndGuestInviters")
		var group struct{ ID string }
		require.NoError(t, json.Unmarshal([]byte(s.cli.mustRun(t, "-o", "json", "groups", "create", "--tenant", "woodgrove",
			"--name", "Partners", "--owners-can-invite")), &group))
		s.cli.mustRun(t, "groups", "owners", "add", "--tenant", "woodgrove", "--group", group.ID, "--user", ownerID)
		owner := s.delegatedToken(t, "owner@woodgrove.test", staffPassword, "User.Invite.All")
		status, body := graphCall(t, owner, http.MethodPost, s.base+"/v1.0/invitations",
			`{"invitedUserEmailAddress":"kim@partner.test","inviteRedirectUrl":"`+bootstrap.DevRedirectURI+`","groupIds":["`+group.ID+`"]}`)
		requireGraphError(t, status, body, http.StatusForbidden, "Authorization_RequestDenied", "already accepted an invitation")
		members := s.cli.mustRun(t, "-o", "json", "groups", "members", "list", "--tenant", "woodgrove", "--group", group.ID)
		require.NotContains(t, members, guestID)

		// A User Administrator may reset; the audit keeps the old identity.
		ua := s.delegatedToken(t, "ua@woodgrove.test", staffPassword, "User.Invite.All")
		status, body = graphCall(t, ua, http.MethodPost, s.base+"/v1.0/invitations", reset)
		require.Equal(t, http.StatusCreated, status, "%v", body)
		audit := s.cli.mustRun(t, "-o", "json", "audit", "list", "--tenant", "woodgrove",
			"--activity", "Invite external user with reset invitation status")
		require.Contains(t, audit, `"result": "success"`)
		require.Contains(t, audit, `"displayName": "identities"`)
		require.Contains(t, audit, `kim-subject`)
		require.Contains(t, audit, `https://login.partner.test`)
		s.shutdown(t)
	})
}

// acceptedGuest invites email with token and marks the guest as redeemed
// with an upstream identity, as a redemption would.
func (s *devServer) acceptedGuest(t *testing.T, token, email, subject string) string {
	t.Helper()
	status, body := graphCall(t, token, http.MethodPost, s.base+"/v1.0/invitations",
		`{"invitedUserEmailAddress":"`+email+`","inviteRedirectUrl":"`+bootstrap.DevRedirectURI+`"}`)
	require.Equal(t, http.StatusCreated, status, "%v", body)
	id := body["invitedUser"].(map[string]any)["id"].(string)
	st := s.cli.openStore(t)
	u, err := st.GetUser(t.Context(), s.tenantID(t, st), id)
	require.NoError(t, err)
	u.ExternalUserState = store.ExternalStateAccepted
	u.Identities = []store.Identity{{SignInType: store.SignInTypeFederated, Issuer: "https://login.partner.test", IssuerAssignedID: subject}}
	require.NoError(t, st.UpdateUser(t.Context(), u))
	return id
}

func (s *devServer) tenantID(t *testing.T, st *sqlstore.Store) string {
	t.Helper()
	tn, err := st.GetTenantBySlug(t.Context(), "woodgrove")
	require.NoError(t, err)
	return tn.ID
}

// TestLastTenantAdministratorThroughCLIAndBootstrap: the CLI and a
// bootstrap file can neither delete, disable nor demote a tenant's last
// enabled Tenant Administrator, and say so.
func TestLastTenantAdministratorThroughCLIAndBootstrap(t *testing.T) {
	t.Parallel()
	sqltest.Run(t, func(t *testing.T, b sqltest.Backend) {
		c := newCLI(t)
		for k, v := range backendEnv(t, b) {
			c.env[k] = v
		}
		r := c.applyBootstrapFile(t)
		require.Equal(t, exitOK, r.code, r.stderr)

		const admin = "admin@woodgrove.test"
		for _, args := range [][]string{
			{"users", "delete", "--tenant", "woodgrove", admin},
			{"users", "update", "--tenant", "woodgrove", admin, "--enabled=false"},
			{"roles", "unassign", "--tenant", "woodgrove", "--user", admin, "--role", "Tenant Administrator"},
		} {
			r := c.run(t, args...)
			require.Equal(t, exitError, r.code, "%v: %s", args, r.stdout)
			require.Contains(t, r.stderr, "foyer: ")
			require.Contains(t, r.stderr, admin+" is the organisation's last enabled Tenant Administrator", args)
		}

		disabled := strings.Replace(bootstrapFile, "passwordEnv: ADMIN_PASSWORD", "passwordEnv: ADMIN_PASSWORD\n        accountEnabled: false", 1)
		require.NotEqual(t, bootstrapFile, disabled)
		r = c.bootstrap(t, disabled, "--file", "-")
		require.NotEqual(t, exitOK, r.code, r.stdout)
		require.Contains(t, r.stderr, "members[0].accountEnabled")
		require.Contains(t, r.stderr, "last enabled Tenant Administrator")

		show := c.mustRun(t, "-o", "json", "users", "show", "--tenant", "woodgrove", admin)
		require.Contains(t, show, `"accountEnabled": true`)
		require.Contains(t, show, `"Tenant Administrator"`)

		// With a second administrator the first may step down.
		r = c.runIn(t, "second-password-1\n", "users", "create", "--tenant", "woodgrove", "--mail", "second@woodgrove.test",
			"--name", "Second", "--password-stdin", "--role", "Tenant Administrator")
		require.Equal(t, exitOK, r.code, r.stderr)
		c.mustRun(t, "roles", "unassign", "--tenant", "woodgrove", "--user", admin, "--role", "Tenant Administrator")
		r = c.run(t, "users", "delete", "--tenant", "woodgrove", "second@woodgrove.test")
		require.Equal(t, exitError, r.code)
		require.Contains(t, r.stderr, "second@woodgrove.test is the organisation's last enabled Tenant Administrator")
	})
}
