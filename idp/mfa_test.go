package idp_test

import (
	"net/http"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/foyer-idp/foyer/federation/fedtest"
	"github.com/foyer-idp/foyer/idp/signin"
	"github.com/foyer-idp/foyer/internal/bootstrap"
	"github.com/foyer-idp/foyer/internal/directory"
	"github.com/foyer-idp/foyer/internal/mfa/mfatest"
	"github.com/foyer-idp/foyer/internal/store"
	"github.com/foyer-idp/foyer/internal/store/sqlstore/sqltest"
	"github.com/foyer-idp/foyer/internal/webclient"
)

// The second factor through the real pages: woodgrove requires MFA for
// guests (the default), so a guest enrols at redemption and proves it at
// every sign-in; every way around it is refused.

var (
	shownSecret   = regexp.MustCompile(`id="secret">([A-Z2-7]+)<`)
	recoveryCodes = regexp.MustCompile(`<li><code>([^<]+)</code>`)
)

// enrol reads the key the enrolment page shows and answers it with a
// code for now, as an authenticator app would; it answers the recovery
// codes page and the key.
func enrol(t *testing.T, br *webclient.Client, p *webclient.Page) (*webclient.Page, string) {
	t.Helper()
	require.Contains(t, p.Text(), "Set up your authenticator app", p.Summary())
	m := shownSecret.FindSubmatch(p.Body)
	require.NotNil(t, m, "the page shows the key")
	key := string(m[1])
	require.Contains(t, string(p.Body), "otpauth://totp/", "and the setup URI")
	require.Contains(t, string(p.Body), "data:image/png;base64,", "and the QR code")
	p = submit(t, br, p, "code", "enrol", map[string]string{"code": mfatest.Code(t, key, time.Now())})
	require.Equal(t, http.StatusOK, p.Status, p.Summary())
	require.Contains(t, p.Text(), "Save your recovery codes")
	require.Len(t, recoveryCodes.FindAllSubmatch(p.Body, -1), 10, "ten recovery codes")
	return p, key
}

// cont presses the recovery codes page's Continue.
func cont(t *testing.T, br *webclient.Client, p *webclient.Page) *webclient.Page {
	t.Helper()
	require.NotEmpty(t, p.Forms)
	return mustPage(t)(br.Submit(t.Context(), p.Forms[0], nil))
}

// redeemWithMFA redeems an invitation by passcode and enrols, answering
// the invitation and the key.
func (e *redeemEnv) redeemWithMFA(t *testing.T, br *webclient.Client, email string) (directory.Invitation, string) {
	t.Helper()
	inv, link := e.invite(t, email)
	p := e.toConsent(t, br, link, email)
	p = submit(t, br, p, "csrf_token", "accept", nil)
	p, key := enrol(t, br, p)
	p = cont(t, br, p)
	require.True(t, p.Stopped(), "lands on the redirect after enrolling: %s", p.Summary())
	require.Equal(t, bootstrap.DevRedirectURI, p.Stop.String())
	return inv, key
}

// signInAgain signs kim in to demo-app with prompt=login by passcode and
// answers the second-factor page.
func (e *redeemEnv) signInAgain(t *testing.T, br *webclient.Client, email string, extra ...oauth2.AuthCodeOption) (*webclient.Page, *oauth2.Config, string) {
	t.Helper()
	login, cfg, _, verifier := e.demoAppSignIn(t, br, append(extra, oauth2.SetAuthURLParam("prompt", "login"))...)
	p := submit(t, br, login, "username", "Sign in", map[string]string{"username": email})
	p = submit(t, br, p, "password", "code", nil)
	p = submit(t, br, p, "code", "verify", map[string]string{"code": e.lastCode(t, email)})
	return p, cfg, verifier
}

func TestGuestEnrolsAndSignsInWithTOTP(t *testing.T) {
	t.Parallel()
	sqltest.Run(t, func(t *testing.T, b sqltest.Backend) {
		e := newMFAEnv(t, b)
		br := e.browser()
		inv, key := e.redeemWithMFA(t, br, "kim@partner.test")

		p, cfg, verifier := e.signInAgain(t, br, "kim@partner.test")
		require.Contains(t, p.Text(), "Verify your identity", p.Summary())
		// The enrolment used this step's code: it is refused now.
		p = submit(t, br, p, "code", "verify", map[string]string{"code": mfatest.Code(t, key, time.Now())})
		require.Equal(t, http.StatusUnauthorized, p.Status, "a code is accepted once")
		p = submit(t, br, p, "code", "verify", map[string]string{"code": mfatest.Code(t, key, time.Now().Add(30*time.Second))})
		if !p.Stopped() {
			p = submit(t, br, p, "csrf_token", "allow", nil)
		}
		require.True(t, p.Stopped(), p.Summary())
		idt, claims := e.demoAppTokens(t, cfg, p, verifier)
		require.Equal(t, inv.InvitedUserID, idt.Subject)
		require.True(t, slices.Contains(claims.AMR, "otp") && slices.Contains(claims.AMR, "mfa"), "amr %v", claims.AMR)
		require.Equal(t, "2", claims.ACR)

		// The sign-in log: the redemption's enrolment, the refused
		// (replayed) code, the sign-in that passed; one row each.
		rows := e.signIns(t)
		require.Len(t, rows, 3)
		passed, refused, redeemed := rows[0], rows[1], rows[2]
		for _, r := range rows {
			require.Equal(t, inv.InvitedUserID, r.UserID)
			require.Equal(t, store.UserTypeGuest, r.UserType)
			require.Equal(t, store.MultiFactor, r.AuthenticationRequirement)
			require.Equal(t, "127.0.0.1", r.IPAddress)
			require.NotEmpty(t, r.CorrelationID)
		}
		require.Zero(t, passed.ErrorCode)
		require.Equal(t, []string{signin.MethodEmailOTP, signin.MethodTOTP}, passed.AuthenticationMethods)
		require.Equal(t, bootstrap.DevClientID, passed.AppID)
		require.Equal(t, signin.CodeMFAFailed, refused.ErrorCode)
		require.Equal(t, []string{signin.MethodEmailOTP, signin.MethodTOTP}, refused.AuthenticationMethods)
		require.NotContains(t, refused.FailureReason, mfatest.Code(t, key, time.Now()), "never a code in the log")
		require.Zero(t, redeemed.ErrorCode)
		require.Empty(t, redeemed.HomeTenantID, "a passcode guest has no home tenant")
	})
}

// signIns answers woodgrove's sign-in log, newest first.
func (e *redeemEnv) signIns(t *testing.T) []store.SignIn {
	t.Helper()
	rows, err := e.d.Store.ListSignIns(t.Context(), store.SignInFilter{TenantID: e.tenant.ID})
	require.NoError(t, err)
	return rows
}

// TestMFABypassesRefused: every way around the second factor named in the
// issue, each refused.
func TestMFABypassesRefused(t *testing.T) {
	t.Parallel()
	sqltest.Run(t, func(t *testing.T, b sqltest.Backend) {
		e := newMFAEnv(t, b)
		ctx := t.Context()
		br := e.browser()
		e.redeemWithMFA(t, br, "kim@partner.test")

		t.Run("PromptNoneWithoutMFA", func(t *testing.T) {
			// A fresh browser passes the first factor only.
			fresh := e.browser()
			p, _, _ := e.signInAgain(t, fresh, "kim@partner.test")
			require.Contains(t, p.Text(), "Verify your identity")
			p, _, _, _ = e.demoAppSignIn(t, fresh, oauth2.SetAuthURLParam("prompt", "none"))
			require.True(t, p.Stopped(), p.Summary())
			require.Equal(t, "interaction_required", p.Query().Get("error"))
			require.Empty(t, p.Query().Get("code"))
		})
		t.Run("JumpToCallback", func(t *testing.T) {
			fresh := e.browser()
			p, _, _ := e.signInAgain(t, fresh, "kim@partner.test")
			id := p.URL.Query().Get("id")
			require.NotEmpty(t, id)
			p = mustPage(t)(fresh.Get(ctx, e.d.URL+"/t/woodgrove/authorize/callback?id="+id))
			require.Empty(t, p.Query().Get("code"), "no code without the second factor: %s", p.Summary())
		})
		t.Run("JumpToConsent", func(t *testing.T) {
			fresh := e.browser()
			p, _, _ := e.signInAgain(t, fresh, "kim@partner.test")
			id := p.URL.Query().Get("id")
			p = mustPage(t)(fresh.Get(ctx, e.d.URL+"/t/woodgrove/consent?id="+id))
			if p.Status == http.StatusOK && len(p.Forms) > 0 {
				p = submit(t, fresh, p, "csrf_token", "allow", nil)
			}
			require.Empty(t, p.Query().Get("code"), "no code by way of the consent page: %s", p.Summary())
		})
		t.Run("StepUpByACRValues", func(t *testing.T) {
			// A member needs no MFA under the guests rule, unless asked.
			admin := e.browser()
			p, _, _, _ := e.demoAppSignIn(t, admin, oauth2.SetAuthURLParam("acr_values", "2"))
			p = submit(t, admin, p, "current-password", "Sign in", map[string]string{
				"username": bootstrap.DevAdmin, "current-password": bootstrap.DevPassword})
			require.Contains(t, p.Text(), "Set up your authenticator app", "step-up: %s", p.Summary())
		})
		t.Run("RefreshAfterPolicyChange", func(t *testing.T) {
			admin := e.browser()
			p, cfg, _, verifier := e.demoAppSignIn(t, admin, oauth2.SetAuthURLParam("scope", "openid offline_access"))
			p = submit(t, admin, p, "current-password", "Sign in", map[string]string{
				"username": bootstrap.DevAdmin, "current-password": bootstrap.DevPassword})
			if !p.Stopped() {
				p = submit(t, admin, p, "csrf_token", "allow", nil)
			}
			require.True(t, p.Stopped(), p.Summary())
			tok, err := cfg.Exchange(ctx, p.Query().Get("code"), oauth2.VerifierOption(verifier))
			require.NoError(t, err)
			require.NotEmpty(t, tok.RefreshToken)
			e.setMFA(t, store.MFARequiredEveryone)
			t.Cleanup(func() { e.setMFA(t, store.MFARequiredGuests) })
			// The tenant gate caches the old rule for a few seconds; each
			// refresh that still succeeds rotates the token.
			require.Eventually(t, func() bool {
				tok.Expiry = time.Now().Add(-time.Minute)
				next, err := cfg.TokenSource(ctx, tok).Token()
				if err != nil {
					require.ErrorContains(t, err, "invalid_grant")
					return true
				}
				tok = next
				return false
			}, 15*time.Second, 500*time.Millisecond, "no refresh of a sign-in that never did MFA")
		})
	})
}

// TestInboundMFATrust: an upstream whose amr shows MFA satisfies the
// tenant only where the provider is trusted for it.
func TestInboundMFATrust(t *testing.T) {
	t.Parallel()
	sqltest.Run(t, func(t *testing.T, b sqltest.Backend) {
		for _, trusted := range []bool{false, true} {
			e := newUpstreamEnv(t, b)
			e.setMFA(t, store.MFARequiredGuests)
			ctx := t.Context()
			_, err := e.d.Directory.UpdateIdentityProvider(ctx, e.tenant.ID, e.provider.ID, directory.IdentityProviderPatch{MFATrusted: &trusted})
			require.NoError(t, err)
			e.fake.SetUser(fedtest.User{Subject: "kim-42", Email: partnerEmail, EmailVerified: true, AMR: []string{"pwd", "mfa"}})
			_, link := e.invite(t, partnerEmail)
			br := e.browser()
			p := e.redeemUpstream(t, br, link)
			p = submit(t, br, p, "csrf_token", "accept", nil)
			if trusted {
				require.True(t, p.Stopped(), "trusted inbound MFA skips the local step: %s", p.Summary())
			} else {
				require.Contains(t, p.Text(), "Set up your authenticator app", "untrusted: the local step")
			}
		}
	})
}

// TestGuestJourneyThroughFabrikamWithTOTP is the journey: invite
// sam@fabrikam.test → redeem by signing in at fabrikam → enrol TOTP from
// the shown key → land on the redirect → demo-app with prompt=login →
// fabrikam again, TOTP again → the ID token's amr has fed, otp and mfa.
func TestGuestJourneyThroughFabrikamWithTOTP(t *testing.T) {
	t.Parallel()
	sqltest.Run(t, func(t *testing.T, b sqltest.Backend) {
		e := newMFAEnv(t, b)
		ctx := t.Context()
		fabrikam, err := e.d.Store.GetTenantBySlug(ctx, "fabrikam")
		require.NoError(t, err)
		inv, link := e.invite(t, bootstrap.DevFabrikamMember)
		br := e.browser()
		p := submit(t, br, mustPage(t)(br.Get(ctx, link)), "token", "partner:"+fabrikam.ID, nil)
		sam := webclient.Credentials{Username: bootstrap.DevFabrikamMember, Password: bootstrap.DevPassword}
		p = mustPage(t)(br.Continue(ctx, p, sam))
		p, key := enrol(t, br, p)
		p = cont(t, br, p)
		require.True(t, p.Stopped(), p.Summary())
		require.Equal(t, bootstrap.DevRedirectURI, p.Stop.String())

		login, cfg, _, verifier := e.demoAppSignIn(t, br, oauth2.SetAuthURLParam("prompt", "login"))
		p = submit(t, br, login, "username", "Sign in", map[string]string{"username": bootstrap.DevFabrikamMember})
		p = submit(t, br, p, "password", "code", nil)
		p = mustPage(t)(br.Continue(ctx, p, sam))
		require.Contains(t, p.Text(), "Verify your identity", p.Summary())
		p = submit(t, br, p, "code", "verify", map[string]string{"code": mfatest.Code(t, key, time.Now().Add(30*time.Second))})
		p = mustPage(t)(br.Continue(ctx, p, sam))
		require.True(t, p.Stopped(), p.Summary())
		idt, claims := e.demoAppTokens(t, cfg, p, verifier)
		require.Equal(t, inv.InvitedUserID, idt.Subject)
		require.Equal(t, e.tenant.ID, claims.TID)
		for _, m := range []string{"fed", "otp", "mfa"} {
			require.Contains(t, claims.AMR, m)
		}
		require.Equal(t, "2", claims.ACR)

		// Woodgrove's log names the guest's home tenant; fabrikam's has
		// sam's own sign-ins there, as a member.
		rows := e.signIns(t)
		require.NotEmpty(t, rows)
		last := rows[0]
		require.Zero(t, last.ErrorCode)
		require.Equal(t, inv.InvitedUserID, last.UserID)
		require.Equal(t, store.UserTypeGuest, last.UserType)
		require.Equal(t, fabrikam.ID, last.HomeTenantID)
		require.Equal(t, []string{signin.MethodFederated, signin.MethodTOTP}, last.AuthenticationMethods)
		require.Equal(t, store.MultiFactor, last.AuthenticationRequirement)
		require.Equal(t, bootstrap.DevClientID, last.AppID)
		home, err := e.d.Store.ListSignIns(ctx, store.SignInFilter{TenantID: fabrikam.ID})
		require.NoError(t, err)
		require.NotEmpty(t, home)
		require.Equal(t, store.UserTypeMember, home[0].UserType)
		require.Equal(t, []string{signin.MethodPassword}, home[0].AuthenticationMethods)
		require.Empty(t, home[0].HomeTenantID)
	})
}

// TestSecurityInfoPage: a signed-in guest sees their methods; renewing
// recovery codes and replacing the authenticator each need a current
// code; without a session the page asks to sign in.
func TestSecurityInfoPage(t *testing.T) {
	t.Parallel()
	sqltest.Run(t, func(t *testing.T, b sqltest.Backend) {
		e := newMFAEnv(t, b)
		ctx := t.Context()
		page := e.d.URL + "/t/woodgrove/security-info"
		p := mustPage(t)(e.browser().Get(ctx, page))
		require.Equal(t, http.StatusUnauthorized, p.Status)

		br := e.browser()
		inv, key := e.redeemWithMFA(t, br, "kim@partner.test")
		p = mustPage(t)(br.Get(ctx, page))
		require.Equal(t, http.StatusOK, p.Status, p.Summary())
		require.Contains(t, p.Text(), "Authenticator app: registered")
		require.Contains(t, p.Text(), "Recovery codes left: 10")

		p = submit(t, br, p, "code", "codes", map[string]string{"code": "000000"})
		require.Equal(t, http.StatusUnauthorized, p.Status, "a wrong code changes nothing")
		p = submit(t, br, p, "code", "codes", map[string]string{"code": mfatest.Code(t, key, time.Now().Add(30*time.Second))})
		require.Contains(t, p.Text(), "Save your recovery codes", p.Summary())
		codes := recoveryCodes.FindAllSubmatch(p.Body, -1)
		require.Len(t, codes, 10)

		// The TOTP steps within reach are used up; a recovery code works
		// where a TOTP code does.
		p = mustPage(t)(br.Get(ctx, page))
		p = submit(t, br, p, "code", "replace", map[string]string{"code": string(codes[0][1])})
		newKey := shownSecret.FindSubmatch(p.Body)
		require.NotNil(t, newKey, p.Summary())
		require.NotEqual(t, key, string(newKey[1]))
		p = submit(t, br, p, "code", "confirm", map[string]string{"code": mfatest.Code(t, string(newKey[1]), time.Now())})
		require.Contains(t, p.Text(), "Save your recovery codes", p.Summary())
		changed := 0
		for _, m := range e.d.Mail(t) {
			if m.To[0] == inv.Email && !regexp.MustCompile(`verification code|invited you`).MatchString(m.Subject) {
				changed++
			}
		}
		require.GreaterOrEqual(t, changed, 3, "registration, new codes and the new authenticator are each emailed")
	})
}
