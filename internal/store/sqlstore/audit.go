package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/foyer-idp/foyer/internal/store"
)

const auditColumns = `id, occurred_at, tenant_id, category, activity, actor_type, actor_id, actor_name,
	target_type, target_id, target_name, result, reason, client_ip, user_agent, correlation_id, modified_properties`

func scanAuditEvent(r rowScanner) (store.AuditEvent, error) {
	var e store.AuditEvent
	var modified string
	err := r.Scan(&e.ID, timeDest{&e.Time}, &e.TenantID, &e.Category, &e.Activity, &e.ActorType,
		&e.ActorID, &e.ActorName, &e.TargetType, &e.TargetID, &e.TargetName, &e.Result, &e.Reason,
		&e.ClientIP, &e.UserAgent, &e.CorrelationID, &modified)
	if err == nil && modified != "" {
		err = json.Unmarshal([]byte(modified), &e.ModifiedProperties)
	}
	return e, err
}

// modifiedColumn is the stored form of an event's modified properties:
// a JSON array, or the empty string for none.
func modifiedColumn(props []store.ModifiedProperty) (string, error) {
	if len(props) == 0 {
		return "", nil
	}
	raw, err := json.Marshal(props)
	return string(raw), err
}

// AppendAudit stores e. Audit events have no foreign key to their tenant:
// they outlive it.
func (s *Store) AppendAudit(ctx context.Context, e store.AuditEvent) error {
	modified, err := modifiedColumn(e.ModifiedProperties)
	if err != nil {
		return fmt.Errorf("append audit event %q: %w", e.ID, err)
	}
	_, err = s.write.ExecContext(ctx, `INSERT INTO audit_events (`+auditColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)`,
		e.ID, s.timeArg(e.Time), e.TenantID, e.Category, e.Activity, e.ActorType, e.ActorID, e.ActorName,
		e.TargetType, e.TargetID, e.TargetName, e.Result, e.Reason, e.ClientIP, e.UserAgent, e.CorrelationID, modified)
	if err != nil {
		return fmt.Errorf("append audit event %q: %w", e.ID, s.dbError(err))
	}
	return nil
}

// ListAudit answers matching events newest first. An empty TenantID spans
// every tenant, for operators.
func (s *Store) ListAudit(ctx context.Context, f store.AuditFilter) ([]store.AuditEvent, error) {
	var c conditions
	if f.TenantID != "" {
		c.add("tenant_id = ?", f.TenantID)
	}
	if f.Activity != "" {
		c.add("activity = ?", f.Activity)
	}
	if f.Category != "" {
		c.add("category = ?", f.Category)
	}
	if f.Result != "" {
		c.add("result = ?", f.Result)
	}
	switch {
	case f.ActorType != "":
		c.add("actor_type = ? AND actor_id = ?", f.ActorType, f.ActorID)
	case f.ActorID != "":
		c.add("(actor_id = ? OR actor_name = ?)", f.ActorID, f.ActorID)
	}
	if f.TargetID != "" {
		c.add("target_id = ?", f.TargetID)
	}
	s.addTimeRange(&c, "occurred_at", f.Since, f.Until, f.Before)
	if f.BeforeID != "" {
		c.add("id < ?", f.BeforeID)
	}
	query := `SELECT ` + auditColumns + ` FROM audit_events WHERE ` + c.where() +
		` ORDER BY occurred_at DESC, id DESC` + c.limit(f.Limit)
	events, err := queryAll(ctx, s.read, scanAuditEvent, query, c.args...)
	if err != nil {
		return nil, fmt.Errorf("list audit events: %w", s.dbError(err))
	}
	return events, nil
}

// addTimeRange narrows a log query to [since, until] and to rows older
// than the cursor, in the log's order (time, then id, both descending).
func (s *Store) addTimeRange(c *conditions, column string, since, until time.Time, before store.LogCursor) {
	if !since.IsZero() {
		c.add(column+" >= ?", s.timeArg(since))
	}
	if !until.IsZero() {
		c.add(column+" <= ?", s.timeArg(until))
	}
	if !before.IsZero() {
		c.add("("+column+", id) < (?, ?)", s.timeArg(before.At), before.ID)
	}
}
