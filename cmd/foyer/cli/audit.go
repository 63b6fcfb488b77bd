package cli

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/foyer-idp/foyer/internal/store"
)

const defaultAuditLimit = 50

func newAuditCmd(d deps) *cobra.Command {
	cmd := newGroupCmd("audit", "Read the audit log (locally or with --server)")
	cmd.AddCommand(newAuditListCmd(d))
	return cmd
}

// newAuditListCmd reads the audit log: on the local database, across
// tenants unless --tenant names one; with --server, one tenant's through
// GET /v1.0/auditLogs/directoryAudits.
func newAuditListCmd(d deps) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List audit events, newest first",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			filter, slug, err := auditFilter(cmd, time.Now())
			if err != nil {
				return err
			}
			c, err := newAPIClient(cmd, d, slug, true)
			if err != nil {
				return err
			}
			if c != nil {
				if slug == "" {
					return usageErrorf("--%s needs --%s", flagServer, flagTenant)
				}
				defer c.http.CloseIdleConnections()
				events, err := remoteAdmin{c: c, warn: cmd.ErrOrStderr()}.auditEvents(cmd.Context(), filter)
				if err != nil {
					return err
				}
				slugs := map[string]string{}
				for _, e := range events {
					slugs[e.TenantID] = slug
				}
				return printOut(cmd, nonNil(events), func(w io.Writer) { auditTable(w, events, slugs) })
			}
			ctx, a, err := openApp(cmd, d)
			if err != nil {
				return err
			}
			defer a.Close()
			if slug != "" {
				t, err := a.tenantBySlug(ctx, slug)
				if err != nil {
					return err
				}
				filter.TenantID = t.ID
			}
			events, err := a.store.ListAudit(ctx, filter)
			if err != nil {
				return err
			}
			slugs, err := tenantSlugs(ctx, a)
			if err != nil {
				return err
			}
			return printOut(cmd, nonNil(events), func(w io.Writer) { auditTable(w, events, slugs) })
		},
	}
	f := cmd.Flags()
	f.String(flagTenant, "", "only this tenant's events (slug; required with --server)")
	f.String("activity", "", `only this activity, e.g. "Rotate signing keys"`)
	f.String("category", "", `only this category, e.g. UserManagement`)
	f.String("result", "", "only this result: success or failure")
	f.String("actor", "", "only events by this actor id or name (local only)")
	f.String("user", "", "only events initiated by this user (id)")
	f.String("app", "", "only events initiated by this app (client id)")
	f.String("target", "", "only events about this object (id)")
	f.String("since", "", "only events since a time (RFC 3339) or for a duration back (24h)")
	f.String("until", "", "only events until a time (RFC 3339) or a duration back (1h)")
	f.Int("top", defaultAuditLimit, "at most this many events")
	f.Int("limit", defaultAuditLimit, "the same as --top")
	_ = f.MarkHidden("limit")
	addRemoteFlags(cmd, true)
	return cmd
}

// auditFilter reads the flags into a store filter, checking them before
// anything is opened. The tenant comes back as a slug to resolve.
func auditFilter(cmd *cobra.Command, now time.Time) (filter store.AuditFilter, tenantSlug string, err error) {
	f := cmd.Flags()
	tenantSlug, _ = f.GetString(flagTenant)
	filter.Activity, _ = f.GetString("activity")
	filter.Category, _ = f.GetString("category")
	filter.Result, _ = f.GetString("result")
	filter.TargetID, _ = f.GetString("target")
	filter.ActorID, _ = f.GetString("actor")
	user, _ := f.GetString("user")
	appID, _ := f.GetString("app")
	switch {
	case countSet(filter.ActorID, user, appID) > 1:
		return filter, "", usageErrorf("--actor, --user and --app exclude each other")
	case user != "":
		filter.ActorType, filter.ActorID = store.ActorUser, user
	case appID != "":
		filter.ActorType, filter.ActorID = store.ActorApp, appID
	}
	if filter.Result != "" && filter.Result != store.ResultSuccess && filter.Result != store.ResultFailure {
		return filter, "", usageErrorf("--result must be %s or %s, got %q", store.ResultSuccess, store.ResultFailure, filter.Result)
	}
	if filter.Limit, err = topFlag(cmd); err != nil {
		return filter, "", err
	}
	filter.Since, filter.Until, err = timeRangeFlags(cmd, now)
	return filter, tenantSlug, err
}

func countSet(values ...string) int {
	n := 0
	for _, v := range values {
		if v != "" {
			n++
		}
	}
	return n
}

// topFlag reads --top (or its older name --limit).
func topFlag(cmd *cobra.Command) (int, error) {
	name := "top"
	if cmd.Flags().Changed("limit") && !cmd.Flags().Changed("top") {
		name = "limit"
	}
	n, _ := cmd.Flags().GetInt(name)
	if n < 1 || n > 999 {
		return 0, usageErrorf("--%s must be from 1 to 999", name)
	}
	return n, nil
}

// timeRangeFlags reads --since and --until.
func timeRangeFlags(cmd *cobra.Command, now time.Time) (since, until time.Time, err error) {
	s, _ := cmd.Flags().GetString("since")
	if since, err = parseSince(s, now); err != nil {
		return since, until, err
	}
	u, _ := cmd.Flags().GetString("until")
	if until, err = parseSince(u, now); err != nil {
		return since, until, usageErrorf("%s", strings.Replace(err.Error(), "--since", "--until", 1))
	}
	return since, until, nil
}

// parseSince reads an RFC 3339 time or a duration counted back from now.
func parseSince(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if d, err := time.ParseDuration(s); err == nil && d > 0 {
		return now.Add(-d), nil
	}
	return time.Time{}, usageErrorf("--since %q is neither an RFC 3339 time nor a positive duration like 24h", s)
}

// tenantSlugs maps tenant ids to slugs, for people reading the table.
func tenantSlugs(ctx context.Context, a *app) (map[string]string, error) {
	tenants, err := a.store.ListTenants(ctx)
	if err != nil {
		return nil, err
	}
	slugs := make(map[string]string, len(tenants))
	for _, t := range tenants {
		slugs[t.ID] = t.Slug
	}
	return slugs, nil
}

func auditTable(w io.Writer, events []store.AuditEvent, slugs map[string]string) {
	row(w, "TIME", "TENANT", "ACTIVITY", "ACTOR", "TARGET", "RESULT")
	for _, e := range events {
		tenant := slugs[e.TenantID]
		if tenant == "" {
			tenant = e.TenantID // a deleted tenant keeps its events
		}
		result := e.Result
		if e.Reason != "" {
			result += ": " + strconv.Quote(e.Reason)
		}
		row(w, timeCell(&e.Time), tenant, e.Activity, actorCell(e), targetCell(e), result)
	}
}

func actorCell(e store.AuditEvent) string {
	return fmt.Sprintf("%s (%s)", firstOf(e.ActorName, e.ActorID), e.ActorType)
}

func targetCell(e store.AuditEvent) string {
	if e.TargetType == "" {
		return "-"
	}
	return e.TargetType + " " + firstOf(e.TargetName, e.TargetID)
}

func firstOf(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return "-"
}
