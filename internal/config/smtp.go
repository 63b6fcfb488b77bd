package config

import (
	"errors"
	"fmt"
	"net"
	netmail "net/mail"
	"net/url"
	"strconv"
	"strings"
	"unicode"
)

// SMTP URL schemes.
const (
	// SMTPSchemeSTARTTLS is submission with STARTTLS required (port 587).
	SMTPSchemeSTARTTLS = "smtp"
	// SMTPSchemeTLS is implicit TLS (port 465).
	SMTPSchemeTLS = "smtps"
	// SMTPSchemeInsecure is plaintext SMTP, for a relay on loopback or in
	// development only (port 25).
	SMTPSchemeInsecure = "smtp+insecure"
)

// SMTPURL is what an SMTP URL names, without the password.
type SMTPURL struct {
	Scheme string
	Host   string
	Port   int
	User   string
	From   string
}

// ParseSMTPURL checks an SMTP URL (smtp://user:pass@host:587?from=a@b):
// the one parser that both the settings check and the mail sender use.
// Its errors never quote the URL, which may carry a password.
func ParseSMTPURL(raw string) (SMTPURL, string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return SMTPURL{}, "", errors.New("is not a valid URL")
	}
	p := SMTPURL{Scheme: u.Scheme, Host: u.Hostname()}
	switch u.Scheme {
	case SMTPSchemeSTARTTLS:
		p.Port = 587
	case SMTPSchemeTLS:
		p.Port = 465
	case SMTPSchemeInsecure:
		p.Port = 25
	default:
		return SMTPURL{}, "", fmt.Errorf("scheme %q is not smtp (STARTTLS), smtps (TLS) or smtp+insecure", u.Scheme)
	}
	if p.Host == "" {
		return SMTPURL{}, "", errors.New("has no host")
	}
	if !validHost(p.Host) {
		return SMTPURL{}, "", errors.New("host is not a DNS name or IP address (write international names in punycode)")
	}
	if port := u.Port(); port != "" {
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 {
			return SMTPURL{}, "", errors.New("has no valid port number")
		}
		p.Port = n
	}
	var password string
	if u.User != nil {
		p.User = u.User.Username()
		password, _ = u.User.Password()
		// AUTH PLAIN separates its parts with NUL; a control character
		// in a credential is a mistake or an injection.
		if strings.IndexFunc(p.User+password, unicode.IsControl) >= 0 {
			return SMTPURL{}, "", errors.New("user name or password holds a control character")
		}
	}
	if from := u.Query().Get("from"); from != "" {
		addr, err := netmail.ParseAddress(from)
		if err != nil {
			return SMTPURL{}, "", errors.New("from parameter is not an email address")
		}
		p.From = addr.Address
	}
	return p, password, nil
}

// validHost accepts an IP address or a DNS name of ASCII letters, digits,
// hyphens and underscores.
func validHost(h string) bool {
	if net.ParseIP(h) != nil {
		return true
	}
	if len(h) > 253 {
		return false
	}
	for label := range strings.SplitSeq(strings.TrimSuffix(h, "."), ".") {
		if label == "" || len(label) > 63 {
			return false
		}
		for _, c := range label {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return false
			}
		}
	}
	return true
}
