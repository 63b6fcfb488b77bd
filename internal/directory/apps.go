package directory

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/foyer-idp/foyer/internal/audit"
	"github.com/foyer-idp/foyer/internal/secret"
	"github.com/foyer-idp/foyer/internal/store"
)

// Grant types an application may hold.
const (
	GrantAuthorizationCode = "authorization_code"
	GrantRefreshToken      = "refresh_token"
	GrantClientCredentials = "client_credentials"
	// GrantDeviceCode is RFC 8628's device authorization grant, for apps
	// on devices without a browser (command-line tools, TVs).
	GrantDeviceCode = "urn:ietf:params:oauth:grant-type:device_code"
)

var grantTypes = []string{GrantAuthorizationCode, GrantRefreshToken, GrantClientCredentials, GrantDeviceCode}

// APIPermissions are the admin-API permissions an application can be
// granted for itself, by Microsoft Graph's names.
var APIPermissions = []string{
	"User.Invite.All", "User.ReadWrite.All", "Group.ReadWrite.All",
	"Application.ReadWrite.All", "AuditLog.Read.All", "Policy.ReadWrite.Authentication",
	"Policy.ReadWrite.Authorization", "IdentityProvider.ReadWrite.All", "Domain.ReadWrite.All",
	"Policy.ReadWrite.AuthenticationMethod", "UserAuthenticationMethod.ReadWrite.All", "Organization.ReadWrite.All",
	"RoleManagement.ReadWrite.Directory",
}

var clientTypes = []string{store.ClientConfidential, store.ClientPublic, store.ClientNative}

// ClientSecretBytes is the entropy of a generated client secret: 256 bits.
const ClientSecretBytes = 32

// NewApplication is what registering an application takes.
type NewApplication struct {
	DisplayName            string
	ClientID               string // empty: a generated GUID
	ClientType             string // empty: confidential
	RedirectURIs           []string
	PostLogoutRedirectURIs []string
	GrantTypes             []string // empty: authorization_code and refresh_token
	HomePageURL            string
	FirstParty             bool
	AssignmentRequired     bool
	RequiresMFA            bool   // every sign-in proves a second factor, whatever the tenant's rule
	AccessTokenFormat      string // empty: jwt
	APIPermissions         []string
	// WithoutSecret registers a confidential application without a first
	// secret: the caller adds them (the admin API, as Graph does).
	WithoutSecret bool
}

// SecretInput is what adding a client secret takes.
type SecretInput struct {
	DisplayName string     // the admin's label; may be empty
	ExpiresAt   *time.Time // nil: never
}

// ApplicationPatch changes the fields that are set. The client id and type
// never change: tokens and secrets were issued for them.
type ApplicationPatch struct {
	DisplayName            *string
	RedirectURIs           *[]string
	PostLogoutRedirectURIs *[]string
	GrantTypes             *[]string
	HomePageURL            *string
	FirstParty             *bool
	AssignmentRequired     *bool
	RequiresMFA            *bool
	AccessTokenFormat      *string
	APIPermissions         *[]string
}

// NewSecret is a client secret as shown once to the admin.
type NewSecret struct {
	store.ClientSecret
	Value string `json:"secretText"`
}

func checkApplication(a store.Application) error {
	var p problems
	p.add(checkName("displayName", a.DisplayName, 256))
	p.add(checkClientID("appId", a.ClientID))
	if !slices.Contains(clientTypes, a.ClientType) {
		p.add(invalid("clientType", "must be one of %v", clientTypes))
	}
	for _, u := range a.RedirectURIs {
		p.add(checkRedirectURI("redirectUris", u, a.ClientType))
	}
	for _, u := range a.PostLogoutRedirectURIs {
		p.add(checkRedirectURI("postLogoutRedirectUris", u, a.ClientType))
	}
	p.add(checkWebURL("homePageUrl", a.HomePageURL))
	for _, g := range a.GrantTypes {
		if !slices.Contains(grantTypes, g) {
			p.add(invalid("grantTypes", "%q is not one of %v", g, grantTypes))
		}
	}
	if len(a.GrantTypes) == 0 {
		p.add(invalid("grantTypes", "at least one is required"))
	}
	isConfidential := a.ClientType == store.ClientConfidential
	if !isConfidential && slices.Contains(a.GrantTypes, GrantClientCredentials) {
		p.add(invalid("grantTypes", "client_credentials needs a confidential client"))
	}
	for _, perm := range a.APIPermissions {
		if !slices.Contains(APIPermissions, perm) {
			p.add(invalid("apiPermissions", "%q is not one of %v", perm, APIPermissions))
		}
	}
	if !isConfidential && len(a.APIPermissions) > 0 {
		p.add(invalid("apiPermissions", "only a confidential client can hold application permissions"))
	}
	if a.AccessTokenFormat != "jwt" && a.AccessTokenFormat != "opaque" {
		p.add(invalid("accessTokenFormat", "must be jwt or opaque"))
	}
	return p.Err()
}

func appEntry(tenantID, activity string, a store.Application) audit.Entry {
	return audit.Entry{TenantID: tenantID, Category: audit.CategoryApplication, Activity: activity,
		Target: audit.Target{Type: audit.TargetApplication, ID: a.ID, Name: a.DisplayName}}
}

// changeApplication runs fn on the application, read in the transaction
// of one audited change (activity) that names it. A missing application
// is refused on the field missing, or answered as the store's
// ErrNotFound when missing is "".
func (d *Directory) changeApplication(ctx context.Context, tenantID, appID, activity, missing string,
	fn func(tx store.Store, a store.Application) error) error {
	return d.change(ctx, appEntry(tenantID, activity, store.Application{ID: appID}), func(tx store.Store, e *audit.Entry) error {
		a, err := tx.GetApplication(ctx, tenantID, appID)
		if err != nil {
			if missing != "" {
				return notFoundAs(err, missing, appID)
			}
			return err
		}
		e.Target.Name = a.DisplayName
		return fn(tx, a)
	})
}

// CreateApplication registers an application. A confidential one gets a
// generated secret, answered here once and never again.
func (d *Directory) CreateApplication(ctx context.Context, tenantID string, in NewApplication) (store.Application, *NewSecret, error) {
	now := d.clock()
	a := store.Application{
		TenantID: tenantID, ID: secret.NewID(), ClientID: in.ClientID, DisplayName: in.DisplayName,
		ClientType: in.ClientType, RedirectURIs: dedupe(in.RedirectURIs),
		PostLogoutRedirectURIs: dedupe(in.PostLogoutRedirectURIs), GrantTypes: dedupe(in.GrantTypes),
		HomePageURL: in.HomePageURL, FirstParty: in.FirstParty, AssignmentRequired: in.AssignmentRequired,
		RequiresMFA: in.RequiresMFA, AccessTokenFormat: in.AccessTokenFormat, APIPermissions: dedupe(in.APIPermissions),
		CreatedAt: now, UpdatedAt: now,
	}
	if a.ClientID == "" {
		a.ClientID = secret.NewID()
	}
	if a.ClientType == "" {
		a.ClientType = store.ClientConfidential
	}
	if len(a.GrantTypes) == 0 {
		a.GrantTypes = []string{GrantAuthorizationCode, GrantRefreshToken}
	}
	if a.AccessTokenFormat == "" {
		a.AccessTokenFormat = "jwt"
	}
	var sec *NewSecret
	err := d.change(ctx, appEntry(tenantID, audit.ActivityAddApplication, a), func(tx store.Store, _ *audit.Entry) error {
		if err := checkApplication(a); err != nil {
			return err
		}
		if err := tx.CreateApplication(ctx, a); err != nil {
			return notFoundAs(conflictAs(err, "appId", a.ClientID), "tenant", tenantID)
		}
		if a.ClientType != store.ClientConfidential || in.WithoutSecret {
			return nil
		}
		var err error
		sec, err = d.addSecret(ctx, tx, a, SecretInput{})
		return err
	})
	if err != nil {
		return store.Application{}, nil, err
	}
	return a, sec, nil
}

// addSecret generates, hashes and stores a secret for a.
func (d *Directory) addSecret(ctx context.Context, tx store.Store, a store.Application, in SecretInput) (*NewSecret, error) {
	value := secret.NewToken(ClientSecretBytes)
	s := store.ClientSecret{
		TenantID: a.TenantID, AppID: a.ID, ID: secret.NewID(), Hash: d.secrets.Hash(value),
		Hint: value[:3], DisplayName: in.DisplayName, CreatedAt: d.clock(), ExpiresAt: in.ExpiresAt,
	}
	if err := tx.AddClientSecret(ctx, s); err != nil {
		return nil, err
	}
	return &NewSecret{ClientSecret: s, Value: value}, nil
}

// Application answers the application with this object id or client id.
func (d *Directory) Application(ctx context.Context, tenantID, ref string) (store.Application, error) {
	a, err := d.store.GetApplicationByClientID(ctx, tenantID, ref)
	if errors.Is(err, store.ErrNotFound) {
		a, err = d.store.GetApplication(ctx, tenantID, ref)
	}
	if err != nil {
		return store.Application{}, fmt.Errorf("application %q: %w", ref, err)
	}
	return a, nil
}

// Applications answers the tenant's applications.
func (d *Directory) Applications(ctx context.Context, tenantID string) ([]store.Application, error) {
	return d.store.ListApplications(ctx, tenantID)
}

// UpdateApplication applies p to the application.
func (d *Directory) UpdateApplication(ctx context.Context, tenantID, appID string, p ApplicationPatch) (store.Application, error) {
	var a store.Application
	err := d.change(ctx, appEntry(tenantID, audit.ActivityUpdateApplication, store.Application{ID: appID}), func(tx store.Store, e *audit.Entry) error {
		var err error
		if a, err = tx.GetApplication(ctx, tenantID, appID); err != nil {
			return err
		}
		setIf(&a.DisplayName, p.DisplayName)
		setIf(&a.RedirectURIs, p.RedirectURIs)
		setIf(&a.PostLogoutRedirectURIs, p.PostLogoutRedirectURIs)
		setIf(&a.GrantTypes, p.GrantTypes)
		setIf(&a.HomePageURL, p.HomePageURL)
		setIf(&a.FirstParty, p.FirstParty)
		setIf(&a.AssignmentRequired, p.AssignmentRequired)
		setIf(&a.RequiresMFA, p.RequiresMFA)
		setIf(&a.AccessTokenFormat, p.AccessTokenFormat)
		setIf(&a.APIPermissions, p.APIPermissions)
		a.RedirectURIs, a.PostLogoutRedirectURIs = dedupe(a.RedirectURIs), dedupe(a.PostLogoutRedirectURIs)
		a.GrantTypes, a.APIPermissions = dedupe(a.GrantTypes), dedupe(a.APIPermissions)
		e.Target.Name = a.DisplayName
		if err := checkApplication(a); err != nil {
			return err
		}
		a.UpdatedAt = d.clock()
		return tx.UpdateApplication(ctx, a)
	})
	if err != nil {
		return store.Application{}, err
	}
	return a, nil
}

// DeleteApplication removes the application with its secrets, owners and
// assignments.
func (d *Directory) DeleteApplication(ctx context.Context, tenantID, appID string) error {
	return d.changeApplication(ctx, tenantID, appID, audit.ActivityDeleteApplication, "", func(tx store.Store, _ store.Application) error {
		return tx.DeleteApplication(ctx, tenantID, appID)
	})
}

// AddClientSecret generates another secret for a confidential application,
// so secrets can be rolled over without downtime.
func (d *Directory) AddClientSecret(ctx context.Context, tenantID, appID string, in SecretInput) (*NewSecret, error) {
	var sec *NewSecret
	err := d.changeApplication(ctx, tenantID, appID, audit.ActivityAddAppSecret, "", func(tx store.Store, a store.Application) error {
		if a.ClientType != store.ClientConfidential {
			return invalid("clientType", "only a confidential client has secrets")
		}
		if in.ExpiresAt != nil && !in.ExpiresAt.After(d.clock()) {
			return invalid("endDateTime", "must be in the future")
		}
		if fe := checkText("displayName", in.DisplayName, 256); fe != nil {
			return fe
		}
		var err error
		sec, err = d.addSecret(ctx, tx, a, in)
		return err
	})
	return sec, err
}

// Limits of a secret the operator chose (ImportClientSecret).
const (
	// MinImportedSecretLength is what callers pass as minLength outside
	// development: a chosen secret should be as hard to guess as a
	// generated one, and a keyed SHA-256 does nothing to slow guessing.
	MinImportedSecretLength = 32
	maxImportedSecretLength = 512
)

// ImportClientSecret stores the keyed hash of a secret the operator chose
// (a bootstrap file, development mode) for a confidential application. A
// value shorter than minLength characters is refused on "secret"; callers
// pass MinImportedSecretLength except development mode. expiresAt may be
// nil. The value itself is never stored, logged or audited.
func (d *Directory) ImportClientSecret(ctx context.Context, tenantID, appID, value string, expiresAt *time.Time, minLength int) (store.ClientSecret, error) {
	var s store.ClientSecret
	err := d.changeApplication(ctx, tenantID, appID, audit.ActivityAddAppSecret, "", func(tx store.Store, a store.Application) error {
		if a.ClientType != store.ClientConfidential {
			return invalid("clientType", "only a confidential client has secrets")
		}
		if fe := checkImportedSecret("secret", value, minLength); fe != nil {
			return fe
		}
		if expiresAt != nil && !expiresAt.After(d.clock()) {
			return invalid("endDateTime", "must be in the future")
		}
		s = store.ClientSecret{
			TenantID: tenantID, AppID: a.ID, ID: secret.NewID(), Hash: d.secrets.Hash(value),
			Hint: string([]rune(value)[:3]), CreatedAt: d.clock(), ExpiresAt: expiresAt,
		}
		return tx.AddClientSecret(ctx, s)
	})
	if err != nil {
		return store.ClientSecret{}, err
	}
	return s, nil
}

// checkImportedSecret never quotes the value: it is a credential.
func checkImportedSecret(field, value string, minLength int) *FieldError {
	minLength = max(minLength, 3) // the hint shows three characters
	n := utf8.RuneCountInString(value)
	switch {
	case !utf8.ValidString(value) || n > maxImportedSecretLength:
		return invalid(field, "must be valid text of at most %d characters", maxImportedSecretLength)
	case strings.IndexFunc(value, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0:
		return invalid(field, "must not contain spaces or control characters")
	case n < minLength:
		return invalid(field, "is too short: at least %d characters", minLength)
	}
	return nil
}

// RemoveClientSecret deletes one of the application's secrets.
func (d *Directory) RemoveClientSecret(ctx context.Context, tenantID, appID, secretID string) error {
	return d.changeApplication(ctx, tenantID, appID, audit.ActivityRemoveAppSecret, "", func(tx store.Store, _ store.Application) error {
		return notFoundAs(tx.DeleteClientSecret(ctx, tenantID, appID, secretID), "keyId", secretID)
	})
}

// ClientSecrets answers the application's secrets (hint and dates only).
func (d *Directory) ClientSecrets(ctx context.Context, tenantID, appID string) ([]store.ClientSecret, error) {
	return d.store.ListClientSecrets(ctx, tenantID, appID)
}

// VerifyClientSecret answers the confidential application with this client
// id when value is one of its unexpired secrets; otherwise
// ErrBadCredentials. It costs two indexed reads and one HMAC per secret:
// cheap enough for the token endpoint.
func (d *Directory) VerifyClientSecret(ctx context.Context, tenantID, clientID, value string) (store.Application, error) {
	c, err := d.loadClient(ctx, tenantID, clientID)
	return d.authenticate(c, err, value)
}

func dedupe(list []string) []string {
	out := make([]string, 0, len(list))
	for _, s := range list {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}
