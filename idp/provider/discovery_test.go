package provider

import (
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/assert"
)

func TestDiscoveryStaysUnderTheIssuer(t *testing.T) {
	t.Parallel()
	const iss = "https://id.example/t/woodgrove"
	m := discovery(iss, []jose.SignatureAlgorithm{jose.ES256, jose.RS256})
	assert.Equal(t, iss, m.Issuer)
	for _, endpoint := range []string{m.AuthorizationEndpoint, m.TokenEndpoint, m.UserinfoEndpoint, m.JWKSURI,
		m.EndSessionEndpoint, m.RevocationEndpoint, m.IntrospectionEndpoint} {
		assert.True(t, strings.HasPrefix(endpoint, iss+"/"), endpoint)
	}
	assert.Equal(t, []string{"ES256", "RS256"}, m.IDTokenSigningAlgValuesSupported)
	assert.Equal(t, []string{"S256"}, m.CodeChallengeMethodsSupported, "no plain PKCE")
	assert.Equal(t, []string{"code"}, m.ResponseTypesSupported, "no implicit flow")
	assert.NotContains(t, m.IntrospectionEndpointAuthMethods, "none", "introspection needs an authenticated client")
	assert.True(t, m.AuthorizationResponseISSParamSupported)
	assert.False(t, m.RequestParameterSupported || m.RequestURIParameterSupported || m.ClaimsParameterSupported)
}
