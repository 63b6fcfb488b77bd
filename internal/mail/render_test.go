package mail

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func invitation() InvitationData {
	return InvitationData{
		Language: "en-US",
		To:       []string{"bo@fabrikam.example"},
		Brand: Branding{
			Name:        "Woodgrove Bank",
			LogoURL:     "https://woodgrove.example/logo.png",
			AccentColor: "#0055aa",
			SenderName:  "Woodgrove IT",
		},
		Inviter:   "Alex Wilber",
		Message:   "Welcome to the project!",
		RedeemURL: "https://id.example/t/woodgrove/redeem?token=redeem-0S6WzA2Mj",
		BlockURL:  "https://id.example/t/woodgrove/block?token=block-8dKq",
	}
}

func TestRenderInvitation(t *testing.T) {
	t.Parallel()
	m, err := Render(invitation())
	require.NoError(t, err)
	require.Equal(t, []string{"bo@fabrikam.example"}, m.To)
	require.Equal(t, "Alex Wilber invited you to Woodgrove Bank", m.Subject)
	require.Equal(t, "Woodgrove IT", m.FromName)

	for name, part := range map[string]string{"text": m.Text, "html": m.HTML} {
		require.Contains(t, part, "Woodgrove Bank", name)
		require.Contains(t, part, "Alex Wilber", name)
		require.Contains(t, part, "Welcome to the project!", name)
		require.Contains(t, part, "Be careful:", name+": phishing caution")
		require.Contains(t, part, "Block future invitations from this organisation", name)
	}
	require.Contains(t, m.Text, "https://id.example/t/woodgrove/redeem?token=redeem-0S6WzA2Mj")
	require.Contains(t, m.Text, "https://id.example/t/woodgrove/block?token=block-8dKq")
	require.Contains(t, m.HTML, `href="https://id.example/t/woodgrove/redeem?token=redeem-0S6WzA2Mj"`)
	require.Contains(t, m.HTML, `href="https://id.example/t/woodgrove/block?token=block-8dKq"`)
	require.Contains(t, m.HTML, `<img src="https://woodgrove.example/logo.png"`)
	require.Contains(t, m.HTML, "#0055aa", "accent colour")
	require.NotContains(t, m.HTML, "ZgotmplZ", "nothing the escaper refused")
	require.Contains(t, m.HTML, `<html lang="en-US">`)
}

// TestRenderEscapesTheCustomMessage: an inviter's message is text, never
// markup, whatever it holds.
func TestRenderEscapesTheCustomMessage(t *testing.T) {
	t.Parallel()
	d := invitation()
	d.Message = `<script>alert("x")</script> Please <a href="https://evil.example/login">sign in here</a>`
	d.Inviter = `Mallory <b>Admin</b>`
	m, err := Render(d)
	require.NoError(t, err)
	require.NotContains(t, m.HTML, "<script")
	require.NotContains(t, m.HTML, `<a href="https://evil.example`)
	require.NotContains(t, m.HTML, "<b>Admin")
	require.Contains(t, m.HTML, "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;")
	require.Contains(t, m.HTML, "&lt;a href=&#34;https://evil.example/login&#34;&gt;sign in here&lt;/a&gt;")
	require.Contains(t, m.Text, d.Message, "the text part shows it as it was written")
}

func TestRenderLanguageFallsBackToEnUS(t *testing.T) {
	t.Parallel()
	for _, lang := range []string{"", "xx-YY", "en-GB", "en", "EN_us", "de-DE"} {
		t.Run(lang, func(t *testing.T) {
			d := invitation()
			d.Language = lang
			m, err := Render(d)
			require.NoError(t, err)
			require.Contains(t, m.HTML, `<html lang="en-US">`)
			require.Equal(t, "Alex Wilber invited you to Woodgrove Bank", m.Subject)
		})
	}
}

func TestRenderSanitisesBranding(t *testing.T) {
	t.Parallel()
	d := invitation()
	d.Brand.AccentColor = "red;background:url(https://evil.example/x)"
	d.Brand.LogoURL = "javascript:alert(1)"
	d.Brand.SenderName = ""
	d.Inviter = "Alex\r\nBcc: victim@example.com"
	m, err := Render(d)
	require.NoError(t, err)
	require.NotContains(t, m.HTML, "evil.example")
	require.NotContains(t, m.HTML, "javascript:")
	require.NotContains(t, m.HTML, "<img")
	require.Contains(t, m.HTML, defaultAccent)
	require.Equal(t, "Woodgrove Bank", m.FromName, "the organisation's name without a sender name")
	require.NotContains(t, m.Subject, "\n")
	require.NotContains(t, m.Subject, "\r")
}

func TestRenderRejectsIncompleteData(t *testing.T) {
	t.Parallel()
	d := invitation()
	d.To = nil
	d.RedeemURL = "javascript:alert(1)"
	d.BlockURL = ""
	_, err := Render(d)
	require.Error(t, err)
	for _, want := range []string{"no recipient", "redeem URL", "block URL"} {
		require.True(t, strings.Contains(err.Error(), want), "%q in %v", want, err)
	}
}

func TestEveryLanguageHasEveryKind(t *testing.T) {
	t.Parallel()
	all, err := catalogue()
	require.NoError(t, err)
	require.Contains(t, all, "invitation")
	for kind, langs := range all {
		require.Contains(t, langs, DefaultLanguage, kind)
	}
}

func TestRenderPasscode(t *testing.T) {
	t.Parallel()
	d := PasscodeData{Language: "en-GB", To: "bo@fabrikam.example", Code: "48151623", Lifetime: 10 * time.Minute,
		Brand: Branding{Name: "Woodgrove\r\nBcc: x@evil.example", AccentColor: "#0055aa"}}
	m, err := RenderPasscode(d)
	require.NoError(t, err)
	require.Equal(t, []string{"bo@fabrikam.example"}, m.To)
	require.Equal(t, "Your Woodgrove Bcc: x@evil.example account verification code", m.Subject, "no header injection")
	for name, part := range map[string]string{"text": m.Text, "html": m.HTML} {
		require.Contains(t, part, "48151623", name)
		require.Contains(t, part, "10 minutes", name)
		require.Contains(t, part, "Never share this code", name)
	}

	for _, bad := range []PasscodeData{
		{To: "", Code: "1", Lifetime: time.Minute, Brand: Branding{Name: "W"}},
		{To: "a@b.example", Code: "", Lifetime: time.Minute, Brand: Branding{Name: "W"}},
		{To: "a@b.example", Code: "1", Lifetime: time.Second, Brand: Branding{Name: "W"}},
	} {
		_, err := RenderPasscode(bad)
		require.Error(t, err)
	}
}

func TestRenderSecurityInfo(t *testing.T) {
	t.Parallel()
	d := SecurityInfoData{Language: "en-GB", To: "bo@fabrikam.example",
		Change: "An authenticator app was registered.\r\nBcc: x@evil.example <b>now</b>",
		Brand:  Branding{Name: "Woodgrove\r\nBcc: x@evil.example", AccentColor: "#0055aa", SenderName: "Woodgrove IT"}}
	m, err := RenderSecurityInfo(d)
	require.NoError(t, err)
	require.Equal(t, []string{"bo@fabrikam.example"}, m.To)
	require.Equal(t, "Your Woodgrove Bcc: x@evil.example security info changed", m.Subject, "no header injection")
	require.Equal(t, "Woodgrove IT", m.FromName)
	require.Contains(t, m.Text, "An authenticator app was registered. Bcc: x@evil.example <b>now</b>")
	require.Contains(t, m.HTML, "An authenticator app was registered. Bcc: x@evil.example &lt;b&gt;now&lt;/b&gt;",
		"the change is text, never markup")
	for name, part := range map[string]string{"text": m.Text, "html": m.HTML} {
		require.Contains(t, part, "If this was you, there is nothing to do.", name)
		require.Contains(t, part, "administrator now", name)
	}
	require.Contains(t, m.HTML, `<html lang="en-US">`)

	for _, bad := range []SecurityInfoData{
		{To: "", Change: "c", Brand: Branding{Name: "W"}},
		{To: "a@b.example", Change: " \r\n", Brand: Branding{Name: "W"}},
		{To: "a@b.example", Change: "c", Brand: Branding{Name: " "}},
	} {
		_, err := RenderSecurityInfo(bad)
		require.Error(t, err)
	}
}

// TestInvitationFromTheOrganisation: when the organisation itself invites
// (an operator, an app), the email does not name it twice.
func TestInvitationFromTheOrganisation(t *testing.T) {
	t.Parallel()
	d := invitation()
	d.Inviter = d.Brand.Name
	m, err := Render(d)
	require.NoError(t, err)
	require.Equal(t, "You're invited to Woodgrove Bank", m.Subject)
	require.Contains(t, m.Text, "You are invited to access apps and resources of Woodgrove Bank.")
	require.NotContains(t, m.Text, "Woodgrove Bank invited you")
	// The caution names the organisation once, in both parts.
	require.Contains(t, m.Text, "accept only if you know Woodgrove Bank and")
	require.Contains(t, m.HTML, "accept only if you know Woodgrove Bank and")
	require.NotContains(t, m.Text+m.HTML, "Woodgrove Bank or Woodgrove Bank")

	// A person inviting is named beside the organisation.
	d.Inviter = "Alex Wilber"
	m, err = Render(d)
	require.NoError(t, err)
	require.Contains(t, strings.Join(strings.Fields(m.Text), " "), "accept only if you know Alex Wilber or Woodgrove Bank and")
	require.Contains(t, m.HTML, "accept only if you know Alex Wilber or Woodgrove Bank and")
}
