package cli

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/foyer-idp/foyer/internal/directory"
	"github.com/foyer-idp/foyer/internal/store"
)

// Groups are named on the command line by id: their names need not be
// unique.

const (
	flagGroup           = "group"
	flagDescription     = "description"
	flagOwnersCanInvite = "owners-can-invite"
)

func newGroupsCmd(d deps) *cobra.Command {
	cmd := newGroupCmd("groups", "Create and manage a tenant's groups, their members and owners")
	// Membership commands name the group with --group, as they name the user with --user.
	group := parentRef{
		use: "--group ID",
		flags: func(cmd *cobra.Command) {
			cmd.Flags().String(flagGroup, "", "the group's id (required)")
			required(cmd, flagGroup)
		},
		resolve: func(ctx context.Context, a localAdmin, cmd *cobra.Command, _ []string) (string, error) {
			id, _ := cmd.Flags().GetString(flagGroup)
			g, err := a.group(ctx, id)
			return g.ID, err
		},
	}
	cmd.AddCommand(
		newGroupsCreateCmd(d),
		tenantCommand(d, "list --tenant SLUG", "List a tenant's groups", noArgs,
			func(ctx context.Context, a localAdmin, cmd *cobra.Command, _ []string) error {
				groups, err := a.dir.Groups(ctx, a.t.ID)
				if err != nil {
					return err
				}
				return printList(cmd, groups, []string{"ID", "NAME", "OWNERS CAN INVITE", "CREATED", "DESCRIPTION"},
					func(g store.Group) []string {
						return []string{g.ID, g.DisplayName, boolCell(g.OwnersCanInviteGuests), timeCell(&g.CreatedAt), firstOf(g.Description)}
					})
			}),
		objectCommand(d, "show --tenant SLUG ID", "Show a group with its members and owners", "ID", localAdmin.group,
			func(ctx context.Context, a localAdmin, cmd *cobra.Command, g store.Group) error {
				return printGroup(ctx, cmd, a.app, g)
			}),
		newGroupsUpdateCmd(d),
		objectCommand(d, "delete --tenant SLUG ID", "Delete a group with its memberships and assignments", "ID", localAdmin.group,
			func(ctx context.Context, a localAdmin, cmd *cobra.Command, g store.Group) error {
				if err := a.dir.DeleteGroup(ctx, a.t.ID, g.ID); err != nil {
					return err
				}
				return printDeleted(cmd, fmt.Sprintf("group %q", g.DisplayName), g.ID)
			}),
		newUserSetCmd(d, userSet{
			name: "members", noun: "member", parent: group,
			add: (*directory.Directory).AddGroupMember, remove: (*directory.Directory).RemoveGroupMember,
			list: (*directory.Directory).GroupMembers,
		}, "a group"),
		newUserSetCmd(d, userSet{
			name: "owners", noun: "owner", parent: group,
			add: (*directory.Directory).AddGroupOwner, remove: (*directory.Directory).RemoveGroupOwner,
			list: (*directory.Directory).GroupOwners,
		}, "a group"),
	)
	return cmd
}

func addGroupFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.String(flagName, "", "display name")
	f.String(flagDescription, "", "what the group is for")
	f.Bool(flagOwnersCanInvite, false, "let the group's owners invite guests into it")
}

func newGroupsCreateCmd(d deps) *cobra.Command {
	cmd := tenantCommand(d, "create --tenant SLUG --name NAME", "Create a group", noArgs,
		func(ctx context.Context, a localAdmin, cmd *cobra.Command, _ []string) error {
			f := cmd.Flags()
			var in directory.NewGroup
			in.DisplayName, _ = f.GetString(flagName)
			in.Description, _ = f.GetString(flagDescription)
			in.OwnersCanInviteGuests, _ = f.GetBool(flagOwnersCanInvite)
			g, err := a.dir.CreateGroup(ctx, a.t.ID, in)
			if err != nil {
				return err
			}
			return printGroup(ctx, cmd, a.app, g)
		})
	addGroupFlags(cmd)
	required(cmd, flagName)
	return cmd
}

func newGroupsUpdateCmd(d deps) *cobra.Command {
	cmd := objectCommand(d, "update --tenant SLUG ID", "Change a group's name, description or what its owners may do", "ID", localAdmin.group,
		func(ctx context.Context, a localAdmin, cmd *cobra.Command, g store.Group) error {
			f := cmd.Flags()
			g, err := a.dir.UpdateGroup(ctx, a.t.ID, g.ID, directory.GroupPatch{
				DisplayName:           changed(cmd, flagName, f.GetString),
				Description:           changed(cmd, flagDescription, f.GetString),
				OwnersCanInviteGuests: changed(cmd, flagOwnersCanInvite, f.GetBool),
			})
			if err != nil {
				return err
			}
			return printGroup(ctx, cmd, a.app, g)
		})
	addGroupFlags(cmd)
	cmd.MarkFlagsOneRequired(flagName, flagDescription, flagOwnersCanInvite)
	return cmd
}

// groupDetail is a group with its members and owners.
type groupDetail struct {
	store.Group
	Members []store.User `json:"members"`
	Owners  []store.User `json:"owners"`
}

func printGroup(ctx context.Context, cmd *cobra.Command, a *app, g store.Group) error {
	members, err := a.dir.GroupMembers(ctx, g.TenantID, g.ID)
	if err != nil {
		return err
	}
	owners, err := a.dir.GroupOwners(ctx, g.TenantID, g.ID)
	if err != nil {
		return err
	}
	v := groupDetail{Group: g, Members: nonNil(members), Owners: nonNil(owners)}
	return printOut(cmd, v, func(w io.Writer) {
		field(w, "ID", g.ID)
		field(w, "Name", g.DisplayName)
		field(w, "Description", g.Description)
		field(w, "Owners can invite", boolCell(g.OwnersCanInviteGuests))
		field(w, "Created", timeCell(&g.CreatedAt))
		field(w, "Members", listCell(upns(members)))
		field(w, "Owners", listCell(upns(owners)))
	})
}

func upns(users []store.User) []string {
	out := make([]string, len(users))
	for i, u := range users {
		out[i] = u.UserPrincipalName
	}
	return out
}
