package store

import (
	"context"
	"time"
)

// Federation: the domains a tenant has verified, the upstream identity
// providers it trusts, and the short-lived state of a round trip to one.

// Domains stores tenants' verified email domains. A domain belongs to one
// tenant at most, across all tenants.
type Domains interface {
	// AddDomain stores d. ErrConflict when any tenant has the domain;
	// ErrNotFound for an unknown tenant.
	AddDomain(ctx context.Context, d Domain) error
	// GetDomain answers the domain (lower-cased) with its tenant;
	// ErrNotFound when no tenant verified it.
	GetDomain(ctx context.Context, name string) (Domain, error)
	ListDomains(ctx context.Context, tenantID string) ([]Domain, error)
	// RemoveDomain answers ErrNotFound when the tenant does not have it.
	RemoveDomain(ctx context.Context, tenantID, name string) error
}

// Domain is a verified email domain of a tenant, e.g. fabrikam.test.
type Domain struct {
	TenantID  string    `json:"-"`
	Name      string    `json:"id"`
	CreatedAt time.Time `json:"createdDateTime"`
}

// Identity provider types, by Graph's identityProviderType names where
// Graph has one.
const (
	IdPOpenIDConnect = "OpenIDConnect"
	IdPGoogle        = "Google"
	IdPMicrosoft     = "MicrosoftAccount"
	IdPGitHub        = "GitHub"
	// IdPFoyer is another tenant of this Foyer, reached through a client
	// registered for the pair; Foyer manages these itself.
	IdPFoyer = "Foyer"
)

// IdentityProviders stores a tenant's upstream identity providers.
type IdentityProviders interface {
	// CreateIdentityProvider stores p. ErrConflict for a taken id, or a
	// second Foyer provider for the same partner tenant.
	CreateIdentityProvider(ctx context.Context, p IdentityProvider) error
	GetIdentityProvider(ctx context.Context, tenantID, id string) (IdentityProvider, error)
	// ListIdentityProviders answers the tenant's providers, oldest first.
	ListIdentityProviders(ctx context.Context, tenantID string) ([]IdentityProvider, error)
	// UpdateIdentityProvider replaces every field but the tenant, id,
	// type, partner and CreatedAt.
	UpdateIdentityProvider(ctx context.Context, p IdentityProvider) error
	DeleteIdentityProvider(ctx context.Context, tenantID, id string) error
}

// IdentityProvider is one upstream a tenant's guests may sign in with.
type IdentityProvider struct {
	TenantID    string
	ID          string
	Type        string // one of the IdP… constants
	DisplayName string
	ClientID    string
	// SealedClientSecret is the client secret sealed under the master key;
	// empty for providers without one. Never serialised.
	SealedClientSecret []byte
	// Issuer is the OpenID issuer (discovery at Issuer +
	// /.well-known/openid-configuration); empty for GitHub, fixed by the
	// presets for Google and Microsoft.
	Issuer string
	// PartnerTenantID is the other tenant of a Foyer provider.
	PartnerTenantID string
	Scopes          []string
	ClaimsMapping   ClaimsMapping
	// Domains are the email domains the provider serves, for home realm
	// discovery and the redemption order.
	Domains []string
	Enabled bool
	// MFATrusted: an upstream amr showing multi-factor satisfies the
	// tenant's MFA policy (Entra's isMfaAccepted).
	MFATrusted bool
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// ClaimsMapping names the upstream claims that fill a guest's profile;
// empty fields take the OpenID Connect standard claims.
type ClaimsMapping struct {
	UserID      string `json:"userId,omitempty"`
	DisplayName string `json:"displayName,omitempty"`
	GivenName   string `json:"givenName,omitempty"`
	Surname     string `json:"surname,omitempty"`
	Email       string `json:"email,omitempty"`
}

// FederationLogins stores round trips to upstream providers in flight.
type FederationLogins interface {
	CreateFederationLogin(ctx context.Context, l FederationLogin) error
	// ConsumeFederationLogin deletes and answers the login whose state
	// hash is stateHash in one statement: of concurrent callbacks exactly
	// one gets it. ErrNotFound for an unknown, used, expired (at now) or
	// other tenant's state.
	ConsumeFederationLogin(ctx context.Context, tenantID, stateHash string, now time.Time) (FederationLogin, error)
}

// FederationLogin is one browser's trip to an upstream provider: the
// secrets the callback needs and what the trip is for (a redemption or a
// sign-in).
type FederationLogin struct {
	TenantID   string
	StateHash  string
	ProviderID string
	Nonce      string
	// CodeVerifier is the PKCE verifier sent with the code.
	CodeVerifier   string
	BrowserBinding string
	// Exactly one of RedemptionID and AuthRequestID is set.
	RedemptionID  string
	AuthRequestID string
	CreatedAt     time.Time
	ExpiresAt     time.Time
}
