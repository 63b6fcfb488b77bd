package storetest

import (
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/internal/store"
)

// baseTime is the fixtures' clock: fixed, in UTC and whole microseconds, so
// a record survives a round trip unchanged and require.Equal compares it
// whole. Times that need truncating are tested apart, in times.go.
func baseTime() time.Time { return time.Date(2025, 6, 1, 9, 30, 0, 123456000, time.UTC) }

func at(d time.Duration) time.Time { return baseTime().Add(d) }

func ptr[T any](v T) *T { return &v }

// newID answers a UUIDv7, as callers use: ids sort in creation order.
func newID() string { return uuid.Must(uuid.NewV7()).String() }

func tenantFixture(slug string) store.Tenant {
	return store.Tenant{
		ID:          newID(),
		Slug:        slug,
		DisplayName: slug + " Ltd",
		Branding:    store.Branding{LogoURL: "https://" + slug + ".example/logo.png", AccentColor: "#0055aa", SenderName: slug},
		SigningAlg:  "ES256",
		Invitations: store.InvitationPolicy{AllowInvitesFrom: store.InvitesFromEveryone,
			RedemptionOrder: []string{store.RedeemPartnerTenant, store.RedeemEmailPasscode}},
		MFA:       store.MFAPolicy{Required: store.MFARequiredGuests, PeriodSeconds: 30},
		CreatedAt: at(0),
		UpdatedAt: at(time.Second),
	}
}

func createTenant(t *testing.T, s store.Store, slug string) store.Tenant {
	t.Helper()
	tn := tenantFixture(slug)
	require.NoError(t, s.CreateTenant(t.Context(), tn))
	return tn
}

func memberFixture(tenantID, name string) store.User {
	upn := name + "@contoso.example"
	return store.User{
		TenantID:          tenantID,
		ID:                newID(),
		DisplayName:       name,
		GivenName:         name,
		Surname:           "Tester",
		Mail:              upn,
		UserPrincipalName: upn,
		UserType:          store.UserTypeMember,
		AccountEnabled:    true,
		Identities: []store.Identity{
			{SignInType: store.SignInTypeUPN, Issuer: "contoso.example", IssuerAssignedID: upn},
		},
		CreatedAt:    at(0),
		UpdatedAt:    at(time.Second),
		PasswordHash: "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2g",
	}
}

func guestFixture(tenantID, name string) store.User {
	mail := name + "@fabrikam.example"
	return store.User{
		TenantID:                   tenantID,
		ID:                         newID(),
		DisplayName:                name + " (Fabrikam)",
		Mail:                       mail,
		UserPrincipalName:          name + "_fabrikam.example#EXT#@contoso.example",
		UserType:                   store.UserTypeGuest,
		ExternalUserState:          store.ExternalStatePending,
		ExternalUserStateChangedAt: ptr(at(time.Minute)),
		CreationType:               store.CreationTypeInvitation,
		AccountEnabled:             true,
		Identities: []store.Identity{
			{SignInType: store.SignInTypeFederated, Issuer: "https://login.fabrikam.example", IssuerAssignedID: "sub-" + name},
			{SignInType: store.SignInTypeEmail, Issuer: "contoso.example", IssuerAssignedID: mail},
		},
		CreatedAt: at(0),
		UpdatedAt: at(time.Second),
	}
}

func createUser(t *testing.T, s store.Store, u store.User) store.User {
	t.Helper()
	require.NoError(t, s.CreateUser(t.Context(), u))
	return u
}

func groupFixture(tenantID, name string) store.Group {
	return store.Group{
		TenantID:              tenantID,
		ID:                    newID(),
		DisplayName:           name,
		Description:           "the " + name + " group",
		OwnersCanInviteGuests: true,
		CreatedAt:             at(0),
		UpdatedAt:             at(time.Second),
	}
}

func createGroup(t *testing.T, s store.Store, g store.Group) store.Group {
	t.Helper()
	require.NoError(t, s.CreateGroup(t.Context(), g))
	return g
}

func applicationFixture(tenantID, name string) store.Application {
	return store.Application{
		TenantID:               tenantID,
		ID:                     newID(),
		ClientID:               name + "-client",
		DisplayName:            name,
		ClientType:             store.ClientConfidential,
		RedirectURIs:           []string{"https://" + name + ".example/callback", "https://" + name + ".example/cb2"},
		PostLogoutRedirectURIs: []string{"https://" + name + ".example/"},
		GrantTypes:             []string{"authorization_code", "refresh_token"},
		HomePageURL:            "https://" + name + ".example/",
		FirstParty:             false,
		AssignmentRequired:     true,
		RequiresMFA:            true,
		AccessTokenFormat:      "jwt",
		APIPermissions:         []string{"User.Invite.All"},
		CreatedAt:              at(0),
		UpdatedAt:              at(time.Second),
	}
}

func createApplication(t *testing.T, s store.Store, a store.Application) store.Application {
	t.Helper()
	require.NoError(t, s.CreateApplication(t.Context(), a))
	return a
}

func clientSecretFixture(a store.Application, created time.Duration) store.ClientSecret {
	return store.ClientSecret{
		TenantID:  a.TenantID,
		AppID:     a.ID,
		ID:        newID(),
		Hash:      "keyed-sha256:" + newID(),
		Hint:      "abc",
		CreatedAt: at(created),
		ExpiresAt: ptr(at(created + 90*24*time.Hour)),
	}
}

// signingKeyFixture answers a key in state, with the times its state implies.
func signingKeyFixture(tenantID, state string, created time.Duration) store.SigningKey {
	k := store.SigningKey{
		TenantID:      tenantID,
		ID:            newID(),
		Algorithm:     "ES256",
		State:         state,
		SealedPrivate: []byte("sealed:" + state),
		PublicJWK:     []byte(`{"kty":"EC","crv":"P-256"}`),
		CreatedAt:     at(created),
	}
	if state != store.KeyNext {
		k.ActivatedAt = ptr(at(created + time.Hour))
	}
	if state == store.KeyRetired {
		k.RetiredAt = ptr(at(created + 2*time.Hour))
		k.PublishUntil = ptr(at(created + 3*time.Hour))
	}
	return k
}

func createSigningKey(t *testing.T, s store.Store, k store.SigningKey) store.SigningKey {
	t.Helper()
	require.NoError(t, s.CreateSigningKey(t.Context(), k))
	return k
}

func tokenFixture(tenantID, kind string) store.Token {
	return store.Token{
		TenantID:  tenantID,
		Kind:      kind,
		Hash:      "sha256:" + newID(),
		SubjectID: newID(),
		Payload:   []byte(`{"nonce":"n-0S6_WzA2Mj"}`),
		CreatedAt: at(0),
		ExpiresAt: at(10 * time.Minute),
	}
}

func createToken(t *testing.T, s store.Store, tok store.Token) store.Token {
	t.Helper()
	require.NoError(t, s.CreateToken(t.Context(), tok))
	return tok
}

func auditFixture(tenantID, activity string, when time.Duration) store.AuditEvent {
	return store.AuditEvent{
		ID:            newID(),
		Time:          at(when),
		TenantID:      tenantID,
		Category:      "UserManagement",
		Activity:      activity,
		ActorType:     store.ActorUser,
		ActorID:       "actor-id",
		ActorName:     "admin@contoso.example",
		TargetType:    "User",
		TargetID:      newID(),
		TargetName:    "guest@fabrikam.example",
		Result:        store.ResultSuccess,
		ClientIP:      "203.0.113.7",
		UserAgent:     "storetest",
		CorrelationID: newID(),
	}
}

func appendAudit(t *testing.T, s store.Store, e store.AuditEvent) store.AuditEvent {
	t.Helper()
	require.NoError(t, s.AppendAudit(t.Context(), e))
	return e
}

// world is one tenant with a row in every table it owns.
type world struct {
	Tenant    store.Tenant
	Member    store.User
	Guest     store.User
	Group     store.Group
	App       store.Application
	Secret    store.ClientSecret
	ActiveKey store.SigningKey
	NextKey   store.SigningKey
	Token     store.Token
	Audit     store.AuditEvent
	Role      string
	// The OpenID provider's state: the member signed in to App.
	AuthRequest store.AuthRequest
	Session     store.Session
	Refresh     store.RefreshToken
	Access      store.AccessToken
	Consent     store.Consent
	CounterKey  string // at 1, expiring in 15 minutes
}

// populate creates a world for a new tenant named slug.
func populate(t *testing.T, s store.Store, slug string) world {
	t.Helper()
	ctx := t.Context()
	tn := createTenant(t, s, slug)
	w := world{
		Tenant:    tn,
		Member:    createUser(t, s, memberFixture(tn.ID, "alex")),
		Guest:     createUser(t, s, guestFixture(tn.ID, "bo")),
		Group:     createGroup(t, s, groupFixture(tn.ID, "engineering")),
		App:       createApplication(t, s, applicationFixture(tn.ID, "wiki")),
		ActiveKey: createSigningKey(t, s, signingKeyFixture(tn.ID, store.KeyActive, 0)),
		NextKey:   createSigningKey(t, s, signingKeyFixture(tn.ID, store.KeyNext, time.Hour)),
		Token:     createToken(t, s, tokenFixture(tn.ID, "invitation")),
		Audit:     appendAudit(t, s, auditFixture(tn.ID, "Invite external user", 0)),
		Role:      "Guest Inviter",
	}
	w.Secret = clientSecretFixture(w.App, 0)
	require.NoError(t, s.AddClientSecret(ctx, w.Secret))
	require.NoError(t, s.AddGroupMember(ctx, tn.ID, w.Group.ID, w.Guest.ID))
	require.NoError(t, s.AddGroupOwner(ctx, tn.ID, w.Group.ID, w.Member.ID))
	require.NoError(t, s.AddApplicationOwner(ctx, tn.ID, w.App.ID, w.Member.ID))
	require.NoError(t, s.AddAssignment(ctx, store.Assignment{TenantID: tn.ID, AppID: w.App.ID,
		PrincipalType: store.PrincipalUser, PrincipalID: w.Member.ID, CreatedAt: at(0)}))
	require.NoError(t, s.AddAssignment(ctx, store.Assignment{TenantID: tn.ID, AppID: w.App.ID,
		PrincipalType: store.PrincipalGroup, PrincipalID: w.Group.ID, CreatedAt: at(time.Second)}))
	require.NoError(t, s.AssignRole(ctx, tn.ID, w.Member.ID, w.Role))

	w.AuthRequest = createAuthRequest(t, s, authRequestFixture(tn.ID, w.App.ClientID))
	w.Session = createSession(t, s, sessionFixture(tn.ID, w.Member.ID))
	w.Refresh = createRefreshToken(t, s, refreshTokenFixture(tn.ID, w.Member.ID, w.App.ClientID))
	w.Access = createAccessToken(t, s, accessTokenFixture(w.Refresh))
	w.Consent = saveConsent(t, s, consentFixture(tn.ID, w.Member.ID, w.App.ClientID))
	w.CounterKey = "signin-failures:" + w.Member.UserPrincipalName
	require.EqualValues(t, 1, increment(t, s, tn.ID, w.CounterKey, 15*time.Minute, 0))
	return w
}
