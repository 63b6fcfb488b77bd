package provider

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sync"

	"github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/foyer-idp/foyer/internal/httpx"
	"github.com/foyer-idp/foyer/internal/mfa"
	"github.com/foyer-idp/foyer/internal/store"
	"github.com/foyer-idp/foyer/keys"
)

// discoveryCacheControl lets relying parties cache the metadata briefly:
// it changes with the issuer and the signing algorithms, and a new
// algorithm is published a whole rotation before it signs.
const discoveryCacheControl = "public, max-age=300"

// discoveryDoc is a tenant's metadata encoded, with what it was built
// from.
type discoveryDoc struct {
	issuer string
	// from is the key set the algorithms were read off; another set with
	// the same algorithms keeps the document.
	from *keys.KeySet
	algs []jose.SignatureAlgorithm
	body []byte
	etag string
}

// discoveryDocs holds each tenant's encoded metadata. A document is
// rebuilt only when its tenant's issuer or signing algorithms change.
type discoveryDocs struct {
	mu       sync.RWMutex
	byTenant map[string]*discoveryDoc
}

// serveDiscovery answers GET {issuer}/.well-known/openid-configuration
// from the tenant's encoded document, with a strong ETag (304 when the
// client has it) and discoveryCacheControl.
func (p *Provider) serveDiscovery(w http.ResponseWriter, r *http.Request) {
	d, err := p.discoveryDoc(r)
	if err != nil {
		op.WriteError(w, r, err, p.logger)
		return
	}
	httpx.WriteCached(w, r, d.body, d.etag, discoveryCacheControl)
}

// discoveryDoc answers the request's tenant's document, building it when
// the tenant has none or its issuer or algorithms changed.
func (p *Provider) discoveryDoc(r *http.Request) (*discoveryDoc, error) {
	ctx := r.Context()
	t, err := tenantOf(ctx)
	if err != nil {
		return nil, err
	}
	set, err := p.keys.KeySet(ctx, t.ID)
	if err != nil {
		return nil, unavailable(err)
	}
	iss := p.issuer(t)
	p.docs.mu.RLock()
	d := p.docs.byTenant[t.ID]
	p.docs.mu.RUnlock()
	if d != nil && d.issuer == iss && (d.from == set || slices.Equal(d.algs, set.Algorithms())) {
		if d.from != set {
			d = &discoveryDoc{issuer: d.issuer, from: set, algs: d.algs, body: d.body, etag: d.etag}
			p.docs.store(t, d)
		}
		return d, nil
	}
	if d, err = newDiscoveryDoc(iss, set); err != nil {
		return nil, unavailable(err)
	}
	p.docs.store(t, d)
	return d, nil
}

func (ds *discoveryDocs) store(t store.Tenant, d *discoveryDoc) {
	ds.mu.Lock()
	defer ds.mu.Unlock()
	if ds.byTenant == nil {
		ds.byTenant = map[string]*discoveryDoc{}
	}
	ds.byTenant[t.ID] = d
}

// newDiscoveryDoc encodes the metadata of the issuer iss whose keys are
// set, as op would write it (with a final newline).
func newDiscoveryDoc(iss string, set *keys.KeySet) (*discoveryDoc, error) {
	algs := slices.Clone(set.Algorithms())
	body, err := json.Marshal(discovery(iss, algs))
	if err != nil {
		return nil, fmt.Errorf("encode discovery document: %w", err)
	}
	body = append(body, '\n')
	sum := sha256.Sum256(body)
	return &discoveryDoc{issuer: iss, from: set, algs: algs, body: body, etag: `"` + base64.RawURLEncoding.EncodeToString(sum[:18]) + `"`}, nil
}

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
	DeviceAuthorizationEndpoint            string   `json:"device_authorization_endpoint"`
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
		DeviceAuthorizationEndpoint:       iss + PathDeviceAuthorization,
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
