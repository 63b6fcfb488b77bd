package audit

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/foyer-idp/foyer/internal/secret"
	"github.com/foyer-idp/foyer/internal/store"
)

// Target is the object an event is about.
type Target struct {
	Type string
	ID   string
	Name string
}

// Entry is what a service knows of an event; Record adds the time, the
// actor and the request from the context.
type Entry struct {
	TenantID string
	Category string
	Activity string
	Target   Target
	// Err, when set, makes the event a failure with Err's text as reason.
	// Pass errors meant for the caller, never ones carrying secrets.
	Err error
	// Modified are the target's values the change replaced; never a
	// secret.
	Modified []store.ModifiedProperty
}

// Appender is the storage the log writes to: the store itself, or a
// transaction, so an event commits with the change it describes.
type Appender interface {
	AppendAudit(ctx context.Context, e store.AuditEvent) error
}

// Event builds the stored event for an entry at time now.
func Event(ctx context.Context, now time.Time, e Entry) store.AuditEvent {
	actor, req := ActorFrom(ctx), RequestFrom(ctx)
	ev := store.AuditEvent{
		ID:            secret.NewID(),
		Time:          now.UTC(),
		TenantID:      e.TenantID,
		Category:      e.Category,
		Activity:      e.Activity,
		ActorType:     actor.Type,
		ActorID:       actor.ID,
		ActorName:     actor.Name,
		TargetType:    e.Target.Type,
		TargetID:      e.Target.ID,
		TargetName:    e.Target.Name,
		Result:        store.ResultSuccess,
		ClientIP:      req.ClientIP,
		UserAgent:     req.UserAgent,
		CorrelationID: req.CorrelationID,
	}
	if len(e.Modified) > 0 {
		ev.ModifiedProperties = slices.Clone(e.Modified)
	}
	if e.Err != nil {
		ev.Result = store.ResultFailure
		ev.Reason = e.Err.Error()
	}
	return ev
}

// Record appends the event for e to a.
func Record(ctx context.Context, a Appender, now time.Time, e Entry) error {
	if err := a.AppendAudit(ctx, Event(ctx, now, e)); err != nil {
		return fmt.Errorf("record audit event %q: %w", e.Activity, err)
	}
	return nil
}
