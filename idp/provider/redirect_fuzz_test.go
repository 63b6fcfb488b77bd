package provider

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/foyer-idp/foyer/internal/store"
)

// portFree splits an http loopback URI into what must match exactly:
// the host and everything after the port. Written apart from the code
// under test, as a second opinion.
var portFree = regexp.MustCompile(`^http://(localhost|127\.[0-9.]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]*)?([/?][^#@]*)?$`)

// FuzzRedirectMatch asks whether a candidate redirect URI matches one
// registered URI, for a web and a native app. A URI always matches
// itself; any other never does, except (native apps only, RFC 8252 §7.3)
// a loopback http URI equal to the registered one in every byte but the
// port. Each one-byte change of the registered URI is tried too.
func FuzzRedirectMatch(f *testing.F) {
	f.Fuzz(func(t *testing.T, registered, candidate string) {
		for _, clientType := range []string{store.ClientConfidential, store.ClientNative} {
			app := store.Application{ClientType: clientType, RedirectURIs: []string{registered}}
			if !redirectRegistered(app, registered) {
				t.Fatalf("%s: %q does not match itself", clientType, registered)
			}
			check := func(c string) {
				if c == registered || !redirectRegistered(app, c) {
					return
				}
				want, got := portFree.FindStringSubmatch(registered), portFree.FindStringSubmatch(c)
				if clientType != store.ClientNative || want == nil || got == nil || want[1] != got[1] || want[2] != got[2] {
					t.Fatalf("%s: %q matched registered %q", clientType, c, registered)
				}
			}
			check(candidate)
			for i := 0; i < len(registered) && i < 256; i++ {
				for _, b := range []byte{registered[i] ^ 0x20, registered[i] ^ 0x01, '?', '/', '#', 0} {
					mutated := []byte(registered)
					mutated[i] = b
					check(string(mutated))
				}
				check(registered[:i] + registered[i+1:])
			}
			check(registered + "?")
			check(registered + "/")
			check(registered + "#")
			check(registered + " ")
		}
	})
}

// FuzzRedirectResponse sends an authorization response to a redirect URI
// that parses as an absolute http(s) URI: the Location goes to the same
// scheme, host and path, keeps the URI's own query parameters, and
// carries code, state and iss exactly once.
func FuzzRedirectResponse(f *testing.F) {
	p := &Provider{tokens: &tokens{external: "https://foyer.example"}}
	tn := store.Tenant{Slug: "woodgrove"}
	f.Fuzz(func(t *testing.T, redirectURI, state string) {
		u, err := url.Parse(redirectURI)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || strings.Contains(redirectURI, "#") {
			return
		}
		own, err := url.ParseQuery(u.RawQuery)
		if err != nil {
			return // refused at registration (see directory.checkRedirectURI)
		}
		if state == "" {
			state = "s"
		}
		rec := httptest.NewRecorder()
		p.redirect(rec, httptest.NewRequest(http.MethodGet, "/", nil), tn, redirectURI, url.Values{"code": {"c0de"}}, state)
		if rec.Code != http.StatusFound {
			t.Fatalf("%q: status %d", redirectURI, rec.Code)
		}
		loc, err := url.Parse(rec.Header().Get("Location"))
		if err != nil {
			t.Fatalf("%q: Location %q does not parse: %v", redirectURI, rec.Header().Get("Location"), err)
		}
		if loc.Scheme != u.Scheme || loc.Host != u.Host || loc.EscapedPath() != u.EscapedPath() || loc.User != nil || loc.Fragment != "" {
			t.Fatalf("%q: Location %q goes elsewhere", redirectURI, loc)
		}
		q := loc.Query()
		for k, want := range map[string]string{"code": "c0de", "state": state, "iss": "https://foyer.example/t/woodgrove"} {
			if got := q[k]; len(got) != 1 || got[0] != want {
				t.Fatalf("%q: Location %q carries %s=%q", redirectURI, loc, k, got)
			}
		}
		for k, vs := range own {
			if k == "code" || k == "state" || k == "iss" {
				continue
			}
			if got := q[k]; strings.Join(got, "\x00") != strings.Join(vs, "\x00") {
				t.Fatalf("%q: Location %q lost %s=%q", redirectURI, loc, k, vs)
			}
		}
	})
}
