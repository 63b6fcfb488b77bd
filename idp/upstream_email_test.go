package idp_test

import (
	"net/http"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/foyer-idp/foyer/federation/fedtest"
	"github.com/foyer-idp/foyer/internal/audit"
	"github.com/foyer-idp/foyer/internal/bootstrap"
	"github.com/foyer-idp/foyer/internal/directory"
	"github.com/foyer-idp/foyer/internal/store"
	"github.com/foyer-idp/foyer/internal/store/sqlstore/sqltest"
	"github.com/foyer-idp/foyer/internal/webclient"
)

// Email addresses from upstream providers, attacked through the real
// pages: an upstream must not re-address its guest, and Foyer's tokens
// call an address verified only when Foyer verified it.

// emailClaims redeems the code a sign-in stopped with, as demo-app, and
// answers the verified ID token's claims and the userinfo answer.
func (e *redeemEnv) emailClaims(t *testing.T, cfg *oauth2.Config, stopped *webclient.Page, verifier string) (idToken, userinfo map[string]any) {
	t.Helper()
	ctx := t.Context()
	require.True(t, stopped.Stopped(), stopped.Summary())
	tok, err := cfg.Exchange(ctx, stopped.Query().Get("code"), oauth2.VerifierOption(verifier))
	require.NoError(t, err)
	provider, err := oidc.NewProvider(ctx, e.d.URL+"/t/woodgrove")
	require.NoError(t, err)
	idt, err := provider.Verifier(&oidc.Config{ClientID: bootstrap.DevClientID, SupportedSigningAlgs: []string{oidc.ES256, oidc.RS256, oidc.EdDSA}}).
		Verify(ctx, tok.Extra("id_token").(string))
	require.NoError(t, err)
	require.NoError(t, idt.Claims(&idToken))
	info, err := provider.UserInfo(ctx, oauth2.StaticTokenSource(tok))
	require.NoError(t, err)
	require.NoError(t, info.Claims(&userinfo))
	return idToken, userinfo
}

// requireEmail asserts both answers' email and email_verified.
func requireEmail(t *testing.T, idToken, userinfo map[string]any, email string, verified bool) {
	t.Helper()
	for name, claims := range map[string]map[string]any{"ID token": idToken, "userinfo": userinfo} {
		require.Equal(t, email, claims["email"], name)
		require.Equal(t, verified, claims["email_verified"], name)
	}
}

// upstreamSignIn signs the guest in to demo-app through home realm
// discovery and the fake upstream, answering the ID token and userinfo.
func (e *upstreamEnv) upstreamSignIn(t *testing.T, typed string) (idToken, userinfo map[string]any) {
	t.Helper()
	br := e.browser()
	login, cfg, _, verifier := e.demoAppSignIn(t, br)
	page := submit(t, br, login, "username", "Sign in", map[string]string{"username": typed})
	page = submit(t, br, page, "password", "code", nil)
	if !page.Stopped() {
		page = submit(t, br, page, "csrf_token", "allow", nil)
	}
	return e.emailClaims(t, cfg, page, verifier)
}

// TestHostileUpstreamCannotReaddressGuest is the scenario: an
// upstream renames its guest to cfo@woodgrove.test, a verified domain of
// the inviting tenant, first unverified and then verified. The guest's
// mail stays, tokens never carry the address, each refusal is audited,
// and the real person can still be invited (a new guest, not the
// upstream's) and created.
func TestHostileUpstreamCannotReaddressGuest(t *testing.T) {
	t.Parallel()
	sqltest.Run(t, func(t *testing.T, b sqltest.Backend) {
		e := newUpstreamEnv(t, b)
		ctx := t.Context()
		_, err := e.d.Directory.AddDomain(ctx, e.tenant.ID, "woodgrove.test")
		require.NoError(t, err)
		inv, link := e.invite(t, partnerEmail)
		br := e.browser()
		page := submit(t, br, e.redeemUpstream(t, br, link), "csrf_token", "accept", nil)
		require.True(t, page.Stopped(), page.Summary())
		guestID := inv.InvitedUserID

		const cfo = "cfo@woodgrove.test"
		for _, verified := range []bool{false, true} {
			e.fake.SetUser(fedtest.User{Subject: "kim-42", Email: cfo, EmailVerified: verified, GivenName: "Kim", FamilyName: "Akers"})
			idToken, userinfo := e.upstreamSignIn(t, partnerEmail)
			require.Equal(t, guestID, idToken["sub"])
			requireEmail(t, idToken, userinfo, partnerEmail, true)
			guest, err := e.d.Store.GetUser(ctx, e.tenant.ID, guestID)
			require.NoError(t, err)
			require.Equal(t, partnerEmail, guest.Mail, "email_verified %v: the mail stays", verified)
			events, err := e.d.Store.ListAudit(ctx, store.AuditFilter{TenantID: e.tenant.ID, Activity: audit.ActivityUpdateUser})
			require.NoError(t, err)
			require.NotEmpty(t, events)
			require.Equal(t, store.ResultFailure, events[0].Result, "the refusal is audited")
			require.Contains(t, events[0].Reason, cfo)
			require.Equal(t, guestID, events[0].TargetID)
		}
		refusals, err := e.d.Store.ListAudit(ctx, store.AuditFilter{TenantID: e.tenant.ID, Activity: audit.ActivityUpdateUser})
		require.NoError(t, err)
		require.Contains(t, refusals[1].Reason, "did not verify")
		require.Contains(t, refusals[0].Reason, "verified domain of this organisation")

		// The real CFO can be invited: a new guest, not the upstream's.
		cfoInv, _ := e.invite(t, cfo)
		require.NotEqual(t, guestID, cfoInv.InvitedUserID)
		guest, err := e.d.Store.GetUser(ctx, e.tenant.ID, guestID)
		require.NoError(t, err)
		require.Equal(t, partnerEmail, guest.Mail)
		// … or, the invitation withdrawn, created as a member.
		require.NoError(t, e.d.Directory.RevokeInvitation(ctx, e.tenant.ID, cfoInv.ID))
		member, err := e.d.Directory.CreateMember(ctx, e.tenant.ID, directory.NewMember{DisplayName: "CFO", Mail: cfo})
		require.NoError(t, err)
		require.NotEqual(t, guestID, member.ID)
	})
}

// TestUpstreamReaddressRules: the same upstream may move its guest only
// to an address it verified in a domain it serves, never to one another
// user holds; what it may do is verified in tokens.
func TestUpstreamReaddressRules(t *testing.T) {
	t.Parallel()
	sqltest.Run(t, func(t *testing.T, b sqltest.Backend) {
		e := newUpstreamEnv(t, b)
		ctx := t.Context()
		inv, link := e.invite(t, partnerEmail)
		br := e.browser()
		page := submit(t, br, e.redeemUpstream(t, br, link), "csrf_token", "accept", nil)
		require.True(t, page.Stopped(), page.Summary())
		_, err := e.d.Directory.CreateMember(ctx, e.tenant.ID, directory.NewMember{DisplayName: "Sam", Mail: "sam@partner.example"})
		require.NoError(t, err)

		for _, tc := range []struct {
			name, email string
			verified    bool
		}{
			{"OutsideServedDomains", "kim@gmail.example", true},
			{"OtherTenantsDomain", "sam@" + bootstrap.DevFabrikamDomain, true},
			{"AnotherUsersAddress", "sam@partner.example", true},
			{"Unverified", "kim.akers@partner.example", false},
		} {
			t.Run(tc.name, func(t *testing.T) {
				e.fake.SetUser(fedtest.User{Subject: "kim-42", Email: tc.email, EmailVerified: tc.verified})
				idToken, userinfo := e.upstreamSignIn(t, partnerEmail)
				requireEmail(t, idToken, userinfo, partnerEmail, true)
				guest, err := e.d.Store.GetUser(ctx, e.tenant.ID, inv.InvitedUserID)
				require.NoError(t, err)
				require.Equal(t, partnerEmail, guest.Mail)
			})
		}

		// A verified address in the served domain is followed, and verified.
		e.fake.SetUser(fedtest.User{Subject: "kim-42", Email: "kim.akers@partner.example", EmailVerified: true})
		idToken, userinfo := e.upstreamSignIn(t, partnerEmail)
		requireEmail(t, idToken, userinfo, "kim.akers@partner.example", true)
	})
}

// TestEmailVerifiedStringIsNotTrue: an upstream that says email_verified
// "true" (a string) has not verified the invited address, whether the
// ID token or userinfo says it.
func TestEmailVerifiedStringIsNotTrue(t *testing.T) {
	t.Parallel()
	sqltest.Run(t, func(t *testing.T, b sqltest.Backend) {
		e := newUpstreamEnv(t, b)
		ctx := t.Context()
		e.fake.SetUser(fedtest.User{Subject: "kim-42", Email: partnerEmail, EmailVerified: false})
		for _, tc := range []struct {
			name string
			ms   []fedtest.Misbehaviour
		}{
			{"IDToken", []fedtest.Misbehaviour{fedtest.EmailVerifiedString}},
			{"Userinfo", []fedtest.Misbehaviour{fedtest.EmailVerifiedString, fedtest.EmailOnlyInUserinfo}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				inv, link := e.invite(t, partnerEmail)
				e.fake.Misbehave(tc.ms...)
				t.Cleanup(func() { e.fake.Misbehave() })
				page := e.redeemUpstream(t, e.browser(), link)
				require.Equal(t, http.StatusForbidden, page.Status, page.Summary())
				require.Contains(t, page.Text(), "Not the invited account")
				got, err := e.d.Store.GetInvitation(ctx, e.tenant.ID, inv.ID)
				require.NoError(t, err)
				require.Equal(t, store.InvitationPending, got.Status)
			})
		}
	})
}

// TestEmailVerifiedOnlyForAddressesFoyerVerified: email_verified is true
// for the invited address a guest proved, and false for a member's
// admin-set mail, for a guest that redeemed with another account, and
// for a guest an admin re-addressed.
func TestEmailVerifiedOnlyForAddressesFoyerVerified(t *testing.T) {
	t.Parallel()
	sqltest.Run(t, func(t *testing.T, b sqltest.Backend) {
		e := newUpstreamEnv(t, b)
		ctx := t.Context()
		// Set before the first request: the tenant gate caches tenants.
		_, err := e.d.Directory.SetRedemptionPolicy(ctx, e.tenant.ID, nil, true)
		require.NoError(t, err)

		// A member, signing in with the seed's password.
		br := e.browser()
		login, cfg, _, verifier := e.demoAppSignIn(t, br)
		page := submit(t, br, login, "username", "Sign in", map[string]string{
			"username": bootstrap.DevAdmin, "current-password": bootstrap.DevPassword})
		if !page.Stopped() {
			page = submit(t, br, page, "csrf_token", "allow", nil)
		}
		idToken, userinfo := e.emailClaims(t, cfg, page, verifier)
		requireEmail(t, idToken, userinfo, bootstrap.DevAdmin, false)

		// A guest that proved the invited address through the upstream.
		inv, link := e.invite(t, partnerEmail)
		br = e.browser()
		page = submit(t, br, e.redeemUpstream(t, br, link), "csrf_token", "accept", nil)
		require.True(t, page.Stopped(), page.Summary())
		idToken, userinfo = e.upstreamSignIn(t, partnerEmail)
		requireEmail(t, idToken, userinfo, partnerEmail, true)

		// Re-addressed by an admin: unverified, while the upstream does not
		// verify the new address either; verified once it does (the
		// upstream serves its domain).
		readdressed := "kim.new@partner.example"
		_, err = e.d.Directory.UpdateUser(ctx, e.tenant.ID, inv.InvitedUserID, directory.UserPatch{Mail: &readdressed})
		require.NoError(t, err)
		e.fake.SetUser(fedtest.User{Subject: "kim-42", Email: readdressed, EmailVerified: false})
		idToken, userinfo = e.upstreamSignIn(t, readdressed)
		requireEmail(t, idToken, userinfo, readdressed, false)
		e.fake.SetUser(fedtest.User{Subject: "kim-42", Email: readdressed, EmailVerified: true})
		idToken, userinfo = e.upstreamSignIn(t, readdressed)
		requireEmail(t, idToken, userinfo, readdressed, true)

		// Redeemed with another account (the tenant allows it), whose own
		// address the upstream does not serve: the invited address was
		// never proven.
		other, otherLink := e.invite(t, "lee@partner.example")
		e.fake.SetUser(fedtest.User{Subject: "mallory-7", Email: "mallory@gmail.example", EmailVerified: true})
		br = e.browser()
		page = e.redeemUpstream(t, br, otherLink)
		require.Contains(t, page.Text(), "Review permissions", page.Summary())
		page = submit(t, br, page, "csrf_token", "accept", nil)
		require.True(t, page.Stopped(), page.Summary())
		guest, err := e.d.Store.GetUser(ctx, e.tenant.ID, other.InvitedUserID)
		require.NoError(t, err)
		require.Equal(t, "lee@partner.example", guest.Mail)
		idToken, userinfo = e.upstreamSignIn(t, "lee@partner.example")
		requireEmail(t, idToken, userinfo, "lee@partner.example", false)

		// And a later invitation of that address does not re-use the
		// account that never proved it.
		_, _, err = e.d.Directory.Invite(ctx, e.tenant.ID, directory.InviteInput{
			Email: "lee@partner.example", RedirectURL: bootstrap.DevRedirectURI})
		require.ErrorIs(t, err, directory.ErrInvalid)
		require.ErrorContains(t, err, "resetRedemption")
	})
}
