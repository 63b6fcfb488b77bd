package cli

import (
	"context"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/foyer-idp/foyer/internal/directory"
)

// invitationOut is what invite prints. The redeem link carries the token
// and is shown this once: Foyer keeps only its hash.
type invitationOut struct {
	ID                      string    `json:"id"`
	Status                  string    `json:"status"`
	InvitedUserEmailAddress string    `json:"invitedUserEmailAddress"`
	InvitedUserID           string    `json:"invitedUserId"`
	UserPrincipalName       string    `json:"userPrincipalName"`
	InviteRedirectURL       string    `json:"inviteRedirectUrl"`
	InviteRedeemURL         string    `json:"inviteRedeemUrl"`
	ExpirationDateTime      time.Time `json:"expirationDateTime"`
	SendInvitationMessage   bool      `json:"sendInvitationMessage"`
}

func newInviteCmd(d deps) *cobra.Command {
	cmd := adminCommand(d, "invite --tenant SLUG --email E --redirect-url U [--server URL]",
		"Invite a guest by email (creates or reuses the pending guest; prints the redeem link once)", noArgs,
		func(ctx context.Context, g directoryAdmin, cmd *cobra.Command, _ []string) error {
			f := cmd.Flags()
			var in directory.InviteInput
			in.Email, _ = f.GetString("email")
			in.RedirectURL, _ = f.GetString("redirect-url")
			in.DisplayName, _ = f.GetString(flagName)
			in.Message, _ = f.GetString("message")
			in.Language, _ = f.GetString("language")
			in.Cc, _ = f.GetStringArray("cc")
			in.GroupIDs, _ = f.GetStringArray("group")
			in.ApplicationIDs, _ = f.GetStringArray("app")
			in.ExpiresIn, _ = f.GetDuration("expires-in")
			in.ResetRedemption, _ = f.GetBool("reset-redemption")
			in.InvitedUserID, _ = f.GetString("user-id")
			noMail, _ := f.GetBool("no-mail")
			in.SendMessage = !noMail
			out, err := g.invite(ctx, in)
			if err != nil {
				return err
			}
			return printInvitation(cmd, out)
		})
	f := cmd.Flags()
	f.String("email", "", "the guest's email address (required)")
	f.String("redirect-url", "", "where the guest lands after redeeming: a redirect URI or home page of one of the tenant's apps (required)")
	f.String(flagName, "", "the guest's display name (default: the email address)")
	f.String("message", "", "a personal note in the invitation email")
	f.String("language", "", "the invitation email's language, e.g. de-DE (default en-US)")
	f.StringArray("cc", nil, "also send the invitation email to this address (repeatable)")
	f.StringArray("group", nil, "add the guest to this group, by id (repeatable)")
	f.StringArray("app", nil, "assign the guest this application, by client id or object id (repeatable)")
	f.Duration("expires-in", 0, "how long the redeem link works (default 168h)")
	f.Bool("reset-redemption", false, "make a guest who redeemed before redeem again")
	f.String("user-id", "", "with --reset-redemption: the id of the guest to reset, which --email must be the address of")
	f.Bool("no-mail", false, "do not send the invitation email; hand out the printed link yourself")
	required(cmd, "email", "redirect-url")
	return cmd
}

// printInvitation shows a new or renewed invitation with its redeem link.
func printInvitation(cmd *cobra.Command, out invitationOut) error {
	guest := out.InvitedUserID
	if out.UserPrincipalName != "" {
		guest = out.UserPrincipalName + " (" + out.InvitedUserID + ")"
	}
	return printOut(cmd, out, func(w io.Writer) {
		row(w, "ID", out.ID)
		row(w, "STATUS", out.Status)
		row(w, "EMAIL", out.InvitedUserEmailAddress)
		row(w, "GUEST", guest)
		row(w, "REDIRECT", out.InviteRedirectURL)
		row(w, "EXPIRES", timeCell(&out.ExpirationDateTime))
		row(w, "REDEEM URL", out.InviteRedeemURL+"  (shown once)")
	})
}
