package mail_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/internal/mail"
	"github.com/foyer-idp/foyer/internal/mail/mailtest"
)

func TestParseSMTPURL(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		url      string
		want     mail.ParsedSMTPURL
		password string
		wantErr  string
	}{
		{url: "smtp://user:pa%40ss@smtp.example.com?from=no-reply@example.com",
			want: mail.ParsedSMTPURL{Scheme: "smtp", Host: "smtp.example.com", Port: 587, User: "user", From: "no-reply@example.com"}, password: "pa@ss"},
		{url: "smtps://smtp.example.com", want: mail.ParsedSMTPURL{Scheme: "smtps", Host: "smtp.example.com", Port: 465}},
		{url: "smtp+insecure://127.0.0.1:2525", want: mail.ParsedSMTPURL{Scheme: "smtp+insecure", Host: "127.0.0.1", Port: 2525}},
		{url: "http://smtp.example.com", wantErr: "scheme"},
		{url: "smtp://:25", wantErr: "no host"},
		{url: "smtp://smtp.example.com:0", wantErr: "port"},
		{url: "smtp://smtp.example.com?from=nope", wantErr: "from"},
	} {
		t.Run(tt.url, func(t *testing.T) {
			got, password, err := mail.ParseSMTPURL(tt.url)
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				require.NotContains(t, err.Error(), "smtp.example.com", "errors never quote the URL")
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
			require.Equal(t, tt.password, password)
		})
	}
	_, err := mail.NewSMTPSender(mail.SMTPConfig{URL: "smtp://smtp.example.com"})
	require.ErrorContains(t, err, "no From address")
}

// TestSMTPRequiresSTARTTLS: smtp:// never falls back to plaintext when the
// server offers no STARTTLS.
func TestSMTPRequiresSTARTTLS(t *testing.T) {
	t.Parallel()
	addr := mailtest.FreeAddr(t)
	srv := mailtest.StartSMTP(t, addr, nil) // no TLS configured: no STARTTLS offered
	s, err := mail.NewSMTPSender(mail.SMTPConfig{URL: "smtp://" + addr + "?from=no-reply@id.example", Timeout: 5 * time.Second})
	require.NoError(t, err)
	require.Error(t, s.Send(t.Context(), renderInvitation(t, "bo@fabrikam.example")))
	require.Empty(t, srv.Messages(), "nothing sent in the clear")
}

// TestSMTPSTARTTLS delivers over STARTTLS to a server with its own CA.
func TestSMTPSTARTTLS(t *testing.T) {
	t.Parallel()
	cert, pool := selfSigned(t)
	addr := mailtest.FreeAddr(t)
	srv := mailtest.StartSMTP(t, addr, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
	s, err := mail.NewSMTPSender(mail.SMTPConfig{
		URL:       "smtp://" + addr + "?from=no-reply@id.example",
		TLSConfig: &tls.Config{RootCAs: pool, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12},
		Timeout:   5 * time.Second,
	})
	require.NoError(t, err)
	msg := renderInvitation(t, "bo@fabrikam.example")
	require.NoError(t, s.Send(t.Context(), msg))
	got := srv.Messages()
	require.Len(t, got, 1)
	requireMultipart(t, got[0], msg)
}

func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA:         true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	leaf, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}
