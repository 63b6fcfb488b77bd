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

func newUsersCmd(d deps) *cobra.Command {
	cmd := newGroupCmd("users", "Create and manage a tenant's users")
	cmd.AddCommand(
		newUsersCreateCmd(d),
		newUsersListCmd(d),
		objectCommand(d, "show --tenant SLUG USER", "Show a user with their roles and groups", "USER", localAdmin.user,
			func(ctx context.Context, a localAdmin, cmd *cobra.Command, u store.User) error {
				return printUser(ctx, cmd, a.app, u)
			}),
		newUsersUpdateCmd(d),
		newUsersSetPasswordCmd(d),
		objectCommand(d, "delete --tenant SLUG USER", "Delete a user with their memberships, ownerships and assignments", "USER", localAdmin.user,
			func(ctx context.Context, a localAdmin, cmd *cobra.Command, u store.User) error {
				if err := a.dir.DeleteUser(ctx, a.t.ID, u.ID); err != nil {
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
	cmd := tenantCommand(d, "create --tenant SLUG --mail MAIL --name NAME", "Create a member of the tenant", noArgs,
		func(ctx context.Context, a localAdmin, cmd *cobra.Command, _ []string) error {
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
			u, err := a.dir.CreateMember(ctx, a.t.ID, in)
			if err != nil {
				return err
			}
			for _, role := range roles {
				if err := a.dir.AssignRole(ctx, a.t.ID, u.ID, role); err != nil {
					return fmt.Errorf("created user %s, but could not give them role %q: %w", u.UserPrincipalName, role, err)
				}
			}
			return printUser(ctx, cmd, a.app, u)
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
	cmd := tenantCommand(d, "list --tenant SLUG", "List a tenant's users, oldest first", noArgs,
		func(ctx context.Context, a localAdmin, cmd *cobra.Command, _ []string) error {
			var filter store.UserFilter
			f := cmd.Flags()
			filter.UserType, _ = f.GetString("type")
			filter.ExternalUserState, _ = f.GetString("state")
			filter.Limit, _ = f.GetInt("top")
			users, err := a.dir.Users(ctx, a.t.ID, filter)
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
	cmd := objectCommand(d, "update --tenant SLUG USER", "Change a user's profile or enable/disable their account", "USER", localAdmin.user,
		func(ctx context.Context, a localAdmin, cmd *cobra.Command, u store.User) error {
			f := cmd.Flags()
			u, err := a.dir.UpdateUser(ctx, a.t.ID, u.ID, directory.UserPatch{
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
			return printUser(ctx, cmd, a.app, u)
		})
	addProfileFlags(cmd)
	cmd.Flags().Bool("enabled", true, "--enabled=false disables the account, --enabled=true enables it")
	addForceChangeFlag(cmd, "--force-change-password makes the user choose a new password at their next sign-in; =false lifts it")
	cmd.MarkFlagsOneRequired(flagName, flagGivenName, flagSurname, flagMail, flagUPN, "enabled", flagForceChange)
	return cmd
}

func newUsersSetPasswordCmd(d deps) *cobra.Command {
	cmd := objectCommand(d, "set-password --tenant SLUG USER (--password-stdin | --password PASSWORD)",
		"Replace a user's password", "USER", localAdmin.user,
		func(ctx context.Context, a localAdmin, cmd *cobra.Command, u store.User) error {
			pw, err := password(cmd)
			if err != nil {
				return err
			}
			if force := changed(cmd, flagForceChange, cmd.Flags().GetBool); force != nil {
				// The reset and the flag land together, or neither.
				if _, err := a.dir.UpdateUser(ctx, a.t.ID, u.ID, directory.UserPatch{Password: &pw, ForceChangePassword: force}); err != nil {
					return err
				}
			} else if err := a.dir.SetPassword(ctx, a.t.ID, u.ID, pw); err != nil {
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

func printUser(ctx context.Context, cmd *cobra.Command, a *app, u store.User) error {
	roles, err := a.dir.UserRoles(ctx, u.TenantID, u.ID)
	if err != nil {
		return err
	}
	groups, err := a.store.ListUserGroups(ctx, u.TenantID, u.ID)
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
