package provider

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/foyer-idp/foyer/internal/store"
)

func TestRedirectRegistered(t *testing.T) {
	t.Parallel()
	web := store.Application{ClientType: store.ClientConfidential, RedirectURIs: []string{"https://app.example/cb", "http://127.0.0.1/cb"}}
	native := store.Application{ClientType: store.ClientNative, RedirectURIs: []string{
		"http://127.0.0.1/cb", "http://[::1]/cb", "http://localhost/cb?x=1", "com.example.app:/oauth",
	}}
	for _, tc := range []struct {
		app  store.Application
		uri  string
		want bool
	}{
		{web, "https://app.example/cb", true},
		{web, "https://app.example/cb/", false},
		{web, "https://APP.example/cb", false},
		{web, "https://app.example/cb?", false},
		{web, "https://app.example/%63b", false},
		{web, "http://127.0.0.1:8080/cb", false}, // loopback ports are for native apps only
		{native, "http://127.0.0.1/cb", true},
		{native, "http://127.0.0.1:65000/cb", true},
		{native, "http://[::1]:4000/cb", true},
		{native, "http://localhost:4000/cb?x=1", true},
		{native, "http://localhost:4000/cb", false},             // query differs
		{native, "http://localhost:4000/cb?x=1#f", false},       // fragment
		{native, "http://user@127.0.0.1:4000/cb", false},        // userinfo
		{native, "http://127.0.0.1:4000/CB", false},             // path differs
		{native, "http://127.1.1.1:4000/cb", false},             // another loopback host than registered
		{native, "https://127.0.0.1:4000/cb", false},            // scheme differs
		{native, "http://127.0.0.1.example.com:4000/cb", false}, // not loopback
		{native, "com.example.app:/oauth", true},
		{native, "com.example.app:/oauth2", false},
	} {
		assert.Equal(t, tc.want, redirectRegistered(tc.app, tc.uri), "%s %s", tc.app.ClientType, tc.uri)
	}
}

func TestCheckPKCE(t *testing.T) {
	t.Parallel()
	confidential := store.Application{ClientType: store.ClientConfidential}
	public := store.Application{ClientType: store.ClientPublic}
	const verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk" // RFC 7636 appendix B
	const challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
	assert.NoError(t, checkPKCE(public, challenge, verifier))
	assert.NoError(t, checkPKCE(confidential, challenge, verifier))
	assert.NoError(t, checkPKCE(confidential, "", ""), "PKCE is optional for confidential clients")
	assert.Error(t, checkPKCE(public, "", ""), "and required for public ones")
	assert.Error(t, checkPKCE(confidential, challenge, ""), "a stored challenge needs its verifier")
	assert.Error(t, checkPKCE(confidential, challenge, verifier+"x"))
	assert.Error(t, checkPKCE(confidential, "", verifier), "a verifier without a challenge")
	assert.Error(t, checkPKCE(public, verifier, verifier), "plain is never compared")
}
