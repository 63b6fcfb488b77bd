package directory

import (
	"errors"
	"net/url"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// FuzzCheckRedirectURI registers any string as a redirect URI of a web
// and of a native app: it is refused with an invalid-field error naming
// redirectUris, or it is an absolute URI of valid text, without spaces,
// control characters, wildcards, credentials or fragment, with a query
// that reads as parameters, over https,
// http to a loopback host, or (native apps) a private-use scheme.
func FuzzCheckRedirectURI(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string) {
		for _, clientType := range []string{"confidential", "public", "native"} {
			fe := checkRedirectURI("redirectUris", s, clientType)
			if fe != nil {
				if fe.Field != "redirectUris" || !errors.Is(fe.Err, ErrInvalid) || fe.Message == "" {
					t.Fatalf("%q (%s): refusal %+v is not an invalid redirectUris", s, clientType, fe)
				}
				continue
			}
			if len(s) > 2048 || !utf8.ValidString(s) || strings.ContainsAny(s, "*#") ||
				strings.ContainsFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) {
				t.Fatalf("%q (%s) accepted", s, clientType)
			}
			u, err := url.Parse(s)
			if _, qerr := url.ParseQuery(u.RawQuery); err != nil || qerr != nil || !u.IsAbs() || u.User != nil || u.Fragment != "" {
				t.Fatalf("%q (%s) accepted: %v", s, clientType, err)
			}
			switch {
			case u.Scheme == "https" && u.Host != "":
			case u.Scheme == "http" && isLoopback(u.Hostname()):
			case clientType == "native" && strings.Contains(u.Scheme, ".") && u.Scheme != "http" && u.Scheme != "https":
			default:
				t.Fatalf("%q (%s) accepted with scheme %q host %q", s, clientType, u.Scheme, u.Host)
			}
		}
	})
}
