package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/internal/bootstrap"
	"github.com/foyer-idp/foyer/internal/directory"
	"github.com/foyer-idp/foyer/internal/secret"
	"github.com/foyer-idp/foyer/internal/store"
	"github.com/foyer-idp/foyer/internal/store/sqlstore"
)

// The idps, domains, tenants policy and mfa commands run through a real
// serve --dev's admin API (as the dev seed's demo-app) and on the server's
// database, and must print the same.

const remoteTenant = "woodgrove"

// sideBySide is one command run remotely and locally in the dev tenant.
type sideBySide struct {
	s      *devServer
	remote *cli
}

func newSideBySide(t *testing.T) sideBySide {
	t.Helper()
	s := startDevServer(t)
	return sideBySide{s: s, remote: remoteCLI(t, s.base)}
}

func (b sideBySide) local() *cli { return b.s.cli }

// same runs args on both sides, as a table and as JSON, requires the
// outputs to be equal and answers the table.
func (b sideBySide) same(t *testing.T, args ...string) string {
	t.Helper()
	args = append(args, "--tenant", remoteTenant)
	var table string
	for _, format := range [][]string{nil, {"-o", "json"}} {
		full := append(append([]string{}, format...), args...)
		r, l := b.remote.mustRun(t, full...), b.local().mustRun(t, full...)
		require.Equal(t, l, r, "foyer %s: remote and local differ", strings.Join(full, " "))
		if format == nil {
			table = r
		}
	}
	return table
}

// sameRefusal runs args on both sides, requires both to fail the same
// way, and answers the message.
func (b sideBySide) sameRefusal(t *testing.T, args ...string) string {
	t.Helper()
	args = append(args, "--tenant", remoteTenant)
	r, l := b.remote.run(t, args...), b.local().run(t, args...)
	require.Equal(t, exitError, r.code, r.stdout)
	require.Equal(t, l.code, r.code)
	require.Equal(t, l.stderr, r.stderr, "foyer %s: remote and local refuse differently", strings.Join(args, " "))
	return r.stderr
}

// remoteRun runs args remotely in the dev tenant and answers the output.
func (b sideBySide) remoteRun(t *testing.T, stdin string, args ...string) string {
	t.Helper()
	r := b.remote.runIn(t, stdin, append(args, "--tenant", remoteTenant)...)
	require.Equal(t, exitOK, r.code, "foyer %v failed:\n%s", args, r.stderr)
	return r.stdout
}

// localRun runs args on the server's database in the dev tenant.
func (b sideBySide) localRun(t *testing.T, args ...string) string {
	t.Helper()
	return b.local().mustRun(t, append(args, "--tenant", remoteTenant)...)
}

// finish stops the server and checks the remote side never opened a
// database of its own and that no secret reached the server's log.
func (b sideBySide) finish(t *testing.T, secrets ...string) {
	t.Helper()
	_, err := os.Stat(filepath.Join(b.remote.dataDir, "foyer.db"))
	require.ErrorIs(t, err, os.ErrNotExist, "with --server the local database is never opened")
	b.s.shutdown(t)
	for _, s := range secrets {
		require.NotContains(t, b.s.logs.String(), s)
	}
}

// TestRemoteIdPsMatchLocal: add, list, show, update and delete of
// identity providers through the API print what the local commands print
// of the same providers; a Foyer partner provider is refused alike.
func TestRemoteIdPsMatchLocal(t *testing.T) {
	t.Parallel()
	b := newSideBySide(t)

	// An issuer with a trailing slash survives the trip: the API's
	// metadataUrl could not carry it.
	added := b.remoteRun(t, cliUpstreamSecret+"\n", "-o", "json", "idps", "add", "--type", "OpenIDConnect",
		"--name", "Fabrikam", "--client-id", "foyer-at-fabrikam", "--client-secret-stdin",
		"--issuer", "https://login.fabrikam.example/", "--scope", "openid", "--scope", "email",
		"--domain", "fabrikam.example", "--mfa-trusted", "--claim", "userId=sub", "--claim", "email=upn")
	var fab identityProviderView
	require.NoError(t, json.Unmarshal([]byte(added), &fab))
	require.Equal(t, "https://login.fabrikam.example/", fab.Issuer)
	require.True(t, fab.HasClientSecret)
	require.Equal(t, store.ClaimsMapping{UserID: "sub", Email: "upn"}, fab.ClaimsMapping)
	require.Equal(t, b.localRun(t, "-o", "json", "idps", "show", fab.ID), added, "add prints what show prints")
	var gh identityProviderView
	require.NoError(t, json.Unmarshal([]byte(b.remoteRun(t, cliUpstreamSecret+"\n", "-o", "json", "idps", "add", "--type", "GitHub",
		"--name", "GitHub", "--client-id", "gh-client", "--client-secret-stdin", "--disabled")), &gh))
	require.Equal(t, "GitHub", gh.Type)
	require.False(t, gh.Enabled)

	// A partner provider, which Foyer makes and manages.
	partner := b.partnerProvider(t)
	listed := b.same(t, "idps", "list")
	for _, want := range []string{fab.ID, gh.ID, partner.ID, "Foyer"} {
		require.Contains(t, listed, want)
	}
	require.Contains(t, b.same(t, "idps", "show", partner.ID), "Partner tenant:")
	b.same(t, "idps", "show", fab.ID)
	for _, args := range [][]string{{"idps", "update", partner.ID, "--name", "Mine"}, {"idps", "delete", partner.ID}} {
		require.Contains(t, b.sameRefusal(t, args...), "managed by Foyer")
	}

	// update: every flag reaches the server; the answer is what show
	// then prints.
	updated := b.remoteRun(t, "new-"+cliUpstreamSecret+"\n", "idps", "update", fab.ID, "--name", "Fabrikam 2",
		"--client-id", "foyer-2", "--client-secret-stdin", "--issuer", "https://login2.fabrikam.example",
		"--scope", "openid", "--scope", "profile", "--domain", "", "--claim", "", "--enabled=false", "--mfa-trusted=false")
	require.Equal(t, b.localRun(t, "idps", "show", fab.ID), updated)
	var now identityProviderView
	require.NoError(t, json.Unmarshal([]byte(b.localRun(t, "-o", "json", "idps", "show", fab.ID)), &now))
	require.Equal(t, identityProviderView{ID: fab.ID, DisplayName: "Fabrikam 2", Type: store.IdPOpenIDConnect, ClientID: "foyer-2",
		HasClientSecret: true, Issuer: "https://login2.fabrikam.example", Scopes: []string{"openid", "profile"}, Domains: []string{},
		CreatedAt: fab.CreatedAt, UpdatedAt: now.UpdatedAt}, now)

	// The server's refusal names the property; nothing changes.
	r := b.remote.run(t, "idps", "update", "--tenant", remoteTenant, fab.ID, "--issuer", "http://login.fabrikam.example")
	require.Equal(t, exitError, r.code, r.stdout)
	require.Contains(t, r.stderr, "Request_BadRequest")
	require.Contains(t, r.stderr, "'issuer'")
	require.Equal(t, updated, b.localRun(t, "idps", "show", fab.ID))

	// delete, then a missing provider is reported alike.
	require.Contains(t, b.remoteRun(t, "", "idps", "delete", gh.ID), `Deleted identity provider "GitHub"`)
	require.Contains(t, b.sameRefusal(t, "idps", "show", gh.ID), `no identity provider "`+gh.ID+`"`)
	b.same(t, "idps", "list")
	b.finish(t, cliUpstreamSecret)
}

// partnerProvider stores a Foyer provider for the dev seed's other
// tenant, as a partner guest's redemption would.
func (b sideBySide) partnerProvider(t *testing.T) store.IdentityProvider {
	t.Helper()
	var p store.IdentityProvider
	b.local().withStore(t, func(st *sqlstore.Store) {
		ctx := t.Context()
		tn, err := st.GetTenantBySlug(ctx, remoteTenant)
		require.NoError(t, err)
		partner, err := st.GetTenantBySlug(ctx, "fabrikam")
		require.NoError(t, err)
		now := time.Now().UTC().Truncate(time.Microsecond)
		p = store.IdentityProvider{TenantID: tn.ID, ID: secret.NewID(), Type: store.IdPFoyer, DisplayName: "Fabrikam",
			ClientID: "partner", SealedClientSecret: []byte("sealed"), Issuer: b.s.base + "/t/fabrikam",
			PartnerTenantID: partner.ID, Scopes: []string{"openid", "email"}, Enabled: true, CreatedAt: now, UpdatedAt: now}
		require.NoError(t, st.CreateIdentityProvider(ctx, p))
	})
	return p
}

// TestRemoteDomainsMatchLocal: domains add, list and remove.
func TestRemoteDomainsMatchLocal(t *testing.T) {
	t.Parallel()
	b := newSideBySide(t)
	before := b.same(t, "domains", "list")
	require.NotContains(t, before, "fabrikam.example")

	added := b.remoteRun(t, "", "-o", "json", "domains", "add", "Fabrikam.Example")
	var views []domainView
	require.NoError(t, json.Unmarshal([]byte(added), &views))
	require.Len(t, views, 1)
	require.Equal(t, "fabrikam.example", views[0].Name)
	b.remoteRun(t, "", "domains", "add", "a-fabrikam.example")
	b.remoteRun(t, "", "domains", "add", "afabrikam.example")
	listed := b.same(t, "domains", "list")
	require.Contains(t, listed, "fabrikam.example")
	require.Less(t, strings.Index(listed, "a-fabrikam.example"), strings.Index(listed, "afabrikam.example"), "by name, byte order")
	var all []domainView
	require.NoError(t, json.Unmarshal([]byte(b.localRun(t, "-o", "json", "domains", "list")), &all))
	require.Contains(t, all, views[0], "add printed the domain as list does")

	// Taken: refused by the server, naming the property.
	r := b.remote.run(t, "domains", "add", "--tenant", remoteTenant, "fabrikam.example")
	require.Equal(t, exitError, r.code, r.stdout)
	require.Contains(t, r.stderr, "ObjectConflict")

	require.Contains(t, b.remoteRun(t, "", "domains", "remove", "fabrikam.example"), `Deleted domain "fabrikam.example"`)
	require.Contains(t, b.sameRefusal(t, "domains", "remove", "fabrikam.example"), `tenant "woodgrove" has no domain "fabrikam.example"`)
	require.NotContains(t, b.same(t, "domains", "list"), " fabrikam.example")
	b.finish(t)
}

// TestRemoteTenantPolicyMatchLocal: tenants policy show and set.
func TestRemoteTenantPolicyMatchLocal(t *testing.T) {
	t.Parallel()
	b := newSideBySide(t)
	b.same(t, "tenants", "policy", "show")

	for _, args := range [][]string{
		{"--allow-invites-from", store.InvitesFromAdminsAndGuestInviters},
		{"--allow-domains", "fabrikam.example,*.partner.test"},
		{"--deny-domains", "evil.example", "--redemption-order", "emailPasscode,partnerTenant"},
		{"--redeem-with-any-account", "--allow-invites-from", store.InvitesFromEveryone},
		{"--no-domain-rule", "--redemption-order", "", "--redeem-with-any-account=false"},
	} {
		out := b.remoteRun(t, "", append([]string{"-o", "json", "tenants", "policy", "set"}, args...)...)
		require.Equal(t, b.localRun(t, "-o", "json", "tenants", "policy", "show"), out, "set %v", args)
		b.same(t, "tenants", "policy", "show")
	}
	var v invitationPolicyView
	require.NoError(t, json.Unmarshal([]byte(b.localRun(t, "-o", "json", "tenants", "policy", "show")), &v))
	require.Equal(t, invitationPolicyView{Tenant: remoteTenant, AllowInvitesFrom: store.InvitesFromEveryone,
		InvitationDomainRule: "none", InvitationDomains: []string{}, RedemptionOrder: store.DefaultRedemptionOrder}, v)

	// A bad order is refused before anything is sent; a bad level by the
	// server, naming the property. Neither changes anything.
	before := b.localRun(t, "tenants", "policy", "show")
	require.Contains(t, b.sameRefusal(t, "tenants", "policy", "set", "--allow-domains", "x.example",
		"--redemption-order", "carrierPigeon"), "carrierPigeon")
	r := b.remote.run(t, "tenants", "policy", "set", "--tenant", remoteTenant, "--allow-invites-from", "nobodyAtAll")
	require.Equal(t, exitError, r.code, r.stdout)
	require.Contains(t, r.stderr, "allowInvitesFrom")
	require.Equal(t, before, b.localRun(t, "tenants", "policy", "show"))
	b.finish(t)
}

// TestRemoteMFAMatchLocal: mfa policy show and set, status, report,
// unlock and reset.
func TestRemoteMFAMatchLocal(t *testing.T) {
	t.Parallel()
	b := newSideBySide(t)
	b.same(t, "mfa", "policy", "show")
	out := b.remoteRun(t, "", "-o", "json", "mfa", "policy", "set", "--required", store.MFARequiredEveryone, "--period", "45")
	require.Equal(t, b.localRun(t, "-o", "json", "mfa", "policy", "show"), out)
	require.Contains(t, out, `"periodSeconds": 45`)
	out = b.remoteRun(t, "", "mfa", "policy", "set", "--period", "30")
	require.Equal(t, b.localRun(t, "mfa", "policy", "show"), out)
	require.Contains(t, out, "everyone")

	// Two guests, invited in turn so that the report's order is theirs;
	// one registers an authenticator and locks it.
	var kim, lee invitationOut
	for _, g := range []struct {
		email string
		out   *invitationOut
	}{{"kim@partner.test", &kim}, {"lee@partner.test", &lee}} {
		require.NoError(t, json.Unmarshal([]byte(b.remoteRun(t, "", "-o", "json", "invite", "--email", g.email,
			"--redirect-url", bootstrap.DevRedirectURI, "--no-mail")), g.out))
	}
	b.registerAndLock(t, kim.InvitedUserID)

	report := b.same(t, "mfa", "report")
	require.Less(t, strings.Index(report, bootstrap.DevAdmin), strings.Index(report, kim.UserPrincipalName), "oldest first")
	require.Less(t, strings.Index(report, kim.UserPrincipalName), strings.Index(report, lee.UserPrincipalName), "oldest first")
	missing := b.same(t, "mfa", "report", "--missing")
	require.NotContains(t, missing, kim.UserPrincipalName)
	require.Contains(t, missing, lee.UserPrincipalName)
	b.same(t, "mfa", "status", kim.UserPrincipalName)
	st := b.mfaStatus(t, kim.InvitedUserID)
	require.True(t, st.Registered)
	require.NotNil(t, st.LockedUntil)
	b.same(t, "mfa", "status", lee.InvitedUserID)

	// The time step cannot change while an authenticator is registered.
	r := b.remote.run(t, "mfa", "policy", "set", "--tenant", remoteTenant, "--period", "60")
	require.Equal(t, exitError, r.code, r.stdout)
	require.Contains(t, r.stderr, "periodSeconds")

	// unlock and reset print what the local commands print.
	unlocked := b.remoteRun(t, "", "-o", "json", "mfa", "unlock", kim.UserPrincipalName)
	b.registerAndLock(t, kim.InvitedUserID)
	require.Equal(t, b.localRun(t, "-o", "json", "mfa", "unlock", kim.UserPrincipalName), unlocked)
	b.same(t, "mfa", "status", kim.InvitedUserID)
	require.Nil(t, b.mfaStatus(t, kim.InvitedUserID).LockedUntil)
	reset := b.remoteRun(t, "", "mfa", "reset", kim.InvitedUserID)
	require.Contains(t, reset, "MFA reset for "+kim.UserPrincipalName)
	b.same(t, "mfa", "status", kim.InvitedUserID)
	require.False(t, b.mfaStatus(t, kim.InvitedUserID).Registered)
	require.Contains(t, b.sameRefusal(t, "mfa", "reset", kim.InvitedUserID), "no authenticator app registered")
	require.Contains(t, b.sameRefusal(t, "mfa", "unlock", lee.InvitedUserID), "no authenticator app registered")
	require.Contains(t, b.sameRefusal(t, "mfa", "status", "nobody@woodgrove.test"), `no user "nobody@woodgrove.test"`)
	b.same(t, "mfa", "report")
	b.finish(t)
}

// mfaStatus is the user's mfa status as the server's database has it.
func (b sideBySide) mfaStatus(t *testing.T, user string) mfaStatusView {
	t.Helper()
	var v mfaStatusView
	require.NoError(t, json.Unmarshal([]byte(b.localRun(t, "-o", "json", "mfa", "status", user)), &v))
	return v
}

// registerAndLock gives the user an active authenticator, locked, in the
// server's database.
func (b sideBySide) registerAndLock(t *testing.T, userID string) {
	t.Helper()
	b.local().withStore(t, func(st *sqlstore.Store) {
		ctx := t.Context()
		tn, err := st.GetTenantBySlug(ctx, remoteTenant)
		require.NoError(t, err)
		now := time.Now()
		require.NoError(t, st.SaveTOTPFactor(ctx, store.TOTPFactor{TenantID: tn.ID, UserID: userID,
			PendingSealedSecret: []byte("sealed"), CreatedAt: now}))
		require.NoError(t, st.ActivateTOTPFactor(ctx, tn.ID, userID, now.Unix()/30, now))
		_, err = st.RecordMFAFailure(ctx, tn.ID, userID, now, 1, now.Add(15*time.Minute))
		require.NoError(t, err)
	})
}

// TestRemoteSettingsNeedRights: signed in with foyer login, a member
// without a directory role is refused every settings command, reading or
// changing, and a User Administrator only what their role allows (MFA of
// users, not the tenant's federation or policies).
func TestRemoteSettingsNeedRights(t *testing.T) {
	t.Parallel()
	s := startDevServer(t)
	const pat, uma = "pat@woodgrove.test", "uma@woodgrove.test"
	s.staffMember(t, pat, "")
	s.staffMember(t, uma, directory.RoleUserAdministrator)
	policy := s.cli.mustRun(t, "tenants", "policy", "show", "--tenant", remoteTenant)
	mfaPolicy := s.cli.mustRun(t, "mfa", "policy", "show", "--tenant", remoteTenant)

	member := newCLI(t)
	browserLogin(t, s, member, pat, staffPassword)
	member.env[envServer] = s.base
	userAdmin := newCLI(t)
	browserLogin(t, s, userAdmin, uma, staffPassword)
	userAdmin.env[envServer] = s.base

	tenantWide := [][]string{
		{"idps", "list"},
		{"idps", "add", "--type", "GitHub", "--name", "GitHub", "--client-id", "gh"},
		{"domains", "list"},
		{"domains", "add", "fabrikam.example"},
		{"tenants", "policy", "show"},
		{"tenants", "policy", "set", "--allow-invites-from", store.InvitesFromEveryone},
		{"mfa", "policy", "show"},
		{"mfa", "policy", "set", "--required", store.MFARequiredNobody},
	}
	users := [][]string{{"mfa", "report"}, {"mfa", "status", bootstrap.DevAdmin}}
	refused := func(t *testing.T, c *cli, args []string) {
		t.Helper()
		r := c.run(t, append(args, "--tenant", remoteTenant)...)
		require.Equal(t, exitError, r.code, "%v: %s", args, r.stdout)
		require.Contains(t, r.stderr, "Authorization_RequestDenied", "%v", args)
	}
	for _, args := range append(append([][]string{}, tenantWide...), users...) {
		refused(t, member, args)
	}
	for _, args := range tenantWide {
		refused(t, userAdmin, args)
	}
	for _, args := range users {
		require.Equal(t, s.cli.mustRun(t, append(args, "--tenant", remoteTenant)...),
			userAdmin.mustRun(t, append(args, "--tenant", remoteTenant)...), "%v", args)
	}

	require.Equal(t, policy, s.cli.mustRun(t, "tenants", "policy", "show", "--tenant", remoteTenant), "nothing changed")
	require.Equal(t, mfaPolicy, s.cli.mustRun(t, "mfa", "policy", "show", "--tenant", remoteTenant), "nothing changed")
	require.NotContains(t, s.cli.mustRun(t, "domains", "list", "--tenant", remoteTenant), "fabrikam.example")
	require.NotContains(t, s.cli.mustRun(t, "idps", "list", "--tenant", remoteTenant), "GitHub")
	s.shutdown(t)
}
