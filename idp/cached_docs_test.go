package idp_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/internal/directory"
	"github.com/foyer-idp/foyer/internal/store/sqlstore/sqltest"
)

// fetched is one GET's answer.
type fetched struct {
	status int
	header http.Header
	body   string
}

func fetch(t *testing.T, url string, header ...string) fetched {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	require.NoError(t, err)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return fetched{status: resp.StatusCode, header: resp.Header, body: string(body)}
}

// The JWKS and the discovery document are served from bytes built once:
// a strong ETag that stays while nothing changes, 304 to a client that
// has them, and a new body and ETag once a rotation changes the keys (and,
// for discovery, the algorithms).
func TestJWKSAndDiscoveryRevalidate(t *testing.T) {
	t.Parallel()
	runBoth(t, func(t *testing.T, e *env) {
		tn := e.tenant(t, "contoso", "RS256")
		for name, doc := range map[string]struct {
			url, cacheControl string
		}{
			"jwks":      {e.issuer("contoso") + "/keys", "public, max-age=300"},
			"discovery": {e.issuer("contoso") + "/.well-known/openid-configuration", "public, max-age=300"},
		} {
			first := fetch(t, doc.url)
			require.Equal(t, http.StatusOK, first.status, name)
			etag := first.header.Get("ETag")
			require.Regexp(t, `^"[A-Za-z0-9_-]+"$`, etag, "%s: a strong ETag", name)
			assert.Equal(t, doc.cacheControl, first.header.Get("Cache-Control"), name)
			assert.Equal(t, "application/json", first.header.Get("Content-Type"), name)
			require.True(t, json.Valid([]byte(first.body)), name)

			again := fetch(t, doc.url)
			assert.Equal(t, etag, again.header.Get("ETag"), "%s: the ETag is stable", name)
			assert.Equal(t, first.body, again.body, name)

			cached := fetch(t, doc.url, "If-None-Match", etag)
			require.Equal(t, http.StatusNotModified, cached.status, name)
			assert.Empty(t, cached.body, name)
			assert.Equal(t, etag, cached.header.Get("ETag"), name)
			assert.Equal(t, doc.cacheControl, cached.header.Get("Cache-Control"), name)

			other := fetch(t, doc.url, "If-None-Match", `"something-else"`)
			require.Equal(t, http.StatusOK, other.status, name)
			assert.Equal(t, first.body, other.body, name)
		}

		jwks := fetch(t, e.issuer("contoso")+"/keys")
		disc := fetch(t, e.issuer("contoso")+"/.well-known/openid-configuration")

		// A switch of algorithm reaches the next key at the rotation.
		alg := "ES256"
		_, err := e.dir.UpdateTenant(t.Context(), tn.ID, directory.TenantPatch{SigningAlg: &alg})
		require.NoError(t, err)
		_, err = e.keys.Rotate(t.Context(), tn.ID)
		require.NoError(t, err)

		rotated := fetch(t, e.issuer("contoso")+"/keys", "If-None-Match", jwks.header.Get("ETag"))
		require.Equal(t, http.StatusOK, rotated.status, "the old ETag no longer matches")
		assert.NotEqual(t, jwks.header.Get("ETag"), rotated.header.Get("ETag"))
		assert.NotEqual(t, jwks.body, rotated.body)
		var set struct{ Keys []map[string]any }
		require.NoError(t, json.Unmarshal([]byte(rotated.body), &set))
		assert.Len(t, set.Keys, 3, "active, next and the retired key")

		rediscovered := fetch(t, e.issuer("contoso")+"/.well-known/openid-configuration", "If-None-Match", disc.header.Get("ETag"))
		require.Equal(t, http.StatusOK, rediscovered.status)
		assert.NotEqual(t, disc.header.Get("ETag"), rediscovered.header.Get("ETag"))
		var d map[string]any
		require.NoError(t, json.Unmarshal([]byte(rediscovered.body), &d))
		assert.Equal(t, []any{"RS256", "ES256"}, d["id_token_signing_alg_values_supported"])
	})
}

// A rotation that keeps the algorithms changes the JWKS but not the
// discovery document, whose ETag stays.
func TestDiscoveryETagOutlivesARotationOfTheSameAlgorithm(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sqltest.Backends()[0])
	tn := e.tenant(t, "fabrikam", "ES256")
	url := e.issuer("fabrikam") + "/.well-known/openid-configuration"
	before := fetch(t, url)
	jwks := fetch(t, e.issuer("fabrikam")+"/keys")
	_, err := e.keys.Rotate(t.Context(), tn.ID)
	require.NoError(t, err)
	assert.NotEqual(t, jwks.header.Get("ETag"), fetch(t, e.issuer("fabrikam")+"/keys").header.Get("ETag"))
	after := fetch(t, url, "If-None-Match", before.header.Get("ETag"))
	assert.Equal(t, http.StatusNotModified, after.status)
}

// Browser apps may read the discovery document across origins, as they
// could when op served it.
func TestDiscoveryAllowsCrossOriginReads(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sqltest.Backends()[0])
	e.tenant(t, "fabrikam", "")
	got := fetch(t, e.issuer("fabrikam")+"/.well-known/openid-configuration", "Origin", "https://spa.example")
	require.Equal(t, http.StatusOK, got.status)
	assert.Equal(t, "https://spa.example", got.header.Get("Access-Control-Allow-Origin"))
}

// With AccessSample, the token endpoint, JWKS and discovery log one in N
// successful requests each; their failures and other routes every one.
func TestAccessLogSamplesTheBusyRoutes(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sqltest.Backends()[0], func(o *envOptions) { o.accessSample = 3 })
	tn := e.tenant(t, "fabrikam", "ES256")
	daemon := e.app(t, tn, "daemon", func(in *directoryApp) {
		in.GrantTypes = []string{"client_credentials"}
		in.RedirectURIs = nil
	})
	count := func(route string) int {
		return strings.Count(e.logs.String(), `route="`+route+`"`)
	}
	for range 6 {
		r := daemon.token(t, url.Values{"grant_type": {"client_credentials"}})
		require.Equal(t, http.StatusOK, r.status, r.body)
		require.Equal(t, http.StatusOK, fetch(t, e.issuer("fabrikam")+"/keys").status)
		require.Equal(t, http.StatusOK, fetch(t, e.issuer("fabrikam")+"/.well-known/openid-configuration").status)
		require.Equal(t, http.StatusOK, fetch(t, e.base+"/healthz").status)
	}
	assert.Equal(t, 2, count("POST /t/{tenant}/oauth/token"), "requests 1 and 4 of 6")
	assert.Equal(t, 2, count("GET /t/{tenant}/keys"))
	assert.Equal(t, 2, count("GET /t/{tenant}/.well-known/openid-configuration"))
	assert.Equal(t, 6, count("GET /healthz"), "other routes are not sampled")
	assert.Contains(t, e.logs.String(), "sample=3")

	bad := &client{app: daemon.app, secret: "wrong", tenant: tn, env: e}
	for range 4 {
		r := bad.token(t, url.Values{"grant_type": {"client_credentials"}})
		require.Equal(t, http.StatusUnauthorized, r.status, r.body)
	}
	assert.Equal(t, 6, count("POST /t/{tenant}/oauth/token"), "every failure is logged")
}
