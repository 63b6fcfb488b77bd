package cli

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/foyer-idp/foyer/internal/directory"
	"github.com/foyer-idp/foyer/internal/store"
)

// remoteAdmin acts through a server's admin API, as the app whose
// credentials the client holds.
type remoteAdmin struct {
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

func (r remoteAdmin) invite(ctx context.Context, in directory.InviteInput) (invitationOut, error) {
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

func (r remoteAdmin) invitations(ctx context.Context, status, email string) ([]invitationItem, error) {
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

func (r remoteAdmin) revokeInvitation(ctx context.Context, id string) error {
	return r.c.call(ctx, http.MethodDelete, "/v1.0/invitations/"+url.PathEscape(id), nil, nil)
}

func (r remoteAdmin) user(ctx context.Context, ref string) (store.User, error) {
	// The API answers users with the store's JSON names, which are Graph's.
	var u store.User
	err := r.c.call(ctx, http.MethodGet, "/v1.0/users/"+url.PathEscape(ref), nil, &u)
	return u, r.notFoundAs(err, "user", ref)
}

func (r remoteAdmin) guests(ctx context.Context, state string) ([]store.User, error) {
	clauses := []string{"userType eq " + odataString(store.UserTypeGuest)}
	if state != "" {
		clauses = append(clauses, "externalUserState eq "+odataString(state))
	}
	return listAll[store.User](ctx, r.c, "/v1.0/users"+filterQuery(clauses))
}

func (r remoteAdmin) deleteUser(ctx context.Context, id string) error {
	return r.c.call(ctx, http.MethodDelete, "/v1.0/users/"+url.PathEscape(id), nil, nil)
}
