package provider

import (
	"regexp"
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
