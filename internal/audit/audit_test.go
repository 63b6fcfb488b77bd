package audit_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/internal/audit"
	"github.com/foyer-idp/foyer/internal/store"
)

type appender struct{ events []store.AuditEvent }

func (a *appender) AppendAudit(_ context.Context, e store.AuditEvent) error {
	a.events = append(a.events, e)
	return nil
}

type failing struct{}

func (failing) AppendAudit(context.Context, store.AuditEvent) error { return store.ErrUnavailable }

func TestRecordTakesActorAndRequestFromContext(t *testing.T) {
	t.Parallel()
	ctx := audit.WithActor(t.Context(), audit.Actor{Type: store.ActorUser, ID: "u1", Name: "admin@woodgrove.test"})
	ctx = audit.WithRequest(ctx, audit.Request{ClientIP: "192.0.2.7", UserAgent: "curl/8", CorrelationID: "req-1"})
	at := time.Date(2026, 11, 27, 9, 0, 0, 0, time.FixedZone("CET", 3600))
	a := &appender{}
	require.NoError(t, audit.Record(ctx, a, at, audit.Entry{
		TenantID: "t1", Category: audit.CategoryUser, Activity: audit.ActivityAddUser,
		Target: audit.Target{Type: audit.TargetUser, ID: "u2", Name: "sam@woodgrove.test"},
	}))
	require.Len(t, a.events, 1)
	e := a.events[0]
	require.NotEmpty(t, e.ID)
	require.Equal(t, at.UTC(), e.Time)
	require.Equal(t, time.UTC, e.Time.Location())
	require.Equal(t, store.AuditEvent{
		ID: e.ID, Time: e.Time, TenantID: "t1", Category: "UserManagement", Activity: "Add user",
		ActorType: "user", ActorID: "u1", ActorName: "admin@woodgrove.test",
		TargetType: "User", TargetID: "u2", TargetName: "sam@woodgrove.test",
		Result: "success", ClientIP: "192.0.2.7", UserAgent: "curl/8", CorrelationID: "req-1",
	}, e)
}

func TestRecordFailureAndDefaults(t *testing.T) {
	t.Parallel()
	a := &appender{}
	require.NoError(t, audit.Record(t.Context(), a, time.Now(), audit.Entry{
		TenantID: "t1", Activity: audit.ActivityAddUser, Err: errors.New("mail: is taken"),
	}))
	e := a.events[0]
	require.Equal(t, store.ResultFailure, e.Result)
	require.Equal(t, "mail: is taken", e.Reason)
	require.Equal(t, store.ActorSystem, e.ActorType, "no actor in the context means the system")
	require.Empty(t, e.ClientIP)
}

func TestRecordReportsStorageFailure(t *testing.T) {
	t.Parallel()
	err := audit.Record(t.Context(), failing{}, time.Now(), audit.Entry{Activity: audit.ActivityAddUser})
	require.ErrorIs(t, err, store.ErrUnavailable)
	require.ErrorContains(t, err, "Add user")
}
