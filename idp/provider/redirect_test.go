package provider

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/foyer-idp/foyer/internal/store"
)

func TestLoopbackWithoutPort(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		uri  string
		want string // "" when not a loopback redirect
	}{
		{"http://127.0.0.1:8080/cb", "http://127.0.0.1/cb"},
		{"http://127.0.0.1/cb", "http://127.0.0.1/cb"},
		{"http://[::1]:51000/cb?x=1", "http://[::1]/cb?x=1"},
		{"http://localhost:1", "http://localhost"},
		{"http://localhost:/cb", "http://localhost/cb"}, // an empty port is still only digits
		{"http://127.0.0.1:80a/cb", ""},
		{"http://127.0.0.1:-1/cb", ""},
		{"https://127.0.0.1:8080/cb", ""},
		{"HTTP://127.0.0.1:8080/cb", ""},
		{"http://10.0.0.1:8080/cb", ""},
		{"http://::1:8080/cb", ""}, // an IPv6 literal without brackets
		{"http://[127.0.0.1]:8080/cb", ""},
		{"http://127.0.0.1:8080/cb#frag", ""},
		{"http://user@127.0.0.1:8080/cb", ""},
		{"http://localhost.example:8080/cb", ""},
		{"http://127.0.0.1:8080/%zz", ""}, // not a URL
	} {
		got, ok := loopbackWithoutPort(tc.uri)
		assert.Equal(t, tc.want != "", ok, tc.uri)
		assert.Equal(t, tc.want, got, tc.uri)
	}
}

func TestPostLogoutRegistered(t *testing.T) {
	t.Parallel()
	native := store.Application{ClientType: store.ClientNative,
		RedirectURIs:           []string{"http://127.0.0.1/cb"},
		PostLogoutRedirectURIs: []string{"http://127.0.0.1/bye", "com.example.app:/bye"}}
	assert.True(t, postLogoutRegistered(native, "http://127.0.0.1/bye"))
	assert.True(t, postLogoutRegistered(native, "http://127.0.0.1:4711/bye"), "a native app's loopback port may vary")
	assert.True(t, postLogoutRegistered(native, "com.example.app:/bye"))
	assert.False(t, postLogoutRegistered(native, "http://127.0.0.1:4711/cb"), "a redirect URI is not a post-logout URI")
	web := native
	web.ClientType = store.ClientConfidential
	assert.False(t, postLogoutRegistered(web, "http://127.0.0.1:4711/bye"), "only native apps vary the port")
}
