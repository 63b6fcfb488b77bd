package mail

import (
	"context"
	"fmt"
	"net"
	"strconv"
)

// Probe connects to the SMTP server as a delivery would — greeting, EHLO,
// STARTTLS or TLS as the URL demands, and authentication when the URL has
// a user — and hangs up without sending anything. Its errors name the
// server, never the password.
func (s *SMTPSender) Probe(ctx context.Context) error {
	client, err := s.client()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	addr := net.JoinHostPort(s.host, strconv.Itoa(s.port))
	if err := client.DialWithContext(ctx); err != nil {
		return fmt.Errorf("smtp %s: %w", addr, err)
	}
	if err := client.Close(); err != nil {
		return fmt.Errorf("smtp %s: quit: %w", addr, err)
	}
	return nil
}
