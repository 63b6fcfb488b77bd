package cli

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/foyer-idp/foyer/internal/bootstrap"
	"github.com/foyer-idp/foyer/internal/mail/mailtest"
	"github.com/foyer-idp/foyer/internal/mfa/mfatest"
	"github.com/foyer-idp/foyer/internal/secret"
	"github.com/foyer-idp/foyer/internal/webclient"
)

// TestGuestJourneyThroughSMTP is the invitation's whole life on a real
// serve --dev whose mail goes to a real SMTP server: invited through the
// admin API, the guest follows the emailed link, types the passcode from
// a second email, accepts, lands on the redirect, then signs in to
// demo-app with code + PKCE and a third email's code. The ID token says
// tid woodgrove; the CLI lists the guest as Accepted.
func TestGuestJourneyThroughSMTP(t *testing.T) {
	t.Parallel()
	smtpAddr := mailtest.FreeAddr(t)
	inbox := mailtest.StartSMTP(t, smtpAddr, nil)
	s := startDevServerWith(t, map[string]string{"FOYER_SMTP_URL": "smtp+insecure://" + smtpAddr + "?from=no-reply@foyer.test"})
	ctx := t.Context()
	const guest = "gsamoogle@gmail.com"

	token := clientCredentials(t, s.base, s.base+"/.default")
	status, _, body := sendAPI(t, token, http.MethodPost, s.base+"/v1.0/invitations",
		`{"invitedUserEmailAddress":"`+guest+`","inviteRedirectUrl":"`+bootstrap.DevRedirectURI+`","sendInvitationMessage":true}`)
	require.Equal(t, http.StatusCreated, status, body)

	invitation := mailAbout(t, inbox, "invited you", 0)
	require.Contains(t, invitation.Subject, "invited you")
	link := regexp.MustCompile(`http://\S+/t/woodgrove/redeem\?token=\S+`).FindString(invitation.Text)
	require.NotEmpty(t, link, invitation.Text)

	br := webclient.New(webclient.Config{StopAt: []string{bootstrap.DevRedirectURI}})
	page := mustStep(t)(br.Get(ctx, link))
	require.Contains(t, page.Text(), "You're invited")
	page = mustStep(t)(br.Press(ctx, page, "token", "passcode", nil))
	code := codeFrom(t, mailAbout(t, inbox, "verification code", 0))
	page = mustStep(t)(br.Press(ctx, page, "code", "verify", map[string]string{"code": code}))
	require.Contains(t, page.Text(), "Review permissions")
	page = mustStep(t)(br.Press(ctx, page, "csrf_token", "accept", nil))
	page, key := enrolAuthenticator(t, br, page)
	require.True(t, page.Stopped(), page.Summary())
	require.Equal(t, bootstrap.DevRedirectURI, page.Stop.String(), "lands on inviteRedirectUrl")

	// Later: the guest signs in to demo-app in a fresh browser.
	cfg := &oauth2.Config{ClientID: bootstrap.DevClientID, ClientSecret: bootstrap.DevClientSecret,
		RedirectURL: bootstrap.DevRedirectURI, Scopes: []string{oidc.ScopeOpenID, "profile", "email"},
		Endpoint: oauth2.Endpoint{AuthURL: s.base + "/t/woodgrove/authorize", TokenURL: s.base + "/t/woodgrove/oauth/token",
			AuthStyle: oauth2.AuthStyleInHeader}}
	state, nonce, verifier := secret.NewToken(8), secret.NewToken(8), oauth2.GenerateVerifier()
	br = webclient.New(webclient.Config{StopAt: []string{bootstrap.DevRedirectURI}})
	page = mustStep(t)(br.Get(ctx, cfg.AuthCodeURL(state, oidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier))))
	page = mustStep(t)(br.Press(ctx, page, "username", "Sign in", map[string]string{"username": guest}))
	page = mustStep(t)(br.Press(ctx, page, "password", "code", nil))
	page = mustStep(t)(br.Press(ctx, page, "code", "verify", map[string]string{"code": codeFrom(t, mailAbout(t, inbox, "verification code", 1))}))
	// The enrolment used this step's TOTP code; the next step's is fresh.
	page = mustStep(t)(br.Press(ctx, page, "code", "verify", map[string]string{"code": mfatest.Code(t, key, time.Now().Add(30*time.Second))}))
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
	require.Equal(t, nonce, idToken.Nonce)
	var claims struct {
		TID   string `json:"tid"`
		Email string `json:"email"`
	}
	require.NoError(t, idToken.Claims(&claims))
	tenants := s.cli.mustRun(t, "-o", "json", "tenants", "show", "woodgrove")
	require.Contains(t, tenants, claims.TID, "tid is woodgrove's id")
	require.Equal(t, guest, claims.Email)

	users := s.cli.mustRun(t, "users", "list", "--tenant", "woodgrove")
	require.Regexp(t, `gsamoogle_gmail\.com#EXT#@woodgrove\.\S+\s.*Guest.*Accepted`, users)
	// The quick start's last step: the audit trail shows the redemption.
	trail := s.cli.mustRun(t, quickStartCommand(t, s.base, "audit list")...)
	require.Regexp(t, `Redeem external user invite.*gsamoogle`, trail)
	s.shutdown(t)
}

// mailAbout waits for the (skip+1)-th message the SMTP server receives
// whose subject contains subject.
func mailAbout(t *testing.T, inbox *mailtest.Server, subject string, skip int) mailtest.Message {
	t.Helper()
	var found mailtest.Message
	require.Eventually(t, func() bool {
		seen := 0
		for _, r := range inbox.Messages() {
			m, err := r.Parse()
			require.NoError(t, err)
			if strings.Contains(m.Subject, subject) {
				if seen == skip {
					found = m
					return true
				}
				seen++
			}
		}
		return false
	}, 30*time.Second, 50*time.Millisecond, "no mail #%d about %q arrived", skip+1, subject)
	return found
}

var passcodeDigits = regexp.MustCompile(`\b\d{8}\b`)

func codeFrom(t *testing.T, m mailtest.Message) string {
	t.Helper()
	require.Contains(t, m.Subject, "verification code")
	code := passcodeDigits.FindString(m.Text)
	require.NotEmpty(t, code, m.Text)
	return code
}

// mustStep checks a browser step's error: mustStep(t)(br.Get(…)).
func mustStep(t *testing.T) func(*webclient.Page, error) *webclient.Page {
	return func(p *webclient.Page, err error) *webclient.Page {
		t.Helper()
		require.NoError(t, err)
		return p
	}
}

// redeemByPasscode redeems, in a fresh browser, the newest invitation in
// the dev mailbox with an email passcode, accepts and enrols an
// authenticator: the browser and the page it lands on.
func redeemByPasscode(t *testing.T, s *devServer) (*webclient.Client, *webclient.Page) {
	t.Helper()
	ctx := t.Context()
	br := webclient.New(webclient.Config{StopAt: []string{bootstrap.DevRedirectURI}})
	link := regexp.MustCompile(`http://\S+/t/woodgrove/redeem\?token=[\w-]+`).FindString(devMail(t, br, s.base, "invited"))
	require.NotEmpty(t, link)
	page := mustStep(t)(br.Get(ctx, link))
	page = mustStep(t)(br.Press(ctx, page, "token", "passcode", nil))
	code := passcodeDigits.FindString(devMail(t, br, s.base, "verification code"))
	page = mustStep(t)(br.Press(ctx, page, "code", "verify", map[string]string{"code": code}))
	page = mustStep(t)(br.Press(ctx, page, "csrf_token", "accept", nil))
	page, _ = enrolAuthenticator(t, br, page)
	return br, page
}

// TestREADMEGuestWalkthrough follows the README's walkthrough word for
// word: serve --dev, one invite command, the invitation and the passcode
// read at /dev/mail, the guest redeemed and listed as Accepted.
func TestREADMEGuestWalkthrough(t *testing.T) {
	t.Parallel()
	s := startDevServer(t)
	s.cli.mustRun(t, quickStartCommand(t, s.base, "gsamoogle@gmail.com")...)

	br, page := redeemByPasscode(t, s)

	// The guest lands on inviteRedirectUrl signed in: the demo signs in
	// silently with the session redeeming started; no Sign in, no consent.
	requireSignedInAtDemo(t, page, "gsamoogle@gmail.com")
	require.Contains(t, page.Text(), `"mfa"`, "the demo shows the second factor in amr")
	requireNoUPNOnPages(t, br, s.base, "gsamoogle@gmail.com")

	users := s.cli.mustRun(t, "users", "list", "--tenant", "woodgrove")
	require.Regexp(t, `gsamoogle_gmail\.com#EXT#@woodgrove\.\S+\s.*Guest.*Accepted`, users)
	// The quick start's last step: the audit trail shows the redemption.
	trail := s.cli.mustRun(t, quickStartCommand(t, s.base, "audit list")...)
	require.Regexp(t, `Redeem external user invite.*gsamoogle`, trail)
	s.shutdown(t)
}

var mailboxRow = regexp.MustCompile(`<a href="(/dev/mail/[^"]+)">([^<]*)</a>`)

// devMail answers the text of the newest message at /dev/mail whose
// subject contains subject, as a developer reads it there.
func devMail(t *testing.T, br *webclient.Client, base, subject string) string {
	t.Helper()
	list := mustStep(t)(br.Get(t.Context(), base+"/dev/mail"))
	for _, m := range mailboxRow.FindAllStringSubmatch(string(list.Body), -1) {
		if strings.Contains(m[2], subject) {
			return mustStep(t)(br.Get(t.Context(), base+m[1])).Text()
		}
	}
	t.Fatalf("no mail about %q at /dev/mail", subject)
	return ""
}

// TestREADMEPartnerWalkthrough follows the README's cross-tenant
// walkthrough: sam@fabrikam.test, invited to woodgrove, redeems by signing
// in at fabrikam, which verified fabrikam.test in the dev seed.
func TestREADMEPartnerWalkthrough(t *testing.T) {
	t.Parallel()
	s := startDevServer(t)
	ctx := t.Context()
	s.cli.mustRun(t, quickStartCommand(t, s.base, "sam@fabrikam.test")...)

	br := webclient.New(webclient.Config{StopAt: []string{bootstrap.DevRedirectURI}})
	link := regexp.MustCompile(`http://\S+/t/woodgrove/redeem\?token=[\w-]+`).FindString(devMail(t, br, s.base, "invited"))
	require.NotEmpty(t, link)
	page := mustStep(t)(br.Get(ctx, link))
	f, err := page.FormWith("token")
	require.NoError(t, err)
	var partner *webclient.Button
	for _, b := range f.Buttons {
		if b.Text == "Sign in with your Fabrikam account" {
			partner = b
		}
	}
	require.NotNil(t, partner, page.Summary())
	page = mustStep(t)(br.Submit(ctx, f, partner))
	page = mustStep(t)(br.Continue(ctx, page, webclient.Credentials{Username: "sam@fabrikam.test", Password: "foyer-dev"}))
	page, _ = enrolAuthenticator(t, br, page)
	requireSignedInAtDemo(t, page, "sam@fabrikam.test")
	requireNoUPNOnPages(t, br, s.base, "Sam (sam@fabrikam.test)")

	users := s.cli.mustRun(t, "users", "list", "--tenant", "woodgrove")
	require.Regexp(t, `sam_fabrikam\.test#EXT#@woodgrove\.\S+\s.*Guest.*Accepted`, users)
	guest := s.cli.mustRun(t, "-o", "json", "users", "show", "--tenant", "woodgrove", "sam_fabrikam.test#EXT#@woodgrove.127.0.0.1")
	require.Contains(t, guest, `"issuer": "`+s.base+`/t/fabrikam"`, "linked to fabrikam")
	s.shutdown(t)
}

var shownKey = regexp.MustCompile(`id="secret">([A-Z2-7]+)<`)

// enrolAuthenticator reads the key the enrolment page shows, types its
// current code as an authenticator app would, and presses Continue under
// the recovery codes. It answers the page after and the key.
func enrolAuthenticator(t *testing.T, br *webclient.Client, page *webclient.Page) (*webclient.Page, string) {
	t.Helper()
	require.Contains(t, page.Text(), "Set up your authenticator app", page.Summary())
	m := shownKey.FindSubmatch(page.Body)
	require.NotNil(t, m)
	key := string(m[1])
	page = mustStep(t)(br.Press(t.Context(), page, "code", "enrol", map[string]string{"code": mfatest.Code(t, key, time.Now())}))
	require.Contains(t, page.Text(), "Save your recovery codes", page.Summary())
	return mustStep(t)(br.Submit(t.Context(), page.Forms[0], nil)), key
}

// requireSignedInAtDemo checks that a redeemed guest landed on the demo,
// the invitation's inviteRedirectUrl, showing their claims at once.
func requireSignedInAtDemo(t *testing.T, page *webclient.Page, email string) {
	t.Helper()
	require.False(t, page.Stopped(), page.Summary())
	require.Equal(t, "/demo", page.URL.Path, "lands on inviteRedirectUrl: %s", page.Summary())
	require.Equal(t, http.StatusOK, page.Status)
	require.Contains(t, page.Text(), "Signed in to", "no Sign in click: %s", page.Summary())
	require.Contains(t, page.Text(), "as "+email)
	require.NotContains(t, page.Text(), "Development mode", "the dev hint is for signed-out visitors")
}

// requireNoUPNOnPages opens the pages that name the signed-in guest
// (security info, another app's consent) and checks they say who the
// guest is as people know them, never the #EXT# user principal name.
func requireNoUPNOnPages(t *testing.T, br *webclient.Client, base, who string) {
	t.Helper()
	ctx := t.Context()
	page := mustStep(t)(br.Get(ctx, base+"/t/woodgrove/security-info"))
	require.Equal(t, http.StatusOK, page.Status, page.Summary())
	require.Contains(t, page.Text(), "Signed in as "+who+".")
	require.NotContains(t, string(page.Body), "#EXT#")

	q := url.Values{"client_id": {bootstrap.DevClientID}, "response_type": {"code"}, "redirect_uri": {bootstrap.DevRedirectURI},
		"scope": {"openid profile email"}, "state": {"state-123456"}, "nonce": {"nonce-123456"}}
	page = mustStep(t)(br.Get(ctx, base+"/t/woodgrove/authorize?"+q.Encode()))
	require.Contains(t, page.Text(), "Review permissions", page.Summary())
	require.Contains(t, page.Text(), "Signed in as "+who+".")
	require.NotContains(t, string(page.Body), "#EXT#")
}
