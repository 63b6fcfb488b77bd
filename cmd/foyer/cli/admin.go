package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/foyer-idp/foyer/internal/api"
	"github.com/foyer-idp/foyer/internal/directory"
	"github.com/foyer-idp/foyer/internal/store"
)

// Every tenant-scoped command reaches the directory one way: its body gets
// a side of the tenant's directory from one of two frames.
//   - adminCommand: the body is written once against directoryAdmin and
//     runs on the local database (localAdmin) or, with --server, through
//     a running server's admin API, as a Graph script would (remoteAdmin).
//   - tenantCommand: the body gets localAdmin only. These commands are
//     local-only because the CLI has no remote side for them yet; moving
//     one to adminCommand is adding its operations to directoryAdmin and
//     remoteAdmin.
// The commands that are not scoped to a tenant (tenants, bootstrap,
// migrate, serve) work on the local database through appCommand.

// directoryAdmin is what the commands that run either way (invite,
// invitations, guests, apps, signins, idps, domains, tenants policy, mfa)
// do in one tenant.
type directoryAdmin interface {
	// invite invites a guest and answers the invitation with its redeem
	// link.
	invite(ctx context.Context, in directory.InviteInput) (invitationOut, error)
	// invitations answers the invitations in status (PendingAcceptance
	// when empty), only email's when email is not empty, oldest first.
	invitations(ctx context.Context, status, email string) ([]invitationItem, error)
	revokeInvitation(ctx context.Context, id string) error
	// user finds a user by id or user principal name.
	user(ctx context.Context, ref string) (store.User, error)
	// guests answers the guests, only those in state when it is not empty.
	guests(ctx context.Context, state string) ([]store.User, error)
	deleteUser(ctx context.Context, id string) error
	// group finds a group by id.
	group(ctx context.Context, id string) (store.Group, error)
	// signIns answers the tenant's sign-in attempts, newest first.
	signIns(ctx context.Context, f store.SignInFilter) ([]api.SignIn, error)

	applicationAdmin
	tenantSettingsAdmin
}

// tenantSettingsAdmin is what the idps, domains, tenants policy and mfa
// commands do in one tenant.
type tenantSettingsAdmin interface {
	identityProviderAdmin
	domainAdmin
	invitationPolicyAdmin
	mfaAdmin
}

// applicationAdmin is what the apps commands do in one tenant.
// Applications are named by client id or object id.
type applicationAdmin interface {
	application(ctx context.Context, ref string) (store.Application, error)
	applications(ctx context.Context) ([]store.Application, error)
	// createApplication registers an application; a confidential one
	// comes with its first secret.
	createApplication(ctx context.Context, in directory.NewApplication) (store.Application, *directory.NewSecret, error)
	updateApplication(ctx context.Context, app store.Application, p directory.ApplicationPatch) (store.Application, error)
	deleteApplication(ctx context.Context, appID string) error
	addSecret(ctx context.Context, appID string, in directory.SecretInput) (*directory.NewSecret, error)
	removeSecret(ctx context.Context, appID, keyID string) error
	secrets(ctx context.Context, appID string) ([]store.ClientSecret, error)
	applicationOwners(ctx context.Context, appID string) ([]store.User, error)
	// assignments answers the application's assignments with the names
	// of the assigned users (user principal names) and groups, by id.
	assignments(ctx context.Context, appID string) ([]store.Assignment, map[string]string, error)
	assign(ctx context.Context, appID, principalType, principalID string) error
	unassign(ctx context.Context, appID, principalID string) error
}

var (
	_ directoryAdmin = localAdmin{}
	_ directoryAdmin = remoteAdmin{}
)

// invitationItem is an invitation as the lists show it; unlike
// invitationOut it never has a redeem link.
type invitationItem struct {
	ID                      string    `json:"id"`
	Status                  string    `json:"status"`
	InvitedUserEmailAddress string    `json:"invitedUserEmailAddress"`
	InvitedUserID           string    `json:"invitedUserId"`
	InviteRedirectURL       string    `json:"inviteRedirectUrl"`
	MessageLanguage         string    `json:"messageLanguage,omitempty"`
	ExpirationDateTime      time.Time `json:"expirationDateTime"`
}

// tenantRun is the body of a command scoped to one tenant.
type tenantRun func(ctx context.Context, a localAdmin, cmd *cobra.Command, args []string) error

// tenantCommand is appCommand for a command scoped to the tenant its
// required --tenant flag names.
func tenantCommand(d deps, use, short string, args cobra.PositionalArgs, run tenantRun) *cobra.Command {
	cmd := appCommand(d, use, short, args, func(ctx context.Context, a *app, cmd *cobra.Command, args []string) error {
		slug, _ := cmd.Flags().GetString(flagTenant)
		t, err := a.tenantBySlug(ctx, slug)
		if err != nil {
			return err
		}
		return run(ctx, localAdmin{app: a, t: t}, cmd, args)
	})
	cmd.Flags().String(flagTenant, "", "tenant slug (required)")
	required(cmd, flagTenant)
	return cmd
}

// adminRun is the body of a command that runs locally or remotely.
type adminRun func(ctx context.Context, g directoryAdmin, cmd *cobra.Command, args []string) error

// adminCommand answers a command scoped to the tenant --tenant names that
// runs on the local database, or through the admin API of the server
// --server (or FOYER_SERVER) names, as the app --client-id with
// --client-secret (or FOYER_CLIENT_ID, FOYER_CLIENT_SECRET).
func adminCommand(d deps, use, short string, args cobra.PositionalArgs, run adminRun) *cobra.Command {
	return newAdminCommand(d, use, short, args, run, true)
}

// adminCommandEnvCredentials is adminCommand for a command whose own
// --client-id names something else (apps create: the new app's): the
// remote app's credentials come from FOYER_CLIENT_ID and
// FOYER_CLIENT_SECRET only.
func adminCommandEnvCredentials(d deps, use, short string, args cobra.PositionalArgs, run adminRun) *cobra.Command {
	return newAdminCommand(d, use, short, args, run, false)
}

func newAdminCommand(d deps, use, short string, args cobra.PositionalArgs, run adminRun, credentialFlags bool) *cobra.Command {
	cmd := tenantCommand(d, use, short, args, func(ctx context.Context, a localAdmin, cmd *cobra.Command, args []string) error {
		return run(ctx, a, cmd, args)
	})
	local := cmd.RunE
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		slug, _ := cmd.Flags().GetString(flagTenant)
		c, err := newAPIClient(cmd, d, slug, credentialFlags)
		if err != nil {
			return err
		}
		if c == nil {
			return local(cmd, args)
		}
		defer c.http.CloseIdleConnections()
		return run(cmd.Context(), remoteAdmin{c: c, warn: cmd.ErrOrStderr()}, cmd, args)
	}
	addRemoteFlags(cmd, credentialFlags)
	return cmd
}

// localAdmin is one tenant of the local database, acted on through the
// directory as the operator: directoryAdmin's local side, and all a
// local-only command gets.
type localAdmin struct {
	*app
	t store.Tenant
}

func (l localAdmin) invite(ctx context.Context, in directory.InviteInput) (invitationOut, error) {
	inv, _, err := l.dir.Invite(ctx, l.t.ID, in)
	if err != nil {
		return invitationOut{}, err
	}
	return invitationOut{ID: inv.ID, Status: inv.Status, InvitedUserEmailAddress: inv.Email,
		InvitedUserID: inv.InvitedUserID, UserPrincipalName: inv.User.UserPrincipalName,
		InviteRedirectURL: inv.RedirectURL, InviteRedeemURL: inv.RedeemURL,
		ExpirationDateTime: inv.ExpiresAt, SendInvitationMessage: in.SendMessage}, nil
}

func (l localAdmin) invitations(ctx context.Context, status, email string) ([]invitationItem, error) {
	list, err := l.dir.Invitations(ctx, l.t.ID, status)
	if err != nil {
		return nil, err
	}
	email = strings.ToLower(email) // stored lower-cased
	var out []invitationItem
	for _, inv := range list {
		if email != "" && inv.Email != email {
			continue
		}
		out = append(out, invitationItem{ID: inv.ID, Status: inv.Status, InvitedUserEmailAddress: inv.Email,
			InvitedUserID: inv.InvitedUserID, InviteRedirectURL: inv.RedirectURL, MessageLanguage: inv.MessageLanguage,
			ExpirationDateTime: inv.ExpiresAt})
	}
	return out, nil
}

func (l localAdmin) revokeInvitation(ctx context.Context, id string) error {
	err := l.dir.RevokeInvitation(ctx, l.t.ID, id)
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("no pending invitation %q in tenant %q", id, l.t.Slug)
	}
	return err
}

func (l localAdmin) guests(ctx context.Context, state string) ([]store.User, error) {
	return l.dir.Users(ctx, l.t.ID, store.UserFilter{UserType: store.UserTypeGuest, ExternalUserState: state})
}

func (l localAdmin) deleteUser(ctx context.Context, id string) error {
	return l.dir.DeleteUser(ctx, l.t.ID, id)
}
