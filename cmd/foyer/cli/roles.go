package cli

import (
	"context"
	"fmt"
	"io"
	"slices"

	"github.com/spf13/cobra"

	"github.com/foyer-idp/foyer/internal/directory"
	"github.com/foyer-idp/foyer/internal/store"
)

const (
	flagUser = "user"
	flagRole = "role"
)

// roleAdmin is what the roles commands do in one tenant. Roles are named
// by their names (directory.Roles).
type roleAdmin interface {
	assignRole(ctx context.Context, userID, role string) error
	unassignRole(ctx context.Context, userID, role string) error
	// userRoles answers the user's roles in name order.
	userRoles(ctx context.Context, userID string) ([]string, error)
	// roleMembers answers who holds the role, in id order.
	roleMembers(ctx context.Context, role string) ([]store.User, error)
}

func newRolesCmd(d deps) *cobra.Command {
	cmd := newGroupCmd("roles", fmt.Sprintf("Give and take directory roles (%q; locally or with --server)", directory.Roles))
	cmd.AddCommand(
		newRoleEditCmd(d, "assign", "Give a user a directory role", directoryAdmin.assignRole),
		newRoleEditCmd(d, "unassign", "Take a directory role from a user", directoryAdmin.unassignRole),
		newRolesListCmd(d),
	)
	return cmd
}

// newRoleEditCmd makes assign and unassign; they differ in the directory
// method only. Either answers the user's roles after the change.
func newRoleEditCmd(d deps, name, short string,
	edit func(directoryAdmin, context.Context, string, string) error) *cobra.Command {
	cmd := adminCommand(d, name+" --tenant SLUG --user USER --role ROLE", short, noArgs,
		func(ctx context.Context, g directoryAdmin, cmd *cobra.Command, _ []string) error {
			ref, _ := cmd.Flags().GetString(flagUser)
			role, _ := cmd.Flags().GetString(flagRole)
			u, err := g.user(ctx, ref)
			if err != nil {
				return err
			}
			// Named here, not by the directory or the server: the same
			// words both ways.
			if err := checkRole(role); err != nil {
				return err
			}
			if err := edit(g, ctx, u.ID, role); err != nil {
				return err
			}
			roles, err := g.userRoles(ctx, u.ID)
			if err != nil {
				return err
			}
			roles = nonNil(roles)
			return printOut(cmd, roles, func(w io.Writer) {
				fmt.Fprintf(w, "Roles of %s: %s\n", u.UserPrincipalName, listCell(roles))
			})
		})
	cmd.Flags().String(flagUser, "", "the user: id, mail or user principal name (required)")
	cmd.Flags().String(flagRole, "", fmt.Sprintf("the role, one of %q (required)", directory.Roles))
	required(cmd, flagUser, flagRole)
	return cmd
}

// roleMembers is who holds one role.
type roleMembers struct {
	Role    string       `json:"role"`
	Members []store.User `json:"members"`
}

func newRolesListCmd(d deps) *cobra.Command {
	cmd := adminCommand(d, "list --tenant SLUG", "List who holds each directory role", noArgs,
		func(ctx context.Context, g directoryAdmin, cmd *cobra.Command, _ []string) error {
			roles := directory.Roles
			if role, _ := cmd.Flags().GetString(flagRole); role != "" {
				if err := checkRole(role); err != nil {
					return err
				}
				roles = []string{role}
			}
			out := make([]roleMembers, len(roles))
			for i, role := range roles {
				members, err := g.roleMembers(ctx, role)
				if err != nil {
					return err
				}
				out[i] = roleMembers{Role: role, Members: nonNil(members)}
			}
			return printOut(cmd, out, func(w io.Writer) {
				row(w, "ROLE", "USER ID", "USER PRINCIPAL NAME", "NAME")
				for _, r := range out {
					if len(r.Members) == 0 {
						row(w, r.Role, "-", "-", "-")
					}
					for _, u := range r.Members {
						row(w, r.Role, u.ID, u.UserPrincipalName, u.DisplayName)
					}
				}
			})
		})
	cmd.Flags().String(flagRole, "", "only this role")
	return cmd
}

// checkRole refuses a role that is not a directory role, naming the field
// as the directory does: for checks made before the directory is asked.
func checkRole(role string) error {
	if !slices.Contains(directory.Roles, role) {
		return fmt.Errorf("role: %q is not one of %q", role, directory.Roles)
	}
	return nil
}

func (l localAdmin) assignRole(ctx context.Context, userID, role string) error {
	return l.dir.AssignRole(ctx, l.t.ID, userID, role)
}

func (l localAdmin) unassignRole(ctx context.Context, userID, role string) error {
	return l.dir.UnassignRole(ctx, l.t.ID, userID, role)
}

func (l localAdmin) userRoles(ctx context.Context, userID string) ([]string, error) {
	return l.dir.UserRoles(ctx, l.t.ID, userID)
}

func (l localAdmin) roleMembers(ctx context.Context, role string) ([]store.User, error) {
	return l.dir.RoleMembers(ctx, l.t.ID, role)
}
