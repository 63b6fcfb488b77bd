package cli

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/foyer-idp/foyer/internal/directory"
	"github.com/foyer-idp/foyer/internal/store"
)

// Users are named on the command line by id, mail or user principal name.

// userAdmin is what the users commands do in one tenant, besides
// directoryAdmin's user and deleteUser.
type userAdmin interface {
	// users answers the users f asks for, in id order (oldest first).
	users(ctx context.Context, f store.UserFilter) ([]store.User, error)
	createMember(ctx context.Context, in directory.NewMember) (store.User, error)
	updateUser(ctx context.Context, userID string, p directory.UserPatch) (store.User, error)
	setPassword(ctx context.Context, userID, password string) error
	// memberships answers the user's directory roles (by name) and the
	// groups they are a member of (oldest first).
	memberships(ctx context.Context, userID string) ([]string, []store.Group, error)
}

func newUsersCmd(d deps) *cobra.Command {
	cmd := newGroupCmd("users", "Create and manage a tenant's users (locally or with --server)")
	cmd.AddCommand(
		newUsersCreateCmd(d),
		newUsersListCmd(d),
		adminObjectCommand(d, "show --tenant SLUG USER", "Show a user with their roles and groups", "USER", directoryAdmin.user,
			func(ctx context.Context, g directoryAdmin, cmd *cobra.Command, u store.User) error {
				return printUser(ctx, cmd, g, u)
			}),
		newUsersUpdateCmd(d),
		newUsersSetPasswordCmd(d),
		adminObjectCommand(d, "delete --tenant SLUG USER", "Delete a user with their memberships, ownerships and assignments", "USER", directoryAdmin.user,
			func(ctx context.Context, g directoryAdmin, cmd *cobra.Command, u store.User) error {
				if err := g.deleteUser(ctx, u.ID); err != nil {
					return err
				}
				return printDeleted(cmd, fmt.Sprintf("user %s", u.UserPrincipalName), u.ID)
			}),
	)
	return cmd
}

// User profile flags, shared by create and update.
const (
	flagMail      = "mail"
	flagUPN       = "upn"
	flagGivenName = "given-name"
	flagSurname   = "surname"
	// flagForceChange is Graph's forceChangePasswordNextSignIn.
	flagForceChange = "force-change-password"
)

func addForceChangeFlag(cmd *cobra.Command, usage string) {
	cmd.Flags().Bool(flagForceChange, false, usage)
}

func addProfileFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.String(flagName, "", "display name")
	f.String(flagMail, "", "email address")
	f.String(flagUPN, "", "user principal name, the sign-in name (default: the mail address)")
	f.String(flagGivenName, "", "given name")
	f.String(flagSurname, "", "surname")
}

func newUsersCreateCmd(d deps) *cobra.Command {
	cmd := adminCommand(d, "create --tenant SLUG --mail MAIL --name NAME", "Create a member of the tenant", noArgs,
		func(ctx context.Context, g directoryAdmin, cmd *cobra.Command, _ []string) error {
			f := cmd.Flags()
			roles, _ := f.GetStringArray("role")
			// Checked before the user is made, so a bad role leaves nothing behind.
			for _, role := range roles {
				if err := checkRole(role); err != nil {
					return err
				}
			}
			var in directory.NewMember
			in.DisplayName, _ = f.GetString(flagName)
			in.Mail, _ = f.GetString(flagMail)
			in.UserPrincipalName, _ = f.GetString(flagUPN)
			in.GivenName, _ = f.GetString(flagGivenName)
			in.Surname, _ = f.GetString(flagSurname)
			disabled, _ := f.GetBool("disabled")
			in.AccountEnabled = new(!disabled)
			in.ForceChangePassword, _ = f.GetBool(flagForceChange)
			var err error
			if in.Password, err = password(cmd); err != nil {
				return err
			}
			u, err := g.createMember(ctx, in)
			if err != nil {
				return err
			}
			for _, role := range roles {
				if err := g.assignRole(ctx, u.ID, role); err != nil {
					return fmt.Errorf("created user %s, but could not give them role %q: %w", u.UserPrincipalName, role, err)
				}
			}
			return printUser(ctx, cmd, g, u)
		})
	addProfileFlags(cmd)
	addPasswordFlags(cmd)
	addForceChangeFlag(cmd, "make the user choose a new password at their next sign-in (needs a password)")
	cmd.Flags().Bool("disabled", false, "create the account disabled")
	cmd.Flags().StringArray("role", nil, fmt.Sprintf("directory role to give the user (repeatable): %q", directory.Roles))
	required(cmd, flagName)
	cmd.MarkFlagsOneRequired(flagMail, flagUPN)
	return cmd
}

func newUsersListCmd(d deps) *cobra.Command {
	cmd := adminCommand(d, "list --tenant SLUG", "List a tenant's users, oldest first", noArgs,
		func(ctx context.Context, g directoryAdmin, cmd *cobra.Command, _ []string) error {
			var filter store.UserFilter
			f := cmd.Flags()
			filter.UserType, _ = f.GetString("type")
			filter.ExternalUserState, _ = f.GetString("state")
			filter.Limit, _ = f.GetInt("top")
			users, err := g.users(ctx, filter)
			if err != nil {
				return err
			}
			return printList(cmd, users, []string{"ID", "USER PRINCIPAL NAME", "NAME", "TYPE", "STATE", "ENABLED", "CREATED"},
				func(u store.User) []string {
					return []string{u.ID, u.UserPrincipalName, u.DisplayName, u.UserType, firstOf(u.ExternalUserState),
						boolCell(u.AccountEnabled), timeCell(&u.CreatedAt)}
				})
		})
	f := cmd.Flags()
	f.String("type", "", "only users of this type: Member or Guest")
	f.String("state", "", "only guests in this state: PendingAcceptance or Accepted")
	f.Int("top", 0, "at most this many users (0: all)")
	cmd.PreRunE = func(cmd *cobra.Command, _ []string) error {
		f := cmd.Flags()
		if v, _ := f.GetString("type"); v != "" && v != store.UserTypeMember && v != store.UserTypeGuest {
			return usageErrorf("--type must be %s or %s, got %q", store.UserTypeMember, store.UserTypeGuest, v)
		}
		if err := checkStateFlag(cmd); err != nil {
			return err
		}
		if top, _ := f.GetInt("top"); top < 0 {
			return usageErrorf("--top must not be negative, got %d", top)
		}
		return nil
	}
	return cmd
}

func newUsersUpdateCmd(d deps) *cobra.Command {
	cmd := adminObjectCommand(d, "update --tenant SLUG USER", "Change a user's profile or enable/disable their account", "USER", directoryAdmin.user,
		func(ctx context.Context, g directoryAdmin, cmd *cobra.Command, u store.User) error {
			f := cmd.Flags()
			u, err := g.updateUser(ctx, u.ID, directory.UserPatch{
				DisplayName:         changed(cmd, flagName, f.GetString),
				GivenName:           changed(cmd, flagGivenName, f.GetString),
				Surname:             changed(cmd, flagSurname, f.GetString),
				Mail:                changed(cmd, flagMail, f.GetString),
				UserPrincipalName:   changed(cmd, flagUPN, f.GetString),
				AccountEnabled:      changed(cmd, "enabled", f.GetBool),
				ForceChangePassword: changed(cmd, flagForceChange, f.GetBool),
			})
			if err != nil {
				return err
			}
			return printUser(ctx, cmd, g, u)
		})
	addProfileFlags(cmd)
	cmd.Flags().Bool("enabled", true, "--enabled=false disables the account, --enabled=true enables it")
	addForceChangeFlag(cmd, "--force-change-password makes the user choose a new password at their next sign-in; =false lifts it")
	cmd.MarkFlagsOneRequired(flagName, flagGivenName, flagSurname, flagMail, flagUPN, "enabled", flagForceChange)
	return cmd
}

func newUsersSetPasswordCmd(d deps) *cobra.Command {
	cmd := adminObjectCommand(d, "set-password --tenant SLUG USER (--password-stdin | --password PASSWORD)",
		"Replace a user's password", "USER", directoryAdmin.user,
		func(ctx context.Context, g directoryAdmin, cmd *cobra.Command, u store.User) error {
			pw, err := password(cmd)
			if err != nil {
				return err
			}
			if force := changed(cmd, flagForceChange, cmd.Flags().GetBool); force != nil {
				// The reset and the flag land together, or neither.
				if _, err := g.updateUser(ctx, u.ID, directory.UserPatch{Password: &pw, ForceChangePassword: force}); err != nil {
					return err
				}
			} else if err := g.setPassword(ctx, u.ID, pw); err != nil {
				return err
			}
			v := struct {
				ID              string `json:"id"`
				PasswordChanged bool   `json:"passwordChanged"`
			}{u.ID, true}
			return printOut(cmd, v, func(w io.Writer) { fmt.Fprintf(w, "Set the password of %s.\n", u.UserPrincipalName) })
		})
	addPasswordFlags(cmd)
	addForceChangeFlag(cmd, "make the user choose a new password at their next sign-in, as after an admin's reset in Entra")
	cmd.MarkFlagsOneRequired(flagPassword, flagPasswordStdin)
	return cmd
}

// userDetail is a user with what they hold.
type userDetail struct {
	store.User
	PasswordProfile userPasswordProfile `json:"passwordProfile"`
	Roles           []string            `json:"roles"`
	MemberOf        []store.Group       `json:"memberOf"`
}

// userPasswordProfile is Graph's passwordProfile without the password.
type userPasswordProfile struct {
	ForceChangePasswordNextSignIn bool `json:"forceChangePasswordNextSignIn"`
}

func printUser(ctx context.Context, cmd *cobra.Command, g directoryAdmin, u store.User) error {
	roles, groups, err := g.memberships(ctx, u.ID)
	if err != nil {
		return err
	}
	v := userDetail{User: u, PasswordProfile: userPasswordProfile{u.ForceChangePassword}, Roles: nonNil(roles), MemberOf: nonNil(groups)}
	return printOut(cmd, v, func(w io.Writer) {
		field(w, "ID", u.ID)
		field(w, "User principal name", u.UserPrincipalName)
		field(w, "Mail", u.Mail)
		field(w, "Name", u.DisplayName)
		field(w, "Given name", u.GivenName)
		field(w, "Surname", u.Surname)
		field(w, "Type", u.UserType)
		field(w, "State", u.ExternalUserState)
		field(w, "Enabled", boolCell(u.AccountEnabled))
		field(w, "Must change password", boolCell(u.ForceChangePassword))
		field(w, "Created", timeCell(&u.CreatedAt))
		field(w, "Roles", listCell(roles))
		names := make([]string, len(groups))
		for i, g := range groups {
			names[i] = fmt.Sprintf("%s (%s)", g.DisplayName, g.ID)
		}
		field(w, "Groups", listCell(names))
	})
}

// nonNil answers an empty list for none, so JSON shows [] rather than null.
func nonNil[T any](list []T) []T {
	if list == nil {
		return []T{}
	}
	return list
}

func (l localAdmin) users(ctx context.Context, f store.UserFilter) ([]store.User, error) {
	return l.dir.Users(ctx, l.t.ID, f)
}

func (l localAdmin) createMember(ctx context.Context, in directory.NewMember) (store.User, error) {
	return l.dir.CreateMember(ctx, l.t.ID, in)
}

func (l localAdmin) updateUser(ctx context.Context, userID string, p directory.UserPatch) (store.User, error) {
	return l.dir.UpdateUser(ctx, l.t.ID, userID, p)
}

func (l localAdmin) setPassword(ctx context.Context, userID, password string) error {
	return l.dir.SetPassword(ctx, l.t.ID, userID, password)
}

func (l localAdmin) memberships(ctx context.Context, userID string) ([]string, []store.Group, error) {
	roles, err := l.dir.UserRoles(ctx, l.t.ID, userID)
	if err != nil {
		return nil, nil, err
	}
	groups, err := l.store.ListUserGroups(ctx, l.t.ID, userID)
	return roles, groups, err
}
