package cli

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/foyer-idp/foyer/internal/api"
	"github.com/foyer-idp/foyer/internal/store"
)

// The sign-in log, and the remote side of both logs. Sign-ins are shown
// in Graph's signIn shape both ways (the API's own conversion), so the
// local and the remote answer are the same by construction; audit events
// keep the store's shape the local command always printed, rebuilt from
// the API's directoryAudit.

func newSignInsCmd(d deps) *cobra.Command {
	cmd := newGroupCmd("signins", "Read the sign-in log (locally or with --server)")
	list := adminCommand(d, "list --tenant SLUG", "List sign-in attempts, newest first", noArgs,
		func(ctx context.Context, g directoryAdmin, cmd *cobra.Command, _ []string) error {
			f, err := signInFilter(ctx, g, cmd, time.Now())
			if err != nil {
				return err
			}
			rows, err := g.signIns(ctx, f)
			if err != nil {
				return err
			}
			return printList(cmd, rows, []string{"TIME", "USER", "APP", "STATUS", "METHODS", "IP ADDRESS"},
				func(s api.SignIn) []string {
					status := "success"
					if s.Status.ErrorCode != 0 {
						status = strconv.Itoa(s.Status.ErrorCode)
						if s.Status.FailureReason != nil {
							status += ": " + strconv.Quote(*s.Status.FailureReason)
						}
					}
					return []string{timeCell(&s.CreatedDateTime), firstOf(deref(s.UserPrincipalName)), firstOf(deref(s.AppID)), status,
						firstOf(strings.Join(s.AuthenticationMethodsUsed, ", ")), firstOf(s.IPAddress)}
				})
		})
	fl := list.Flags()
	fl.String("user", "", "only this user's attempts (id or user principal name)")
	fl.String("app", "", "only attempts at this app (client id)")
	fl.Int("error-code", -1, "only attempts with this status code (0: successes)")
	fl.Int("status", -1, "the same as --error-code")
	fl.String("user-type", "", "only attempts of members or guests: member or guest")
	fl.String("since", "", "only attempts since a time (RFC 3339) or for a duration back (24h)")
	fl.String("until", "", "only attempts until a time (RFC 3339) or a duration back (1h)")
	fl.Int("top", defaultAuditLimit, "at most this many attempts")
	// Mistakes are told before the database or the server is reached.
	list.PreRunE = func(cmd *cobra.Command, _ []string) error {
		_, _, err := signInFlags(cmd, time.Now())
		return err
	}
	cmd.AddCommand(list)
	return cmd
}

// signInFlags reads the flags, checking them; the user comes back as
// given (an id or a name) for the caller to resolve.
func signInFlags(cmd *cobra.Command, now time.Time) (f store.SignInFilter, userRef string, err error) {
	fl := cmd.Flags()
	f.AppID, _ = fl.GetString("app")
	userRef, _ = fl.GetString("user")
	if f.Limit, err = topFlag(cmd); err != nil {
		return f, "", err
	}
	if f.Since, f.Until, err = timeRangeFlags(cmd, now); err != nil {
		return f, "", err
	}
	userType, _ := fl.GetString("user-type")
	switch strings.ToLower(userType) {
	case "":
	case "member":
		f.UserType = store.UserTypeMember
	case "guest":
		f.UserType = store.UserTypeGuest
	default:
		return f, "", usageErrorf("--user-type must be member or guest, got %q", userType)
	}
	if fl.Changed("error-code") && fl.Changed("status") {
		return f, "", usageErrorf("--status and --error-code are one flag: give one")
	}
	for _, name := range []string{"error-code", "status"} {
		if fl.Changed(name) {
			code, _ := fl.GetInt(name)
			if code < 0 {
				return f, "", usageErrorf("--%s must be 0 or a positive code", name)
			}
			f.ErrorCode = &code
		}
	}
	return f, userRef, nil
}

// signInFilter is signInFlags with the user looked up, so the filter is
// by id both ways.
func signInFilter(ctx context.Context, g directoryAdmin, cmd *cobra.Command, now time.Time) (store.SignInFilter, error) {
	f, ref, err := signInFlags(cmd, now)
	if err != nil || ref == "" {
		return f, err
	}
	u, err := g.user(ctx, ref)
	if err != nil {
		return f, err
	}
	f.UserID = u.ID
	return f, nil
}

func (l localAdmin) signIns(ctx context.Context, f store.SignInFilter) ([]api.SignIn, error) {
	f.TenantID = l.t.ID
	rows, err := l.store.ListSignIns(ctx, f)
	if err != nil {
		return nil, err
	}
	out := make([]api.SignIn, len(rows))
	for i, s := range rows {
		out[i] = api.SignInOf(s)
	}
	return out, nil
}

// timeLiteral writes t as the API's filters take it.
func timeLiteral(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

func (r remoteAdmin) signIns(ctx context.Context, f store.SignInFilter) ([]api.SignIn, error) {
	var clauses []string
	if f.UserID != "" {
		clauses = append(clauses, "userId eq "+odataString(f.UserID))
	}
	if f.AppID != "" {
		clauses = append(clauses, "appId eq "+odataString(f.AppID))
	}
	if f.UserType != "" {
		clauses = append(clauses, "userType eq "+odataString(strings.ToLower(f.UserType)))
	}
	if f.ErrorCode != nil {
		clauses = append(clauses, "status/errorCode eq "+strconv.Itoa(*f.ErrorCode))
	}
	clauses = appendTimeClauses(clauses, "createdDateTime", f.Since, f.Until)
	return firstPage[api.SignIn](ctx, r.c, "/v1.0/auditLogs/signIns", clauses, f.Limit)
}

func appendTimeClauses(clauses []string, prop string, since, until time.Time) []string {
	if !since.IsZero() {
		clauses = append(clauses, prop+" ge "+timeLiteral(since))
	}
	if !until.IsZero() {
		clauses = append(clauses, prop+" le "+timeLiteral(until))
	}
	return clauses
}

// firstPage answers the first top items of a log: one page, as the
// local command reads one LIMIT.
func firstPage[T any](ctx context.Context, c *apiClient, path string, clauses []string, top int) ([]T, error) {
	q := filterQuery(clauses)
	sep := "?"
	if q != "" {
		sep = "&"
	}
	var page struct {
		Value []T `json:"value"`
	}
	err := c.call(ctx, http.MethodGet, path+q+sep+"$top="+strconv.Itoa(top), nil, &page)
	return page.Value, err
}

func (r remoteAdmin) auditEvents(ctx context.Context, f store.AuditFilter) ([]store.AuditEvent, error) {
	if f.ActorType == "" && f.ActorID != "" {
		return nil, usageErrorf("--actor reads the local database only; with --%s use --user or --app", flagServer)
	}
	var clauses []string
	if f.Activity != "" {
		clauses = append(clauses, "activityDisplayName eq "+odataString(f.Activity))
	}
	if f.Category != "" {
		clauses = append(clauses, "category eq "+odataString(f.Category))
	}
	if f.Result != "" {
		clauses = append(clauses, "result eq "+odataString(f.Result))
	}
	switch f.ActorType {
	case store.ActorUser:
		clauses = append(clauses, "initiatedBy/user/id eq "+odataString(f.ActorID))
	case store.ActorApp:
		clauses = append(clauses, "initiatedBy/app/appId eq "+odataString(f.ActorID))
	}
	if f.TargetID != "" {
		clauses = append(clauses, "targetResources/any(t: t/id eq "+odataString(f.TargetID)+")")
	}
	clauses = appendTimeClauses(clauses, "activityDateTime", f.Since, f.Until)
	list, err := firstPage[api.DirectoryAudit](ctx, r.c, "/v1.0/auditLogs/directoryAudits", clauses, f.Limit)
	if err != nil {
		return nil, err
	}
	tenantID, err := r.c.tenantID(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]store.AuditEvent, len(list))
	for i, d := range list {
		out[i] = auditEventOf(tenantID, d)
	}
	return out, nil
}

// auditEventOf rebuilds the stored event api.DirectoryAuditOf showed.
func auditEventOf(tenantID string, d api.DirectoryAudit) store.AuditEvent {
	e := store.AuditEvent{ID: d.ID, Time: d.ActivityDateTime, TenantID: tenantID, Category: d.Category,
		Activity: d.ActivityDisplayName, Result: d.Result, Reason: d.ResultReason, CorrelationID: d.CorrelationID}
	switch {
	case d.InitiatedBy.User != nil:
		u := d.InitiatedBy.User
		e.ActorType, e.ActorID, e.ClientIP = store.ActorUser, deref(u.ID), u.IPAddress
		e.ActorName = deref(u.UserPrincipalName) + deref(u.DisplayName) // one of them is set
	case d.InitiatedBy.App != nil && d.InitiatedBy.App.AppID != nil:
		e.ActorType, e.ActorID, e.ActorName = store.ActorApp, *d.InitiatedBy.App.AppID, deref(d.InitiatedBy.App.DisplayName)
	default:
		e.ActorType = store.ActorSystem
		if d.InitiatedBy.App != nil {
			e.ActorName = deref(d.InitiatedBy.App.DisplayName)
		}
	}
	if len(d.TargetResources) > 0 {
		tr := d.TargetResources[0]
		e.TargetType, e.TargetID, e.TargetName = tr.Type, deref(tr.ID), deref(tr.DisplayName)
		for _, m := range tr.ModifiedProperties {
			e.ModifiedProperties = append(e.ModifiedProperties, store.ModifiedProperty{Name: m.DisplayName, OldValue: m.OldValue, NewValue: m.NewValue})
		}
	}
	for _, kv := range d.AdditionalDetails {
		switch kv.Key {
		case api.DetailUserAgent:
			e.UserAgent = kv.Value
		case api.DetailIPAddress:
			e.ClientIP = kv.Value
		}
	}
	return e
}

// tenantID reads the tenant id (tid) from the client's access token: the
// API's answers do not repeat it, and the local output names it. The
// server signed the token; the client only reads its claim.
func (c *apiClient) tenantID(ctx context.Context) (string, error) {
	token, err := c.accessToken(ctx)
	if err != nil {
		return "", err
	}
	parts := strings.Split(token, ".")
	if len(parts) == 3 {
		raw, err := base64.RawURLEncoding.DecodeString(parts[1])
		var claims struct {
			TID string `json:"tid"`
		}
		if err == nil && json.Unmarshal(raw, &claims) == nil && claims.TID != "" {
			return claims.TID, nil
		}
	}
	return "", fmt.Errorf("the access token of %s names no tenant", c.server)
}
