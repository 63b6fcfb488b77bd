package cli

import (
	"encoding/json"
	"net/http"
	"regexp"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/foyer-idp/foyer/internal/bootstrap"
	"github.com/foyer-idp/foyer/internal/secret"
	"github.com/foyer-idp/foyer/internal/webclient"
)

var transactionID = regexp.MustCompile(`name="id" value="([^"]+)"`)

// TestForcedPasswordChangeThroughServe: an admin script creates a member
// over the API with forceChangePasswordNextSignIn; at demo-app's sign-in
// the member must choose a new password before any code is issued, then
// signs in; the flag is gone, the change is in the audit log, and the CLI
// sets the flag again.
func TestForcedPasswordChangeThroughServe(t *testing.T) {
	t.Parallel()
	s := startDevServer(t)
	ctx := t.Context()
	const mail, first, chosen = "newhire@woodgrove.test", "temporary password 1", "my own passphrase"

	token := clientCredentials(t, s.base, s.base+"/.default")
	status, _, body := sendAPI(t, token, http.MethodPost, s.base+"/v1.0/users",
		`{"displayName":"New Hire","userPrincipalName":"`+mail+`","passwordProfile":{"password":"`+first+`","forceChangePasswordNextSignIn":true}}`)
	require.Equal(t, http.StatusCreated, status, body)
	var created struct{ ID string }
	require.NoError(t, json.Unmarshal([]byte(body), &created))

	cfg := &oauth2.Config{ClientID: bootstrap.DevClientID, ClientSecret: bootstrap.DevClientSecret,
		RedirectURL: bootstrap.DevRedirectURI, Scopes: []string{oidc.ScopeOpenID, "profile", "email"},
		Endpoint: oauth2.Endpoint{AuthURL: s.base + "/t/woodgrove/authorize", TokenURL: s.base + "/t/woodgrove/oauth/token",
			AuthStyle: oauth2.AuthStyleInHeader}}
	state, verifier := secret.NewToken(8), oauth2.GenerateVerifier()
	br := webclient.New(webclient.Config{StopAt: []string{bootstrap.DevRedirectURI}})
	page := mustStep(t)(br.Get(ctx, cfg.AuthCodeURL(state, oauth2.S256ChallengeOption(verifier))))
	page = mustStep(t)(br.Press(ctx, page, "username", "Sign in", map[string]string{"username": mail, "current-password": first}))
	require.Contains(t, page.Title, "Update your password", page.Summary())
	id := transactionID.FindStringSubmatch(string(page.Body))[1]

	// Straight to the callback: no code.
	skipped := mustStep(t)(br.Get(ctx, s.base+"/t/woodgrove/authorize/callback?id="+id))
	require.True(t, skipped.Stopped(), skipped.Summary())
	require.Empty(t, skipped.Query().Get("code"))

	mismatch := mustStep(t)(br.Press(ctx, page, "new_password", "Update password",
		map[string]string{"new_password": chosen, "confirm_password": chosen + "?"}))
	require.Equal(t, http.StatusBadRequest, mismatch.Status)
	require.Contains(t, mismatch.Text(), "do not match")

	page = mustStep(t)(br.Press(ctx, mismatch, "new_password", "Update password",
		map[string]string{"new_password": chosen, "confirm_password": chosen}))
	page = mustStep(t)(br.Press(ctx, page, "csrf_token", "allow", nil))
	require.True(t, page.Stopped(), page.Summary())
	require.Equal(t, state, page.Query().Get("state"))
	tok, err := cfg.Exchange(ctx, page.Query().Get("code"), oauth2.VerifierOption(verifier))
	require.NoError(t, err)
	provider, err := oidc.NewProvider(ctx, s.base+"/t/woodgrove")
	require.NoError(t, err)
	idToken, err := provider.Verifier(&oidc.Config{ClientID: bootstrap.DevClientID,
		SupportedSigningAlgs: []string{oidc.RS256, oidc.ES256, oidc.EdDSA}}).Verify(ctx, tok.Extra("id_token").(string))
	require.NoError(t, err)
	require.Equal(t, created.ID, idToken.Subject)

	status, _, body = callAPI(t, token, http.MethodGet, s.base+"/v1.0/users/"+created.ID+"?$select=id,passwordProfile")
	require.Equal(t, http.StatusOK, status, body)
	require.Contains(t, body, `"forceChangePasswordNextSignIn":false`)
	require.Regexp(t, `Change user password.*`+mail, s.cli.mustRun(t, "audit", "list", "--tenant", "woodgrove"))

	// The CLI asks for another change; show says so.
	s.cli.mustRun(t, "users", "update", "--tenant", "woodgrove", mail, "--force-change-password")
	shown := s.cli.mustRun(t, "-o", "json", "users", "show", "--tenant", "woodgrove", mail)
	var detail struct {
		PasswordProfile struct{ ForceChangePasswordNextSignIn bool }
	}
	require.NoError(t, json.Unmarshal([]byte(shown), &detail))
	require.True(t, detail.PasswordProfile.ForceChangePasswordNextSignIn, shown)
	require.NotContains(t, shown, "argon2id")
	s.shutdown(t)
}

// TestUsersForceChangePasswordFlags: the local commands set and lift the
// flag, and refuse it for a user without a password.
func TestUsersForceChangePasswordFlags(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	c.seedTenant(t, "woodgrove")
	r := c.run(t, "users", "create", "--tenant", "woodgrove", "--mail", "bo@woodgrove.test", "--name", "Bo", "--force-change-password")
	require.NotEqual(t, exitOK, r.code)
	require.Contains(t, r.stderr, "forceChangePasswordNextSignIn")
	require.Contains(t, r.stderr, "needs a password")

	out := c.mustRun(t, "users", "create", "--tenant", "woodgrove", "--mail", "al@woodgrove.test", "--name", "Al",
		"--password", "first password", "--force-change-password")
	require.Regexp(t, `Must change password:?\s+yes`, out)
	r = c.runIn(t, "admin's new one\n", "users", "set-password", "--tenant", "woodgrove", "al@woodgrove.test",
		"--password-stdin", "--force-change-password=false")
	require.Equal(t, exitOK, r.code, r.stderr)
	require.Regexp(t, `Must change password:?\s+no`, c.mustRun(t, "users", "show", "--tenant", "woodgrove", "al@woodgrove.test"))
	require.Regexp(t, `Must change password:?\s+yes`,
		c.mustRun(t, "users", "update", "--tenant", "woodgrove", "al@woodgrove.test", "--force-change-password"))
}
