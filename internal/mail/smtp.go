package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	netmail "net/mail"
	"strconv"
	"time"

	gomail "github.com/wneessen/go-mail"

	"github.com/foyer-idp/foyer/internal/config"
)

// Sender delivers one message.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// SMTP URL schemes.
const (
	// SchemeSTARTTLS is submission with STARTTLS required (port 587).
	SchemeSTARTTLS = config.SMTPSchemeSTARTTLS
	// SchemeTLS is implicit TLS (port 465).
	SchemeTLS = config.SMTPSchemeTLS
	// SchemeInsecure is plaintext SMTP, for a relay on loopback or in
	// development only (port 25).
	SchemeInsecure = config.SMTPSchemeInsecure
)

// SMTPConfig says how to reach the SMTP server.
type SMTPConfig struct {
	// URL is smtp://user:pass@host:587 (STARTTLS required),
	// smtps://user:pass@host:465 (implicit TLS) or smtp+insecure://host:25
	// (plaintext). ?from=no-reply@example.com gives the From address.
	URL string
	// From overrides the URL's from parameter when set.
	From string
	// TLSConfig is for tests with their own CA; nil uses the system roots
	// and the URL's host as server name.
	TLSConfig *tls.Config
	// Timeout bounds one delivery; 30 s when zero.
	Timeout time.Duration
}

// SMTPSender delivers through one SMTP server, a new connection per
// message.
type SMTPSender struct {
	host     string
	port     int
	scheme   string
	user     string
	password string
	from     string
	tls      *tls.Config
	timeout  time.Duration
}

var _ Sender = (*SMTPSender)(nil)

// ParsedSMTPURL is what an SMTP URL names, without the password.
type ParsedSMTPURL = config.SMTPURL

// ParseSMTPURL checks an SMTP URL with the same parser the settings check
// uses. Its errors never quote the URL, which may carry a password.
func ParseSMTPURL(raw string) (ParsedSMTPURL, string, error) { return config.ParseSMTPURL(raw) }

// NewSMTPSender checks c and answers a sender.
func NewSMTPSender(c SMTPConfig) (*SMTPSender, error) {
	p, password, err := ParseSMTPURL(c.URL)
	if err != nil {
		return nil, fmt.Errorf("smtp url: %w", err)
	}
	from := p.From
	if c.From != "" {
		addr, err := netmail.ParseAddress(c.From)
		if err != nil {
			return nil, errors.New("smtp from: not an email address")
		}
		from = addr.Address
	}
	if from == "" {
		return nil, errors.New("smtp: no From address: set mail.from or ?from= in the URL")
	}
	s := &SMTPSender{host: p.Host, port: p.Port, scheme: p.Scheme, user: p.User, password: password,
		from: from, tls: c.TLSConfig, timeout: c.Timeout}
	if s.timeout <= 0 {
		s.timeout = 30 * time.Second
	}
	if s.tls == nil {
		s.tls = &tls.Config{ServerName: p.Host, MinVersion: tls.VersionTLS12}
	}
	return s, nil
}

// From answers the envelope and header sender address.
func (s *SMTPSender) From() string { return s.from }

// Send delivers m as multipart/alternative text and HTML.
func (s *SMTPSender) Send(ctx context.Context, m Message) error {
	msg, err := s.build(m)
	if err != nil {
		return err
	}
	client, err := s.client()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	if err := client.DialAndSendWithContext(ctx, msg); err != nil {
		return fmt.Errorf("smtp %s: %w", net.JoinHostPort(s.host, strconv.Itoa(s.port)), err)
	}
	return nil
}

// client answers a go-mail client for the server, with the URL's TLS
// policy and credentials; it does not connect yet.
func (s *SMTPSender) client() (*gomail.Client, error) {
	opts := []gomail.Option{gomail.WithPort(s.port), gomail.WithTimeout(s.timeout), gomail.WithTLSConfig(s.tls)}
	switch s.scheme {
	case SchemeTLS:
		opts = append(opts, gomail.WithSSL())
	case SchemeInsecure:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	default:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	}
	if s.user != "" {
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(s.user), gomail.WithPassword(s.password))
	}
	client, err := gomail.NewClient(s.host, opts...)
	if err != nil {
		return nil, fmt.Errorf("smtp client: %w", err)
	}
	return client, nil
}

func (s *SMTPSender) build(m Message) (*gomail.Msg, error) {
	msg := gomail.NewMsg()
	if err := msg.FromFormat(oneLine(m.FromName), s.from); err != nil {
		return nil, fmt.Errorf("from: %w", err)
	}
	if err := msg.To(m.To...); err != nil {
		return nil, fmt.Errorf("to: %w", err)
	}
	if len(m.Cc) > 0 {
		if err := msg.Cc(m.Cc...); err != nil {
			return nil, fmt.Errorf("cc: %w", err)
		}
	}
	msg.Subject(oneLine(m.Subject))
	msg.SetMessageID()
	msg.SetDate()
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	if m.HTML != "" {
		msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	}
	return msg, nil
}
