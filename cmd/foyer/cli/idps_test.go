package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/internal/secret"
	"github.com/foyer-idp/foyer/internal/store"
	"github.com/foyer-idp/foyer/internal/store/sqlstore"
)

const cliUpstreamSecret = "cli-upstream-Secret-4b1d9e"

// requireSecretNowhere asserts the client secret is in no output and,
// in plain text, in no file of the data directory.
func (c *cli) requireSecretNowhere(t *testing.T, secrets []string, outputs ...result) {
	t.Helper()
	for _, r := range outputs {
		for _, s := range secrets {
			require.NotContains(t, r.stdout, s)
			require.NotContains(t, r.stderr, s)
		}
	}
	entries, err := os.ReadDir(c.dataDir)
	require.NoError(t, err)
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(c.dataDir, e.Name()))
		require.NoError(t, err)
		for _, s := range secrets {
			require.NotContains(t, string(data), s, "plain secret in %s", e.Name())
		}
	}
}

func TestIdPsCommands(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	c.mustRun(t, "tenants", "create", "--slug", "woodgrove", "--name", "Woodgrove")
	c.mustRun(t, "tenants", "create", "--slug", "contoso", "--name", "Contoso")
	var outputs []result

	add := c.runIn(t, cliUpstreamSecret+"\n", "idps", "add", "--tenant", "woodgrove", "--type", "OpenIDConnect",
		"--name", "Fabrikam", "--client-id", "foyer-at-fabrikam", "--client-secret-stdin",
		"--issuer", "https://login.fabrikam.example", "--scope", "openid", "--scope", "email",
		"--domain", "fabrikam.example", "--mfa-trusted", "--claim", "userId=sub", "--claim", "email=upn", "-o", "json")
	require.Equal(t, exitOK, add.code, add.stderr)
	outputs = append(outputs, add)
	var v identityProviderView
	require.NoError(t, json.Unmarshal([]byte(add.stdout), &v), add.stdout)
	require.NotEmpty(t, v.ID)
	require.Equal(t, "Fabrikam", v.DisplayName)
	require.Equal(t, store.IdPOpenIDConnect, v.Type)
	require.Equal(t, "foyer-at-fabrikam", v.ClientID)
	require.True(t, v.HasClientSecret)
	require.Equal(t, "https://login.fabrikam.example", v.Issuer)
	require.Equal(t, []string{"openid", "email"}, v.Scopes)
	require.Equal(t, []string{"fabrikam.example"}, v.Domains)
	require.Equal(t, store.ClaimsMapping{UserID: "sub", Email: "upn"}, v.ClaimsMapping)
	require.True(t, v.Enabled)
	require.True(t, v.MFATrusted)
	var raw map[string]any
	require.NoError(t, json.Unmarshal([]byte(add.stdout), &raw))
	for k := range raw {
		require.NotContains(t, strings.ToLower(k), "sealed", "no sealed secret in the output")
	}

	gh := c.runIn(t, cliUpstreamSecret+"-gh\n", "idps", "add", "--tenant", "woodgrove", "--type", "GitHub",
		"--name", "GitHub", "--client-id", "gh-client", "--client-secret-stdin", "--disabled")
	require.Equal(t, exitOK, gh.code, gh.stderr)
	require.Contains(t, gh.stdout, "set (never shown)")
	outputs = append(outputs, gh)

	list := c.run(t, "idps", "list", "--tenant", "woodgrove")
	require.Equal(t, exitOK, list.code, list.stderr)
	require.Contains(t, list.stdout, "Fabrikam")
	require.Contains(t, list.stdout, "GitHub")
	outputs = append(outputs, list)
	var views []identityProviderView
	listJSON := c.run(t, "idps", "list", "--tenant", "woodgrove", "-o", "json")
	require.NoError(t, json.Unmarshal([]byte(listJSON.stdout), &views), listJSON.stdout)
	require.Len(t, views, 2)
	outputs = append(outputs, listJSON)
	other := c.run(t, "idps", "list", "--tenant", "contoso", "-o", "json")
	require.Equal(t, "[]\n", other.stdout, "another tenant's list is its own")
	r := c.run(t, "idps", "show", "--tenant", "contoso", v.ID)
	require.Equal(t, exitError, r.code)
	require.Contains(t, r.stderr, "no identity provider")

	show := c.run(t, "idps", "show", "--tenant", "woodgrove", v.ID)
	require.Equal(t, exitOK, show.code, show.stderr)
	require.Contains(t, show.stdout, "Client secret:")
	require.Contains(t, show.stdout, "set (never shown)")
	require.Contains(t, show.stdout, "userId=sub")
	outputs = append(outputs, show)

	upd := c.runIn(t, "new-"+cliUpstreamSecret+"\n", "idps", "update", "--tenant", "woodgrove", v.ID,
		"--name", "Fabrikam SSO", "--enabled=false", "--mfa-trusted=false", "--client-secret-stdin", "--domain", "", "-o", "json")
	require.Equal(t, exitOK, upd.code, upd.stderr)
	outputs = append(outputs, upd)
	var u identityProviderView
	require.NoError(t, json.Unmarshal([]byte(upd.stdout), &u))
	require.Equal(t, "Fabrikam SSO", u.DisplayName)
	require.False(t, u.Enabled)
	require.False(t, u.MFATrusted)
	require.Empty(t, u.Domains)
	require.Equal(t, []string{"openid", "email"}, u.Scopes, "what the flags leave out stays")

	// Refusals: the secret only from stdin, and not empty.
	for _, bad := range []struct {
		stdin string
		args  []string
		code  int
		msg   string
	}{
		{"", []string{"idps", "add", "--tenant", "woodgrove", "--type", "Google", "--name", "G", "--client-id", "g",
			"--client-secret", cliUpstreamSecret}, exitUsage, "unknown flag"},
		{"", []string{"idps", "add", "--tenant", "woodgrove", "--type", "Google", "--name", "G", "--client-id", "g",
			"--client-secret-stdin"}, exitUsage, "standard input holds no client secret"},
		{"", []string{"idps", "add", "--tenant", "woodgrove", "--name", "G", "--client-id", "g"}, exitUsage, "--type"},
		{"", []string{"idps", "add", "--tenant", "woodgrove", "--type", "Google", "--name", "G", "--client-id", "g",
			"--claim", "phone=tel"}, exitUsage, "--claim"},
		{"", []string{"idps", "update", "--tenant", "woodgrove", v.ID}, exitUsage, "at least one of the flags"},
		{"", []string{"idps", "delete", "--tenant", "woodgrove", "nope"}, exitError, "no identity provider"},
	} {
		r := c.runIn(t, bad.stdin, bad.args...)
		require.Equal(t, bad.code, r.code, "%v: %s", bad.args, r.stderr)
		require.Contains(t, r.stderr, bad.msg)
		outputs = append(outputs, r)
	}
	views = nil
	require.NoError(t, json.Unmarshal([]byte(c.mustRun(t, "idps", "list", "--tenant", "woodgrove", "-o", "json")), &views))
	require.Len(t, views, 2, "no refused add made one")

	del := c.run(t, "idps", "delete", "--tenant", "woodgrove", v.ID)
	require.Equal(t, exitOK, del.code, del.stderr)
	require.Contains(t, del.stdout, "Deleted identity provider")
	r = c.run(t, "idps", "show", "--tenant", "woodgrove", v.ID)
	require.Equal(t, exitError, r.code)

	outputs = append(outputs, c.run(t, "audit", "list", "--tenant", "woodgrove", "-o", "json"))
	c.requireSecretNowhere(t, []string{cliUpstreamSecret, "new-" + cliUpstreamSecret}, outputs...)
}

func TestIdPsFoyerProvidersAreReadOnly(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	tn := c.seedTenant(t, "woodgrove")
	partner := c.seedTenant(t, "fabrikam")
	st, err := sqlstore.OpenSQLite(t.Context(), filepath.Join(c.dataDir, "foyer.db"))
	require.NoError(t, err)
	now := time.Now().UTC().Truncate(time.Microsecond)
	p := store.IdentityProvider{TenantID: tn.ID, ID: secret.NewID(), Type: store.IdPFoyer, DisplayName: "fabrikam",
		ClientID: "partner", Issuer: "http://localhost:8080/t/fabrikam", PartnerTenantID: partner.ID, Enabled: true,
		CreatedAt: now, UpdatedAt: now}
	require.NoError(t, st.CreateIdentityProvider(t.Context(), p))
	require.NoError(t, st.Close())

	list := c.mustRun(t, "idps", "list", "--tenant", "woodgrove")
	require.Contains(t, list, "Foyer")
	show := c.mustRun(t, "idps", "show", "--tenant", "woodgrove", p.ID)
	require.Contains(t, show, "Partner tenant:")
	for _, args := range [][]string{
		{"idps", "update", "--tenant", "woodgrove", p.ID, "--name", "Mine"},
		{"idps", "delete", "--tenant", "woodgrove", p.ID},
	} {
		r := c.run(t, args...)
		require.Equal(t, exitError, r.code, r.stderr)
		require.Contains(t, r.stderr, "managed by Foyer")
	}
	require.Contains(t, c.mustRun(t, "idps", "show", "--tenant", "woodgrove", p.ID), "fabrikam")
}

func TestDomainsCommands(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	c.mustRun(t, "tenants", "create", "--slug", "woodgrove", "--name", "Woodgrove")
	c.mustRun(t, "tenants", "create", "--slug", "contoso", "--name", "Contoso")
	out := c.mustRun(t, "domains", "add", "--tenant", "woodgrove", "Woodgrove.Example")
	require.Contains(t, out, "woodgrove.example")
	c.mustRun(t, "domains", "add", "--tenant", "woodgrove", "branch.woodgrove.example")
	var views []domainView
	require.NoError(t, json.Unmarshal([]byte(c.mustRun(t, "domains", "list", "--tenant", "woodgrove", "-o", "json")), &views))
	require.ElementsMatch(t, []string{"woodgrove.example", "branch.woodgrove.example"}, []string{views[0].Name, views[1].Name})

	// One tenant per domain; the refusal does not say whose it is.
	r := c.run(t, "domains", "add", "--tenant", "contoso", "woodgrove.example")
	require.Equal(t, exitError, r.code, r.stderr)
	require.NotEmpty(t, r.stderr)
	require.Equal(t, "[]\n", c.mustRun(t, "domains", "list", "--tenant", "contoso", "-o", "json"))
	r = c.run(t, "domains", "add", "--tenant", "woodgrove", "localhost")
	require.Equal(t, exitError, r.code, r.stderr)
	r = c.run(t, "domains", "add", "--tenant", "woodgrove")
	require.Equal(t, exitUsage, r.code, r.stderr)

	r = c.run(t, "domains", "remove", "--tenant", "contoso", "woodgrove.example")
	require.Equal(t, exitError, r.code, "another tenant's domain is not contoso's to remove")
	out = c.mustRun(t, "domains", "remove", "--tenant", "woodgrove", "branch.woodgrove.example")
	require.Contains(t, out, "Deleted domain")
	r = c.run(t, "domains", "remove", "--tenant", "woodgrove", "branch.woodgrove.example")
	require.Equal(t, exitError, r.code)
	require.Contains(t, r.stderr, "has no domain")
	views = nil
	require.NoError(t, json.Unmarshal([]byte(c.mustRun(t, "domains", "list", "--tenant", "woodgrove", "-o", "json")), &views))
	require.Len(t, views, 1)
}

func TestTenantsPolicyRedemption(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	c.mustRun(t, "tenants", "create", "--slug", "woodgrove", "--name", "Woodgrove")
	show := func(t *testing.T) invitationPolicyView {
		t.Helper()
		var v invitationPolicyView
		require.NoError(t, json.Unmarshal([]byte(c.mustRun(t, "tenants", "policy", "show", "--tenant", "woodgrove", "-o", "json")), &v))
		return v
	}
	require.Equal(t, store.DefaultRedemptionOrder, show(t).RedemptionOrder)
	require.False(t, show(t).RedeemWithAnyAccount)

	c.mustRun(t, "tenants", "policy", "set", "--tenant", "woodgrove", "--redemption-order", "emailPasscode,partnerTenant",
		"--redeem-with-any-account")
	v := show(t)
	require.Equal(t, []string{"emailPasscode", "partnerTenant"}, v.RedemptionOrder)
	require.True(t, v.RedeemWithAnyAccount)
	require.Equal(t, "adminsGuestInvitersAndAllMembers", v.AllowInvitesFrom)

	// Together with the invitation flags; each keeps what is not given.
	c.mustRun(t, "tenants", "policy", "set", "--tenant", "woodgrove", "--allow-invites-from", "everyone", "--redeem-with-any-account=false")
	v = show(t)
	require.Equal(t, "everyone", v.AllowInvitesFrom)
	require.Equal(t, []string{"emailPasscode", "partnerTenant"}, v.RedemptionOrder)
	require.False(t, v.RedeemWithAnyAccount)
	table := c.mustRun(t, "tenants", "policy", "show", "--tenant", "woodgrove")
	require.Contains(t, table, "Redemption order:")
	require.Contains(t, table, "emailPasscode, partnerTenant")
	require.Contains(t, table, "Redeem with any account:")

	for _, bad := range [][]string{
		{"--redemption-order", "emailPasscode,smsPasscode"},
		{"--redemption-order", "emailPasscode,emailPasscode"},
		{"--redemption-order", "sms", "--allow-invites-from", "none"},
	} {
		r := c.run(t, append([]string{"tenants", "policy", "set", "--tenant", "woodgrove"}, bad...)...)
		require.Equal(t, exitError, r.code, "%v: %s", bad, r.stderr)
		require.Contains(t, r.stderr, "redemptionOrder")
	}
	v = show(t)
	require.Equal(t, "everyone", v.AllowInvitesFrom, "a refused order changes nothing")
	require.Equal(t, []string{"emailPasscode", "partnerTenant"}, v.RedemptionOrder)

	c.mustRun(t, "tenants", "policy", "set", "--tenant", "woodgrove", "--redemption-order", "")
	require.Equal(t, store.DefaultRedemptionOrder, show(t).RedemptionOrder)
}
