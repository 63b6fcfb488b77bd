package cli

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/foyer-idp/foyer/internal/directory"
	"github.com/foyer-idp/foyer/internal/mfa"
	"github.com/foyer-idp/foyer/internal/store"
)

// MFA flags.
const (
	flagMFARequired = "required"
	flagMFAPeriod   = "period"
	flagMFAMissing  = "missing"
)

// mfaPolicyView is the tenant's MFA policy as the commands print it, with
// the admin API's property names.
type mfaPolicyView struct {
	Tenant        string `json:"tenant"`
	Required      string `json:"required"`
	PeriodSeconds int    `json:"periodSeconds"`
}

// mfaStatusView is one user's second factor.
type mfaStatusView struct {
	ID                string     `json:"id"`
	UserPrincipalName string     `json:"userPrincipalName"`
	Registered        bool       `json:"isMfaRegistered"`
	Required          bool       `json:"isMfaRequired"`
	RecoveryCodes     int        `json:"recoveryCodesRemaining"`
	LockedUntil       *time.Time `json:"lockedUntil"`
}

// mfaReportLine is one user of the registration report, named as the
// admin API's userRegistrationDetails.
type mfaReportLine struct {
	ID                string     `json:"id"`
	UserPrincipalName string     `json:"userPrincipalName"`
	UserDisplayName   string     `json:"userDisplayName"`
	UserType          string     `json:"userType"`
	IsMfaRegistered   bool       `json:"isMfaRegistered"`
	IsMfaRequired     bool       `json:"isMfaRequired"`
	LockedUntil       *time.Time `json:"lockedUntil"`
}

// mfaAdmin is what the mfa commands do in one tenant, locally or through
// the admin API.
type mfaAdmin interface {
	// tenantSlug is the tenant's slug, as the policy's output names it.
	tenantSlug() string
	mfaPolicy(ctx context.Context) (store.MFAPolicy, error)
	// setMFAPolicy changes what is not nil and answers the policy.
	setMFAPolicy(ctx context.Context, required *string, periodSeconds *int) (store.MFAPolicy, error)
	mfaStatus(ctx context.Context, u store.User) (mfaStatusView, error)
	resetMFA(ctx context.Context, userID string) error
	unlockMFA(ctx context.Context, userID string) error
	// mfaReport answers every user's line, oldest user first.
	mfaReport(ctx context.Context) ([]mfaReportLine, error)
}

func newMFACmd(d deps) *cobra.Command {
	cmd := newGroupCmd("mfa", "Multi-factor authentication: who must use it, who has registered, resets and unlocks")
	policy := newGroupCmd("policy", "Show and change who must prove a second factor at sign-in")
	policy.AddCommand(
		policyShowCommand(d, "Show the tenant's MFA policy", directoryAdmin.mfaPolicy, printMFAPolicy),
		newMFAPolicySetCmd(d),
	)
	cmd.AddCommand(
		policy,
		adminObjectCommand(d, "status --tenant SLUG USER", "Show whether a user has an authenticator app registered, and any lock", "USER",
			directoryAdmin.user, func(ctx context.Context, g directoryAdmin, cmd *cobra.Command, u store.User) error {
				v, err := g.mfaStatus(ctx, u)
				if err != nil {
					return err
				}
				return printOut(cmd, v, func(w io.Writer) {
					field(w, "User", v.UserPrincipalName)
					field(w, "Authenticator app", boolCell(v.Registered))
					field(w, "Required by policy", boolCell(v.Required))
					field(w, "Recovery codes left", fmt.Sprint(v.RecoveryCodes))
					field(w, "Locked until", timeCell(v.LockedUntil))
				})
			}),
		mfaAdminCommand(d, "reset", "reset", "Remove a user's authenticator app and recovery codes: they register again at their next sign-in",
			directoryAdmin.resetMFA, "MFA reset for %s: they register an authenticator app again at their next sign-in."),
		mfaAdminCommand(d, "unlock", "unlocked", "Clear a user's failed MFA attempts and any lock",
			directoryAdmin.unlockMFA, "Unlocked %s: failed attempts and any lock cleared."),
		newMFAReportCmd(d),
	)
	return cmd
}

func newMFAPolicySetCmd(d deps) *cobra.Command {
	cmd := adminCommand(d, "set --tenant SLUG [--required nobody|guests|everyone] [--period SECONDS]",
		"Change who must prove a second factor, and the TOTP time step", noArgs,
		func(ctx context.Context, g directoryAdmin, cmd *cobra.Command, _ []string) error {
			f := cmd.Flags()
			p, err := g.setMFAPolicy(ctx, changed(cmd, flagMFARequired, f.GetString), changed(cmd, flagMFAPeriod, f.GetInt))
			if err != nil {
				return err
			}
			return printMFAPolicy(cmd, g.tenantSlug(), p)
		})
	f := cmd.Flags()
	f.String(flagMFARequired, "", "who must prove a second factor: "+strings.Join(directory.MFARequiredLevels, ", ")+
		" (new tenants: "+store.MFARequiredGuests+")")
	f.Int(flagMFAPeriod, directory.DefaultMFAPeriodSeconds, fmt.Sprintf(
		"TOTP time step in seconds, %d to %d (only while nobody has an authenticator app registered)",
		directory.MinMFAPeriodSeconds, directory.MaxMFAPeriodSeconds))
	cmd.MarkFlagsOneRequired(flagMFARequired, flagMFAPeriod)
	return cmd
}

func newMFAReportCmd(d deps) *cobra.Command {
	cmd := adminCommand(d, "report --tenant SLUG [--missing]", "List every user: registered or not, required by policy or not, locked", noArgs,
		func(ctx context.Context, g directoryAdmin, cmd *cobra.Command, _ []string) error {
			all, err := g.mfaReport(ctx)
			if err != nil {
				return err
			}
			missingOnly, _ := cmd.Flags().GetBool(flagMFAMissing)
			lines := []mfaReportLine{}
			missing := 0
			for _, l := range all {
				gap := l.IsMfaRequired && !l.IsMfaRegistered
				if gap {
					missing++
				}
				if !missingOnly || gap {
					lines = append(lines, l)
				}
			}
			return printOut(cmd, lines, func(w io.Writer) {
				row(w, "USER PRINCIPAL NAME", "TYPE", "REGISTERED", "REQUIRED", "LOCKED UNTIL", "ID")
				for _, l := range lines {
					row(w, l.UserPrincipalName, l.UserType, boolCell(l.IsMfaRegistered), boolCell(l.IsMfaRequired),
						timeCell(l.LockedUntil), l.ID)
				}
				row(w)
				fmt.Fprintf(w, "%d must use MFA and have not registered an authenticator app yet (they do at their next sign-in).\n", missing)
			})
		})
	cmd.Flags().Bool(flagMFAMissing, false, "list only the users the policy requires MFA of who have not registered")
	return cmd
}

// lockedNow answers until when a lock holds, nil when there is none now.
func lockedNow(until *time.Time) *time.Time {
	if until == nil || !until.After(time.Now()) {
		return nil
	}
	return until
}

func printMFAPolicy(cmd *cobra.Command, slug string, p store.MFAPolicy) error {
	v := mfaPolicyView{Tenant: slug, Required: directory.MFARequired(p), PeriodSeconds: directory.MFAPeriodSeconds(p)}
	return printOut(cmd, v, func(w io.Writer) {
		field(w, "Tenant", v.Tenant)
		field(w, "MFA required for", v.Required)
		field(w, "TOTP period (seconds)", fmt.Sprint(v.PeriodSeconds))
	})
}

// printMFADone confirms a reset or an unlock: {"id", "userPrincipalName",
// done: true} in JSON.
func printMFADone(cmd *cobra.Command, u store.User, done, message string) error {
	v := map[string]any{"id": u.ID, "userPrincipalName": u.UserPrincipalName, done: true}
	return printOut(cmd, v, func(w io.Writer) { fmt.Fprintln(w, message) })
}

// mfaAdminCommand is an admin's act on a user's registered second factor
// (reset, unlock): doneKey is its JSON flag, done the sentence printed,
// with the user's name.
func mfaAdminCommand(d deps, verb, doneKey, short string, act func(g directoryAdmin, ctx context.Context, userID string) error, done string) *cobra.Command {
	return adminObjectCommand(d, verb+" --tenant SLUG USER", short, "USER", directoryAdmin.user,
		func(ctx context.Context, g directoryAdmin, cmd *cobra.Command, u store.User) error {
			st, err := g.mfaStatus(ctx, u)
			if err != nil {
				return err
			}
			if !st.Registered {
				return fmt.Errorf("%s has no authenticator app registered", u.UserPrincipalName)
			}
			if err := act(g, ctx, u.ID); err != nil {
				return err
			}
			return printMFADone(cmd, u, doneKey, fmt.Sprintf(done, u.UserPrincipalName))
		})
}

func (a localAdmin) mfaPolicy(context.Context) (store.MFAPolicy, error) { return a.t.MFA, nil }

func (a localAdmin) setMFAPolicy(ctx context.Context, required *string, periodSeconds *int) (store.MFAPolicy, error) {
	next := store.MFAPolicy{Required: directory.MFARequired(a.t.MFA), PeriodSeconds: a.t.MFA.PeriodSeconds}
	if required != nil {
		next.Required = *required
	}
	if periodSeconds != nil {
		next.PeriodSeconds = *periodSeconds
	}
	t, err := a.dir.SetMFAPolicy(ctx, a.t.ID, next)
	return t.MFA, err
}

func (a localAdmin) mfaStatus(ctx context.Context, u store.User) (mfaStatusView, error) {
	st, err := a.mfa.Status(ctx, a.t.ID, u.ID)
	if err != nil {
		return mfaStatusView{}, err
	}
	return mfaStatusView{ID: u.ID, UserPrincipalName: u.UserPrincipalName, Registered: st.Registered,
		Required: mfa.Required(a.t, store.Application{}, u), RecoveryCodes: st.RecoveryCodes,
		LockedUntil: lockedNow(st.LockedUntil)}, nil
}

func (a localAdmin) resetMFA(ctx context.Context, userID string) error {
	return a.mfa.Reset(ctx, a.t, userID)
}

func (a localAdmin) unlockMFA(ctx context.Context, userID string) error {
	return a.mfa.Unlock(ctx, a.t, userID)
}

func (a localAdmin) mfaReport(ctx context.Context) ([]mfaReportLine, error) {
	regs, err := a.store.ListMFARegistrations(ctx, a.t.ID)
	if err != nil {
		return nil, err
	}
	lines := make([]mfaReportLine, len(regs))
	for i, r := range regs {
		u := r.User
		lines[i] = mfaReportLine{ID: u.ID, UserPrincipalName: u.UserPrincipalName, UserDisplayName: u.DisplayName,
			UserType: strings.ToLower(u.UserType), IsMfaRegistered: r.Registered,
			IsMfaRequired: mfa.Required(a.t, store.Application{}, u), LockedUntil: lockedNow(r.LockedUntil)}
	}
	return lines, nil
}
