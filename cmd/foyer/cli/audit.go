package cli

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/foyer-idp/foyer/internal/store"
)

const defaultAuditLimit = 50

func newAuditCmd(d deps) *cobra.Command {
	cmd := newGroupCmd("audit", "Read the audit log")
	cmd.AddCommand(newAuditListCmd(d))
	return cmd
}

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
			return printOut(cmd, events, func(w io.Writer) { auditTable(w, events, slugs) })
		},
	}
	f := cmd.Flags()
	f.String(flagTenant, "", "only this tenant's events (slug)")
	f.String("activity", "", `only this activity, e.g. "Rotate signing keys"`)
	f.String("actor", "", "only events by this actor id or name")
	f.String("since", "", "only events since a time (RFC 3339) or for a duration back (24h)")
	f.Int("limit", defaultAuditLimit, "at most this many events")
	return cmd
}

// auditFilter reads the flags into a store filter, checking them before
// anything is opened. The tenant comes back as a slug to resolve.
func auditFilter(cmd *cobra.Command, now time.Time) (filter store.AuditFilter, tenantSlug string, err error) {
	f := cmd.Flags()
	tenantSlug, _ = f.GetString(flagTenant)
	filter.Activity, _ = f.GetString("activity")
	filter.ActorID, _ = f.GetString("actor")
	filter.Limit, _ = f.GetInt("limit")
	if filter.Limit < 1 {
		return filter, "", usageErrorf("--limit must be at least 1")
	}
	since, _ := f.GetString("since")
	filter.Since, err = parseSince(since, now)
	return filter, tenantSlug, err
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
