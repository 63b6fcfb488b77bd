package store

import "time"

// Times are stored in UTC with microsecond precision; back ends truncate
// what they are given so a round trip compares equal.

// Tenant is an organisation with its own issuer, directory and keys.
type Tenant struct {
	ID          string   `json:"id"`
	Slug        string   `json:"slug"`
	DisplayName string   `json:"displayName"`
	Branding    Branding `json:"branding"`
	SigningAlg  string   `json:"signingAlgorithm"` // RS256, ES256 or EdDSA
	// Invitations says who may invite guests and from which domains.
	Invitations InvitationPolicy `json:"invitationPolicy"`
	// MFA says who must prove a second factor.
	MFA       MFAPolicy `json:"mfaPolicy"`
	CreatedAt time.Time `json:"createdDateTime"`
	UpdatedAt time.Time `json:"updatedDateTime"`
}

// Branding is what the tenant's pages and emails carry.
type Branding struct {
	LogoURL     string `json:"logoUrl,omitempty"`
	AccentColor string `json:"accentColor,omitempty"` // #rrggbb
	SenderName  string `json:"senderName,omitempty"`
}

// Who may invite guests, by the values of Graph's
// authorizationPolicy.allowInvitesFrom.
const (
	InvitesFromNone                   = "none"
	InvitesFromAdminsAndGuestInviters = "adminsAndGuestInviters"
	InvitesFromAdminsInvitersMembers  = "adminsGuestInvitersAndAllMembers"
	InvitesFromEveryone               = "everyone"
	InviteDomainsAllow                = "allow"
	InviteDomainsDeny                 = "deny"
)

// InvitationPolicy is a tenant's rule for inviting guests.
type InvitationPolicy struct {
	// AllowInvitesFrom is one of the InvitesFrom values; empty means the
	// directory's default.
	AllowInvitesFrom string `json:"allowInvitesFrom"`
	// DomainRule is empty (any domain), "allow" (only Domains) or "deny"
	// (any but Domains); it is checked at invitation and at redemption.
	DomainRule string   `json:"domainRule,omitempty"`
	Domains    []string `json:"domains,omitempty"`
	// RedemptionOrder ranks the ways a guest may redeem, by the
	// Redeem… values; empty means DefaultRedemptionOrder.
	RedemptionOrder []string `json:"redemptionOrder,omitempty"`
	// RedeemWithAnyAccount is Entra's looser rule: the account used to
	// redeem need not prove the invited address (it is recorded and
	// audited instead).
	RedeemWithAnyAccount bool `json:"redeemWithAnyAccount,omitempty"`
}

// Ways to redeem an invitation, for InvitationPolicy.RedemptionOrder.
const (
	RedeemPartnerTenant    = "partnerTenant"    // another tenant of this Foyer owning the email's domain
	RedeemIdentityProvider = "identityProvider" // an external provider serving the domain
	RedeemSocialProvider   = "socialProvider"   // Google, Microsoft accounts, GitHub
	RedeemEmailPasscode    = "emailPasscode"
)

// DefaultRedemptionOrder is Entra's order.
var DefaultRedemptionOrder = []string{RedeemPartnerTenant, RedeemIdentityProvider, RedeemSocialProvider, RedeemEmailPasscode}

// User types and external states, as Microsoft Graph names them.
const (
	UserTypeMember = "Member"
	UserTypeGuest  = "Guest"

	ExternalStatePending  = "PendingAcceptance"
	ExternalStateAccepted = "Accepted"

	SignInTypeEmail     = "emailAddress"
	SignInTypeUPN       = "userPrincipalName"
	SignInTypeFederated = "federated"

	// CreationTypeInvitation marks guests made by an invitation; members
	// made by an admin have no creation type, as in Graph.
	CreationTypeInvitation = "Invitation"
)

// User is a member or guest of one tenant, shaped like Graph's user.
type User struct {
	TenantID          string `json:"-"`
	ID                string `json:"id"`
	DisplayName       string `json:"displayName"`
	GivenName         string `json:"givenName,omitempty"`
	Surname           string `json:"surname,omitempty"`
	Mail              string `json:"mail,omitempty"` // lower-cased
	UserPrincipalName string `json:"userPrincipalName"`
	UserType          string `json:"userType"`
	// ExternalUserState is empty for members.
	ExternalUserState          string     `json:"externalUserState"`
	ExternalUserStateChangedAt *time.Time `json:"externalUserStateChangeDateTime"`
	CreationType               string     `json:"creationType"`
	AccountEnabled             bool       `json:"accountEnabled"`
	Identities                 []Identity `json:"identities"`
	CreatedAt                  time.Time  `json:"createdDateTime"`
	UpdatedAt                  time.Time  `json:"-"`
	// PasswordHash is an argon2id PHC string, empty for users without a
	// local password. Never serialised.
	PasswordHash string `json:"-"`
	// SignInSessionsValidFrom, when set, is the moment from which the
	// user's sign-ins count: sessions and tokens from a sign-in before it
	// are not honoured (see Honours). Disabling the account sets it.
	SignInSessionsValidFrom *time.Time `json:"-"`
	// MailVerified: Foyer itself verified Mail (the invited address at
	// redemption, or an upstream's verified address in a domain that
	// upstream serves). Only then do tokens say email_verified true. Any
	// other change of Mail clears it.
	MailVerified bool `json:"-"`
	// ForceChangePassword is Graph's
	// passwordProfile.forceChangePasswordNextSignIn: the member's next
	// password sign-in must choose a new password before it goes on.
	// Changing the password (ChangePasswordHash) clears it.
	ForceChangePassword bool `json:"-"`
}

// Honours reports whether a session or token of the user, from a sign-in
// at authTime, may still be used: the account is enabled and the sign-in
// is not older than SignInSessionsValidFrom.
func (u User) Honours(authTime time.Time) bool {
	return u.AccountEnabled && (u.SignInSessionsValidFrom == nil || !authTime.Before(*u.SignInSessionsValidFrom))
}

// Identity links a user to a way of signing in. (Issuer, IssuerAssignedID)
// is unique within a tenant.
type Identity struct {
	SignInType       string `json:"signInType"`
	Issuer           string `json:"issuer"`
	IssuerAssignedID string `json:"issuerAssignedId"`
}

// UserFilter narrows ListUsers. Zero values match everything.
type UserFilter struct {
	UserType          string
	ExternalUserState string
	// LastSignInFrom and LastSignInUntil keep users whose latest
	// sign-in attempt (the sign-in log's) falls in the range, both
	// inclusive; a user who never tried matches neither.
	LastSignInFrom  time.Time
	LastSignInUntil time.Time
	// AfterID pages: only users whose id sorts after it. Ids are UUIDv7,
	// so this is creation order.
	AfterID string
	// Limit caps the answer; 0 means no cap.
	Limit int
}

// Group is a set of users; OwnersCanInviteGuests lets its owners invite
// guests straight into it.
type Group struct {
	TenantID              string    `json:"-"`
	ID                    string    `json:"id"`
	DisplayName           string    `json:"displayName"`
	Description           string    `json:"description,omitempty"`
	OwnersCanInviteGuests bool      `json:"ownersCanInviteGuests"`
	CreatedAt             time.Time `json:"createdDateTime"`
	UpdatedAt             time.Time `json:"-"`
}

// Client types of an application.
const (
	ClientConfidential = "confidential"
	ClientPublic       = "public" // browser apps: no secret, PKCE
	ClientNative       = "native" // installed apps: no secret, PKCE, loopback redirects
)

// Application is an OIDC client of one tenant.
type Application struct {
	TenantID    string `json:"-"`
	ID          string `json:"id"`
	ClientID    string `json:"appId"`
	DisplayName string `json:"displayName"`
	ClientType  string `json:"clientType"`
	// RedirectURIs match exactly; no wildcards.
	RedirectURIs           []string `json:"redirectUris"`
	PostLogoutRedirectURIs []string `json:"postLogoutRedirectUris"`
	GrantTypes             []string `json:"grantTypes"`
	HomePageURL            string   `json:"homePageUrl,omitempty"`
	FirstParty             bool     `json:"firstParty"`
	AssignmentRequired     bool     `json:"appRoleAssignmentRequired"`
	// RequiresMFA makes every sign-in to the app prove a second factor,
	// whatever the tenant's rule.
	RequiresMFA bool `json:"requiresMfa"`
	// AccessTokenFormat is "jwt" (default) or "opaque".
	AccessTokenFormat string `json:"accessTokenFormat"`
	// APIPermissions are the admin-API application permissions granted to
	// the app itself, by Graph's names (User.Invite.All …).
	APIPermissions []string  `json:"apiPermissions"`
	CreatedAt      time.Time `json:"createdDateTime"`
	UpdatedAt      time.Time `json:"-"`
}

// ClientSecret is a keyed hash of a generated secret; the secret itself is
// shown once and never stored.
type ClientSecret struct {
	TenantID string `json:"-"`
	AppID    string `json:"-"`
	ID       string `json:"keyId"`
	Hash     string `json:"-"`
	Hint     string `json:"hint"` // first characters, to tell secrets apart
	// DisplayName is the admin's label for the secret (Graph's
	// passwordCredential.displayName); may be empty.
	DisplayName string     `json:"displayName"`
	CreatedAt   time.Time  `json:"startDateTime"`
	ExpiresAt   *time.Time `json:"endDateTime"`
}

// Principal types of an assignment.
const (
	PrincipalUser  = "User"
	PrincipalGroup = "Group"
)

// Assignment grants a user or group access to an application.
type Assignment struct {
	TenantID      string    `json:"-"`
	AppID         string    `json:"resourceId"`
	PrincipalType string    `json:"principalType"`
	PrincipalID   string    `json:"principalId"`
	CreatedAt     time.Time `json:"createdDateTime"`
}

// Key states, in lifecycle order.
const (
	KeyNext    = "next"
	KeyActive  = "active"
	KeyRetired = "retired"
)

// SigningKey is one tenant key. The private half is sealed under the master
// key; the public half is a JWK.
type SigningKey struct {
	TenantID      string
	ID            string // kid
	Algorithm     string
	State         string
	SealedPrivate []byte
	PublicJWK     []byte
	CreatedAt     time.Time
	ActivatedAt   *time.Time
	RetiredAt     *time.Time
	// PublishUntil is when a retired key may leave the JWKS.
	PublishUntil *time.Time
}

// KeyRotation is one atomic step of the key lifecycle; see RotateSigningKeys.
type KeyRotation struct {
	TenantID       string
	ExpectActiveID string
	PromoteID      string
	NewNext        SigningKey
	At             time.Time
	RetireUntil    time.Time
}

// Audit results.
const (
	ResultSuccess = "success"
	ResultFailure = "failure"
)

// Actor types.
const (
	ActorUser   = "user"
	ActorApp    = "app"
	ActorSystem = "system"
)

// AuditEvent records one state change or access decision.
type AuditEvent struct {
	ID            string    `json:"id"`
	Time          time.Time `json:"activityDateTime"`
	TenantID      string    `json:"tenantId"`
	Category      string    `json:"category"`
	Activity      string    `json:"activityDisplayName"`
	ActorType     string    `json:"actorType"`
	ActorID       string    `json:"actorId,omitempty"`
	ActorName     string    `json:"actorName,omitempty"`
	TargetType    string    `json:"targetType,omitempty"`
	TargetID      string    `json:"targetId,omitempty"`
	TargetName    string    `json:"targetName,omitempty"`
	Result        string    `json:"result"`
	Reason        string    `json:"resultReason,omitempty"`
	ClientIP      string    `json:"ipAddress,omitempty"`
	UserAgent     string    `json:"userAgent,omitempty"`
	CorrelationID string    `json:"correlationId,omitempty"`
	// ModifiedProperties are the target's values the change replaced,
	// as Graph's directoryAudit names them; nil when the event says none.
	ModifiedProperties []ModifiedProperty `json:"modifiedProperties,omitempty"`
}

// ModifiedProperty is one changed property of an audit event's target:
// its name and its values before and after, as text (JSON for
// structured values).
type ModifiedProperty struct {
	Name     string `json:"displayName"`
	OldValue string `json:"oldValue"`
	NewValue string `json:"newValue"`
}

// AuditFilter narrows ListAudit. Zero values match everything.
type AuditFilter struct {
	TenantID string
	Activity string
	Category string
	Result   string
	// ActorID matches the actor's id or name; with ActorType set, only an
	// actor of that type whose id is ActorID.
	ActorID   string
	ActorType string
	TargetID  string
	// Since and Until bound the time, both inclusive.
	Since time.Time
	Until time.Time
	// BeforeID pages backwards: only events whose id sorts before it.
	BeforeID string
	// Before pages backwards in the log's own order: only events older
	// than the cursor (time, then id).
	Before LogCursor
	Limit  int
}

// LogCursor is a position in a log read newest first: the time and id of
// the last row seen. Zero means the start.
type LogCursor struct {
	At time.Time
	ID string
}

// IsZero reports whether the cursor is the start.
func (c LogCursor) IsZero() bool { return c.ID == "" }

// Sign-in authentication requirements, as Graph's signIn names them.
const (
	SingleFactor = "singleFactorAuthentication"
	MultiFactor  = "multiFactorAuthentication"
)

// SignIn is one interactive sign-in attempt, success or failure, as
// Graph's signIn resource describes it. User fields are a snapshot: the
// row outlives a renamed or deleted user.
type SignIn struct {
	ID                string
	TenantID          string
	CreatedAt         time.Time
	UserID            string // empty when the name typed matched nobody
	UserDisplayName   string
	UserPrincipalName string // as typed when UserID is empty
	UserType          string // UserTypeMember or UserTypeGuest; empty when unknown
	AppID             string // the client id
	AppDisplayName    string
	IPAddress         string
	UserAgent         string
	CorrelationID     string
	// AuthenticationRequirement is SingleFactor or MultiFactor.
	AuthenticationRequirement string
	// AuthenticationMethods are the methods used, in order ("Password",
	// "Email OTP", "Federated", "TOTP", "Recovery code").
	AuthenticationMethods []string
	// HomeTenantID is a guest's home tenant when a partner tenant
	// vouched for them.
	HomeTenantID  string
	ErrorCode     int // 0 on success
	FailureReason string
	// AttemptKey ties the row to its login transaction, so a refusal at
	// the end of the transaction turns the row into a failure instead of
	// adding a second one. Never published.
	AttemptKey string
}

// SignInActivity is when a user last tried to sign in, and last did;
// nil for never. It is read from the sign-in log, so it costs no write.
type SignInActivity struct {
	LastSignIn           *time.Time
	LastSuccessfulSignIn *time.Time
}

// SignInFilter narrows ListSignIns. Zero values match everything but the
// tenant, which is required.
type SignInFilter struct {
	TenantID  string
	UserID    string
	AppID     string
	UserType  string
	ErrorCode *int
	Since     time.Time
	Until     time.Time
	Before    LogCursor
	Limit     int
}

// Token is a hashed single-use bearer secret.
type Token struct {
	TenantID  string
	Kind      string // e.g. "auth_code", "invitation", "passcode"
	Hash      string
	SubjectID string
	// Payload is opaque to the store (JSON by convention).
	Payload    []byte
	CreatedAt  time.Time
	ExpiresAt  time.Time
	ConsumedAt *time.Time
}
