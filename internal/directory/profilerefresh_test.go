package directory_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/internal/audit"
	"github.com/foyer-idp/foyer/internal/directory"
	"github.com/foyer-idp/foyer/internal/store"
)

func testRefreshGuestProfile(t *testing.T, f *fixture) {
	ctx := t.Context()
	tn := f.inviteTenant(t, "woodgrove")
	in := guestInput("bo@fabrikam.example")
	in.DisplayName = "Bo"
	inv, _, err := f.dir.Invite(ctx, tn.ID, in)
	require.NoError(t, err)
	guest, err := f.store.GetUser(ctx, tn.ID, inv.User.ID)
	require.NoError(t, err)
	updates := func() []store.AuditEvent { return f.events(t, tn.ID, audit.ActivityUpdateUser) }

	// What the guest has already: nothing written, nothing audited.
	f.now = f.now.Add(time.Hour)
	require.NoError(t, f.dir.RefreshGuestProfile(ctx, tn.ID, guest.ID, directory.UpstreamProfile{
		Email: "BO@fabrikam.example", DisplayName: "Bo"}))
	got, err := f.store.GetUser(ctx, tn.ID, guest.ID)
	require.NoError(t, err)
	require.Equal(t, guest, got)
	require.Empty(t, updates())

	// A change is written once, with the guest as actor.
	profile := directory.UpstreamProfile{Email: "bo@fabrikam.example", DisplayName: "Bo Smith", GivenName: "Bo", Surname: "Smith"}
	require.NoError(t, f.dir.RefreshGuestProfile(ctx, tn.ID, guest.ID, profile))
	got, err = f.store.GetUser(ctx, tn.ID, guest.ID)
	require.NoError(t, err)
	require.Equal(t, "Bo Smith", got.DisplayName)
	require.Equal(t, "Bo", got.GivenName)
	require.Equal(t, "Smith", got.Surname)
	require.Equal(t, f.now, got.UpdatedAt)
	events := updates()
	require.Len(t, events, 1)
	require.Equal(t, guest.ID, events[0].ActorID)
	require.Equal(t, store.ActorUser, events[0].ActorType)
	require.Equal(t, guest.ID, events[0].TargetID)

	// The same again is no change; empty and invalid values keep what is.
	require.NoError(t, f.dir.RefreshGuestProfile(ctx, tn.ID, guest.ID, profile))
	require.NoError(t, f.dir.RefreshGuestProfile(ctx, tn.ID, guest.ID, directory.UpstreamProfile{
		DisplayName: strings.Repeat("x", 300), Email: "not an address"}))
	require.Len(t, updates(), 1)

	// The mail follows only a verified address of a served domain
	// (testRefreshGuestMail has every rule); a refusal keeps the mail and
	// is audited as a failure.
	prov, err := f.dir.CreateIdentityProvider(ctx, tn.ID, oidcInput("fabrikam"))
	require.NoError(t, err)
	member := f.member(t, tn.ID, "sam@woodgrove.example")
	require.NoError(t, f.dir.RefreshGuestProfile(ctx, tn.ID, guest.ID, directory.UpstreamProfile{
		Email: member.Mail, EmailVerified: true, ProviderID: prov.ID}))
	got, err = f.store.GetUser(ctx, tn.ID, guest.ID)
	require.NoError(t, err)
	require.Equal(t, "bo@fabrikam.example", got.Mail)
	events = updates()
	require.Len(t, events, 2)
	require.Equal(t, store.ResultFailure, events[0].Result, "newest first")

	require.NoError(t, f.dir.RefreshGuestProfile(ctx, tn.ID, guest.ID, directory.UpstreamProfile{
		Email: "Bo.Smith@Fabrikam.example", EmailVerified: true, ProviderID: prov.ID}))
	got, err = f.store.GetUser(ctx, tn.ID, guest.ID)
	require.NoError(t, err)
	require.Equal(t, "bo.smith@fabrikam.example", got.Mail)
	require.True(t, got.MailVerified, "an address the serving upstream verified")
	require.Len(t, updates(), 3)

	// Members' profiles are the directory's.
	err = f.dir.RefreshGuestProfile(ctx, tn.ID, member.ID, profile)
	require.ErrorIs(t, err, directory.ErrInvalid)
	require.ErrorIs(t, f.dir.RefreshGuestProfile(ctx, tn.ID, "nope", profile), store.ErrNotFound)
}

// testRefreshGuestMail tries every way an upstream could re-address its
// guest. Each refused address keeps the mail (and its verification) and
// is audited as a failed "Update user" naming the reason.
func testRefreshGuestMail(t *testing.T, f *fixture) {
	ctx := t.Context()
	tn := f.inviteTenant(t, "woodgrove")
	_, err := f.dir.AddDomain(ctx, tn.ID, "woodgrove.example")
	require.NoError(t, err)
	other := f.tenant(t, "contoso")
	_, err = f.dir.AddDomain(ctx, other.ID, "contoso.example")
	require.NoError(t, err)
	partner := f.tenant(t, "fabrikam")
	_, err = f.dir.AddDomain(ctx, partner.ID, "fabrikam.example")
	require.NoError(t, err)
	served, err := f.dir.CreateIdentityProvider(ctx, tn.ID, oidcInput("partner"))
	require.NoError(t, err)
	noDomains := oidcInput("social")
	noDomains.Domains = nil
	unscoped, err := f.dir.CreateIdentityProvider(ctx, tn.ID, noDomains)
	require.NoError(t, err)
	fabrikam, err := f.dir.PartnerProvider(ctx, tn.ID, partner.ID)
	require.NoError(t, err)
	f.member(t, tn.ID, "sam@partner.example")
	_, _, err = f.dir.Invite(ctx, tn.ID, guestInput("lee@partner.example"))
	require.NoError(t, err)

	// An accepted guest, invited as kim@partner.example, who proved it.
	inv, token, err := f.dir.Invite(ctx, tn.ID, guestInput("kim@partner.example"))
	require.NoError(t, err)
	_, _, err = f.dir.Redeem(ctx, tn, f.dir.RedeemTokenHash(token), directory.ProvenIdentity{
		Identity: store.Identity{SignInType: store.SignInTypeFederated, Issuer: "https://login.partner.example", IssuerAssignedID: "kim-1"},
		Email:    "kim@partner.example", EmailVerified: true})
	require.NoError(t, err)
	guest, err := f.store.GetUser(ctx, tn.ID, inv.User.ID)
	require.NoError(t, err)
	require.True(t, guest.MailVerified, "the invited address, proven at redemption")

	for _, tc := range []struct {
		name, email, provider string
		unverified            bool
		reason                string
	}{
		{"Unverified", "kim.new@partner.example", served.ID, true, "did not verify"},
		{"NoProvider", "kim.new@partner.example", "", false, "no identity provider"},
		{"UnknownProvider", "kim.new@partner.example", "nope", false, "no identity provider"},
		{"InvitingTenantsDomain", "cfo@woodgrove.example", served.ID, false, "verified domain of this organisation"},
		{"InvitingTenantsDomainNoDomains", "cfo@woodgrove.example", unscoped.ID, false, "verified domain of this organisation"},
		{"OtherTenantsDomain", "ceo@contoso.example", unscoped.ID, false, "another organisation verified"},
		{"PartnerDomainThroughOtherProvider", "sam@fabrikam.example", served.ID, false, "another organisation verified"},
		{"NotServed", "kim@gmail.example", served.ID, false, "not in a domain the identity provider serves"},
		{"NotTheInvitedDomain", "kim@gmail.example", unscoped.ID, false, "not in a domain the identity provider serves"},
		{"PartnerOutsideItsDomains", "kim@partner.example.evil", fabrikam.ID, false, "not in a domain"},
		{"HeldByAnotherUser", "sam@partner.example", served.ID, false, "another user of the organisation holds it"},
		{"HeldByPendingGuest", "lee@partner.example", served.ID, false, "another user of the organisation holds it"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f.now = f.now.Add(time.Minute)
			before := len(f.events(t, tn.ID, audit.ActivityUpdateUser))
			require.NoError(t, f.dir.RefreshGuestProfile(ctx, tn.ID, guest.ID, directory.UpstreamProfile{
				Email: tc.email, EmailVerified: !tc.unverified, ProviderID: tc.provider}))
			got, err := f.store.GetUser(ctx, tn.ID, guest.ID)
			require.NoError(t, err)
			require.Equal(t, "kim@partner.example", got.Mail)
			require.True(t, got.MailVerified)
			events := f.events(t, tn.ID, audit.ActivityUpdateUser)
			require.Len(t, events, before+1)
			last := events[0] // newest first
			require.Equal(t, store.ResultFailure, last.Result)
			require.Contains(t, last.Reason, tc.reason)
			require.Contains(t, last.Reason, tc.email)
			require.Equal(t, guest.ID, last.TargetID)
		})
	}

	t.Run("PendingInvitation", func(t *testing.T) {
		f.now = f.now.Add(time.Minute)
		// An invitation whose guest's mail was changed since: the address
		// is still promised to it.
		pend, _, err := f.dir.Invite(ctx, tn.ID, guestInput("ada@partner.example"))
		require.NoError(t, err)
		renamed := "ada.renamed@partner.example"
		_, err = f.dir.UpdateUser(ctx, tn.ID, pend.User.ID, directory.UserPatch{Mail: &renamed})
		require.NoError(t, err)
		require.NoError(t, f.dir.RefreshGuestProfile(ctx, tn.ID, guest.ID, directory.UpstreamProfile{
			Email: "ada@partner.example", EmailVerified: true, ProviderID: served.ID}))
		got, err := f.store.GetUser(ctx, tn.ID, guest.ID)
		require.NoError(t, err)
		require.Equal(t, "kim@partner.example", got.Mail)
		events := f.events(t, tn.ID, audit.ActivityUpdateUser)
		require.Contains(t, events[0].Reason, "an invitation to it is pending")
	})

	t.Run("ServedDomainFollows", func(t *testing.T) {
		require.NoError(t, f.dir.RefreshGuestProfile(ctx, tn.ID, guest.ID, directory.UpstreamProfile{
			Email: "kim.akers@partner.example", EmailVerified: true, ProviderID: served.ID}))
		got, err := f.store.GetUser(ctx, tn.ID, guest.ID)
		require.NoError(t, err)
		require.Equal(t, "kim.akers@partner.example", got.Mail)
		require.True(t, got.MailVerified)
		// Without configured domains, the invited address's domain is
		// served.
		require.NoError(t, f.dir.RefreshGuestProfile(ctx, tn.ID, guest.ID, directory.UpstreamProfile{
			Email: "kim@partner.example", EmailVerified: true, ProviderID: unscoped.ID}))
		got, err = f.store.GetUser(ctx, tn.ID, guest.ID)
		require.NoError(t, err)
		require.Equal(t, "kim@partner.example", got.Mail)
	})

	t.Run("PartnerServesItsDomains", func(t *testing.T) {
		require.NoError(t, f.dir.RefreshGuestProfile(ctx, tn.ID, guest.ID, directory.UpstreamProfile{
			Email: "kim@fabrikam.example", EmailVerified: true, ProviderID: fabrikam.ID}))
		got, err := f.store.GetUser(ctx, tn.ID, guest.ID)
		require.NoError(t, err)
		require.Equal(t, "kim@fabrikam.example", got.Mail)
	})

	t.Run("SameAddressIsVerifiedAgain", func(t *testing.T) {
		f.now = f.now.Add(time.Minute)
		// An admin re-addresses the guest: unverified. The upstream's
		// verified word for the address, in a domain it serves, verifies
		// it; its unverified word does not, and neither is a failure.
		addr := "kim@partner.example"
		_, err := f.dir.UpdateUser(ctx, tn.ID, guest.ID, directory.UserPatch{Mail: &addr})
		require.NoError(t, err)
		got, err := f.store.GetUser(ctx, tn.ID, guest.ID)
		require.NoError(t, err)
		require.False(t, got.MailVerified, "an admin's word is not verification")
		before := len(f.events(t, tn.ID, audit.ActivityUpdateUser))
		require.NoError(t, f.dir.RefreshGuestProfile(ctx, tn.ID, guest.ID, directory.UpstreamProfile{
			Email: addr, ProviderID: served.ID}))
		require.Len(t, f.events(t, tn.ID, audit.ActivityUpdateUser), before)
		f.now = f.now.Add(time.Minute)
		require.NoError(t, f.dir.RefreshGuestProfile(ctx, tn.ID, guest.ID, directory.UpstreamProfile{
			Email: addr, EmailVerified: true, ProviderID: served.ID}))
		got, err = f.store.GetUser(ctx, tn.ID, guest.ID)
		require.NoError(t, err)
		require.True(t, got.MailVerified)
		events := f.events(t, tn.ID, audit.ActivityUpdateUser)
		require.Len(t, events, before+1)
		require.Equal(t, store.ResultSuccess, events[0].Result)
	})
}
