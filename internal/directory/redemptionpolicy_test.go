package directory_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/internal/audit"
	"github.com/foyer-idp/foyer/internal/directory"
	"github.com/foyer-idp/foyer/internal/store"
)

func testSetRedemptionPolicy(t *testing.T, f *fixture) {
	ctx := t.Context()
	tn := f.tenant(t, "woodgrove")
	require.Equal(t, store.DefaultRedemptionOrder, directory.RedemptionOrder(tn.Invitations))

	order := []string{store.RedeemEmailPasscode, store.RedeemPartnerTenant}
	got, err := f.dir.SetRedemptionPolicy(ctx, tn.ID, order, true)
	require.NoError(t, err)
	require.Equal(t, order, got.Invitations.RedemptionOrder)
	require.True(t, got.Invitations.RedeemWithAnyAccount)
	stored, err := f.dir.Tenant(ctx, tn.ID)
	require.NoError(t, err)
	require.Equal(t, order, stored.Invitations.RedemptionOrder)
	require.True(t, stored.Invitations.RedeemWithAnyAccount)
	require.Equal(t, order, directory.RedemptionOrder(stored.Invitations))
	require.Len(t, f.events(t, tn.ID, audit.ActivityUpdatePolicy), 1)

	for _, bad := range [][]string{{"carrierPigeon"}, {store.RedeemEmailPasscode, store.RedeemEmailPasscode}} {
		_, err = f.dir.SetRedemptionPolicy(ctx, tn.ID, bad, false)
		requireFields(t, err, directory.ErrInvalid, "redemptionOrder")
	}
	stored, err = f.dir.Tenant(ctx, tn.ID)
	require.NoError(t, err)
	require.Equal(t, order, stored.Invitations.RedemptionOrder, "refusals change nothing")
	require.True(t, stored.Invitations.RedeemWithAnyAccount)

	// The invitation policy keeps the redemption policy.
	p := stored.Invitations
	p.AllowInvitesFrom = store.InvitesFromEveryone
	stored, err = f.dir.SetInvitationPolicy(ctx, tn.ID, p)
	require.NoError(t, err)
	require.Equal(t, order, stored.Invitations.RedemptionOrder)

	// Empty is the default again.
	got, err = f.dir.SetRedemptionPolicy(ctx, tn.ID, nil, false)
	require.NoError(t, err)
	require.Empty(t, got.Invitations.RedemptionOrder)
	require.Equal(t, store.DefaultRedemptionOrder, directory.RedemptionOrder(got.Invitations))
}
