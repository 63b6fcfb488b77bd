package cli

import (
	"context"
	"fmt"
	"io"
	"slices"

	"github.com/spf13/cobra"

	"github.com/foyer-idp/foyer/internal/store"
)

// invitationStates are the statuses an invitation list may ask for.
var invitationStates = []string{store.InvitationPending, store.InvitationAccepted, store.InvitationRevoked}

func newInvitationsCmd(d deps) *cobra.Command {
	cmd := newGroupCmd("invitations", "List, revoke and resend guest invitations (locally or with --server)")
	cmd.AddCommand(newInvitationsListCmd(d), newInvitationsRevokeCmd(d), newInvitationsResendCmd(d))
	return cmd
}

func newInvitationsListCmd(d deps) *cobra.Command {
	cmd := adminCommand(d, "list --tenant SLUG [--status S] [--email E]",
		"List a tenant's invitations, oldest first (pending unless --status says otherwise)", noArgs,
		func(ctx context.Context, g directoryAdmin, cmd *cobra.Command, _ []string) error {
			status, _ := cmd.Flags().GetString("status")
			email, _ := cmd.Flags().GetString("email")
			list, err := g.invitations(ctx, status, email)
			if err != nil {
				return err
			}
			return printList(cmd, list, []string{"ID", "EMAIL", "STATUS", "GUEST ID", "REDIRECT", "EXPIRES"},
				func(inv invitationItem) []string {
					return []string{inv.ID, inv.InvitedUserEmailAddress, inv.Status, inv.InvitedUserID, inv.InviteRedirectURL,
						timeCell(&inv.ExpirationDateTime)}
				})
		})
	cmd.Flags().String("status", store.InvitationPending, "only invitations in this status: PendingAcceptance, Accepted or Revoked")
	cmd.Flags().String("email", "", "only the invitations of this email address")
	cmd.PreRunE = func(cmd *cobra.Command, _ []string) error {
		if v, _ := cmd.Flags().GetString("status"); !slices.Contains(invitationStates, v) {
			return usageErrorf("--status must be %s, %s or %s, got %q", store.InvitationPending, store.InvitationAccepted,
				store.InvitationRevoked, v)
		}
		return nil
	}
	return cmd
}

func newInvitationsRevokeCmd(d deps) *cobra.Command {
	return adminCommand(d, "revoke --tenant SLUG ID",
		"Revoke a pending invitation; a guest who never redeemed any goes with it", exactArgs("ID"),
		func(ctx context.Context, g directoryAdmin, cmd *cobra.Command, args []string) error {
			if err := g.revokeInvitation(ctx, args[0]); err != nil {
				return err
			}
			v := struct {
				ID      string `json:"id"`
				Revoked bool   `json:"revoked"`
			}{args[0], true}
			return printOut(cmd, v, func(w io.Writer) { fmt.Fprintf(w, "Revoked invitation %s.\n", args[0]) })
		})
}

func newInvitationsResendCmd(d deps) *cobra.Command {
	return adminCommand(d, "resend --tenant SLUG ID",
		"Send a pending invitation again with a new redeem link (the old link stops working; prints the new one once)",
		exactArgs("ID"),
		func(ctx context.Context, g directoryAdmin, cmd *cobra.Command, args []string) error {
			out, err := g.resendInvitation(ctx, args[0])
			if err != nil {
				return err
			}
			return printInvitation(cmd, out)
		})
}

// noPendingInvitation is how both sides say there is no invitation to
// resend.
func noPendingInvitation(id string) error {
	return fmt.Errorf("no pending invitation %q (to invite a guest who redeemed again: invite --reset-redemption)", id)
}
