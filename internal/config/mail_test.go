package config

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

func TestValidateMail(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name, url, from string
		production      bool
		wantErr         string
	}{
		{name: "none", url: ""},
		{name: "starttls with from", url: "smtp://user:pw@smtp.example.com:587?from=no-reply@example.com"},
		{name: "tls, from setting", url: "smtps://smtp.example.com", from: "no-reply@example.com"},
		{name: "insecure loopback in production", url: "smtp+insecure://127.0.0.1:25?from=a@example.com", production: true},
		{name: "insecure remote in development", url: "smtp+insecure://mailpit:1025?from=a@example.com"},
		{name: "insecure remote in production", url: "smtp+insecure://relay.example.com:25?from=a@example.com", production: true,
			wantErr: "mail.smtpURL (FOYER_SMTP_URL): smtp+insecure"},
		{name: "scheme", url: "http://smtp.example.com?from=a@example.com", wantErr: `mail.smtpURL (FOYER_SMTP_URL): scheme "http"`},
		{name: "no host", url: "smtp://:587?from=a@example.com", wantErr: "mail.smtpURL (FOYER_SMTP_URL): has no host"},
		{name: "bad port", url: "smtp://smtp.example.com:99999?from=a@example.com", wantErr: "mail.smtpURL (FOYER_SMTP_URL): has no valid port"},
		{name: "no from", url: "smtp://smtp.example.com", wantErr: "mail.from (FOYER_MAIL_FROM): must be set"},
		// AUTH PLAIN joins user and password with NUL: none may hide in them.
		{name: "NUL in password", url: "smtp://user:p%00w@smtp.example.com?from=a@example.com", wantErr: "mail.smtpURL (FOYER_SMTP_URL): user name or password holds a control character"},
		{name: "CRLF in user", url: "smtp://us%0D%0Aer:pw@smtp.example.com?from=a@example.com", wantErr: "mail.smtpURL (FOYER_SMTP_URL): user name or password"},
		{name: "host not a DNS name", url: "smtp://smtp..example.com?from=a@example.com", wantErr: "mail.smtpURL (FOYER_SMTP_URL): host is not a DNS name"},
		{name: "host not ASCII", url: "smtp://%C3%BCber.example?from=a@example.com", wantErr: "mail.smtpURL (FOYER_SMTP_URL): host is not a DNS name"},
		{name: "bad from", url: "smtp://smtp.example.com", from: "not an address", wantErr: "mail.from (FOYER_MAIL_FROM)"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := Default()
			c.fillDerived()
			c.Mail = Mail{SMTPURL: Secret(tt.url), From: tt.from}
			var v validation
			if tt.production {
				c.Env = EnvProduction
			}
			c.checkMail(&v)
			if tt.wantErr == "" {
				require.Empty(t, v.errs)
				return
			}
			require.NotEmpty(t, v.errs)
			require.ErrorContains(t, v.errs[0], tt.wantErr)
			for _, err := range v.errs {
				require.NotContains(t, err.Error(), "pw@", "never the URL")
			}
		})
	}
}

func TestSMTPURLNeverShows(t *testing.T) {
	t.Parallel()
	const url = "smtp://mailer:hunter2-Pa55@smtp.example.com:587?from=no-reply@example.com"
	c, err := Load(Sources{LookupEnv: envOf(map[string]string{"FOYER_SMTP_URL": url})})
	require.NoError(t, err)
	require.Equal(t, url, c.Mail.SMTPURL.Reveal())
	require.True(t, c.HasSMTP())
	c2, err := Load(Sources{Flags: map[string]string{"smtp-url": url}})
	require.NoError(t, err)
	require.Equal(t, url, c2.Mail.SMTPURL.Reveal(), "--smtp-url")

	asJSON, err := json.Marshal(c)
	require.NoError(t, err)
	asYAML, err := yaml.Marshal(c)
	require.NoError(t, err)
	for _, shown := range []string{fmt.Sprint(c), fmt.Sprintf("%+v", c), fmt.Sprintf("%#v", c), string(asJSON), string(asYAML)} {
		require.NotContains(t, shown, "hunter2")
	}
	bad := c
	bad.Mail.SMTPURL = "smtp://mailer:hunter2-Pa55@:99999"
	err = bad.Validate()
	require.Error(t, err)
	require.NotContains(t, err.Error(), "hunter2")
}
