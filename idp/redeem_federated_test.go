package idp_test

import (
	"net/http"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/internal/bootstrap"
	"github.com/foyer-idp/foyer/internal/store"
	"github.com/foyer-idp/foyer/internal/store/sqlstore/sqltest"
	"github.com/foyer-idp/foyer/internal/webclient"
)

// TestRedeemThroughPartnerTenant: sam@fabrikam.test, invited to woodgrove,
// redeems by signing in at fabrikam (which verified fabrikam.test) through
// a real OpenID round trip between the two tenants' issuers, then signs
// in to woodgrove's demo-app with code + PKCE through fabrikam again.
func TestRedeemThroughPartnerTenant(t *testing.T) {
	t.Parallel()
	sqltest.Run(t, func(t *testing.T, b sqltest.Backend) {
		e := newRedeemEnv(t, b)
		ctx := t.Context()
		fabrikam, err := e.d.Store.GetTenantBySlug(ctx, "fabrikam")
		require.NoError(t, err)
		sam, err := e.d.Store.GetUserByEmail(ctx, fabrikam.ID, bootstrap.DevFabrikamMember)
		require.NoError(t, err)
		inv, link := e.invite(t, bootstrap.DevFabrikamMember)
		sent := e.codeMails(t)

		br := e.browser()
		landing := mustPage(t)(br.Get(ctx, link))
		require.Contains(t, landing.Text(), "Sign in with your Fabrikam account")
		page := submit(t, br, landing, "token", "partner:"+fabrikam.ID, nil)
		require.Contains(t, page.URL.String(), "/t/fabrikam/", "a real round trip to fabrikam's issuer")
		page = mustPage(t)(br.Continue(ctx, page, webclient.Credentials{Username: bootstrap.DevFabrikamMember, Password: bootstrap.DevPassword}))
		require.True(t, page.Stopped(), page.Summary())
		require.Equal(t, bootstrap.DevRedirectURI, page.Stop.String())
		require.Equal(t, sent, e.codeMails(t), "no passcode was needed")

		guest, err := e.d.Store.GetUser(ctx, e.tenant.ID, inv.InvitedUserID)
		require.NoError(t, err)
		require.Equal(t, store.ExternalStateAccepted, guest.ExternalUserState)
		require.Contains(t, guest.Identities, store.Identity{SignInType: store.SignInTypeFederated,
			Issuer: e.d.URL + "/t/fabrikam", IssuerAssignedID: sam.ID}, "fabrikam's issuer and sam's subject")
		require.Equal(t, "Sam", guest.DisplayName, "the profile comes from the upstream token")

		// Later: demo-app, code + PKCE, home realm discovery to fabrikam.
		br = e.browser()
		login, cfg, state, verifier := e.demoAppSignIn(t, br)
		page = submit(t, br, login, "username", "Sign in", map[string]string{"username": bootstrap.DevFabrikamMember})
		page = submit(t, br, page, "password", "code", nil) // the same next step for everyone; the code button leads upstream
		require.Contains(t, page.URL.String(), "/t/fabrikam/", "sent to the linked provider")
		page = mustPage(t)(br.Continue(ctx, page, webclient.Credentials{Username: bootstrap.DevFabrikamMember, Password: bootstrap.DevPassword}))
		require.True(t, page.Stopped(), page.Summary())
		require.Equal(t, state, page.Query().Get("state"))
		idt, claims := e.demoAppTokens(t, cfg, page, verifier)
		require.Equal(t, guest.ID, idt.Subject)
		require.Equal(t, e.tenant.ID, claims.TID)
		require.True(t, slices.Contains(claims.AMR, "fed"), "amr %v", claims.AMR)
	})
}

// TestPartnerRedemptionRefusals: a callback replayed, finished in another
// browser, or for an account that is not the invited address gets
// nothing, and the invitation stays pending.
func TestPartnerRedemptionRefusals(t *testing.T) {
	t.Parallel()
	sqltest.Run(t, func(t *testing.T, b sqltest.Backend) {
		e := newRedeemEnv(t, b)
		ctx := t.Context()
		fabrikam, err := e.d.Store.GetTenantBySlug(ctx, "fabrikam")
		require.NoError(t, err)

		// The invitation names another fabrikam.test address; sam signs in.
		inv, link := e.invite(t, "kim@fabrikam.test")
		br := webclient.New(webclient.Config{StopAt: []string{e.d.URL + "/t/woodgrove" + "/federation/callback"}})
		page := submit(t, br, mustPage(t)(br.Get(ctx, link)), "token", "partner:"+fabrikam.ID, nil)
		page = mustPage(t)(br.Continue(ctx, page, webclient.Credentials{Username: bootstrap.DevFabrikamMember, Password: bootstrap.DevPassword}))
		require.True(t, page.Stopped(), page.Summary())
		callback := page.Stop

		other := e.browser()
		p := mustPage(t)(other.Get(ctx, callback.String()))
		require.Equal(t, http.StatusBadRequest, p.Status, "finished in another browser: %s", p.Summary())

		// The same callback in the right browser: the state was used up by
		// the attempt above, so it is refused as a replay too.
		p = mustPage(t)(br.Follow(ctx, callback))
		require.Equal(t, http.StatusBadRequest, p.Status, "replayed: %s", p.Summary())

		// A fresh trip in the right browser: sam is not kim.
		page = submit(t, br, mustPage(t)(br.Get(ctx, link)), "token", "partner:"+fabrikam.ID, nil)
		if !page.Stopped() {
			page = mustPage(t)(br.Continue(ctx, page, webclient.Credentials{Username: bootstrap.DevFabrikamMember, Password: bootstrap.DevPassword}))
		}
		require.True(t, page.Stopped(), page.Summary())
		p = mustPage(t)(br.Follow(ctx, page.Stop))
		require.Equal(t, http.StatusForbidden, p.Status, p.Summary())
		require.Contains(t, p.Text(), "does not prove")
		got, err := e.d.Store.GetInvitation(ctx, e.tenant.ID, inv.ID)
		require.NoError(t, err)
		require.Equal(t, store.InvitationPending, got.Status, "the invitation stays pending")
	})
}
