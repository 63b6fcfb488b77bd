package bootstrap

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"go.yaml.in/yaml/v3"
)

// File is a bootstrap file: the tenants to create or bring up to date.
// Optional scalars are pointers and optional lists nil when the file leaves
// them out: only what the file declares is compared and updated.
type File struct {
	Tenants []Tenant `yaml:"tenants" json:"tenants"`
}

// Tenant is matched by slug.
type Tenant struct {
	Slug             string   `yaml:"slug" json:"slug"`
	DisplayName      string   `yaml:"displayName" json:"displayName"`
	Branding         Branding `yaml:"branding" json:"branding"`
	SigningAlgorithm *string  `yaml:"signingAlgorithm" json:"signingAlgorithm,omitempty"`
	// InvitationPolicy, when declared, is enforced field by field.
	InvitationPolicy *InvitationPolicy `yaml:"invitationPolicy" json:"invitationPolicy,omitempty"`
	// MFAPolicy, when declared, is enforced field by field.
	MFAPolicy *MFAPolicy `yaml:"mfaPolicy" json:"mfaPolicy,omitempty"`
	// Domains are email domains the tenant has verified (at least these;
	// others it verified stay). A domain belongs to one tenant.
	Domains      []string      `yaml:"domains" json:"domains,omitempty"`
	Members      []Member      `yaml:"members" json:"members,omitempty"`
	Groups       []Group       `yaml:"groups" json:"groups,omitempty"`
	Applications []Application `yaml:"applications" json:"applications,omitempty"`
	// IdentityProviders are the upstream providers the tenant's guests
	// may sign in with.
	IdentityProviders []IdentityProvider `yaml:"identityProviders" json:"identityProviders,omitempty"`
}

// InvitationPolicy says who may invite guests into the tenant
// (allowInvitesFrom: none, adminsAndGuestInviters,
// adminsGuestInvitersAndAllMembers or everyone) and from which domains:
// only those of allowDomains, or any but those of denyDomains (at most one
// of the two; "*.example.com" names every subdomain). Leaving both out
// keeps the tenant's domain rule; an empty denyDomains removes it.
//
// redemptionOrder ranks the ways a guest may redeem (partnerTenant,
// identityProvider, socialProvider, emailPasscode; each at most once; []
// restores the default, all four in that order), and
// redeemWithAnyAccount lets a guest redeem with an account that does not
// prove the invited address.
type InvitationPolicy struct {
	AllowInvitesFrom     *string  `yaml:"allowInvitesFrom" json:"allowInvitesFrom,omitempty"`
	AllowDomains         []string `yaml:"allowDomains" json:"allowDomains,omitempty"`
	DenyDomains          []string `yaml:"denyDomains" json:"denyDomains,omitempty"`
	RedemptionOrder      []string `yaml:"redemptionOrder" json:"redemptionOrder,omitempty"`
	RedeemWithAnyAccount *bool    `yaml:"redeemWithAnyAccount" json:"redeemWithAnyAccount,omitempty"`
}

// MFAPolicy says who must prove a second factor at sign-in (required:
// nobody, guests or everyone; new tenants require it of guests) and the
// TOTP time step (periodSeconds, 15 to 120; 30 by default), which cannot
// change while a user of the tenant has an authenticator app registered.
type MFAPolicy struct {
	Required      *string `yaml:"required" json:"required,omitempty"`
	PeriodSeconds *int    `yaml:"periodSeconds" json:"periodSeconds,omitempty"`
}

// Branding is what the tenant's pages and emails carry.
type Branding struct {
	LogoURL     *string `yaml:"logoUrl" json:"logoUrl,omitempty"`
	AccentColor *string `yaml:"accentColor" json:"accentColor,omitempty"`
	SenderName  *string `yaml:"senderName" json:"senderName,omitempty"`
}

// Member is matched by mail. A declared password is enforced: a member who
// changed theirs gets the file's back on the next run, so leave it out
// once people own their passwords.
type Member struct {
	Mail              string  `yaml:"mail" json:"mail"`
	DisplayName       string  `yaml:"displayName" json:"displayName"`
	GivenName         *string `yaml:"givenName" json:"givenName,omitempty"`
	Surname           *string `yaml:"surname" json:"surname,omitempty"`
	UserPrincipalName *string `yaml:"userPrincipalName" json:"userPrincipalName,omitempty"`
	AccountEnabled    *bool   `yaml:"accountEnabled" json:"accountEnabled,omitempty"`
	// Password, or PasswordEnv naming the environment variable holding
	// it; at most one.
	Password    string `yaml:"password" json:"-"`
	PasswordEnv string `yaml:"passwordEnv" json:"passwordEnv,omitempty"`
	// Roles are directory roles the member holds (at least).
	Roles []string `yaml:"roles" json:"roles,omitempty"`
}

// Group is matched by display name. Members and owners are named by mail
// (or user principal name): declared members of the file or users already
// in the tenant.
type Group struct {
	DisplayName           string   `yaml:"displayName" json:"displayName"`
	Description           *string  `yaml:"description" json:"description,omitempty"`
	OwnersCanInviteGuests *bool    `yaml:"ownersCanInviteGuests" json:"ownersCanInviteGuests,omitempty"`
	Members               []string `yaml:"members" json:"members,omitempty"`
	Owners                []string `yaml:"owners" json:"owners,omitempty"`
}

// Application is an OIDC client, matched by client id. Its client id and
// type never change once made.
type Application struct {
	ClientID               string   `yaml:"clientId" json:"clientId"`
	DisplayName            string   `yaml:"displayName" json:"displayName"`
	ClientType             *string  `yaml:"clientType" json:"clientType,omitempty"` // confidential (default), public, native
	RedirectURIs           []string `yaml:"redirectUris" json:"redirectUris,omitempty"`
	PostLogoutRedirectURIs []string `yaml:"postLogoutRedirectUris" json:"postLogoutRedirectUris,omitempty"`
	GrantTypes             []string `yaml:"grantTypes" json:"grantTypes,omitempty"`
	HomePageURL            *string  `yaml:"homePageUrl" json:"homePageUrl,omitempty"`
	FirstParty             *bool    `yaml:"firstParty" json:"firstParty,omitempty"`
	AssignmentRequired     *bool    `yaml:"assignmentRequired" json:"assignmentRequired,omitempty"`
	RequiresMFA            *bool    `yaml:"requiresMfa" json:"requiresMfa,omitempty"` // MFA at every sign-in, whatever mfaPolicy says
	AccessTokenFormat      *string  `yaml:"accessTokenFormat" json:"accessTokenFormat,omitempty"`
	APIPermissions         []string `yaml:"apiPermissions" json:"apiPermissions,omitempty"`
	// Secret, or SecretEnv naming the environment variable holding it, is
	// a client secret the operator chose for a confidential application
	// (32 characters or more). Without either, a new confidential
	// application gets a generated secret, shown once in the report.
	Secret    string `yaml:"secret" json:"-"`
	SecretEnv string `yaml:"secretEnv" json:"secretEnv,omitempty"`
}

// IdentityProvider is an upstream provider of the tenant's guests, matched
// by display name. Its type never changes once made; Foyer's own partner
// providers cannot be declared.
type IdentityProvider struct {
	DisplayName string `yaml:"displayName" json:"displayName"`
	// Type is OpenIDConnect, Google, MicrosoftAccount or GitHub.
	Type     string `yaml:"type" json:"type"`
	ClientID string `yaml:"clientId" json:"clientId"`
	// ClientSecret, or ClientSecretEnv naming the environment variable
	// holding it; stored sealed under the master key.
	ClientSecret    string `yaml:"clientSecret" json:"-"`
	ClientSecretEnv string `yaml:"clientSecretEnv" json:"clientSecretEnv,omitempty"`
	// Issuer is the OpenID issuer (OpenIDConnect only; the presets fix
	// their own).
	Issuer        *string        `yaml:"issuer" json:"issuer,omitempty"`
	Scopes        []string       `yaml:"scopes" json:"scopes,omitempty"`
	ClaimsMapping *ClaimsMapping `yaml:"claimsMapping" json:"claimsMapping,omitempty"`
	Domains       []string       `yaml:"domains" json:"domains,omitempty"`
	Enabled       *bool          `yaml:"enabled" json:"enabled,omitempty"`
	MFATrusted    *bool          `yaml:"mfaTrusted" json:"mfaTrusted,omitempty"`
}

// ClaimsMapping names the upstream claims that fill a guest's profile;
// each declared one is enforced, the others stay.
type ClaimsMapping struct {
	UserID      *string `yaml:"userId" json:"userId,omitempty"`
	DisplayName *string `yaml:"displayName" json:"displayName,omitempty"`
	GivenName   *string `yaml:"givenName" json:"givenName,omitempty"`
	Surname     *string `yaml:"surname" json:"surname,omitempty"`
	Email       *string `yaml:"email" json:"email,omitempty"`
}

// Parse reads a bootstrap file. Unknown keys are refused, every one of them
// named with its line, so a misspelt key never silently does nothing.
func Parse(data []byte) (File, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var f File
	if err := dec.Decode(&f); err != nil {
		if errors.Is(err, io.EOF) {
			return File{}, errors.New("bootstrap file is empty")
		}
		return File{}, fmt.Errorf("bootstrap file: %w", err)
	}
	var extra any
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return File{}, errors.New("bootstrap file: holds more than one YAML document")
	}
	return f, nil
}
