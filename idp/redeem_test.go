package idp_test

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/foyer-idp/foyer/idp/idptest"
	"github.com/foyer-idp/foyer/internal/audit"
	"github.com/foyer-idp/foyer/internal/bootstrap"
	"github.com/foyer-idp/foyer/internal/directory"
	"github.com/foyer-idp/foyer/internal/secret"
	"github.com/foyer-idp/foyer/internal/store"
	"github.com/foyer-idp/foyer/internal/store/sqlstore/sqltest"
	"github.com/foyer-idp/foyer/internal/webclient"
)

// Redemption of invitations by email one-time passcode, through the real
// pages of a seeded provider on a real listener, on both back ends.

type redeemEnv struct {
	d      *idptest.Dev
	tenant store.Tenant
}

// newRedeemEnv starts the seeded provider with woodgrove's MFA rule
// switched off: these tests are about redemption; mfa_test.go keeps the
// rule (newMFAEnv).
func newRedeemEnv(t *testing.T, b sqltest.Backend) *redeemEnv {
	e := newMFAEnv(t, b)
	e.setMFA(t, store.MFARequiredNobody)
	return e
}

// newMFAEnv starts the seeded provider as it is: woodgrove requires MFA
// for guests.
func newMFAEnv(t *testing.T, b sqltest.Backend) *redeemEnv {
	d := idptest.StartDev(t, b, nil)
	tn, err := d.Store.GetTenantBySlug(t.Context(), "woodgrove")
	require.NoError(t, err)
	return &redeemEnv{d: d, tenant: tn}
}

// setMFA sets woodgrove's MFA rule. The tenant gate caches tenants for a
// few seconds, so tests set it before their first request.
func (e *redeemEnv) setMFA(t *testing.T, required string) {
	t.Helper()
	ctx := context.WithoutCancel(t.Context()) // also from a cleanup
	tn, err := e.d.Store.GetTenant(ctx, e.tenant.ID)
	require.NoError(t, err)
	tn.MFA.Required = required
	require.NoError(t, e.d.Store.UpdateTenant(ctx, tn))
	e.tenant = tn
}

func (e *redeemEnv) browser() *webclient.Client {
	return webclient.New(webclient.Config{StopAt: []string{bootstrap.DevRedirectURI}})
}

// invite invites email to woodgrove with an email, answering the redeem
// link.
func (e *redeemEnv) invite(t *testing.T, email string) (directory.Invitation, string) {
	t.Helper()
	inv, _, err := e.d.Directory.Invite(t.Context(), e.tenant.ID, directory.InviteInput{
		Email: email, RedirectURL: bootstrap.DevRedirectURI, SendMessage: true})
	require.NoError(t, err)
	return inv, inv.RedeemURL
}

var eightDigits = regexp.MustCompile(`\b\d{8}\b`)

// lastCode answers the code of the newest passcode email to email.
func (e *redeemEnv) lastCode(t *testing.T, email string) string {
	t.Helper()
	for _, m := range e.d.Mail(t) {
		if strings.Contains(m.Subject, "verification code") && len(m.To) == 1 && m.To[0] == email {
			code := eightDigits.FindString(m.Text)
			require.NotEmpty(t, code)
			return code
		}
	}
	t.Fatalf("no passcode email to %s", email)
	return ""
}

func (e *redeemEnv) codeMails(t *testing.T) int {
	n := 0
	for _, m := range e.d.Mail(t) {
		if strings.Contains(m.Subject, "verification code") {
			n++
		}
	}
	return n
}

// mustPage checks a browser step's error: mustPage(t)(br.Get(…)).
func mustPage(t *testing.T) func(*webclient.Page, error) *webclient.Page {
	return func(p *webclient.Page, err error) *webclient.Page {
		t.Helper()
		require.NoError(t, err)
		return p
	}
}

// submit presses button on the page's form holding field.
func submit(t *testing.T, b *webclient.Client, p *webclient.Page, field, button string, fill map[string]string) *webclient.Page {
	t.Helper()
	return mustPage(t)(b.Press(t.Context(), p, field, button, fill))
}

// toCode opens the redeem link and asks for a code: the code page.
func (e *redeemEnv) toCode(t *testing.T, b *webclient.Client, link string) *webclient.Page {
	t.Helper()
	p := mustPage(t)(b.Get(t.Context(), link))
	require.Equal(t, http.StatusOK, p.Status, p.Summary())
	p = submit(t, b, p, "token", "passcode", nil)
	require.Equal(t, http.StatusOK, p.Status, p.Summary())
	require.Contains(t, p.Text(), "We sent a code")
	return p
}

// toConsent redeems up to the review page.
func (e *redeemEnv) toConsent(t *testing.T, b *webclient.Client, link, email string) *webclient.Page {
	t.Helper()
	p := e.toCode(t, b, link)
	p = submit(t, b, p, "code", "verify", map[string]string{"code": e.lastCode(t, email)})
	require.Equal(t, http.StatusOK, p.Status, p.Summary())
	require.Contains(t, p.Text(), "Review permissions")
	return p
}

func TestRedeemByPasscode(t *testing.T) {
	t.Parallel()
	sqltest.Run(t, func(t *testing.T, b sqltest.Backend) {
		e := newRedeemEnv(t, b)
		ctx := t.Context()
		inv, link := e.invite(t, "gsamoogle@gmail.com")
		br := e.browser()

		landing := mustPage(t)(br.Get(ctx, link))
		require.Equal(t, http.StatusOK, landing.Status)
		require.Contains(t, landing.Text(), "WoodGrove")
		require.Contains(t, landing.Text(), "g***@gmail.com", "the invited address, masked")
		require.NotContains(t, landing.Text(), "gs***@gmail.com", "at most one leading character")
		require.Zero(t, e.codeMails(t), "opening the link sends nothing: mail scanners open links")

		p := e.toConsent(t, br, link, "gsamoogle@gmail.com")
		require.Contains(t, p.Text(), "gsamoogle@gmail.com")
		p = submit(t, br, p, "csrf_token", "accept", nil)
		require.True(t, p.Stopped(), "lands on inviteRedirectUrl: %s", p.Summary())
		require.Equal(t, bootstrap.DevRedirectURI, p.Stop.String())

		guest, err := e.d.Store.GetUser(ctx, e.tenant.ID, inv.InvitedUserID)
		require.NoError(t, err)
		require.Equal(t, store.ExternalStateAccepted, guest.ExternalUserState)
		require.Contains(t, guest.Identities, store.Identity{SignInType: store.SignInTypeEmail, Issuer: directory.IssuerMail,
			IssuerAssignedID: "gsamoogle@gmail.com"})
		got, err := e.d.Store.GetInvitation(ctx, e.tenant.ID, inv.ID)
		require.NoError(t, err)
		require.Equal(t, store.InvitationAccepted, got.Status)
		events, err := e.d.Store.ListAudit(ctx, store.AuditFilter{TenantID: e.tenant.ID, Activity: audit.ActivityRedeemExternalInvite})
		require.NoError(t, err)
		require.Len(t, events, 1)
		require.Equal(t, store.ResultSuccess, events[0].Result)
		require.Equal(t, guest.ID, events[0].ActorID)

		again := mustPage(t)(e.browser().Get(ctx, link))
		require.Equal(t, http.StatusConflict, again.Status, "a redeemed link is used up")
		require.Contains(t, again.Text(), "already accepted")
		// No dead end: the page links to the app the invitation was for.
		require.Equal(t, bootstrap.DevRedirectURI, nextLink(t, again), again.Summary())
	})
}

var nextStepLink = regexp.MustCompile(`<a class="button" id="next" href="([^"]*)">([^<]*)</a>`)

// nextLink answers the href of an error page's next-step link, or "".
func nextLink(t *testing.T, p *webclient.Page) string {
	t.Helper()
	m := nextStepLink.FindStringSubmatch(string(p.Body))
	if m == nil {
		return ""
	}
	return strings.ReplaceAll(m[1], "&amp;", "&")
}

// TestDeadLinksSayWhy: revoked, replaced, used and tampered redeem links
// each say which, with a next step where there is one, and a changed link
// learns nothing of any invitation.
func TestDeadLinksSayWhy(t *testing.T) {
	t.Parallel()
	sqltest.Run(t, func(t *testing.T, b sqltest.Backend) {
		e := newRedeemEnv(t, b)
		ctx := t.Context()
		open := func(link string) *webclient.Page {
			t.Helper()
			return mustPage(t)(e.browser().Get(ctx, link))
		}

		// Revoked: the guest, who never redeemed, goes with it.
		inv, revoked := e.invite(t, "revoked@partner.test")
		require.NoError(t, e.d.Directory.RevokeInvitation(ctx, e.tenant.ID, inv.ID))
		p := open(revoked)
		require.Equal(t, http.StatusBadRequest, p.Status)
		require.Contains(t, p.Text(), "This invitation was withdrawn by WoodGrove.")

		// Replaced, then the newest link used: the old link says replaced
		// while the invitation is open, and accepted once it is.
		_, old := e.invite(t, "twice@partner.test")
		_, fresh := e.invite(t, "twice@partner.test")
		p = open(old)
		require.Equal(t, http.StatusBadRequest, p.Status)
		require.Contains(t, p.Text(), "This invitation link was replaced: WoodGrove sent a newer invitation to the same address.")
		require.Contains(t, p.Text(), "newest invitation email")
		br := e.browser()
		c := e.toConsent(t, br, fresh, "twice@partner.test")
		require.True(t, submit(t, br, c, "csrf_token", "accept", nil).Stopped())
		p = open(old)
		require.Equal(t, http.StatusConflict, p.Status)
		require.Contains(t, p.Text(), "already accepted")
		require.Equal(t, bootstrap.DevRedirectURI, nextLink(t, p))

		// Replaced, then revoked: withdrawn.
		inv, old = e.invite(t, "gone@partner.test")
		e.invite(t, "gone@partner.test")
		require.NoError(t, e.d.Directory.RevokeInvitation(ctx, e.tenant.ID, inv.ID))
		require.Contains(t, open(old).Text(), "withdrawn by WoodGrove")

		// Tampered: one character changed, or cut short. Nothing about
		// any invitation, and no next step but the email.
		_, link := e.invite(t, "tamper@partner.test")
		last := link[len(link)-1]
		swap := byte('A')
		if last == 'A' {
			swap = 'B'
		}
		for _, bad := range []string{link[:len(link)-1] + string(swap), link[:len(link)-10], e.d.URL + "/t/woodgrove/redeem?token=<script>"} {
			p = open(bad)
			require.Equal(t, http.StatusBadRequest, p.Status, bad)
			require.Contains(t, p.Text(), "This invitation link is not valid: it is incomplete or was changed.")
			for _, leak := range []string{"withdrawn", "replaced", "accepted", "tamper@", "ta***"} {
				require.NotContains(t, p.Text(), leak)
			}
			require.Empty(t, nextLink(t, p))
		}

		// Posting a replaced link (a page opened before the re-invitation)
		// says replaced too.
		_, mid := e.invite(t, "midway2@partner.test")
		br = e.browser()
		c = e.toConsent(t, br, mid, "midway2@partner.test")
		e.invite(t, "midway2@partner.test")
		p = submit(t, br, c, "csrf_token", "accept", nil)
		require.Equal(t, http.StatusBadRequest, p.Status, p.Summary())
		require.Contains(t, p.Text(), "was replaced", p.Summary())
	})
}

func TestRedeemRefusals(t *testing.T) {
	t.Parallel()
	sqltest.Run(t, func(t *testing.T, b sqltest.Backend) {
		e := newRedeemEnv(t, b)
		ctx := t.Context()

		t.Run("RevokedLink", func(t *testing.T) {
			inv, link := e.invite(t, "revoked@partner.test")
			require.NoError(t, e.d.Directory.RevokeInvitation(ctx, e.tenant.ID, inv.ID))
			p := mustPage(t)(e.browser().Get(ctx, link))
			require.Equal(t, http.StatusBadRequest, p.Status)
			require.Contains(t, p.Text(), "withdrawn")
		})
		t.Run("ReplacedLink", func(t *testing.T) {
			_, old := e.invite(t, "twice@partner.test")
			_, fresh := e.invite(t, "twice@partner.test")
			require.NotEqual(t, old, fresh)
			p := mustPage(t)(e.browser().Get(ctx, old))
			require.Equal(t, http.StatusBadRequest, p.Status, "a re-invitation voids the older link")
			p = mustPage(t)(e.browser().Get(ctx, fresh))
			require.Equal(t, http.StatusOK, p.Status)
		})
		t.Run("ReplacedWhileRedeeming", func(t *testing.T) {
			_, old := e.invite(t, "midway@partner.test")
			br := e.browser()
			p := e.toConsent(t, br, old, "midway@partner.test")
			e.invite(t, "midway@partner.test")
			p = submit(t, br, p, "csrf_token", "accept", nil)
			require.False(t, p.Stopped())
			require.Equal(t, http.StatusBadRequest, p.Status, "the transaction died with its link: %s", p.Summary())
		})
		t.Run("ExpiredLink", func(t *testing.T) {
			guest := store.User{TenantID: e.tenant.ID, ID: secret.NewID(), DisplayName: "Late", Mail: "late@partner.test",
				UserPrincipalName: "late_partner.test#EXT#@woodgrove.localhost", UserType: store.UserTypeGuest,
				ExternalUserState: store.ExternalStatePending, CreationType: store.CreationTypeInvitation,
				AccountEnabled: true, Identities: []store.Identity{}, CreatedAt: time.Now(), UpdatedAt: time.Now()}
			require.NoError(t, e.d.Store.CreateUser(ctx, guest))
			token := secret.NewToken(32)
			require.NoError(t, e.d.Store.CreateInvitation(ctx, store.Invitation{TenantID: e.tenant.ID, ID: secret.NewID(),
				InvitedUserID: guest.ID, Email: guest.Mail, RedirectURL: bootstrap.DevRedirectURI, Status: store.InvitationPending,
				CreatedAt: time.Now().Add(-8 * 24 * time.Hour), ExpiresAt: time.Now().Add(-time.Hour),
				TokenHash: e.d.Directory.RedeemTokenHash(token)}))
			p := mustPage(t)(e.browser().Get(ctx, e.d.URL+"/t/woodgrove/redeem?token="+token))
			require.Equal(t, http.StatusGone, p.Status)
			require.Contains(t, p.Text(), "expired")
		})
		t.Run("UnknownToken", func(t *testing.T) {
			for _, token := range []string{"", "x", strings.Repeat("A", 43), "<script>"} {
				p := mustPage(t)(e.browser().Get(ctx, e.d.URL+"/t/woodgrove/redeem?token="+token))
				require.Equal(t, http.StatusBadRequest, p.Status, token)
			}
		})
		t.Run("LinkOfAnotherTenant", func(t *testing.T) {
			_, link := e.invite(t, "cross@partner.test")
			p := mustPage(t)(e.browser().Get(ctx, strings.Replace(link, "/t/woodgrove/", "/t/fabrikam/", 1)))
			require.Equal(t, http.StatusBadRequest, p.Status, "a woodgrove token means nothing at fabrikam")
		})
		t.Run("PasscodeOfAnotherInvitation", func(t *testing.T) {
			_, linkA := e.invite(t, "a@partner.test")
			_, linkB := e.invite(t, "b@partner.test")
			br := e.browser()
			e.toCode(t, br, linkA)
			codeA := e.lastCode(t, "a@partner.test")
			p := e.toCode(t, br, linkB)
			p = submit(t, br, p, "code", "verify", map[string]string{"code": codeA})
			require.Equal(t, http.StatusUnauthorized, p.Status)
			require.Contains(t, p.Text(), "not right")
		})
		t.Run("TooManyWrongCodes", func(t *testing.T) {
			_, link := e.invite(t, "guesser@partner.test")
			br := e.browser()
			p := e.toCode(t, br, link)
			code := e.lastCode(t, "guesser@partner.test")
			wrong := "00000000"
			if wrong == code {
				wrong = "11111111"
			}
			for range 5 {
				p = submit(t, br, p, "code", "verify", map[string]string{"code": wrong})
				require.Equal(t, http.StatusUnauthorized, p.Status)
			}
			p = submit(t, br, p, "code", "verify", map[string]string{"code": code})
			require.Equal(t, http.StatusUnauthorized, p.Status, "the code died after five wrong tries")
			require.Contains(t, p.Text(), "no longer works")
			events, err := e.d.Store.ListAudit(ctx, store.AuditFilter{TenantID: e.tenant.ID,
				Activity: audit.ActivityRedeemExternalInvite, ActorID: "guesser@partner.test"})
			require.NoError(t, err)
			require.Len(t, events, 6, "every failed try is audited")
			require.Equal(t, store.ResultFailure, events[0].Result)
			require.Contains(t, events[0].Reason, "passcode")
			p = submit(t, br, p, "code", "resend", nil)
			require.Contains(t, p.Text(), "new code")
			p = submit(t, br, p, "code", "verify", map[string]string{"code": e.lastCode(t, "guesser@partner.test")})
			require.Contains(t, p.Text(), "Review permissions", "a new code works")
		})
		t.Run("AnotherBrowser", func(t *testing.T) {
			_, link := e.invite(t, "roam@partner.test")
			p := e.toCode(t, e.browser(), link)
			code := e.lastCode(t, "roam@partner.test")
			// A second browser given the code page's address.
			other := e.browser()
			p2 := mustPage(t)(other.Get(ctx, p.URL.String()))
			require.Equal(t, http.StatusBadRequest, p2.Status)
			require.Contains(t, p2.Text(), "another browser")
			// Its own redemption of the same link cannot use the first
			// browser's code either: the code was bound there, and
			// asking anew replaced it.
			p2 = e.toCode(t, other, link)
			p2 = submit(t, other, p2, "code", "verify", map[string]string{"code": code})
			require.Equal(t, http.StatusUnauthorized, p2.Status)
		})
		t.Run("ConsentBeforeCode", func(t *testing.T) {
			_, link := e.invite(t, "hasty@partner.test")
			br := e.browser()
			p := e.toCode(t, br, link)
			skip := strings.Replace(p.URL.String(), "/redeem/verify", "/redeem/consent", 1)
			p = mustPage(t)(br.Get(ctx, skip))
			require.Equal(t, http.StatusBadRequest, p.Status)
			require.Contains(t, p.Text(), "Verify your email first")
		})
		t.Run("ForgedForm", func(t *testing.T) {
			_, link := e.invite(t, "forged@partner.test")
			before := e.codeMails(t)
			br := e.browser()
			p := mustPage(t)(br.Get(ctx, link))
			f, err := p.FormWith("token")
			require.NoError(t, err)
			require.NoError(t, f.Fill("csrf_token", "forged"))
			p = mustPage(t)(br.Submit(ctx, f, f.Button("passcode")))
			require.Equal(t, http.StatusForbidden, p.Status)
			require.Equal(t, before, e.codeMails(t), "no code was sent")
		})
		t.Run("DomainRuleAtRedemption", func(t *testing.T) {
			_, link := e.invite(t, "late@blocked.test")
			br := e.browser()
			p := e.toConsent(t, br, link, "late@blocked.test")
			tn, err := e.d.Store.GetTenant(ctx, e.tenant.ID)
			require.NoError(t, err)
			tn.Invitations = store.InvitationPolicy{DomainRule: store.InviteDomainsDeny, Domains: []string{"blocked.test"}}
			require.NoError(t, e.d.Store.UpdateTenant(ctx, tn))
			t.Cleanup(func() {
				tn.Invitations = store.InvitationPolicy{}
				require.NoError(t, e.d.Store.UpdateTenant(context.WithoutCancel(ctx), tn))
			})
			p = submit(t, br, p, "csrf_token", "accept", nil)
			require.Equal(t, http.StatusForbidden, p.Status, "the deny list is checked again at redemption")
			events, err := e.d.Store.ListAudit(ctx, store.AuditFilter{TenantID: e.tenant.ID, Activity: audit.ActivityRedeemExternalInvite})
			require.NoError(t, err)
			require.NotEmpty(t, events)
			require.Equal(t, store.ResultFailure, events[0].Result)
			require.Contains(t, events[0].Reason, "email domain")
		})
	})
}

// TestRedeemRace: two browsers redeem one invitation at once; exactly one
// gets in.
func TestRedeemRace(t *testing.T) {
	t.Parallel()
	sqltest.Run(t, func(t *testing.T, b sqltest.Backend) {
		e := newRedeemEnv(t, b)
		inv, link := e.invite(t, "twin@partner.test")
		var pages [2]*webclient.Page
		var browsers [2]*webclient.Client
		for i := range browsers {
			browsers[i] = e.browser()
			pages[i] = e.toConsent(t, browsers[i], link, "twin@partner.test")
		}
		results := make([]*webclient.Page, 2)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range browsers {
			f, err := pages[i].FormWith("csrf_token")
			require.NoError(t, err)
			wg.Go(func() {
				<-start
				results[i], _ = browsers[i].Submit(context.WithoutCancel(t.Context()), f, f.Button("accept"))
			})
		}
		close(start)
		wg.Wait()
		won := 0
		for _, p := range results {
			require.NotNil(t, p)
			if p.Stopped() {
				won++
			} else {
				require.Equal(t, http.StatusConflict, p.Status, p.Summary())
			}
		}
		require.Equal(t, 1, won, "exactly one browser redeems")
		guest, err := e.d.Store.GetUser(t.Context(), e.tenant.ID, inv.InvitedUserID)
		require.NoError(t, err)
		require.Len(t, guest.Identities, 1)
	})
}

func TestBlockFutureInvitations(t *testing.T) {
	t.Parallel()
	sqltest.Run(t, func(t *testing.T, b sqltest.Backend) {
		e := newRedeemEnv(t, b)
		ctx := t.Context()
		inv, _ := e.invite(t, "nothanks@partner.test")
		var blockURL string
		for _, m := range e.d.Mail(t) {
			if m.To[0] == "nothanks@partner.test" {
				blockURL = regexp.MustCompile(`http://\S+/redeem/block\?token=\S+`).FindString(m.Text)
			}
		}
		require.NotEmpty(t, blockURL)
		br := e.browser()
		p := mustPage(t)(br.Get(ctx, blockURL))
		require.Equal(t, http.StatusOK, p.Status)
		blocked, err := e.d.Store.InvitationsBlocked(ctx, e.tenant.ID, inv.Email)
		require.NoError(t, err)
		require.False(t, blocked, "the GET only asks")
		p = submit(t, br, p, "token", "block", nil)
		require.Equal(t, http.StatusOK, p.Status, p.Summary())
		require.Contains(t, p.Text(), "You will not receive more invitations")
		blocked, err = e.d.Store.InvitationsBlocked(ctx, e.tenant.ID, inv.Email)
		require.NoError(t, err)
		require.True(t, blocked)
		events, err := e.d.Store.ListAudit(ctx, store.AuditFilter{TenantID: e.tenant.ID, Activity: audit.ActivityEmailUnsubscribed})
		require.NoError(t, err)
		require.Len(t, events, 1)
		require.Equal(t, "nothanks@partner.test", events[0].ActorName)

		forged := mustPage(t)(e.browser().Get(ctx, e.d.URL+"/t/woodgrove/redeem/block?token=forged"))
		forged = submit(t, e.browser(), forged, "token", "block", nil)
		require.NotEqual(t, http.StatusOK, forged.Status, "a made-up token blocks nothing")
	})
}

// demoAppSignIn starts a code + PKCE sign-in of demo-app at woodgrove and
// answers the login page, with what the exchange needs.
func (e *redeemEnv) demoAppSignIn(t *testing.T, br *webclient.Client, extra ...oauth2.AuthCodeOption) (*webclient.Page, *oauth2.Config, string, string) {
	t.Helper()
	cfg := &oauth2.Config{ClientID: bootstrap.DevClientID, ClientSecret: bootstrap.DevClientSecret,
		RedirectURL: bootstrap.DevRedirectURI, Scopes: []string{oidc.ScopeOpenID, "profile", "email"},
		Endpoint: oauth2.Endpoint{AuthURL: e.d.URL + "/t/woodgrove/authorize", TokenURL: e.d.URL + "/t/woodgrove/oauth/token",
			AuthStyle: oauth2.AuthStyleInHeader}}
	state, nonce, verifier := secret.NewToken(8), secret.NewToken(8), oauth2.GenerateVerifier()
	opts := append([]oauth2.AuthCodeOption{oidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier)}, extra...)
	p := mustPage(t)(br.Get(t.Context(), cfg.AuthCodeURL(state, opts...)))
	return p, cfg, state, verifier
}

// demoTokenClaims are the ID token claims the guest tests look at.
type demoTokenClaims struct {
	TID string   `json:"tid"`
	AMR []string `json:"amr"`
	ACR string   `json:"acr"`
}

// demoAppTokens redeems the code a sign-in stopped with, as demo-app, and
// answers its verified ID token.
func (e *redeemEnv) demoAppTokens(t *testing.T, cfg *oauth2.Config, stopped *webclient.Page, verifier string) (*oidc.IDToken, demoTokenClaims) {
	t.Helper()
	ctx := t.Context()
	tok, err := cfg.Exchange(ctx, stopped.Query().Get("code"), oauth2.VerifierOption(verifier))
	require.NoError(t, err)
	provider, err := oidc.NewProvider(ctx, e.d.URL+"/t/woodgrove")
	require.NoError(t, err)
	idt, err := provider.Verifier(&oidc.Config{ClientID: bootstrap.DevClientID, SupportedSigningAlgs: []string{oidc.ES256, oidc.RS256, oidc.EdDSA}}).
		Verify(ctx, tok.Extra("id_token").(string))
	require.NoError(t, err)
	var claims demoTokenClaims
	require.NoError(t, idt.Claims(&claims))
	return idt, claims
}

// TestGuestSignsInWithPasscode: a guest who redeemed by passcode signs in
// later by typing their email (home realm discovery) and a fresh code,
// and gets tokens like any user.
func TestGuestSignsInWithPasscode(t *testing.T) {
	t.Parallel()
	sqltest.Run(t, func(t *testing.T, b sqltest.Backend) {
		e := newRedeemEnv(t, b)
		inv, link := e.invite(t, "kim@partner.test")
		redeemer := e.browser()
		p := e.toConsent(t, redeemer, link, "kim@partner.test")
		p = submit(t, redeemer, p, "csrf_token", "accept", nil)
		require.True(t, p.Stopped(), p.Summary())

		br := e.browser()
		login, cfg, state, verifier := e.demoAppSignIn(t, br)
		p = submit(t, br, login, "username", "Sign in", map[string]string{"username": "Kim@Partner.test"})
		require.Equal(t, http.StatusOK, p.Status, p.Summary())
		require.Contains(t, p.Text(), "Or get a code by email", "the same password page as for everyone")
		p = submit(t, br, p, "password", "code", nil)
		require.Equal(t, http.StatusOK, p.Status, p.Summary())
		require.Contains(t, p.Text(), "We sent a code")
		p = submit(t, br, p, "code", "verify", map[string]string{"code": e.lastCode(t, "kim@partner.test")})
		if !p.Stopped() {
			p = submit(t, br, p, "csrf_token", "allow", nil)
		}
		require.True(t, p.Stopped(), p.Summary())
		require.Equal(t, state, p.Query().Get("state"))

		idt, claims := e.demoAppTokens(t, cfg, p, verifier)
		require.Equal(t, inv.InvitedUserID, idt.Subject)
		require.Equal(t, e.tenant.ID, claims.TID)
		require.Equal(t, []string{"otp"}, claims.AMR)
	})
}

// TestHomeRealmDiscoveryRefusals: an unknown address, a pending guest and
// a member asking for a code see the code page but get no mail; a pending
// guest cannot sign in before redeeming; wrong codes count like wrong
// passwords.
func TestHomeRealmDiscoveryRefusals(t *testing.T) {
	t.Parallel()
	sqltest.Run(t, func(t *testing.T, b sqltest.Backend) {
		e := newRedeemEnv(t, b)
		e.invite(t, "pending@partner.test")
		before := e.codeMails(t)

		for _, email := range []string{"nobody@partner.test", "pending@partner.test", bootstrap.DevAdmin} {
			br := e.browser()
			login, _, _, _ := e.demoAppSignIn(t, br)
			p := submit(t, br, login, "username", "Sign in", map[string]string{"username": email})
			require.Equal(t, http.StatusOK, p.Status)
			require.Contains(t, p.Text(), "Enter your password", "every address is asked the same")
			p = submit(t, br, p, "password", "code", nil)
			require.Equal(t, http.StatusOK, p.Status)
			require.Contains(t, p.Text(), "We sent a code", "the same page as for a guest")
			p = submit(t, br, p, "code", "verify", map[string]string{"code": "12345678"})
			require.Equal(t, http.StatusUnauthorized, p.Status)
		}
		require.Equal(t, before, e.codeMails(t), "no code went to an unknown or pending address, nor to a member")

		// The password page without a password says so, to anyone.
		br := e.browser()
		login, _, _, _ := e.demoAppSignIn(t, br)
		p := submit(t, br, login, "username", "Sign in", map[string]string{"username": bootstrap.DevAdmin})
		p = submit(t, br, p, "password", "Sign in", nil)
		require.Equal(t, http.StatusBadRequest, p.Status)
		require.Contains(t, p.Text(), "Enter your password.")

		// Wrong codes lock the account name like wrong passwords do.
		for range 5 {
			p = submit(t, br, mustPage(t)(br.Get(t.Context(), login.URL.String())), "username", "Sign in",
				map[string]string{"username": "nobody@partner.test"})
			p = submit(t, br, p, "password", "code", nil)
			p = submit(t, br, p, "code", "verify", map[string]string{"code": "12345678"})
		}
		require.Equal(t, http.StatusTooManyRequests, p.Status, p.Summary())
	})
}

// TestHomeRealmDiscoveryTellsNoOneApart: the first step and the code step
// answer a member, a guest who signs in by passcode, a pending guest and a
// stranger alike (status, page, links); only the guest gets a code, and a
// member still signs in with the password.
func TestHomeRealmDiscoveryTellsNoOneApart(t *testing.T) {
	t.Parallel()
	sqltest.Run(t, func(t *testing.T, b sqltest.Backend) {
		e := newRedeemEnv(t, b)
		_, link := e.invite(t, "kim@partner.test")
		redeemer := e.browser()
		p := e.toConsent(t, redeemer, link, "kim@partner.test")
		require.True(t, submit(t, redeemer, p, "csrf_token", "accept", nil).Stopped())
		e.invite(t, "pending@partner.test")

		// What differs between two sign-ins whatever the address: the
		// transaction, its form token, the CSP nonce and the address typed.
		volatile := regexp.MustCompile(`id=[A-Za-z0-9_-]+|value="[A-Za-z0-9_-]{20,}"|nonce-[^']+'|nonce="[^"]+"`)
		normalise := func(pg *webclient.Page, typed string) string {
			body := volatile.ReplaceAllString(string(pg.Body), "")
			return strings.ReplaceAll(body, typed, "ADDRESS")
		}
		type step struct {
			status int
			body   string
		}
		addresses := []string{bootstrap.DevAdmin, "kim@partner.test", "pending@partner.test", "nobody@partner.test"}
		first, code := map[string]step{}, map[string]step{}
		for _, email := range addresses {
			mailsBefore := e.codeMails(t)
			br := e.browser()
			login, _, _, _ := e.demoAppSignIn(t, br)
			p := submit(t, br, login, "username", "Sign in", map[string]string{"username": email})
			first[email] = step{p.Status, normalise(p, email)}
			p = submit(t, br, p, "password", "code", nil)
			code[email] = step{p.Status, normalise(p, email)}
			sent := e.codeMails(t) - mailsBefore
			if email == "kim@partner.test" {
				require.Equal(t, 1, sent, "the guest gets a code")
			} else {
				require.Zero(t, sent, "%s gets nothing", email)
			}
		}
		for _, email := range addresses[1:] {
			require.Equal(t, first[addresses[0]], first[email], "the first step for %s", email)
			require.Equal(t, code[addresses[0]], code[email], "the code step for %s", email)
		}
		require.Equal(t, http.StatusOK, first[addresses[0]].status)
		require.Contains(t, first[addresses[0]].body, "Or get a code by email")

		// The member signs in with the password on that page.
		br := e.browser()
		login, _, _, _ := e.demoAppSignIn(t, br)
		p = submit(t, br, login, "username", "Sign in", map[string]string{"username": bootstrap.DevAdmin})
		p = mustPage(t)(br.Continue(t.Context(), p, webclient.Credentials{Password: bootstrap.DevPassword}))
		require.True(t, p.Stopped(), p.Summary())
		require.NotEmpty(t, p.Query().Get("code"))
	})
}
