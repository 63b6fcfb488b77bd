package directory

import (
	"net"
	"net/mail"
	"net/url"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Slugs appear in issuer URLs (/t/{slug}), so they are DNS-label shaped
// and never change once made.
var slugPattern = regexp.MustCompile(`^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$`)

func checkSlug(field, s string) *FieldError {
	if len(s) < 2 || !slugPattern.MatchString(s) {
		return invalid(field, "must be 2–63 lower-case letters, digits or inner hyphens")
	}
	return nil
}

// checkName accepts a display name: present, at most max characters, no
// control characters (they would corrupt emails and logs).
func checkName(field, s string, max int) *FieldError {
	if strings.TrimSpace(s) == "" {
		return invalid(field, "is required")
	}
	return checkText(field, s, max)
}

// checkText accepts optional free text with the same limits.
func checkText(field, s string, max int) *FieldError {
	if !utf8.ValidString(s) || utf8.RuneCountInString(s) > max {
		return invalid(field, "must be valid text of at most %d characters", max)
	}
	if strings.IndexFunc(s, unicode.IsControl) >= 0 {
		return invalid(field, "must not contain control characters")
	}
	return nil
}

// normalizeEmail answers the lower-cased bare address, or a field error.
// Display-name forms ("Sam <sam@x>") are refused: the address is an
// identifier here, not a header.
func normalizeEmail(field, s string) (string, *FieldError) {
	addr, err := mail.ParseAddress(s)
	if err != nil || addr.Name != "" || addr.Address != strings.TrimSpace(s) {
		return "", invalid(field, "must be an email address like name@example.com")
	}
	local, domain, _ := strings.Cut(addr.Address, "@")
	if len(addr.Address) > 254 || len(local) > 64 || !strings.Contains(domain, ".") || strings.HasPrefix(domain, "[") {
		return "", invalid(field, "must be an email address like name@example.com")
	}
	return strings.ToLower(addr.Address), nil
}

var colorPattern = regexp.MustCompile(`^#[0-9a-fA-F]{6}$`)

func checkColor(field, s string) *FieldError {
	if s != "" && !colorPattern.MatchString(s) {
		return invalid(field, "must be a colour like #1f6feb")
	}
	return nil
}

// checkWebURL accepts an absolute https URL (http only for loopback hosts)
// without credentials or fragment: logos, home pages.
func checkWebURL(field, s string) *FieldError {
	if s == "" {
		return nil
	}
	u, fe := parseAbsolute(field, s)
	if fe != nil {
		return fe
	}
	if u.Scheme != "https" && !(u.Scheme == "http" && isLoopback(u.Hostname())) {
		return invalid(field, "must use https (http only for localhost)")
	}
	return nil
}

// checkRedirectURI applies the rules of OAuth 2.0 Security BCP and RFC
// 8252: an exact absolute URI, no fragment, no wildcard, no credentials;
// https, or http on a loopback host; native apps may also use a
// private-use scheme in reverse-domain form (com.example.app:/cb).
func checkRedirectURI(field, s, clientType string) *FieldError {
	if strings.ContainsAny(s, "*") {
		return invalid(field, "%q: wildcards are not allowed; register each URI exactly", s)
	}
	u, fe := parseAbsolute(field, s)
	if fe != nil {
		return fe
	}
	if _, err := url.ParseQuery(u.RawQuery); err != nil {
		// Foyer adds code, state and iss to the query it was given: one it
		// cannot read would lose its parameters on the way back.
		return invalid(field, "%q has a malformed query", s)
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && isLoopback(u.Hostname()):
	case clientType == "native" && strings.Contains(u.Scheme, "."):
	default:
		return invalid(field, "%q must use https (http only for localhost, 127.0.0.1 or [::1])", s)
	}
	return nil
}

func parseAbsolute(field, s string) (*url.URL, *FieldError) {
	if len(s) > 2048 || !utf8.ValidString(s) || strings.IndexFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0 {
		return nil, invalid(field, "%q is not a valid URL", s)
	}
	u, err := url.Parse(s)
	if err != nil || !u.IsAbs() {
		return nil, invalid(field, "%q must be an absolute URL", s)
	}
	if u.Fragment != "" || strings.Contains(s, "#") {
		return nil, invalid(field, "%q must not contain a fragment", s)
	}
	if u.User != nil {
		return nil, invalid(field, "%q must not contain credentials", s)
	}
	if (u.Scheme == "http" || u.Scheme == "https") && u.Host == "" {
		return nil, invalid(field, "%q has no host", s)
	}
	return u, nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Client ids travel in URLs and Basic auth headers: keep them to
// unreserved characters.
var clientIDPattern = regexp.MustCompile(`^[A-Za-z0-9._~-]{3,128}$`)

func checkClientID(field, s string) *FieldError {
	if !clientIDPattern.MatchString(s) {
		return invalid(field, "must be 3–128 letters, digits or . _ ~ -")
	}
	return nil
}

// Passwords: NIST SP 800-63B lengths; composition rules buy little.
// MinPasswordLength is exported for the pages that state the rule.
const (
	MinPasswordLength = 8
	maxPasswordLength = 256
)

// CheckPassword refuses a password SetPassword would refuse, naming
// field: for a caller that must know before it changes anything else.
func CheckPassword(field, password string) error {
	if fe := checkPassword(field, password); fe != nil {
		return fe
	}
	return nil
}

func checkPassword(field, s string) *FieldError {
	n := utf8.RuneCountInString(s)
	if n < MinPasswordLength {
		return invalid(field, "is too short: at least %d characters", MinPasswordLength)
	}
	if n > maxPasswordLength || !utf8.ValidString(s) {
		return invalid(field, "must be valid text of at most %d characters", maxPasswordLength)
	}
	return nil
}
