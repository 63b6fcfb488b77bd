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

// groupAdmin is what the groups commands do in one tenant, besides
// directoryAdmin's group. Lists of groups are oldest first, of users in
// id order.
type groupAdmin interface {
	groups(ctx context.Context) ([]store.Group, error)
	createGroup(ctx context.Context, in directory.NewGroup) (store.Group, error)
	updateGroup(ctx context.Context, groupID string, p directory.GroupPatch) (store.Group, error)
	deleteGroup(ctx context.Context, groupID string) error
	groupMembers(ctx context.Context, groupID string) ([]store.User, error)
	addGroupMember(ctx context.Context, groupID, userID string) error
	removeGroupMember(ctx context.Context, groupID, userID string) error
	groupOwners(ctx context.Context, groupID string) ([]store.User, error)
	addGroupOwner(ctx context.Context, groupID, userID string) error
	removeGroupOwner(ctx context.Context, groupID, userID string) error
}

func newGroupsCmd(d deps) *cobra.Command {
	cmd := newGroupCmd("groups", "Create and manage a tenant's groups, their members and owners (locally or with --server)")
	// Membership commands name the group with --group, as they name the user with --user.
	group := parentRef{
		use: "--group ID",
		flags: func(cmd *cobra.Command) {
			cmd.Flags().String(flagGroup, "", "the group's id (required)")
			required(cmd, flagGroup)
		},
		resolve: func(ctx context.Context, g directoryAdmin, cmd *cobra.Command, _ []string) (string, error) {
			id, _ := cmd.Flags().GetString(flagGroup)
			group, err := g.group(ctx, id)
			return group.ID, err
		},
	}
	cmd.AddCommand(
		newGroupsCreateCmd(d),
		adminCommand(d, "list --tenant SLUG", "List a tenant's groups", noArgs,
			func(ctx context.Context, g directoryAdmin, cmd *cobra.Command, _ []string) error {
				groups, err := g.groups(ctx)
				if err != nil {
					return err
				}
				return printList(cmd, groups, []string{"ID", "NAME", "OWNERS CAN INVITE", "CREATED", "DESCRIPTION"},
					func(g store.Group) []string {
						return []string{g.ID, g.DisplayName, boolCell(g.OwnersCanInviteGuests), timeCell(&g.CreatedAt), firstOf(g.Description)}
					})
			}),
		adminObjectCommand(d, "show --tenant SLUG ID", "Show a group with its members and owners", "ID", directoryAdmin.group,
			func(ctx context.Context, g directoryAdmin, cmd *cobra.Command, group store.Group) error {
				return printGroup(ctx, cmd, g, group)
			}),
		newGroupsUpdateCmd(d),
		adminObjectCommand(d, "delete --tenant SLUG ID", "Delete a group with its memberships and assignments", "ID", directoryAdmin.group,
			func(ctx context.Context, g directoryAdmin, cmd *cobra.Command, group store.Group) error {
				if err := g.deleteGroup(ctx, group.ID); err != nil {
					return err
				}
				return printDeleted(cmd, fmt.Sprintf("group %q", group.DisplayName), group.ID)
			}),
		newUserSetCmd(d, userSet{
			name: "members", noun: "member", parent: group,
			add: directoryAdmin.addGroupMember, remove: directoryAdmin.removeGroupMember, list: directoryAdmin.groupMembers,
		}, "a group"),
		newUserSetCmd(d, userSet{
			name: "owners", noun: "owner", parent: group,
			add: directoryAdmin.addGroupOwner, remove: directoryAdmin.removeGroupOwner, list: directoryAdmin.groupOwners,
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
	cmd := adminCommand(d, "create --tenant SLUG --name NAME", "Create a group", noArgs,
		func(ctx context.Context, g directoryAdmin, cmd *cobra.Command, _ []string) error {
			f := cmd.Flags()
			var in directory.NewGroup
			in.DisplayName, _ = f.GetString(flagName)
			in.Description, _ = f.GetString(flagDescription)
			in.OwnersCanInviteGuests, _ = f.GetBool(flagOwnersCanInvite)
			group, err := g.createGroup(ctx, in)
			if err != nil {
				return err
			}
			return printGroup(ctx, cmd, g, group)
		})
	addGroupFlags(cmd)
	required(cmd, flagName)
	return cmd
}

func newGroupsUpdateCmd(d deps) *cobra.Command {
	cmd := adminObjectCommand(d, "update --tenant SLUG ID", "Change a group's name, description or what its owners may do", "ID", directoryAdmin.group,
		func(ctx context.Context, g directoryAdmin, cmd *cobra.Command, group store.Group) error {
			f := cmd.Flags()
			group, err := g.updateGroup(ctx, group.ID, directory.GroupPatch{
				DisplayName:           changed(cmd, flagName, f.GetString),
				Description:           changed(cmd, flagDescription, f.GetString),
				OwnersCanInviteGuests: changed(cmd, flagOwnersCanInvite, f.GetBool),
			})
			if err != nil {
				return err
			}
			return printGroup(ctx, cmd, g, group)
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

func printGroup(ctx context.Context, cmd *cobra.Command, ga directoryAdmin, g store.Group) error {
	members, err := ga.groupMembers(ctx, g.ID)
	if err != nil {
		return err
	}
	owners, err := ga.groupOwners(ctx, g.ID)
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

func (l localAdmin) groups(ctx context.Context) ([]store.Group, error) {
	return l.dir.Groups(ctx, l.t.ID)
}

func (l localAdmin) createGroup(ctx context.Context, in directory.NewGroup) (store.Group, error) {
	return l.dir.CreateGroup(ctx, l.t.ID, in)
}

func (l localAdmin) updateGroup(ctx context.Context, groupID string, p directory.GroupPatch) (store.Group, error) {
	return l.dir.UpdateGroup(ctx, l.t.ID, groupID, p)
}

func (l localAdmin) deleteGroup(ctx context.Context, groupID string) error {
	return l.dir.DeleteGroup(ctx, l.t.ID, groupID)
}

func (l localAdmin) groupMembers(ctx context.Context, groupID string) ([]store.User, error) {
	return l.dir.GroupMembers(ctx, l.t.ID, groupID)
}

func (l localAdmin) addGroupMember(ctx context.Context, groupID, userID string) error {
	return l.dir.AddGroupMember(ctx, l.t.ID, groupID, userID)
}

func (l localAdmin) removeGroupMember(ctx context.Context, groupID, userID string) error {
	return l.dir.RemoveGroupMember(ctx, l.t.ID, groupID, userID)
}

func (l localAdmin) groupOwners(ctx context.Context, groupID string) ([]store.User, error) {
	return l.dir.GroupOwners(ctx, l.t.ID, groupID)
}

func (l localAdmin) addGroupOwner(ctx context.Context, groupID, userID string) error {
	return l.dir.AddGroupOwner(ctx, l.t.ID, groupID, userID)
}

func (l localAdmin) removeGroupOwner(ctx context.Context, groupID, userID string) error {
	return l.dir.RemoveGroupOwner(ctx, l.t.ID, groupID, userID)
}
