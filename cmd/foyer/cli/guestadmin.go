package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/foyer-idp/foyer/internal/directory"
	"github.com/foyer-idp/foyer/internal/store"
)

// The invitation and guest commands work on the local database, as the
// other commands do, or with --server through a running server's admin
// API, as a Graph script would. Each command is written once against
// guestAdmin; localGuests and remoteGuests are its two sides.

// guestAdmin is what the invitation and guest commands do in one tenant.
type guestAdmin interface {
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
}

var (
	_ guestAdmin = localGuests{}
	_ guestAdmin = remoteGuests{}
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

// guestRun is the body of an invitation or guest command.
type guestRun func(ctx context.Context, g guestAdmin, cmd *cobra.Command, args []string) error

// guestCommand answers a command scoped to the tenant --tenant names that
// runs on the local database, or through the admin API of the server
// --server (or FOYER_SERVER) names, as the app --client-id with
// --client-secret (or FOYER_CLIENT_ID, FOYER_CLIENT_SECRET).
func guestCommand(d deps, use, short string, args cobra.PositionalArgs, run guestRun) *cobra.Command {
	cmd := tenantCommand(d, use, short, args, func(ctx context.Context, a *app, t store.Tenant, cmd *cobra.Command, args []string) error {
		return run(ctx, localGuests{a: a, t: t}, cmd, args)
	})
	local := cmd.RunE
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		slug, _ := cmd.Flags().GetString(flagTenant)
		c, err := newAPIClient(cmd, d, slug)
		if err != nil {
			return err
		}
		if c == nil {
			return local(cmd, args)
		}
		defer c.http.CloseIdleConnections()
		return run(cmd.Context(), remoteGuests{c: c, warn: cmd.ErrOrStderr()}, cmd, args)
	}
	addRemoteFlags(cmd)
	return cmd
}

// localGuests acts on the database through the directory, as the
// operator.
type localGuests struct {
	a *app
	t store.Tenant
}

func (l localGuests) invite(ctx context.Context, in directory.InviteInput) (invitationOut, error) {
	inv, _, err := l.a.dir.Invite(ctx, l.t.ID, in)
	if err != nil {
		return invitationOut{}, err
	}
	return invitationOut{ID: inv.ID, Status: inv.Status, InvitedUserEmailAddress: inv.Email,
		InvitedUserID: inv.InvitedUserID, UserPrincipalName: inv.User.UserPrincipalName,
		InviteRedirectURL: inv.RedirectURL, InviteRedeemURL: inv.RedeemURL,
		ExpirationDateTime: inv.ExpiresAt, SendInvitationMessage: in.SendMessage}, nil
}

func (l localGuests) invitations(ctx context.Context, status, email string) ([]invitationItem, error) {
	list, err := l.a.dir.Invitations(ctx, l.t.ID, status)
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

func (l localGuests) revokeInvitation(ctx context.Context, id string) error {
	err := l.a.dir.RevokeInvitation(ctx, l.t.ID, id)
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("no pending invitation %q in tenant %q", id, l.t.Slug)
	}
	return err
}

func (l localGuests) user(ctx context.Context, ref string) (store.User, error) {
	return l.a.user(ctx, l.t, ref)
}

func (l localGuests) guests(ctx context.Context, state string) ([]store.User, error) {
	return l.a.dir.Users(ctx, l.t.ID, store.UserFilter{UserType: store.UserTypeGuest, ExternalUserState: state})
}

func (l localGuests) deleteUser(ctx context.Context, id string) error {
	return l.a.dir.DeleteUser(ctx, l.t.ID, id)
}

// remoteGuests acts through a server's admin API, as the app whose
// credentials the client holds.
type remoteGuests struct {
	c *apiClient
	// warn is where a step that failed after the change was made is told.
	warn io.Writer
}

// remoteInvitation is the part of the API's invitation the commands read.
type remoteInvitation struct {
	ID                      string `json:"id"`
	InviteRedeemURL         string `json:"inviteRedeemUrl"`
	InvitedUserEmailAddress string `json:"invitedUserEmailAddress"`
	InvitedUserMessageInfo  struct {
		MessageLanguage string `json:"messageLanguage"`
	} `json:"invitedUserMessageInfo"`
	SendInvitationMessage bool   `json:"sendInvitationMessage"`
	InviteRedirectURL     string `json:"inviteRedirectUrl"`
	Status                string `json:"status"`
	InvitedUser           struct {
		ID string `json:"id"`
	} `json:"invitedUser"`
	ExpirationDateTime time.Time `json:"expirationDateTime"`
}

func (r remoteGuests) invite(ctx context.Context, in directory.InviteInput) (invitationOut, error) {
	body, err := invitationBody(in)
	if err != nil {
		return invitationOut{}, err
	}
	var inv remoteInvitation
	if err := r.c.call(ctx, http.MethodPost, "/v1.0/invitations", body, &inv); err != nil {
		return invitationOut{}, err
	}
	out := invitationOut{ID: inv.ID, Status: inv.Status, InvitedUserEmailAddress: inv.InvitedUserEmailAddress,
		InvitedUserID: inv.InvitedUser.ID, InviteRedirectURL: inv.InviteRedirectURL, InviteRedeemURL: inv.InviteRedeemURL,
		ExpirationDateTime: inv.ExpirationDateTime, SendInvitationMessage: inv.SendInvitationMessage}
	// The invitation does not carry the guest's user principal name. The
	// link is shown only now, so a failure to look it up must not lose it.
	if u, err := r.user(ctx, inv.InvitedUser.ID); err != nil {
		fmt.Fprintf(r.warn, "foyer: warning: invited, but could not read the guest's user principal name: %v\n", err)
	} else {
		out.UserPrincipalName = u.UserPrincipalName
	}
	return out, nil
}

// invitationBody is in as the API's POST /v1.0/invitations body.
func invitationBody(in directory.InviteInput) (map[string]any, error) {
	body := map[string]any{
		"invitedUserEmailAddress": in.Email,
		"inviteRedirectUrl":       in.RedirectURL,
		"sendInvitationMessage":   in.SendMessage,
	}
	if in.DisplayName != "" {
		body["invitedUserDisplayName"] = in.DisplayName
	}
	info := map[string]any{}
	if in.Message != "" {
		info["customizedMessageBody"] = in.Message
	}
	if in.Language != "" {
		info["messageLanguage"] = in.Language
	}
	if len(in.Cc) > 0 {
		cc := make([]map[string]any, len(in.Cc))
		for i, addr := range in.Cc {
			cc[i] = map[string]any{"emailAddress": map[string]string{"address": addr}}
		}
		info["ccRecipients"] = cc
	}
	if len(info) > 0 {
		body["invitedUserMessageInfo"] = info
	}
	if len(in.GroupIDs) > 0 {
		body["groupIds"] = in.GroupIDs
	}
	if len(in.ApplicationIDs) > 0 {
		body["applicationIds"] = in.ApplicationIDs
	}
	if in.ResetRedemption {
		body["resetRedemption"] = true
	}
	if in.InvitedUserID != "" {
		body["invitedUser"] = map[string]string{"id": in.InvitedUserID}
	}
	if in.ExpiresIn != 0 {
		d, err := isoDuration(in.ExpiresIn)
		if err != nil {
			return nil, err
		}
		body["expiresIn"] = d
	}
	return body, nil
}

// isoDuration writes d as the ISO 8601 duration expiresIn takes: days,
// hours and minutes, e.g. P2D, PT48H30M.
func isoDuration(d time.Duration) (string, error) {
	if d <= 0 || d%time.Minute != 0 {
		return "", usageErrorf("--expires-in must be a positive whole number of minutes with --%s, got %s", flagServer, d)
	}
	days, rest := d/(24*time.Hour), d%(24*time.Hour)
	hours, minutes := rest/time.Hour, (rest%time.Hour)/time.Minute
	var b strings.Builder
	b.WriteString("P")
	if days > 0 {
		fmt.Fprintf(&b, "%dD", days)
	}
	if hours > 0 || minutes > 0 {
		b.WriteString("T")
		if hours > 0 {
			fmt.Fprintf(&b, "%dH", hours)
		}
		if minutes > 0 {
			fmt.Fprintf(&b, "%dM", minutes)
		}
	}
	return b.String(), nil
}

// odataString quotes v as an OData string literal.
func odataString(v string) string {
	return "'" + strings.ReplaceAll(v, "'", "''") + "'"
}

// filterQuery answers "?$filter=…" joining the clauses with and.
func filterQuery(clauses []string) string {
	if len(clauses) == 0 {
		return ""
	}
	return "?$filter=" + url.QueryEscape(strings.Join(clauses, " and "))
}

func (r remoteGuests) invitations(ctx context.Context, status, email string) ([]invitationItem, error) {
	var clauses []string
	if status != "" {
		clauses = append(clauses, "status eq "+odataString(status))
	}
	if email != "" {
		clauses = append(clauses, "invitedUserEmailAddress eq "+odataString(email))
	}
	list, err := listAll[remoteInvitation](ctx, r.c, "/v1.0/invitations"+filterQuery(clauses))
	if err != nil {
		return nil, err
	}
	out := make([]invitationItem, len(list))
	for i, inv := range list {
		out[i] = invitationItem{ID: inv.ID, Status: inv.Status, InvitedUserEmailAddress: inv.InvitedUserEmailAddress,
			InvitedUserID: inv.InvitedUser.ID, InviteRedirectURL: inv.InviteRedirectURL,
			MessageLanguage: inv.InvitedUserMessageInfo.MessageLanguage, ExpirationDateTime: inv.ExpirationDateTime}
	}
	return out, nil
}

func (r remoteGuests) revokeInvitation(ctx context.Context, id string) error {
	return r.c.call(ctx, http.MethodDelete, "/v1.0/invitations/"+url.PathEscape(id), nil, nil)
}

func (r remoteGuests) user(ctx context.Context, ref string) (store.User, error) {
	// The API answers users with the store's JSON names, which are Graph's.
	var u store.User
	err := r.c.call(ctx, http.MethodGet, "/v1.0/users/"+url.PathEscape(ref), nil, &u)
	return u, err
}

func (r remoteGuests) guests(ctx context.Context, state string) ([]store.User, error) {
	clauses := []string{"userType eq " + odataString(store.UserTypeGuest)}
	if state != "" {
		clauses = append(clauses, "externalUserState eq "+odataString(state))
	}
	return listAll[store.User](ctx, r.c, "/v1.0/users"+filterQuery(clauses))
}

func (r remoteGuests) deleteUser(ctx context.Context, id string) error {
	return r.c.call(ctx, http.MethodDelete, "/v1.0/users/"+url.PathEscape(id), nil, nil)
}
