package federation

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/zitadel/oidc/v3/pkg/client/rp"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"golang.org/x/oauth2"

	"github.com/foyer-idp/foyer/internal/store"
)

// OIDCConfig configures an OpenID Connect connector.
type OIDCConfig struct {
	// Issuer is where discovery starts: Issuer +
	// /.well-known/openid-configuration.
	Issuer       string
	ClientID     string
	ClientSecret string
	RedirectURL  string
	// Scopes default to openid email profile; openid is always added.
	Scopes        []string
	ClaimsMapping store.ClaimsMapping
	// HostedDomain, when set, is sent as Google's hd hint.
	HostedDomain string
	// TenantIssuerTemplate: discovery's issuer contains {tenantid}
	// (Microsoft's multi-tenant endpoints). The ID token's iss must then
	// equal the template with its own tid claim substituted.
	TenantIssuerTemplate bool
	// HTTPClient is the guarded client; required.
	HTTPClient *http.Client
	Logger     *slog.Logger
}

// OIDCConnector signs guests in at an OpenID provider with the
// authorization code flow, PKCE S256 and a nonce. It is built on zitadel's
// rp package, without its cookie handling: the caller owns state.
type OIDCConnector struct {
	issuer       string // discovery's issuer, a template for Microsoft
	clientID     string
	party        rp.RelyingParty
	keys         oidc.KeySet
	algs         []string
	userinfoURL  string
	mapping      store.ClaimsMapping
	hostedDomain string
	tenantIssuer bool
	client       *http.Client
	logger       *slog.Logger
}

var _ Connector = (*OIDCConnector)(nil)

// discovery is the part of the provider's metadata the connector uses.
type discovery struct {
	Issuer                string   `json:"issuer"`
	AuthorizationEndpoint string   `json:"authorization_endpoint"`
	TokenEndpoint         string   `json:"token_endpoint"`
	UserinfoEndpoint      string   `json:"userinfo_endpoint"`
	JWKSURI               string   `json:"jwks_uri"`
	SigningAlgs           []string `json:"id_token_signing_alg_values_supported"`
}

// NewOIDCConnector fetches the provider's discovery document once and
// builds the connector. Discovery is done here and not per request: the
// Registry caches connectors.
func NewOIDCConnector(ctx context.Context, cfg OIDCConfig) (*OIDCConnector, error) {
	var errs []error
	if cfg.Issuer == "" {
		errs = append(errs, errors.New("issuer is required"))
	}
	if cfg.ClientID == "" {
		errs = append(errs, errors.New("client id is required"))
	}
	if cfg.RedirectURL == "" {
		errs = append(errs, errors.New("redirect URL is required"))
	}
	if cfg.HTTPClient == nil {
		errs = append(errs, errors.New("HTTP client is required"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}

	d, err := discover(ctx, cfg.HTTPClient, cfg.Issuer)
	if err != nil {
		return nil, err
	}
	if cfg.TenantIssuerTemplate {
		if !strings.Contains(d.Issuer, tenantPlaceholder) {
			return nil, &UpstreamError{Reason: "the provider's discovery issuer has no {tenantid}", Err: fmt.Errorf("issuer %q", d.Issuer)}
		}
	} else if d.Issuer != cfg.Issuer {
		return nil, &UpstreamError{Reason: "the provider's discovery names another issuer", Err: fmt.Errorf("%w: want %q, got %q", oidc.ErrIssuerInvalid, cfg.Issuer, d.Issuer)}
	}
	if d.AuthorizationEndpoint == "" || d.TokenEndpoint == "" || d.JWKSURI == "" {
		return nil, &UpstreamError{Reason: "the provider's discovery lacks an endpoint"}
	}
	// Algorithms from discovery, never none; RS256 when it names none.
	var algs []string
	for _, a := range d.SigningAlgs {
		if !strings.EqualFold(a, "none") {
			algs = append(algs, a)
		}
	}
	if len(algs) == 0 {
		algs = []string{"RS256"}
	}

	scopes := []string{oidc.ScopeOpenID}
	if len(cfg.Scopes) == 0 {
		scopes = append(scopes, oidc.ScopeEmail, oidc.ScopeProfile)
	}
	for _, s := range cfg.Scopes {
		if s != oidc.ScopeOpenID {
			scopes = append(scopes, s)
		}
	}
	party, err := rp.NewRelyingPartyOAuth(&oauth2.Config{
		ClientID:     cfg.ClientID,
		ClientSecret: cfg.ClientSecret,
		RedirectURL:  cfg.RedirectURL,
		Scopes:       scopes,
		Endpoint:     oauth2.Endpoint{AuthURL: d.AuthorizationEndpoint, TokenURL: d.TokenEndpoint},
	}, rp.WithHTTPClient(cfg.HTTPClient), rp.WithLogger(logger))
	if err != nil {
		return nil, fmt.Errorf("relying party: %w", err)
	}
	return &OIDCConnector{
		issuer:       d.Issuer,
		clientID:     cfg.ClientID,
		party:        party,
		keys:         rp.NewRemoteKeySet(cfg.HTTPClient, d.JWKSURI),
		algs:         algs,
		userinfoURL:  d.UserinfoEndpoint,
		mapping:      cfg.ClaimsMapping,
		hostedDomain: cfg.HostedDomain,
		tenantIssuer: cfg.TenantIssuerTemplate,
		client:       cfg.HTTPClient,
		logger:       logger,
	}, nil
}

const tenantPlaceholder = "{tenantid}"

func discover(ctx context.Context, client *http.Client, issuer string) (*discovery, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(issuer, "/")+oidc.DiscoveryEndpoint, nil)
	if err != nil {
		return nil, fmt.Errorf("discovery request: %w", err)
	}
	var d discovery
	if err := getJSON(client, req, &d); err != nil {
		return nil, &UpstreamError{Reason: "the provider's discovery document could not be read", Err: err}
	}
	return &d, nil
}

// getJSON sends req and decodes a 200 answer of at most 1 MiB into v.
func getJSON(client *http.Client, req *http.Request, v any) error {
	req.Header.Set("Accept", "application/json")
	res, err := client.Do(req)
	if err != nil {
		return err
	}
	defer func() { _ = res.Body.Close() }()
	body, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		return err
	}
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("%s answered %s", redact(req.URL), res.Status)
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("%s: %w", redact(req.URL), err)
	}
	return nil
}

// AuthURL answers the provider's authorization URL with the caller's
// state, nonce and PKCE challenge.
func (c *OIDCConnector) AuthURL(_ context.Context, r AuthRequest) (string, error) {
	if r.State == "" || r.Nonce == "" || r.CodeChallenge == "" {
		return "", errors.New("auth request needs state, nonce and code challenge")
	}
	opts := []rp.AuthURLOpt{
		rp.WithCodeChallenge(r.CodeChallenge),
		rp.AuthURLOpt(rp.WithURLParam("nonce", r.Nonce)),
	}
	if r.LoginHint != "" {
		opts = append(opts, rp.AuthURLOpt(rp.WithURLParam("login_hint", r.LoginHint)))
	}
	if c.hostedDomain != "" {
		opts = append(opts, rp.AuthURLOpt(rp.WithURLParam("hd", c.hostedDomain)))
	}
	return rp.AuthURL(r.State, c.party, opts...), nil
}

// Exchange redeems code with the PKCE verifier, verifies the ID token
// (alg never none, signature against the provider's JWKS, iss, aud, azp,
// exp, iat, nonce, at_hash) and answers the identity.
func (c *OIDCConnector) Exchange(ctx context.Context, code, codeVerifier, nonce string) (Identity, error) {
	if code == "" || codeVerifier == "" || nonce == "" {
		return Identity{}, errors.New("exchange needs code, code verifier and nonce")
	}
	tokens, err := rp.CodeExchange[*oidc.IDTokenClaims](ctx, code, c.party, rp.WithCodeVerifier(codeVerifier))
	if err != nil {
		return Identity{}, tokenEndpointError(err)
	}
	rawIDToken, _ := tokens.Extra("id_token").(string)
	if rawIDToken == "" {
		return Identity{}, &UpstreamError{Reason: "the provider sent no ID token"}
	}
	if alg, err := tokenAlg(rawIDToken); err != nil {
		return Identity{}, &UpstreamError{Reason: "the ID token is malformed", Err: err}
	} else if strings.EqualFold(alg, "none") {
		return Identity{}, &UpstreamError{Reason: "the provider used alg none"}
	}

	claims, err := parseClaims(rawIDToken)
	if err != nil {
		return Identity{}, &UpstreamError{Reason: "the ID token is malformed", Err: err}
	}
	issuer := c.issuer
	if c.tenantIssuer {
		tid, _ := claims["tid"].(string)
		if !tenantIDPattern.MatchString(tid) {
			return Identity{}, &UpstreamError{Reason: "the ID token has no valid tid"}
		}
		issuer = strings.ReplaceAll(c.issuer, tenantPlaceholder, tid)
	}

	verifier := rp.NewIDTokenVerifier(issuer, c.clientID, c.keys,
		rp.WithNonce(func(context.Context) string { return nonce }),
		rp.WithSupportedSigningAlgorithms(c.algs...),
		rp.WithIssuedAtMaxAge(time.Hour),
	)
	verified, err := rp.VerifyTokens[*oidc.IDTokenClaims](ctx, tokens.AccessToken, rawIDToken, verifier)
	if err != nil {
		return Identity{}, idTokenError(err)
	}

	id := Identity{
		Issuer:  verified.Issuer,
		Subject: claimString(claims, c.mapping.UserID, "sub"),
		AMR:     verified.AuthenticationMethodsReferences,
		ACR:     verified.AuthenticationContextClassReference,
	}
	if id.Subject == "" {
		return Identity{}, &UpstreamError{Reason: "the ID token has no subject"}
	}
	fillProfile(&id, claims, c.mapping)

	emailClaim := orDefault(c.mapping.Email, "email")
	if email := claimString(claims, emailClaim, "email"); email != "" {
		id.Email = strings.ToLower(email)
		id.EmailVerified = claimBool(claims["email_verified"])
		return id, nil
	}
	// No email in the ID token: email and its verified flag both come from
	// userinfo, never one from each.
	if c.userinfoURL == "" {
		return id, nil
	}
	info, err := c.userinfo(ctx, tokens.TokenType, tokens.AccessToken)
	if err != nil {
		return Identity{}, err
	}
	if sub, _ := info["sub"].(string); sub != verified.Subject {
		return Identity{}, &UpstreamError{Reason: "userinfo is about another subject"}
	}
	id.Email = strings.ToLower(claimString(info, emailClaim, "email"))
	id.EmailVerified = id.Email != "" && claimBool(info["email_verified"])
	fillProfile(&id, info, c.mapping)
	return id, nil
}

// tenantIDPattern: a Microsoft tenant id is a GUID; anything that could
// change the issuer's shape (slashes, dots) is refused.
var tenantIDPattern = regexp.MustCompile(`^[0-9A-Za-z-]{1,64}$`)

func (c *OIDCConnector) userinfo(ctx context.Context, tokenType, accessToken string) (map[string]any, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.userinfoURL, nil)
	if err != nil {
		return nil, fmt.Errorf("userinfo request: %w", err)
	}
	if tokenType == "" || strings.EqualFold(tokenType, "bearer") {
		tokenType = "Bearer"
	}
	req.Header.Set("Authorization", tokenType+" "+accessToken)
	var info map[string]any
	if err := getJSON(c.client, req, &info); err != nil {
		return nil, &UpstreamError{Reason: "the provider's userinfo could not be read", Err: err}
	}
	return info, nil
}

// fillProfile sets the names still empty in id from claims.
func fillProfile(id *Identity, claims map[string]any, m store.ClaimsMapping) {
	if id.DisplayName == "" {
		id.DisplayName = claimString(claims, m.DisplayName, "name")
	}
	if id.GivenName == "" {
		id.GivenName = claimString(claims, m.GivenName, "given_name")
	}
	if id.Surname == "" {
		id.Surname = claimString(claims, m.Surname, "family_name")
	}
}

func orDefault(s, def string) string {
	if s != "" {
		return s
	}
	return def
}

// claimString answers the claim named mapped (or def when mapped is
// empty) as a string; numbers are formatted without exponent.
func claimString(claims map[string]any, mapped, def string) string {
	switch v := claims[orDefault(mapped, def)].(type) {
	case string:
		return v
	case json.Number:
		return v.String()
	case float64:
		return fmt.Sprintf("%.0f", v)
	}
	return ""
}

// claimBool reads email_verified: only the JSON boolean true counts.
// The string "true" (which some providers send) is not a boolean, and a
// claim that says who owns an address is taken only in its standard form
// (OIDC Core §5.1).
func claimBool(v any) bool {
	b, ok := v.(bool)
	return ok && b
}

func tokenAlg(jwt string) (string, error) {
	header, _, ok := strings.Cut(jwt, ".")
	if !ok {
		return "", errors.New("not a JWT")
	}
	raw, err := base64.RawURLEncoding.DecodeString(header)
	if err != nil {
		return "", fmt.Errorf("header: %w", err)
	}
	var h struct {
		Alg string `json:"alg"`
	}
	if err := json.Unmarshal(raw, &h); err != nil {
		return "", fmt.Errorf("header: %w", err)
	}
	return h.Alg, nil
}

// parseClaims decodes a JWT's payload without checking it; callers verify
// before trusting any of it.
func parseClaims(jwt string) (map[string]any, error) {
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		return nil, errors.New("not a compact JWS")
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return nil, fmt.Errorf("payload: %w", err)
	}
	var claims map[string]any
	if err := json.Unmarshal(raw, &claims); err != nil {
		return nil, fmt.Errorf("payload: %w", err)
	}
	return claims, nil
}

// idTokenError turns a verification failure into a safe reason.
func idTokenError(err error) error {
	reason := "the ID token is not valid"
	switch {
	case errors.Is(err, oidc.ErrSignatureUnsupportedAlg):
		reason = "the ID token's algorithm is not allowed"
	case errors.Is(err, oidc.ErrSignatureInvalid), errors.Is(err, oidc.ErrSignatureInvalidPayload),
		errors.Is(err, oidc.ErrSignatureMissing), errors.Is(err, oidc.ErrSignatureMultiple):
		reason = "the ID token's signature is not valid"
	case errors.Is(err, oidc.ErrIssuerInvalid):
		reason = "the ID token is from another issuer"
	case errors.Is(err, oidc.ErrAudience), errors.Is(err, oidc.ErrAzpInvalid), errors.Is(err, oidc.ErrAzpMissing):
		reason = "the ID token is for another client"
	case errors.Is(err, oidc.ErrExpired):
		reason = "expired ID token"
	case errors.Is(err, oidc.ErrIatMissing), errors.Is(err, oidc.ErrIatInFuture), errors.Is(err, oidc.ErrIatToOld):
		reason = "the ID token's issue time is not acceptable"
	case errors.Is(err, oidc.ErrNonceInvalid):
		reason = "nonce mismatch"
	case errors.Is(err, oidc.ErrAtHash):
		reason = "the ID token does not match the access token"
	case errors.Is(err, oidc.ErrSubjectMissing):
		reason = "the ID token has no subject"
	}
	return &UpstreamError{Reason: reason, Err: err}
}

// tokenEndpointError turns a failed code redemption into a safe reason,
// keeping the provider's OAuth error code.
func tokenEndpointError(err error) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) && re.ErrorCode != "" {
		return &UpstreamError{Reason: "the provider refused the code: " + safeCode(re.ErrorCode), Err: errors.New(re.ErrorCode)}
	}
	return &UpstreamError{Reason: "the provider's token endpoint failed", Err: err}
}

// safeCode keeps an OAuth error code printable and short: it ends up in
// pages and the audit log.
func safeCode(code string) string {
	if len(code) > 64 {
		code = code[:64]
	}
	return strings.Map(func(r rune) rune {
		if r == '_' || r == '-' || r == '.' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9') {
			return r
		}
		return -1
	}, code)
}
