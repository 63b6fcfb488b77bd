package idp_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/internal/store"
	"github.com/foyer-idp/foyer/internal/store/sqlstore/sqltest"
)

// TestOneUpstreamAccountCannotRedeemTwoInvitations races two redemptions
// with one upstream account, in a tenant that accepts any account: both
// reach the review page before either accepts. The first to accept links
// the account; the second is refused at acceptance, where the binding
// rules are decided again, and its guest stays pending and unlinked.
func TestOneUpstreamAccountCannotRedeemTwoInvitations(t *testing.T) {
	t.Parallel()
	sqltest.Run(t, func(t *testing.T, b sqltest.Backend) {
		e := newUpstreamEnv(t, b)
		ctx := t.Context()
		_, err := e.d.Directory.SetRedemptionPolicy(ctx, e.tenant.ID, nil, true)
		require.NoError(t, err)
		kim, kimLink := e.invite(t, partnerEmail)
		ann, annLink := e.invite(t, "ann@partner.example")

		annBrowser := e.browser()
		annReview := e.redeemUpstream(t, annBrowser, annLink)
		require.Contains(t, annReview.Text(), "Review permissions", annReview.Summary())
		kimBrowser := e.browser()
		kimReview := e.redeemUpstream(t, kimBrowser, kimLink)
		require.Contains(t, kimReview.Text(), "Review permissions", kimReview.Summary())
		page := submit(t, kimBrowser, kimReview, "csrf_token", "accept", nil)
		require.True(t, page.Stopped(), page.Summary())

		page = submit(t, annBrowser, annReview, "csrf_token", "accept", nil)
		require.Equal(t, http.StatusConflict, page.Status, page.Summary())
		require.Contains(t, page.Text(), "Account already in use")
		got, err := e.d.Store.GetInvitation(ctx, e.tenant.ID, ann.ID)
		require.NoError(t, err)
		require.Equal(t, store.InvitationPending, got.Status, "still pending")
		guest, err := e.d.Store.GetUser(ctx, e.tenant.ID, ann.InvitedUserID)
		require.NoError(t, err)
		require.Empty(t, guest.Identities, "nothing linked")
		linked, err := e.d.Store.GetUserByIdentity(ctx, e.tenant.ID, e.fake.Issuer, "kim-42")
		require.NoError(t, err)
		require.Equal(t, kim.InvitedUserID, linked.ID)
	})
}
