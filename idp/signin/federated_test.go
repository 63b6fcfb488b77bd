package signin

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/foyer-idp/foyer/federation"
	"github.com/foyer-idp/foyer/internal/directory"
	"github.com/foyer-idp/foyer/internal/store"
)

func TestUpstreamAMRTrustsMFAOnlyWhereTheTenantSaysSo(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		trusted bool
		amr     []string
		want    []string
	}{
		{"untrusted provider's mfa is not claimed", false, []string{"pwd", "mfa"}, []string{"fed"}},
		{"trusted provider with mfa", true, []string{"pwd", "mfa"}, []string{"fed", "mfa"}},
		{"trusted provider, two kinds of method", true, []string{"pwd", "otp"}, []string{"fed", "mfa"}},
		{"trusted provider, one factor", true, []string{"pwd"}, []string{"fed"}},
		{"trusted provider, no amr", true, nil, []string{"fed"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := upstreamAMR(store.IdentityProvider{MFATrusted: tc.trusted}, federation.Identity{AMR: tc.amr})
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestFederatedProviderFindsTheEnabledProviderOfTheIdentity(t *testing.T) {
	t.Parallel()
	google := store.IdentityProvider{ID: "g", Type: store.IdPGoogle, Issuer: "https://accounts.google.com", Enabled: true}
	microsoft := store.IdentityProvider{ID: "m", Type: store.IdPMicrosoft, Enabled: true}
	github := store.IdentityProvider{ID: "gh", Type: store.IdPGitHub, Enabled: true}
	off := store.IdentityProvider{ID: "off", Type: store.IdPGoogle, Issuer: "https://off.example", Enabled: false}
	providers := []store.IdentityProvider{off, google, microsoft, github}
	fed := func(issuer string) store.User {
		return store.User{Identities: []store.Identity{{SignInType: store.SignInTypeFederated, Issuer: issuer, IssuerAssignedID: "s"}}}
	}
	for _, tc := range []struct {
		name string
		user store.User
		want string // provider id, "" for none
	}{
		{"exact issuer", fed("https://accounts.google.com"), "g"},
		{"microsoft's per-tenant issuer", fed("https://login.microsoftonline.com/9188040d/v2.0"), "m"},
		{"github", fed("https://github.com"), "gh"},
		{"switched-off provider", fed("https://off.example"), ""},
		{"unknown issuer", fed("https://accounts.google.com.evil.example"), ""},
		{"mail identity is not federated", store.User{Identities: []store.Identity{{SignInType: store.SignInTypeEmail, Issuer: "https://accounts.google.com"}}}, ""},
		{"no identities", store.User{}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p, ok := federatedProvider(providers, tc.user)
			assert.Equal(t, tc.want != "", ok)
			assert.Equal(t, tc.want, p.ID)
		})
	}
}

func TestSignsInWithPasscode(t *testing.T) {
	t.Parallel()
	mailID := store.Identity{Issuer: directory.IssuerMail, IssuerAssignedID: "Sam@Fabrikam.test"}
	accepted := store.User{UserType: store.UserTypeGuest, ExternalUserState: store.ExternalStateAccepted,
		Mail: "sam@fabrikam.test", Identities: []store.Identity{mailID}}
	assert.True(t, signsInWithPasscode(accepted), "an accepted guest proven by passcode, address case aside")
	pending := accepted
	pending.ExternalUserState = store.ExternalStatePending
	assert.False(t, signsInWithPasscode(pending), "a pending guest")
	member := accepted
	member.UserType = store.UserTypeMember
	assert.False(t, signsInWithPasscode(member), "a member")
	moved := accepted
	moved.Mail = "sam@elsewhere.test"
	assert.False(t, signsInWithPasscode(moved), "a guest whose mail is no longer the proven address")
}

func TestUpperFirst(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "", upperFirst(""))
	assert.Equal(t, "The provider is off", upperFirst("the provider is off"))
}
