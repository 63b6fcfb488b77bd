package directory_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/internal/audit"
	"github.com/foyer-idp/foyer/internal/directory"
	"github.com/foyer-idp/foyer/internal/store"
)

func federated(subject string) store.Identity {
	return store.Identity{SignInType: store.SignInTypeFederated, Issuer: "https://login.partner.example", IssuerAssignedID: subject}
}

// testRedeemBindingRules attacks the binding rules where they are decided
// for good, at Redeem: an identity that does not prove the invited
// address, and one that already signs in another guest, are refused.
func testRedeemBindingRules(t *testing.T, f *fixture) {
	ctx := t.Context()
	tn := f.inviteTenant(t, "woodgrove")
	redeem := func(email string, id directory.ProvenIdentity) (store.User, error) {
		t.Helper()
		_, token, err := f.dir.Invite(ctx, tn.ID, guestInput(email))
		require.NoError(t, err)
		guest, _, err := f.dir.Redeem(ctx, tn, f.dir.RedeemTokenHash(token), id)
		return guest, err
	}

	_, err := redeem("kim@partner.example", directory.ProvenIdentity{Identity: federated("kim"), Email: "mallory@evil.example", EmailVerified: true})
	require.ErrorIs(t, err, directory.ErrNotInvitedAccount, "another address")
	require.ErrorIs(t, err, directory.ErrRedeemRefused)
	_, err = redeem("lee@partner.example", directory.ProvenIdentity{Identity: federated("lee"), Email: "lee@partner.example"})
	require.ErrorIs(t, err, directory.ErrNotInvitedAccount, "the invited address, unverified")

	bo, err := redeem("bo@partner.example", directory.ProvenIdentity{Identity: federated("bo"), Email: "bo@partner.example", EmailVerified: true})
	require.NoError(t, err)
	require.True(t, bo.MailVerified)

	// bo's account may not become a second guest, even where the tenant
	// accepts any account.
	_, err = f.dir.SetRedemptionPolicy(ctx, tn.ID, nil, true)
	require.NoError(t, err)
	_, err = redeem("ann@partner.example", directory.ProvenIdentity{Identity: federated("bo"), Email: "bo@partner.example", EmailVerified: true})
	require.ErrorIs(t, err, directory.ErrIdentityInUse)
	var re *directory.RedeemError
	require.ErrorAs(t, err, &re)
	require.Equal(t, "the account is already linked to another user", re.Reason)
	events := f.events(t, tn.ID, audit.ActivityRedeemExternalInvite)
	require.Equal(t, store.ResultFailure, events[0].Result, "the refusal is audited")
}

// testRedemptionTransaction walks one redemption through the directory:
// begun, proven (a refused identity leaves nothing), accepted, ended.
func testRedemptionTransaction(t *testing.T, f *fixture) {
	ctx := t.Context()
	tn := f.inviteTenant(t, "woodgrove")
	_, token, err := f.dir.Invite(ctx, tn.ID, guestInput("kim@partner.example"))
	require.NoError(t, err)
	hash := f.dir.RedeemTokenHash(token)
	open, err := f.dir.OpenInvitation(ctx, tn, hash)
	require.NoError(t, err)
	red, err := f.dir.BeginRedemption(ctx, open, hash, "binding", time.Hour)
	require.NoError(t, err)
	_, err = f.dir.Redemption(ctx, "other-tenant", red.ID)
	require.ErrorIs(t, err, store.ErrNotFound, "another tenant's")

	err = f.dir.Prove(ctx, tn, red, open.Invitation, directory.Proof{
		ProvenIdentity: directory.ProvenIdentity{Identity: federated("m"), Email: "mallory@evil.example", EmailVerified: true}})
	require.ErrorIs(t, err, directory.ErrNotInvitedAccount)
	got, err := f.dir.Redemption(ctx, tn.ID, red.ID)
	require.NoError(t, err)
	require.Empty(t, got.Identity.IssuerAssignedID, "a refused identity is not recorded")

	// An upstream that names no address proves nothing; where the tenant
	// accepts any account, the invited address is kept, unverified.
	_, err = f.dir.SetRedemptionPolicy(ctx, tn.ID, nil, true)
	require.NoError(t, err)
	tn, err = f.store.GetTenant(ctx, tn.ID)
	require.NoError(t, err)
	require.NoError(t, f.dir.Prove(ctx, tn, got, open.Invitation, directory.Proof{AMR: []string{"fed"},
		ProvenIdentity: directory.ProvenIdentity{Identity: federated("kim"), DisplayName: "Kim"}}))
	got, err = f.dir.Redemption(ctx, tn.ID, red.ID)
	require.NoError(t, err)
	require.Equal(t, "kim@partner.example", got.IdentityEmail)
	require.False(t, got.IdentityEmailVerified)
	require.Equal(t, []string{"fed"}, got.AMR)

	guest, _, err := f.dir.Accept(ctx, tn, got)
	require.NoError(t, err)
	require.Equal(t, "Kim", guest.DisplayName)
	require.False(t, guest.MailVerified)
	require.Contains(t, guest.Identities, federated("kim"))

	require.NoError(t, f.dir.EndRedemption(ctx, tn.ID, red.ID))
	require.NoError(t, f.dir.EndRedemption(ctx, tn.ID, red.ID), "twice")
	_, err = f.dir.Redemption(ctx, tn.ID, red.ID)
	require.ErrorIs(t, err, store.ErrNotFound)
}
