package config

import (
	netmail "net/mail"
	"slices"
	"strings"
	"testing"
	"unicode"
)

// FuzzParseSMTPURL: any mail.smtpURL is refused without quoting it or its
// password, or read into a known scheme, a DNS name or IP address, a port
// in range, credentials free of control characters and a From address
// that reads back as itself; the settings check agrees with the parser.
func FuzzParseSMTPURL(f *testing.F) {
	f.Fuzz(func(t *testing.T, raw string) {
		p, password, err := ParseSMTPURL(raw)

		c := Default()
		c.fillDerived()
		c.Mail = Mail{SMTPURL: Secret(raw), From: "no-reply@example.com"}
		var v validation
		c.checkMail(&v)
		if raw != "" && (err != nil) != slices.ContainsFunc(v.errs, func(e error) bool { return strings.Contains(e.Error(), "mail.smtpURL") }) {
			t.Fatalf("%q: parser says %v, settings check says %v", raw, err, v.errs)
		}
		if err != nil {
			msg := err.Error()
			if len(raw) >= 8 && strings.Contains(msg, raw) {
				t.Fatalf("%q: error %q quotes the URL", raw, msg)
			}
			if _, pw, ok := strings.Cut(raw, ":"); ok && len(raw) > 0 {
				// Any password the URL may carry stays out of the message;
				// only the scheme (before "://") is ever quoted.
				if at := strings.LastIndex(pw, "@"); at > 0 {
					if _, secret, ok := strings.Cut(pw[:at], ":"); ok && len(secret) >= 4 && strings.Contains(msg, secret) &&
						!strings.Contains(strings.SplitN(raw, ":", 2)[0], secret) {
						t.Fatalf("%q: error %q shows the password", raw, msg)
					}
				}
			}
			return
		}
		if !slices.Contains([]string{SMTPSchemeSTARTTLS, SMTPSchemeTLS, SMTPSchemeInsecure}, p.Scheme) {
			t.Fatalf("%q: scheme %q accepted", raw, p.Scheme)
		}
		if !validHost(p.Host) || strings.ContainsFunc(p.Host, func(r rune) bool { return r > unicode.MaxASCII || unicode.IsControl(r) || r == ' ' }) {
			t.Fatalf("%q: host %q accepted", raw, p.Host)
		}
		if p.Port < 1 || p.Port > 65535 {
			t.Fatalf("%q: port %d accepted", raw, p.Port)
		}
		if strings.ContainsFunc(p.User+password, unicode.IsControl) {
			t.Fatalf("%q: credentials with a control character accepted", raw)
		}
		if p.From != "" {
			addr, err := netmail.ParseAddress(p.From)
			if err != nil || addr.Address != p.From {
				t.Fatalf("%q: From %q does not read back as itself (%v)", raw, p.From, err)
			}
		}
	})
}
