package cli

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/foyer-idp/foyer/internal/directory"
	"github.com/foyer-idp/foyer/internal/store"
)

// Applications are named on the command line by client id or object id.

// Application flags, shared by create and update. The repeatable ones
// replace the whole list on update.
const (
	flagClientID           = "client-id"
	flagClientType         = "type"
	flagRedirectURI        = "redirect-uri"
	flagPostLogoutURI      = "post-logout-redirect-uri"
	flagGrant              = "grant"
	flagHomePage           = "home-page"
	flagFirstParty         = "first-party"
	flagAssignmentRequired = "assignment-required"
	flagRequiresMFA        = "requires-mfa"
	flagAccessTokenFormat  = "access-token-format"
	flagPermission         = "permission"
)

func newAppsCmd(d deps) *cobra.Command {
	cmd := newGroupCmd("apps", "Register and manage a tenant's applications (OIDC clients)")
	// Owner commands name the application as their argument, as every apps command does.
	appArg := parentRef{
		use:  "APP",
		args: []string{"APP"},
		resolve: func(ctx context.Context, g directoryAdmin, _ *cobra.Command, args []string) (string, error) {
			app, err := g.application(ctx, args[0])
			return app.ID, err
		},
	}
	cmd.AddCommand(
		newAppsCreateCmd(d),
		adminCommand(d, "list --tenant SLUG", "List a tenant's applications", noArgs,
			func(ctx context.Context, g directoryAdmin, cmd *cobra.Command, _ []string) error {
				apps, err := g.applications(ctx)
				if err != nil {
					return err
				}
				return printList(cmd, apps, []string{"CLIENT ID", "NAME", "TYPE", "GRANTS", "ID", "CREATED"},
					func(app store.Application) []string {
						return []string{app.ClientID, app.DisplayName, app.ClientType, listCell(app.GrantTypes), app.ID, timeCell(&app.CreatedAt)}
					})
			}),
		adminObjectCommand(d, "show --tenant SLUG APP", "Show an application with its secrets, owners and assignments", "APP", directoryAdmin.application,
			func(ctx context.Context, g directoryAdmin, cmd *cobra.Command, app store.Application) error {
				return printApp(ctx, cmd, g, app)
			}),
		newAppsUpdateCmd(d),
		adminObjectCommand(d, "delete --tenant SLUG APP", "Delete an application with its secrets, owners and assignments", "APP", directoryAdmin.application,
			func(ctx context.Context, g directoryAdmin, cmd *cobra.Command, app store.Application) error {
				if err := g.deleteApplication(ctx, app.ID); err != nil {
					return err
				}
				return printDeleted(cmd, fmt.Sprintf("application %q (%s)", app.DisplayName, app.ClientID), app.ID)
			}),
		newAppsSecretsCmd(d),
		newAppsAssignCmd(d),
		newAppsUnassignCmd(d),
		newUserSetCmd(d, userSet{
			name: "owners", noun: "owner", parent: appArg,
			add: directoryAdmin.addApplicationOwner, remove: directoryAdmin.removeApplicationOwner,
			list: directoryAdmin.applicationOwners,
		}, "an application"),
	)
	return cmd
}

func addAppFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.String(flagName, "", "display name")
	f.StringArray(flagRedirectURI, nil, "redirect URI, matched exactly (repeatable)")
	f.StringArray(flagPostLogoutURI, nil, "post-logout redirect URI (repeatable)")
	f.StringArray(flagGrant, nil, "grant type: authorization_code, refresh_token, client_credentials or urn:ietf:params:oauth:grant-type:device_code (repeatable; default the first two)")
	f.String(flagHomePage, "", "home page URL")
	f.Bool(flagFirstParty, false, "the tenant's own application: no consent screen")
	f.Bool(flagAssignmentRequired, false, "only assigned users and groups may sign in")
	f.Bool(flagRequiresMFA, false, "every sign-in proves a second factor, whatever the tenant's MFA policy")
	f.String(flagAccessTokenFormat, "", "access token format: jwt (default) or opaque")
	f.StringArray(flagPermission, nil, fmt.Sprintf("admin API permission for the app itself (repeatable): %q", directory.APIPermissions))
}

func newAppsCreateCmd(d deps) *cobra.Command {
	cmd := adminCommandEnvCredentials(d, "create --tenant SLUG --name NAME", "Register an application; a confidential one gets a client secret, shown once", noArgs,
		func(ctx context.Context, g directoryAdmin, cmd *cobra.Command, _ []string) error {
			f := cmd.Flags()
			var in directory.NewApplication
			in.DisplayName, _ = f.GetString(flagName)
			in.ClientID, _ = f.GetString(flagClientID)
			in.ClientType, _ = f.GetString(flagClientType)
			in.HomePageURL, _ = f.GetString(flagHomePage)
			in.FirstParty, _ = f.GetBool(flagFirstParty)
			in.AssignmentRequired, _ = f.GetBool(flagAssignmentRequired)
			in.RequiresMFA, _ = f.GetBool(flagRequiresMFA)
			in.AccessTokenFormat, _ = f.GetString(flagAccessTokenFormat)
			in.RedirectURIs = listFlag(cmd, flagRedirectURI)
			in.PostLogoutRedirectURIs = listFlag(cmd, flagPostLogoutURI)
			in.GrantTypes = listFlag(cmd, flagGrant)
			in.APIPermissions = listFlag(cmd, flagPermission)
			app, sec, err := g.createApplication(ctx, in)
			if err != nil {
				return err
			}
			v := struct {
				store.Application
				Secret *directory.NewSecret `json:"passwordCredential,omitempty"`
			}{app, sec}
			return printOut(cmd, v, func(w io.Writer) {
				appFields(w, app)
				if sec != nil {
					row(w)
					secretFields(w, sec)
				}
			})
		})
	cmd.Flags().String(flagClientID, "", "client id (default: a generated id)")
	cmd.Flags().String(flagClientType, "", "client type: confidential (default), public or native")
	addAppFlags(cmd)
	required(cmd, flagName)
	return cmd
}

func newAppsUpdateCmd(d deps) *cobra.Command {
	cmd := adminObjectCommand(d, "update --tenant SLUG APP", "Change an application (repeatable flags replace the whole list; \"\" clears it)", "APP",
		directoryAdmin.application, func(ctx context.Context, g directoryAdmin, cmd *cobra.Command, app store.Application) error {
			f := cmd.Flags()
			app, err := g.updateApplication(ctx, app, directory.ApplicationPatch{
				DisplayName:            changed(cmd, flagName, f.GetString),
				RedirectURIs:           changedList(cmd, flagRedirectURI),
				PostLogoutRedirectURIs: changedList(cmd, flagPostLogoutURI),
				GrantTypes:             changedList(cmd, flagGrant),
				HomePageURL:            changed(cmd, flagHomePage, f.GetString),
				FirstParty:             changed(cmd, flagFirstParty, f.GetBool),
				AssignmentRequired:     changed(cmd, flagAssignmentRequired, f.GetBool),
				RequiresMFA:            changed(cmd, flagRequiresMFA, f.GetBool),
				AccessTokenFormat:      changed(cmd, flagAccessTokenFormat, f.GetString),
				APIPermissions:         changedList(cmd, flagPermission),
			})
			if err != nil {
				return err
			}
			return printApp(ctx, cmd, g, app)
		})
	addAppFlags(cmd)
	cmd.MarkFlagsOneRequired(flagName, flagRedirectURI, flagPostLogoutURI, flagGrant, flagHomePage,
		flagFirstParty, flagAssignmentRequired, flagRequiresMFA, flagAccessTokenFormat, flagPermission)
	return cmd
}

func newAppsSecretsCmd(d deps) *cobra.Command {
	cmd := newGroupCmd("secrets", "Add, list and remove a confidential application's client secrets")
	add := adminObjectCommand(d, "add --tenant SLUG APP", "Add a client secret, shown once (roll over without downtime, then remove the old one)", "APP",
		directoryAdmin.application, func(ctx context.Context, g directoryAdmin, cmd *cobra.Command, app store.Application) error {
			var expiresAt *time.Time
			if in, _ := cmd.Flags().GetDuration("expires-in"); in > 0 {
				expiresAt = new(time.Now().Add(in))
			}
			name, _ := cmd.Flags().GetString(flagName)
			sec, err := g.addSecret(ctx, app.ID, directory.SecretInput{DisplayName: name, ExpiresAt: expiresAt})
			if err != nil {
				return err
			}
			return printOut(cmd, sec, func(w io.Writer) { secretFields(w, sec) })
		})
	add.Flags().Duration("expires-in", 0, "the secret expires after this long, e.g. 8760h (0: never locally; two years, Graph's default, with --server)")
	add.Flags().String(flagName, "", "a label to tell the secret apart, e.g. \"CI, rolled over in March\"")
	add.PreRunE = func(cmd *cobra.Command, _ []string) error {
		if in, _ := cmd.Flags().GetDuration("expires-in"); in < 0 {
			return usageErrorf("--expires-in must not be negative, got %s", in)
		}
		return nil
	}
	cmd.AddCommand(
		add,
		adminObjectCommand(d, "list --tenant SLUG APP", "List an application's client secrets (hints and dates only)", "APP", directoryAdmin.application,
			func(ctx context.Context, g directoryAdmin, cmd *cobra.Command, app store.Application) error {
				return printSecrets(ctx, cmd, g, app)
			}),
		adminCommand(d, "remove --tenant SLUG APP KEY_ID", "Remove one of an application's client secrets", exactArgs("APP", "KEY_ID"),
			func(ctx context.Context, g directoryAdmin, cmd *cobra.Command, args []string) error {
				app, err := g.application(ctx, args[0])
				if err != nil {
					return err
				}
				if err := g.removeSecret(ctx, app.ID, args[1]); err != nil {
					return err
				}
				return printSecrets(ctx, cmd, g, app)
			}),
	)
	return cmd
}

func newAppsAssignCmd(d deps) *cobra.Command {
	cmd := adminObjectCommand(d, "assign --tenant SLUG APP (--user USER | --group ID)", "Let a user or a group's members sign in to an application", "APP",
		directoryAdmin.application, func(ctx context.Context, g directoryAdmin, cmd *cobra.Command, app store.Application) error {
			principalType, principalID := store.PrincipalGroup, ""
			if ref, _ := cmd.Flags().GetString(flagUser); ref != "" {
				u, err := g.user(ctx, ref)
				if err != nil {
					return err
				}
				principalType, principalID = store.PrincipalUser, u.ID
			} else {
				id, _ := cmd.Flags().GetString(flagGroup)
				grp, err := g.group(ctx, id)
				if err != nil {
					return err
				}
				principalID = grp.ID
			}
			if err := g.assign(ctx, app.ID, principalType, principalID); err != nil {
				return err
			}
			return printAssignments(ctx, cmd, g, app)
		})
	cmd.Flags().String(flagUser, "", "the user: id, mail or user principal name")
	cmd.Flags().String(flagGroup, "", "the group's id")
	cmd.MarkFlagsOneRequired(flagUser, flagGroup)
	cmd.MarkFlagsMutuallyExclusive(flagUser, flagGroup)
	return cmd
}

func newAppsUnassignCmd(d deps) *cobra.Command {
	cmd := adminObjectCommand(d, "unassign --tenant SLUG APP --principal ID", "Withdraw a user's or group's assignment to an application", "APP",
		directoryAdmin.application, func(ctx context.Context, g directoryAdmin, cmd *cobra.Command, app store.Application) error {
			id, _ := cmd.Flags().GetString("principal")
			if err := g.unassign(ctx, app.ID, id); err != nil {
				return err
			}
			return printAssignments(ctx, cmd, g, app)
		})
	cmd.Flags().String("principal", "", "id of the assigned user or group (see apps show) (required)")
	required(cmd, "principal")
	return cmd
}

// appDetail is an application with its secrets, owners and assignments.
type appDetail struct {
	store.Application
	Secrets     []store.ClientSecret `json:"passwordCredentials"`
	Owners      []store.User         `json:"owners"`
	Assignments []store.Assignment   `json:"appRoleAssignments"`
}

func printApp(ctx context.Context, cmd *cobra.Command, g directoryAdmin, app store.Application) error {
	secrets, err := g.secrets(ctx, app.ID)
	if err != nil {
		return err
	}
	owners, err := g.applicationOwners(ctx, app.ID)
	if err != nil {
		return err
	}
	assignments, names, err := g.assignments(ctx, app.ID)
	if err != nil {
		return err
	}
	v := appDetail{Application: app, Secrets: nonNil(secrets), Owners: nonNil(owners), Assignments: nonNil(assignments)}
	return printOut(cmd, v, func(w io.Writer) {
		appFields(w, app)
		field(w, "Owners", listCell(upns(owners)))
		if app.ClientType == store.ClientConfidential {
			row(w)
			secretTable(w, secrets)
		}
		row(w)
		assignmentTable(w, assignments, names)
	})
}

func appFields(w io.Writer, app store.Application) {
	field(w, "ID", app.ID)
	field(w, "Client ID", app.ClientID)
	field(w, "Name", app.DisplayName)
	field(w, "Type", app.ClientType)
	field(w, "Redirect URIs", listCell(app.RedirectURIs))
	field(w, "Post-logout redirect URIs", listCell(app.PostLogoutRedirectURIs))
	field(w, "Grant types", listCell(app.GrantTypes))
	field(w, "Home page", app.HomePageURL)
	field(w, "First party", boolCell(app.FirstParty))
	field(w, "Assignment required", boolCell(app.AssignmentRequired))
	field(w, "Requires MFA", boolCell(app.RequiresMFA))
	field(w, "Access token format", app.AccessTokenFormat)
	field(w, "API permissions", listCell(app.APIPermissions))
	field(w, "Created", timeCell(&app.CreatedAt))
}

// secretFields shows a new secret: the only time its value is shown.
func secretFields(w io.Writer, sec *directory.NewSecret) {
	field(w, "Client secret", sec.Value)
	field(w, "Secret key id", sec.ID)
	if sec.DisplayName != "" {
		field(w, "Secret name", sec.DisplayName)
	}
	field(w, "Secret expires", expiresCell(sec.ExpiresAt))
	fmt.Fprintln(w, "Copy the client secret now: Foyer keeps only a hash of it and will not show it again.")
}

func printSecrets(ctx context.Context, cmd *cobra.Command, g directoryAdmin, app store.Application) error {
	secrets, err := g.secrets(ctx, app.ID)
	if err != nil {
		return err
	}
	secrets = nonNil(secrets)
	return printOut(cmd, secrets, func(w io.Writer) { secretTable(w, secrets) })
}

func secretTable(w io.Writer, secrets []store.ClientSecret) {
	row(w, "SECRET KEY ID", "HINT", "NAME", "CREATED", "EXPIRES")
	for _, s := range secrets {
		row(w, s.ID, s.Hint+"…", firstOf(s.DisplayName), timeCell(&s.CreatedAt), expiresCell(s.ExpiresAt))
	}
}

func expiresCell(t *time.Time) string {
	if t == nil {
		return "never"
	}
	return timeCell(t)
}

func printAssignments(ctx context.Context, cmd *cobra.Command, g directoryAdmin, app store.Application) error {
	assignments, names, err := g.assignments(ctx, app.ID)
	if err != nil {
		return err
	}
	assignments = nonNil(assignments)
	return printOut(cmd, assignments, func(w io.Writer) { assignmentTable(w, assignments, names) })
}

func assignmentTable(w io.Writer, assignments []store.Assignment, names map[string]string) {
	row(w, "ASSIGNED", "PRINCIPAL ID", "NAME", "SINCE")
	for _, as := range assignments {
		row(w, as.PrincipalType, as.PrincipalID, firstOf(names[as.PrincipalID]), timeCell(&as.CreatedAt))
	}
}

// assignments answers the application's assignments with the names of
// the assigned users (user principal names) and groups.
func (l localAdmin) assignments(ctx context.Context, appID string) ([]store.Assignment, map[string]string, error) {
	assignments, err := l.dir.Assignments(ctx, l.t.ID, appID)
	if err != nil {
		return nil, nil, err
	}
	names := make(map[string]string, len(assignments))
	for _, as := range assignments {
		switch as.PrincipalType {
		case store.PrincipalUser:
			u, err := l.dir.User(ctx, l.t.ID, as.PrincipalID)
			if err != nil {
				return nil, nil, err
			}
			names[as.PrincipalID] = u.UserPrincipalName
		case store.PrincipalGroup:
			g, err := l.dir.Group(ctx, l.t.ID, as.PrincipalID)
			if err != nil {
				return nil, nil, err
			}
			names[as.PrincipalID] = g.DisplayName
		}
	}
	return assignments, names, nil
}

// withLists answers app with an empty list wherever the store kept none,
// so that -o json prints [] as the API does, never null.
func withLists(app store.Application) store.Application {
	for _, l := range []*[]string{&app.RedirectURIs, &app.PostLogoutRedirectURIs, &app.GrantTypes, &app.APIPermissions} {
		*l = nonNil(*l)
	}
	return app
}

func (l localAdmin) applications(ctx context.Context) ([]store.Application, error) {
	apps, err := l.dir.Applications(ctx, l.t.ID)
	for i := range apps {
		apps[i] = withLists(apps[i])
	}
	return apps, err
}

func (l localAdmin) createApplication(ctx context.Context, in directory.NewApplication) (store.Application, *directory.NewSecret, error) {
	app, sec, err := l.dir.CreateApplication(ctx, l.t.ID, in)
	return withLists(app), sec, err
}

func (l localAdmin) updateApplication(ctx context.Context, app store.Application, p directory.ApplicationPatch) (store.Application, error) {
	app, err := l.dir.UpdateApplication(ctx, l.t.ID, app.ID, p)
	return withLists(app), err
}

func (l localAdmin) deleteApplication(ctx context.Context, appID string) error {
	return l.dir.DeleteApplication(ctx, l.t.ID, appID)
}

func (l localAdmin) addSecret(ctx context.Context, appID string, in directory.SecretInput) (*directory.NewSecret, error) {
	return l.dir.AddClientSecret(ctx, l.t.ID, appID, in)
}

func (l localAdmin) removeSecret(ctx context.Context, appID, keyID string) error {
	return l.dir.RemoveClientSecret(ctx, l.t.ID, appID, keyID)
}

func (l localAdmin) secrets(ctx context.Context, appID string) ([]store.ClientSecret, error) {
	return l.dir.ClientSecrets(ctx, l.t.ID, appID)
}

func (l localAdmin) applicationOwners(ctx context.Context, appID string) ([]store.User, error) {
	return l.dir.ApplicationOwners(ctx, l.t.ID, appID)
}

func (l localAdmin) addApplicationOwner(ctx context.Context, appID, userID string) error {
	return l.dir.AddApplicationOwner(ctx, l.t.ID, appID, userID)
}

func (l localAdmin) removeApplicationOwner(ctx context.Context, appID, userID string) error {
	return l.dir.RemoveApplicationOwner(ctx, l.t.ID, appID, userID)
}

func (l localAdmin) assign(ctx context.Context, appID, principalType, principalID string) error {
	return l.dir.Assign(ctx, l.t.ID, appID, principalType, principalID)
}

func (l localAdmin) unassign(ctx context.Context, appID, principalID string) error {
	return l.dir.Unassign(ctx, l.t.ID, appID, principalID)
}
