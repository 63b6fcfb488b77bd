package main

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestReferenceIssuesJWTsWithTheChosenAlgorithm drives the reference over
// HTTP: discovery names its endpoints, and client_credentials answers a
// JWT access token signed with the algorithm asked for.
func TestReferenceIssuesJWTsWithTheChosenAlgorithm(t *testing.T) {
	for _, alg := range []string{"ES256", "RS256"} {
		t.Run(alg, func(t *testing.T) {
			key, err := newSigningKey(alg)
			require.NoError(t, err)
			srv := httptest.NewUnstartedServer(nil)
			issuer := "http://" + srv.Listener.Addr().String()
			srv.Config.Handler, err = newHandler(issuer, "http://127.0.0.1:5556/callback", key)
			require.NoError(t, err)
			srv.Start()
			defer srv.Close()

			resp, err := http.Get(issuer + "/.well-known/openid-configuration")
			require.NoError(t, err)
			var disc struct {
				Issuer        string `json:"issuer"`
				TokenEndpoint string `json:"token_endpoint"`
				JWKS          string `json:"jwks_uri"`
			}
			require.NoError(t, json.NewDecoder(resp.Body).Decode(&disc))
			resp.Body.Close()
			require.Equal(t, issuer, disc.Issuer)

			req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, disc.TokenEndpoint,
				strings.NewReader(url.Values{"grant_type": {"client_credentials"}}.Encode()))
			require.NoError(t, err)
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.SetBasicAuth(ServiceClientID, ServiceClientSecret)
			resp, err = http.DefaultClient.Do(req)
			require.NoError(t, err)
			defer resp.Body.Close()
			require.Equal(t, http.StatusOK, resp.StatusCode)
			var tok struct {
				AccessToken string `json:"access_token"`
			}
			require.NoError(t, json.NewDecoder(resp.Body).Decode(&tok))
			parts := strings.Split(tok.AccessToken, ".")
			require.Len(t, parts, 3, "a JWT access token")
			header, err := base64.RawURLEncoding.DecodeString(parts[0])
			require.NoError(t, err)
			require.Contains(t, string(header), `"alg":"`+alg+`"`)
		})
	}
}

func TestReferenceRefusesNonLoopback(t *testing.T) {
	err := run([]string{"--addr", "0.0.0.0:0"}, &strings.Builder{}, &strings.Builder{})
	require.ErrorContains(t, err, "loopback only")
	_, err = newSigningKey("HS256")
	require.Error(t, err)
}
