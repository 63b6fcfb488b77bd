package mail_test

import (
	"crypto/tls"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/internal/mail"
	"github.com/foyer-idp/foyer/internal/mail/mailtest"
)

func TestProbe(t *testing.T) {
	cert, pool := selfSigned(t)
	plain := mailtest.FreeAddr(t)
	plainSrv := mailtest.StartSMTP(t, plain, nil)
	secure := mailtest.FreeAddr(t)
	mailtest.StartSMTP(t, secure, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
	closed := mailtest.FreeAddr(t)
	trusting := &tls.Config{RootCAs: pool, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}

	for _, tc := range []struct {
		name, url string
		tls       *tls.Config
		wantErr   string
	}{
		{name: "plaintext relay", url: "smtp+insecure://" + plain},
		{name: "STARTTLS", url: "smtp://" + secure, tls: trusting},
		{name: "STARTTLS with an untrusted certificate", url: "smtp://" + secure, wantErr: "smtp " + secure},
		{name: "STARTTLS not offered", url: "smtp://" + plain, wantErr: "smtp " + plain},
		{name: "nobody listening", url: "smtp+insecure://" + closed, wantErr: "smtp " + closed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := mail.NewSMTPSender(mail.SMTPConfig{URL: tc.url + "?from=no-reply@id.example", TLSConfig: tc.tls, Timeout: 5 * time.Second})
			require.NoError(t, err)
			err = s.Probe(t.Context())
			if tc.wantErr == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, tc.wantErr)
		})
	}
	require.Empty(t, plainSrv.Messages(), "a probe sends nothing")
}
