package directory_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/internal/audit"
	"github.com/foyer-idp/foyer/internal/directory"
	"github.com/foyer-idp/foyer/internal/store"
)

const inviteRedirect = "https://app.woodgrove.example/welcome"

// inviteTenant makes a tenant with one application whose redirect URI and
// home page an invitation may lead to.
func (f *fixture) inviteTenant(t *testing.T, slug string) store.Tenant {
	t.Helper()
	tn := f.tenant(t, slug)
	_, _, err := f.dir.CreateApplication(t.Context(), tn.ID, directory.NewApplication{
		DisplayName: "Portal", ClientID: "portal-" + slug, ClientType: store.ClientPublic,
		RedirectURIs: []string{inviteRedirect, "http://localhost:8080/cb"},
		GrantTypes:   []string{"authorization_code"}, HomePageURL: "https://home.woodgrove.example/",
	})
	require.NoError(t, err)
	return tn
}

func guestInput(email string) directory.InviteInput {
	return directory.InviteInput{Email: email, RedirectURL: inviteRedirect, SendMessage: true,
		Message: "Welcome aboard", Language: "en-US"}
}

func (f *fixture) mailCount(t *testing.T, tenantID string) int {
	t.Helper()
	list, err := f.store.ListMail(t.Context(), store.MailFilter{TenantID: tenantID})
	require.NoError(t, err)
	return len(list)
}

func (f *fixture) invitations(t *testing.T, tenantID string) []store.Invitation {
	t.Helper()
	list, err := f.store.ListInvitations(t.Context(), tenantID, store.InvitationFilter{})
	require.NoError(t, err)
	return list
}

func testInviteCreatesPendingGuest(t *testing.T, f *fixture) {
	ctx := t.Context()
	tn := f.inviteTenant(t, "woodgrove")
	in := guestInput("Bo.Smith@Fabrikam.example")
	in.DisplayName = "Bo Smith"
	in.Cc = []string{"Boss@Woodgrove.example"}
	inv, token, err := f.dir.Invite(ctx, tn.ID, in)
	require.NoError(t, err)

	require.GreaterOrEqual(t, len(token), 43, "at least 256 bits, base64url")
	require.Equal(t, f.hasher.Hash(token), inv.TokenHash, "stored hashed")
	require.NotContains(t, inv.TokenHash, token)
	require.Equal(t, "https://foyer.localhost/t/woodgrove/redeem?token="+token, inv.RedeemURL)
	require.Equal(t, store.InvitationPending, inv.Status)
	require.Equal(t, "bo.smith@fabrikam.example", inv.Email)
	require.Equal(t, f.now.Add(directory.DefaultInvitationLifetime), inv.ExpiresAt)

	u, err := f.store.GetUser(ctx, tn.ID, inv.InvitedUserID)
	require.NoError(t, err)
	require.Equal(t, store.UserTypeGuest, u.UserType)
	require.Equal(t, store.ExternalStatePending, u.ExternalUserState)
	require.Equal(t, store.CreationTypeInvitation, u.CreationType)
	require.Equal(t, "bo.smith_fabrikam.example#EXT#@woodgrove.localhost", u.UserPrincipalName)
	require.Equal(t, "bo.smith@fabrikam.example", u.Mail)
	require.Equal(t, "Bo Smith", u.DisplayName)
	require.Empty(t, u.Identities, "no way to sign in until redeemed")
	require.Empty(t, u.PasswordHash)

	stored, err := f.store.GetInvitation(ctx, tn.ID, inv.ID)
	require.NoError(t, err)
	require.Equal(t, inv.Invitation, stored)

	mails, err := f.store.ListMail(ctx, store.MailFilter{TenantID: tn.ID})
	require.NoError(t, err)
	require.Len(t, mails, 1)
	require.Equal(t, directory.MailKindInvitation, mails[0].Kind)
	require.Equal(t, []string{"bo.smith@fabrikam.example"}, mails[0].To)
	require.Equal(t, []string{"boss@woodgrove.example"}, mails[0].Cc)
	require.NotContains(t, string(mails[0].SealedBody), token, "the link travels sealed")

	require.Contains(t, f.auditActivities(t, tn.ID), audit.ActivityInviteExternalUser+"/"+store.ResultSuccess)

	// The hash redeems once, for next session's redemption page.
	_, err = f.store.RedeemInvitation(ctx, tn.ID, f.hasher.Hash(token), f.now.Add(time.Hour))
	require.NoError(t, err)
	_, err = f.store.RedeemInvitation(ctx, tn.ID, f.hasher.Hash(token), f.now.Add(time.Hour))
	require.ErrorIs(t, err, store.ErrAlreadyUsed)
}

func testReinviteReusesGuest(t *testing.T, f *fixture) {
	ctx := t.Context()
	tn := f.inviteTenant(t, "woodgrove")
	first, oldToken, err := f.dir.Invite(ctx, tn.ID, guestInput("bo@fabrikam.example"))
	require.NoError(t, err)
	f.now = f.now.Add(time.Hour)
	in := guestInput("BO@fabrikam.example")
	in.ExpiresIn = 48 * time.Hour
	second, newToken, err := f.dir.Invite(ctx, tn.ID, in)
	require.NoError(t, err)

	require.Equal(t, first.InvitedUserID, second.InvitedUserID, "same guest")
	require.Equal(t, first.ID, second.ID, "same invitation, renewed")
	require.NotEqual(t, oldToken, newToken)
	require.Equal(t, f.now.Add(48*time.Hour), second.ExpiresAt)
	require.Len(t, f.invitations(t, tn.ID), 1)
	guests, err := f.store.ListUsers(ctx, tn.ID, store.UserFilter{UserType: store.UserTypeGuest})
	require.NoError(t, err)
	require.Len(t, guests, 1)

	_, err = f.store.RedeemInvitation(ctx, tn.ID, f.hasher.Hash(oldToken), f.now)
	require.ErrorIs(t, err, store.ErrNotFound, "the old link is void")
	_, err = f.store.RedeemInvitation(ctx, tn.ID, f.hasher.Hash(newToken), f.now)
	require.NoError(t, err)
	require.Equal(t, 2, f.mailCount(t, tn.ID))
}

func testConcurrentInvites(t *testing.T, f *fixture) {
	ctx := t.Context()
	tn := f.inviteTenant(t, "woodgrove")
	const n = 8
	errs := make([]error, n)
	start := make(chan struct{})
	done := make(chan int)
	for i := range n {
		go func() {
			<-start
			_, _, errs[i] = f.dir.Invite(ctx, tn.ID, guestInput("bo@fabrikam.example"))
			done <- i
		}()
	}
	close(start)
	for range n {
		<-done
	}
	for i, err := range errs {
		require.NoError(t, err, "invite %d", i)
	}
	guests, err := f.store.ListUsers(ctx, tn.ID, store.UserFilter{UserType: store.UserTypeGuest})
	require.NoError(t, err)
	require.Len(t, guests, 1, "one guest")
	require.Len(t, f.invitations(t, tn.ID), 1, "one pending invitation")
}

func testInviteRefusesMember(t *testing.T, f *fixture) {
	tn := f.inviteTenant(t, "woodgrove")
	f.member(t, tn.ID, "sam@woodgrove.example")
	_, _, err := f.dir.Invite(t.Context(), tn.ID, guestInput("Sam@woodgrove.example"))
	requireFields(t, err, directory.ErrInvalid, "invitedUserEmailAddress")
	require.Empty(t, f.invitations(t, tn.ID))
	require.Zero(t, f.mailCount(t, tn.ID))
	require.Contains(t, f.auditActivities(t, tn.ID), audit.ActivityInviteExternalUser+"/"+store.ResultFailure)
}

func testInviteRedirectRules(t *testing.T, f *fixture) {
	tn := f.inviteTenant(t, "woodgrove")
	for _, ok := range []string{inviteRedirect, "https://home.woodgrove.example/any/page?x=1", "http://localhost:8080/cb"} {
		in := guestInput("ok-" + strings.NewReplacer(":", "", "/", "", "?", "", "=", "").Replace(ok)[:12] + "@fabrikam.example")
		in.RedirectURL = ok
		_, _, err := f.dir.Invite(t.Context(), tn.ID, in)
		require.NoError(t, err, ok)
	}
	for _, bad := range []string{
		"https://evil.example/welcome",                // not the tenant's
		"http://app.woodgrove.example/welcome",        // http off localhost
		"javascript:alert(1)",                         // not a web URL
		inviteRedirect + "#frag",                      // fragment
		"https://user:pw@app.woodgrove.example/x",     // credentials
		"https://app.woodgrove.example/welcome/other", // not registered, not a home page origin
		"",
	} {
		in := guestInput("bad@fabrikam.example")
		in.RedirectURL = bad
		_, _, err := f.dir.Invite(t.Context(), tn.ID, in)
		requireFields(t, err, directory.ErrInvalid, "inviteRedirectUrl")
	}
	_, err := f.store.GetUserByEmail(t.Context(), tn.ID, "bad@fabrikam.example")
	require.ErrorIs(t, err, store.ErrNotFound)
}

// testInviteRedirectStaysUnderHomePage: an app whose home page is a path
// of a shared origin lets invitations lead under that path only; no dot
// segment, however encoded, climbs out of it.
func testInviteRedirectStaysUnderHomePage(t *testing.T, f *fixture) {
	tn := f.tenant(t, "woodgrove")
	_, _, err := f.dir.CreateApplication(t.Context(), tn.ID, directory.NewApplication{
		DisplayName: "Portal", ClientID: "portal", ClientType: store.ClientPublic,
		RedirectURIs: []string{"https://shared.woodgrove.example/portal/cb"},
		GrantTypes:   []string{"authorization_code"}, HomePageURL: "https://shared.woodgrove.example/portal/",
	})
	require.NoError(t, err)
	for i, ok := range []string{
		"https://shared.woodgrove.example/portal/",
		"https://shared.woodgrove.example/portal",
		"https://shared.woodgrove.example/portal/welcome?next=../admin",
		"https://SHARED.woodgrove.example/portal/a/b.c/..d",
	} {
		in := guestInput(fmt.Sprintf("ok%d@fabrikam.example", i))
		in.RedirectURL = ok
		_, _, err := f.dir.Invite(t.Context(), tn.ID, in)
		require.NoError(t, err, ok)
	}
	for _, bad := range []string{
		"https://shared.woodgrove.example/admin",
		"https://shared.woodgrove.example/portal-evil/x",
		"https://shared.woodgrove.example/",
		"https://shared.woodgrove.example/portal/../admin",
		"https://shared.woodgrove.example/portal/./../admin",
		"https://shared.woodgrove.example/portal/%2e%2e/admin",
		"https://shared.woodgrove.example/portal/%2E%2E/admin",
		"https://shared.woodgrove.example/portal/.%2e/admin",
		"https://shared.woodgrove.example/portal/%2e./admin",
		"https://shared.woodgrove.example/portal/%252e%252e/admin",
		"https://shared.woodgrove.example/portal/..%2fadmin",
		"https://shared.woodgrove.example/portal/..%5cadmin",
		"https://shared.woodgrove.example/portal/..;/admin",
		"https://shared.woodgrove.example/portal/%2e",
		"https://shared.woodgrove.example/portal%2f..%2fadmin",
	} {
		in := guestInput("bad@fabrikam.example")
		in.RedirectURL = bad
		_, _, err := f.dir.Invite(t.Context(), tn.ID, in)
		requireFields(t, err, directory.ErrInvalid, "inviteRedirectUrl")
	}
	_, err = f.store.GetUserByEmail(t.Context(), tn.ID, "bad@fabrikam.example")
	require.ErrorIs(t, err, store.ErrNotFound)
}

func testInviteRefusalsWriteNothing(t *testing.T, f *fixture) {
	ctx := t.Context()
	tn := f.inviteTenant(t, "woodgrove")
	cases := map[string]func(*directory.InviteInput){
		"bad email":        func(in *directory.InviteInput) { in.Email = "not-an-address" },
		"member type":      func(in *directory.InviteInput) { in.UserType = store.UserTypeMember },
		"unknown group":    func(in *directory.InviteInput) { in.GroupIDs = []string{"no-such-group"} },
		"unknown app":      func(in *directory.InviteInput) { in.ApplicationIDs = []string{"no-such-app"} },
		"bad cc":           func(in *directory.InviteInput) { in.Cc = []string{"x"} },
		"short expiry":     func(in *directory.InviteInput) { in.ExpiresIn = time.Minute },
		"reset no guest":   func(in *directory.InviteInput) { in.ResetRedemption = true },
		"id without reset": func(in *directory.InviteInput) { in.InvitedUserID = "x" },
		"foreign redirect": func(in *directory.InviteInput) { in.RedirectURL = "https://evil.example/" },
	}
	for name, mutate := range cases {
		in := guestInput("bo@fabrikam.example")
		mutate(&in)
		_, _, err := f.dir.Invite(ctx, tn.ID, in)
		require.ErrorIs(t, err, directory.ErrInvalid, name)
	}
	users, err := f.store.ListUsers(ctx, tn.ID, store.UserFilter{UserType: store.UserTypeGuest})
	require.NoError(t, err)
	require.Empty(t, users, "no guest")
	require.Empty(t, f.invitations(t, tn.ID), "no invitation")
	require.Zero(t, f.mailCount(t, tn.ID), "no mail")
	failures := 0
	events, err := f.store.ListAudit(ctx, store.AuditFilter{TenantID: tn.ID, Activity: audit.ActivityInviteExternalUser})
	require.NoError(t, err)
	for _, e := range events {
		require.Equal(t, store.ResultFailure, e.Result)
		require.NotEmpty(t, e.Reason)
		failures++
	}
	events, err = f.store.ListAudit(ctx, store.AuditFilter{TenantID: tn.ID, Activity: audit.ActivityInviteExternalUserReset})
	require.NoError(t, err)
	failures += len(events)
	require.Equal(t, len(cases), failures, "every refusal audited with its reason")
}

func testInviteWithoutMessage(t *testing.T, f *fixture) {
	tn := f.inviteTenant(t, "woodgrove")
	in := guestInput("bo@fabrikam.example")
	in.SendMessage = false
	_, _, err := f.dir.Invite(t.Context(), tn.ID, in)
	require.NoError(t, err)
	require.Zero(t, f.mailCount(t, tn.ID))
	require.Len(t, f.invitations(t, tn.ID), 1)
}

func testInviteGroupsAndApps(t *testing.T, f *fixture) {
	ctx := t.Context()
	tn := f.inviteTenant(t, "woodgrove")
	g, err := f.dir.CreateGroup(ctx, tn.ID, directory.NewGroup{DisplayName: "Partners"})
	require.NoError(t, err)
	in := guestInput("bo@fabrikam.example")
	in.GroupIDs = []string{g.ID}
	in.ApplicationIDs = []string{"portal-woodgrove"}
	inv, _, err := f.dir.Invite(ctx, tn.ID, in)
	require.NoError(t, err)
	groups, err := f.store.ListUserGroups(ctx, tn.ID, inv.InvitedUserID)
	require.NoError(t, err)
	require.Len(t, groups, 1)
	app, err := f.store.GetApplicationByClientID(ctx, tn.ID, "portal-woodgrove")
	require.NoError(t, err)
	ok, err := f.store.IsAssigned(ctx, tn.ID, app.ID, inv.InvitedUserID)
	require.NoError(t, err)
	require.True(t, ok)
	// Again: already there is fine.
	_, _, err = f.dir.Invite(ctx, tn.ID, in)
	require.NoError(t, err)

	// One unknown reference undoes the rest: no half-written guest.
	in = guestInput("al@fabrikam.example")
	in.GroupIDs = []string{g.ID}
	in.ApplicationIDs = []string{"nope"}
	_, _, err = f.dir.Invite(ctx, tn.ID, in)
	requireFields(t, err, directory.ErrInvalid, "applicationIds")
	_, err = f.store.GetUserByEmail(ctx, tn.ID, "al@fabrikam.example")
	require.ErrorIs(t, err, store.ErrNotFound)
	members, err := f.store.ListGroupMembers(ctx, tn.ID, g.ID)
	require.NoError(t, err)
	require.Len(t, members, 1)
}

func testInviteResetRedemption(t *testing.T, f *fixture) {
	ctx := t.Context()
	tn := f.inviteTenant(t, "woodgrove")
	inv, token, err := f.dir.Invite(ctx, tn.ID, guestInput("bo@fabrikam.example"))
	require.NoError(t, err)
	_, err = f.store.RedeemInvitation(ctx, tn.ID, f.hasher.Hash(token), f.now)
	require.NoError(t, err)
	u := inv.User
	u.ExternalUserState = store.ExternalStateAccepted
	u.Identities = []store.Identity{{SignInType: store.SignInTypeFederated, Issuer: "https://login.fabrikam.example", IssuerAssignedID: "bo"}}
	require.NoError(t, f.store.UpdateUser(ctx, u))

	in := guestInput("bo@fabrikam.example")
	in.ResetRedemption = true
	in.InvitedUserID = "someone-else"
	_, _, err = f.dir.Invite(ctx, tn.ID, in)
	requireFields(t, err, directory.ErrInvalid, "invitedUser.id")

	in.InvitedUserID = u.ID
	again, _, err := f.dir.Invite(ctx, tn.ID, in)
	require.NoError(t, err)
	require.NotEqual(t, inv.ID, again.ID, "a new invitation; the accepted one stays")
	got, err := f.store.GetUser(ctx, tn.ID, u.ID)
	require.NoError(t, err)
	require.Equal(t, store.ExternalStatePending, got.ExternalUserState)
	require.Empty(t, got.Identities)
	require.Contains(t, f.auditActivities(t, tn.ID), audit.ActivityInviteExternalUserReset+"/"+store.ResultSuccess)
}

// testInviteUnprovenGuest: an address held by a guest whose account never
// proved it (redeemed with any account, or re-addressed by an admin) is
// not re-used by a later invitation, which would put that account in the
// invitation's groups and apps; only resetting its redemption invites it.
// A guest that proved its address is re-invited as before.
func testInviteUnprovenGuest(t *testing.T, f *fixture) {
	ctx := t.Context()
	tn := f.inviteTenant(t, "woodgrove")
	_, err := f.dir.SetRedemptionPolicy(ctx, tn.ID, nil, true)
	require.NoError(t, err)
	tn, err = f.store.GetTenant(ctx, tn.ID)
	require.NoError(t, err)
	g, err := f.dir.CreateGroup(ctx, tn.ID, directory.NewGroup{DisplayName: "Finance"})
	require.NoError(t, err)
	redeem := func(email, subject string, proven directory.ProvenIdentity) store.User {
		t.Helper()
		inv, token, err := f.dir.Invite(ctx, tn.ID, guestInput(email))
		require.NoError(t, err)
		proven.Identity = store.Identity{SignInType: store.SignInTypeFederated, Issuer: "https://login.evil.example", IssuerAssignedID: subject}
		guest, _, err := f.dir.Redeem(ctx, tn, f.dir.RedeemTokenHash(token), proven)
		require.NoError(t, err)
		require.Equal(t, inv.User.ID, guest.ID)
		return guest
	}
	intoFinance := func(email string) directory.InviteInput {
		in := guestInput(email)
		in.GroupIDs = []string{g.ID}
		return in
	}

	// Redeemed with another account, and with the invited address
	// unverified: neither proved it.
	anyAccount := redeem("cfo@fabrikam.example", "mallory", directory.ProvenIdentity{Email: "mallory@evil.example", EmailVerified: true})
	unverified := redeem("ceo@fabrikam.example", "mallory-2", directory.ProvenIdentity{Email: "ceo@fabrikam.example"})
	// Re-addressed by an admin.
	proven := redeem("bo@fabrikam.example", "bo", directory.ProvenIdentity{Email: "bo@fabrikam.example", EmailVerified: true})
	readdressed := "cto@fabrikam.example"
	_, err = f.dir.UpdateUser(ctx, tn.ID, proven.ID, directory.UserPatch{Mail: &readdressed})
	require.NoError(t, err)

	for _, email := range []string{"cfo@fabrikam.example", "ceo@fabrikam.example", "cto@fabrikam.example"} {
		_, _, err := f.dir.Invite(ctx, tn.ID, intoFinance(email))
		requireFields(t, err, directory.ErrInvalid, "invitedUserEmailAddress")
		require.ErrorContains(t, err, "resetRedemption")
	}
	members, err := f.store.ListGroupMembers(ctx, tn.ID, g.ID)
	require.NoError(t, err)
	require.Empty(t, members, "no account got the group")
	events := f.events(t, tn.ID, audit.ActivityInviteExternalUser)
	require.Equal(t, store.ResultFailure, events[0].Result, "the refusal is audited")

	// An explicit reset re-invites the address: the guest must redeem again.
	in := intoFinance("cfo@fabrikam.example")
	in.ResetRedemption, in.InvitedUserID = true, anyAccount.ID
	_, _, err = f.dir.Invite(ctx, tn.ID, in)
	require.NoError(t, err)
	got, err := f.store.GetUser(ctx, tn.ID, anyAccount.ID)
	require.NoError(t, err)
	require.Empty(t, got.Identities)
	require.Equal(t, store.ExternalStatePending, got.ExternalUserState)
	require.NotEqual(t, unverified.ID, anyAccount.ID)

	// A guest that proved its address is re-invited as before.
	kim := redeem("kim@fabrikam.example", "kim", directory.ProvenIdentity{Email: "kim@fabrikam.example", EmailVerified: true})
	require.True(t, kim.MailVerified)
	again, _, err := f.dir.Invite(ctx, tn.ID, intoFinance("kim@fabrikam.example"))
	require.NoError(t, err)
	require.Equal(t, kim.ID, again.User.ID)
}

func testRevokeInvitation(t *testing.T, f *fixture) {
	ctx := t.Context()
	tn := f.inviteTenant(t, "woodgrove")
	other := f.inviteTenant(t, "contoso")
	inv, token, err := f.dir.Invite(ctx, tn.ID, guestInput("bo@fabrikam.example"))
	require.NoError(t, err)
	require.ErrorIs(t, f.dir.RevokeInvitation(ctx, other.ID, inv.ID), store.ErrNotFound, "another tenant's")

	pending, err := f.dir.Invitations(ctx, tn.ID, "")
	require.NoError(t, err)
	require.Len(t, pending, 1)

	require.NoError(t, f.dir.RevokeInvitation(ctx, tn.ID, inv.ID))
	_, err = f.store.GetUser(ctx, tn.ID, inv.InvitedUserID)
	require.ErrorIs(t, err, store.ErrNotFound, "a guest that never redeemed goes")
	_, err = f.store.RedeemInvitation(ctx, tn.ID, f.hasher.Hash(token), f.now)
	require.ErrorIs(t, err, store.ErrNotFound)
	require.ErrorIs(t, f.dir.RevokeInvitation(ctx, tn.ID, inv.ID), store.ErrNotFound, "twice")
	require.Contains(t, f.auditActivities(t, tn.ID), audit.ActivityDeleteExternalUser+"/"+store.ResultSuccess)

	pending, err = f.dir.Invitations(ctx, tn.ID, "")
	require.NoError(t, err)
	require.Empty(t, pending)
	_, err = f.dir.Invitations(ctx, tn.ID, "Bogus")
	requireFields(t, err, directory.ErrInvalid, "status")
}
