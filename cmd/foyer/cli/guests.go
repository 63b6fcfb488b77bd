package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/foyer-idp/foyer/internal/store"
)

func newGuestsCmd(d deps) *cobra.Command {
	cmd := newGroupCmd("guests", "List and remove a tenant's guests (locally or with --server)")
	list := adminCommand(d, "list --tenant SLUG [--state S]", "List a tenant's guests, oldest first", noArgs,
		func(ctx context.Context, g directoryAdmin, cmd *cobra.Command, _ []string) error {
			state, _ := cmd.Flags().GetString("state")
			guests, err := g.guests(ctx, state)
			if err != nil {
				return err
			}
			return printList(cmd, guests, []string{"ID", "USER PRINCIPAL NAME", "MAIL", "NAME", "STATE", "ENABLED", "CREATED"},
				func(u store.User) []string {
					return []string{u.ID, u.UserPrincipalName, firstOf(u.Mail), u.DisplayName, firstOf(u.ExternalUserState),
						boolCell(u.AccountEnabled), timeCell(&u.CreatedAt)}
				})
		})
	list.Flags().String("state", "", "only guests in this state: PendingAcceptance or Accepted")
	list.PreRunE = func(cmd *cobra.Command, _ []string) error { return checkStateFlag(cmd) }
	remove := adminCommand(d, "remove --tenant SLUG GUEST",
		"Delete a guest user (by id or user principal name) with its invitations, memberships and assignments", exactArgs("GUEST"),
		func(ctx context.Context, g directoryAdmin, cmd *cobra.Command, args []string) error {
			u, err := g.user(ctx, args[0])
			if err != nil {
				return err
			}
			if u.UserType != store.UserTypeGuest {
				return fmt.Errorf("%s is a %s, not a guest: use users delete", u.UserPrincipalName, u.UserType)
			}
			if err := g.deleteUser(ctx, u.ID); err != nil {
				return err
			}
			return printDeleted(cmd, "guest "+u.UserPrincipalName, u.ID)
		})
	cmd.AddCommand(list, remove)
	return cmd
}

// checkStateFlag refuses a --state that is not a guest's state.
func checkStateFlag(cmd *cobra.Command) error {
	if v, _ := cmd.Flags().GetString("state"); v != "" && v != store.ExternalStatePending && v != store.ExternalStateAccepted {
		return usageErrorf("--state must be %s or %s, got %q", store.ExternalStatePending, store.ExternalStateAccepted, v)
	}
	return nil
}
