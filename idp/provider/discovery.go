package provider

import (
	"github.com/go-jose/go-jose/v4"

	"github.com/foyer-idp/foyer/internal/mfa"
)

// metadata is a tenant's OpenID Provider Metadata (OIDC Discovery §3,
// RFC 8414), with RFC 9207's authorization_response_iss_parameter_supported.
type metadata struct {
	Issuer                                 string   `json:"issuer"`
	AuthorizationEndpoint                  string   `json:"authorization_endpoint"`
	TokenEndpoint                          string   `json:"token_endpoint"`
	UserinfoEndpoint                       string   `json:"userinfo_endpoint"`
	JWKSURI                                string   `json:"jwks_uri"`
	EndSessionEndpoint                     string   `json:"end_session_endpoint"`
	RevocationEndpoint                     string   `json:"revocation_endpoint"`
	IntrospectionEndpoint                  string   `json:"introspection_endpoint"`
	ScopesSupported                        []string `json:"scopes_supported"`
	ResponseTypesSupported                 []string `json:"response_types_supported"`
	ResponseModesSupported                 []string `json:"response_modes_supported"`
	GrantTypesSupported                    []string `json:"grant_types_supported"`
	SubjectTypesSupported                  []string `json:"subject_types_supported"`
	IDTokenSigningAlgValuesSupported       []string `json:"id_token_signing_alg_values_supported"`
	TokenEndpointAuthMethodsSupported      []string `json:"token_endpoint_auth_methods_supported"`
	RevocationEndpointAuthMethods          []string `json:"revocation_endpoint_auth_methods_supported"`
	IntrospectionEndpointAuthMethods       []string `json:"introspection_endpoint_auth_methods_supported"`
	CodeChallengeMethodsSupported          []string `json:"code_challenge_methods_supported"`
	ClaimsSupported                        []string `json:"claims_supported"`
	PromptValuesSupported                  []string `json:"prompt_values_supported"`
	ClaimsParameterSupported               bool     `json:"claims_parameter_supported"`
	RequestParameterSupported              bool     `json:"request_parameter_supported"`
	RequestURIParameterSupported           bool     `json:"request_uri_parameter_supported"`
	AuthorizationResponseISSParamSupported bool     `json:"authorization_response_iss_parameter_supported"`
	ACRValuesSupported                     []string `json:"acr_values_supported"`
}

func discovery(iss string, algs []jose.SignatureAlgorithm) metadata {
	algNames := make([]string, len(algs))
	for i, a := range algs {
		algNames[i] = string(a)
	}
	return metadata{
		Issuer:                            iss,
		AuthorizationEndpoint:             iss + PathAuthorize,
		TokenEndpoint:                     iss + PathToken,
		UserinfoEndpoint:                  iss + PathUserinfo,
		JWKSURI:                           iss + PathKeys,
		EndSessionEndpoint:                iss + PathEndSession,
		RevocationEndpoint:                iss + PathRevoke,
		IntrospectionEndpoint:             iss + PathIntrospect,
		ScopesSupported:                   scopesSupported,
		ResponseTypesSupported:            []string{"code"},
		ResponseModesSupported:            []string{"query"},
		GrantTypesSupported:               supportedGrants,
		SubjectTypesSupported:             []string{"public"},
		IDTokenSigningAlgValuesSupported:  algNames,
		TokenEndpointAuthMethodsSupported: []string{"client_secret_basic", "client_secret_post", "none"},
		RevocationEndpointAuthMethods:     []string{"client_secret_basic", "client_secret_post", "none"},
		IntrospectionEndpointAuthMethods:  []string{"client_secret_basic", "client_secret_post"},
		CodeChallengeMethodsSupported:     []string{"S256"},
		ClaimsSupported: []string{"iss", "sub", "aud", "azp", "exp", "iat", "auth_time", "nonce", "at_hash", "amr", "acr", "tid", "sid",
			"name", "given_name", "family_name", "preferred_username", "email", "email_verified"},
		PromptValuesSupported: []string{"none", "login", "consent"},
		// 1: one factor; 2: multi-factor (acr_values=2 asks for step-up).
		ACRValuesSupported:                     []string{mfa.ACRSingleFactor, mfa.ACRMultiFactor},
		AuthorizationResponseISSParamSupported: true,
	}
}
