package idp_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/federation/fedtest"
	"github.com/foyer-idp/foyer/internal/audit"
	"github.com/foyer-idp/foyer/internal/directory"
	"github.com/foyer-idp/foyer/internal/store"
	"github.com/foyer-idp/foyer/internal/store/sqlstore/sqltest"
	"github.com/foyer-idp/foyer/internal/webclient"
)

// Redemption and sign-in through an external OpenID provider (a fake
// built on zitadel op that misbehaves on demand), through the real pages.

const partnerEmail = "kim@partner.example"

// upstreamEnv is a seeded provider whose woodgrove trusts one fake
// upstream serving partner.example.
type upstreamEnv struct {
	*redeemEnv
	fake     *fedtest.OIDC
	provider store.IdentityProvider
}

func newUpstreamEnv(t *testing.T, b sqltest.Backend) *upstreamEnv {
	e := newRedeemEnv(t, b)
	fake := fedtest.NewOIDC(t, fedtest.User{Subject: "kim-42", Email: partnerEmail, EmailVerified: true,
		GivenName: "Kim", FamilyName: "Akers", AMR: []string{"pwd", "mfa"}})
	fake.AllowRedirectURI(e.d.URL + "/t/woodgrove/federation/callback")
	p, err := e.d.Directory.CreateIdentityProvider(t.Context(), e.tenant.ID, directory.IdentityProviderInput{
		Type: store.IdPOpenIDConnect, DisplayName: "Partner SSO", ClientID: fake.ClientID, ClientSecret: fake.ClientSecret,
		Issuer: fake.Issuer, Scopes: []string{"openid", "email", "profile"}, Domains: []string{"partner.example"}})
	require.NoError(t, err)
	return &upstreamEnv{redeemEnv: e, fake: fake, provider: p}
}

// redeemUpstream opens the link and signs in at the fake, answering the
// page the callback led to.
func (e *upstreamEnv) redeemUpstream(t *testing.T, br *webclient.Client, link string) *webclient.Page {
	t.Helper()
	landing := mustPage(t)(br.Get(t.Context(), link))
	require.Contains(t, landing.Text(), "Sign in with Partner SSO")
	return submit(t, br, landing, "token", "provider:"+e.provider.ID, nil)
}

func TestRedeemThroughExternalProvider(t *testing.T) {
	t.Parallel()
	sqltest.Run(t, func(t *testing.T, b sqltest.Backend) {
		e := newUpstreamEnv(t, b)
		ctx := t.Context()
		inv, link := e.invite(t, partnerEmail)
		br := e.browser()
		page := e.redeemUpstream(t, br, link)
		require.Contains(t, page.Text(), "Review permissions", page.Summary())
		page = submit(t, br, page, "csrf_token", "accept", nil)
		require.True(t, page.Stopped(), page.Summary())

		guest, err := e.d.Store.GetUser(ctx, e.tenant.ID, inv.InvitedUserID)
		require.NoError(t, err)
		require.Equal(t, store.ExternalStateAccepted, guest.ExternalUserState)
		require.Contains(t, guest.Identities, store.Identity{SignInType: store.SignInTypeFederated, Issuer: e.fake.Issuer, IssuerAssignedID: "kim-42"})
		require.Equal(t, "Kim", guest.GivenName)
		require.Equal(t, "Akers", guest.Surname)

		// The upstream changes kim's address: the same guest signs in,
		// found by issuer and subject, and its mail follows.
		e.fake.SetUser(fedtest.User{Subject: "kim-42", Email: "kim.akers@partner.example", EmailVerified: true,
			GivenName: "Kim", FamilyName: "Akers"})
		br = e.browser()
		login, _, _, _ := e.demoAppSignIn(t, br)
		page = submit(t, br, login, "username", "Sign in", map[string]string{"username": partnerEmail})
		page = submit(t, br, page, "password", "code", nil)
		if !page.Stopped() {
			page = submit(t, br, page, "csrf_token", "allow", nil)
		}
		require.True(t, page.Stopped(), page.Summary())
		require.NotEmpty(t, page.Query().Get("code"))
		guest, err = e.d.Store.GetUser(ctx, e.tenant.ID, inv.InvitedUserID)
		require.NoError(t, err)
		require.Equal(t, "kim.akers@partner.example", guest.Mail, "the profile follows the upstream")
		events, err := e.d.Store.ListAudit(ctx, store.AuditFilter{TenantID: e.tenant.ID, Activity: audit.ActivityUpdateUser})
		require.NoError(t, err)
		require.NotEmpty(t, events, "the profile update is audited")
	})
}

// TestExternalRedemptionBindingRules: the upstream must prove the invited
// address (verified, same address); otherwise the attempt is refused,
// audited, and the invitation stays pending. A disabled provider allows
// nothing.
func TestExternalRedemptionBindingRules(t *testing.T) {
	t.Parallel()
	sqltest.Run(t, func(t *testing.T, b sqltest.Backend) {
		e := newUpstreamEnv(t, b)
		ctx := t.Context()
		for _, tc := range []struct {
			name   string
			misbe  fedtest.Misbehaviour
			status int
		}{
			{"UnverifiedEmail", fedtest.EmailUnverified, http.StatusForbidden},
			{"OtherEmail", fedtest.OtherEmail, http.StatusForbidden},
			{"BadSignature", fedtest.BadSignature, http.StatusForbidden},
			{"WrongAudience", fedtest.WrongAudience, http.StatusForbidden},
			{"AlgNone", fedtest.AlgNone, http.StatusForbidden},
			{"Denied", fedtest.Deny, http.StatusForbidden},
		} {
			t.Run(tc.name, func(t *testing.T) {
				inv, link := e.invite(t, partnerEmail)
				e.fake.Misbehave(tc.misbe)
				t.Cleanup(func() { e.fake.Misbehave() })
				page := e.redeemUpstream(t, e.browser(), link)
				require.Equal(t, tc.status, page.Status, page.Summary())
				got, err := e.d.Store.GetInvitation(ctx, e.tenant.ID, inv.ID)
				require.NoError(t, err)
				require.Equal(t, store.InvitationPending, got.Status, "still pending")
				guest, err := e.d.Store.GetUser(ctx, e.tenant.ID, inv.InvitedUserID)
				require.NoError(t, err)
				require.Empty(t, guest.Identities, "nothing linked")
			})
		}
		events, err := e.d.Store.ListAudit(ctx, store.AuditFilter{TenantID: e.tenant.ID, Activity: audit.ActivityRedeemExternalInvite})
		require.NoError(t, err)
		require.GreaterOrEqual(t, len(events), 6, "every refused attempt is audited")
		for _, ev := range events {
			require.Equal(t, store.ResultFailure, ev.Result)
		}

		t.Run("DisabledProvider", func(t *testing.T) {
			_, link := e.invite(t, partnerEmail)
			br := e.browser()
			landing := mustPage(t)(br.Get(ctx, link))
			off := false
			_, err := e.d.Directory.UpdateIdentityProvider(ctx, e.tenant.ID, e.provider.ID, directory.IdentityProviderPatch{Enabled: &off})
			require.NoError(t, err)
			t.Cleanup(func() {
				on := true
				_, _ = e.d.Directory.UpdateIdentityProvider(ctx, e.tenant.ID, e.provider.ID, directory.IdentityProviderPatch{Enabled: &on})
			})
			page := submit(t, br, landing, "token", "provider:"+e.provider.ID, nil)
			require.Equal(t, http.StatusBadRequest, page.Status, "a disabled provider is not offered: %s", page.Summary())
		})
	})
}
