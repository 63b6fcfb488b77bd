package storetest

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/internal/store"
)

func auditCases() []testCase {
	return []testCase{
		{"AppendAndFilter", auditAppendAndFilter},
		{"Paging", auditPaging},
		{"DuplicateID", auditDuplicateID},
		{"ModifiedProperties", auditModifiedProperties},
		{"GraphFilters", auditGraphFilters},
		{"CursorPaging", auditCursorPaging},
	}
}

// auditGraphFilters: the filters of Graph's directoryAudits, each alone
// and combined; an actor filter with a type matches that type only.
func auditGraphFilters(t *testing.T, s store.Store) {
	ctx := t.Context()
	tid := createTenant(t, s, "contoso").ID
	invite := auditFixture(tid, "Invite external user", 0)
	invite.Category = "UserManagement"
	invite = appendAudit(t, s, invite)
	failed := auditFixture(tid, "Add group", time.Minute)
	failed.Category, failed.Result, failed.Reason = "GroupManagement", store.ResultFailure, "name taken"
	failed.ActorType, failed.ActorID, failed.ActorName = store.ActorApp, "actor-id", "script"
	failed = appendAudit(t, s, failed)
	later := appendAudit(t, s, auditFixture(tid, "Invite external user", 2*time.Minute))

	cases := []struct {
		name   string
		filter store.AuditFilter
		want   []store.AuditEvent
	}{
		{"category", store.AuditFilter{TenantID: tid, Category: "GroupManagement"}, []store.AuditEvent{failed}},
		{"result", store.AuditFilter{TenantID: tid, Result: store.ResultSuccess}, []store.AuditEvent{later, invite}},
		{"user actor", store.AuditFilter{TenantID: tid, ActorType: store.ActorUser, ActorID: "actor-id"}, []store.AuditEvent{later, invite}},
		{"app actor", store.AuditFilter{TenantID: tid, ActorType: store.ActorApp, ActorID: "actor-id"}, []store.AuditEvent{failed}},
		{"target", store.AuditFilter{TenantID: tid, TargetID: invite.TargetID}, []store.AuditEvent{invite}},
		{"until is inclusive", store.AuditFilter{TenantID: tid, Until: at(time.Minute)}, []store.AuditEvent{failed, invite}},
		{"range", store.AuditFilter{TenantID: tid, Since: at(time.Minute), Until: at(time.Minute)}, []store.AuditEvent{failed}},
		{"combined", store.AuditFilter{TenantID: tid, Activity: "Invite external user", Since: at(time.Second)}, []store.AuditEvent{later}},
		{"other tenant", store.AuditFilter{TenantID: newID(), Category: "GroupManagement"}, nil},
	}
	for _, c := range cases {
		got, err := s.ListAudit(ctx, c.filter)
		require.NoError(t, err, c.name)
		if c.want == nil {
			require.Empty(t, got, c.name)
			continue
		}
		require.Equal(t, c.want, got, c.name)
	}
}

// auditCursorPaging: pages by (time, id) visit every event once, newest
// first, also when several share an instant and ids do not follow time.
func auditCursorPaging(t *testing.T, s store.Store) {
	tid := createTenant(t, s, "contoso").ID
	var want []store.AuditEvent
	for i := range 7 {
		// Times go down while ids (UUIDv7) go up, three share a time.
		e := appendAudit(t, s, auditFixture(tid, "Add user", time.Duration(-i/3)*time.Second))
		want = append(want, e)
	}
	slices.SortFunc(want, func(a, b store.AuditEvent) int {
		if c := b.Time.Compare(a.Time); c != 0 {
			return c
		}
		return strings.Compare(b.ID, a.ID)
	})
	var paged []store.AuditEvent
	filter := store.AuditFilter{TenantID: tid, Limit: 3}
	for pages := 0; ; pages++ {
		require.Less(t, pages, 4, "paging does not end")
		page, err := s.ListAudit(t.Context(), filter)
		require.NoError(t, err)
		if len(page) == 0 {
			break
		}
		paged = append(paged, page...)
		last := page[len(page)-1]
		filter.Before = store.LogCursor{At: last.Time, ID: last.ID}
	}
	require.Equal(t, want, paged)
}

// auditModifiedProperties: what a change replaced comes back as written,
// quotes and all; an event without any answers nil.
func auditModifiedProperties(t *testing.T, s store.Store) {
	ctx := t.Context()
	tid := createTenant(t, s, "contoso").ID
	reset := auditFixture(tid, "Invite external user with reset invited user state", 0)
	reset.ModifiedProperties = []store.ModifiedProperty{
		{Name: "identities", OldValue: `[{"issuer":"https://idp.example","issuerAssignedId":"sub \"1\""}]`, NewValue: "[]"},
		{Name: "externalUserState", OldValue: "Accepted", NewValue: "PendingAcceptance"},
	}
	reset = appendAudit(t, s, reset)
	plain := appendAudit(t, s, auditFixture(tid, "Sign-in", time.Second))
	got, err := s.ListAudit(ctx, store.AuditFilter{TenantID: tid})
	require.NoError(t, err)
	require.Equal(t, []store.AuditEvent{plain, reset}, got)
	require.Nil(t, got[0].ModifiedProperties)
}

func auditAppendAndFilter(t *testing.T, s store.Store) {
	ctx := t.Context()
	contoso := createTenant(t, s, "contoso").ID
	invite := appendAudit(t, s, auditFixture(contoso, "Invite external user", 0))
	redeem := auditFixture(contoso, "Redeem external user invite", time.Minute)
	redeem.ActorType, redeem.ActorID, redeem.ActorName = store.ActorUser, "guest-id", "guest@fabrikam.example"
	redeem = appendAudit(t, s, redeem)
	// Same instant as redeem: the later id comes first.
	signIn := auditFixture(contoso, "Sign-in", time.Minute)
	signIn.ActorType, signIn.ActorID, signIn.ActorName = store.ActorSystem, "", ""
	signIn.Result, signIn.Reason = store.ResultFailure, "MFA required"
	signIn = appendAudit(t, s, signIn)
	// Audit events have no foreign key: an unknown or empty tenant is fine.
	elsewhere := appendAudit(t, s, auditFixture(newID(), "Invite external user", 2*time.Minute))
	system := appendAudit(t, s, auditFixture("", "Rotate keys", 3*time.Minute))

	cases := []struct {
		name   string
		filter store.AuditFilter
		want   []store.AuditEvent
	}{
		{"everything", store.AuditFilter{}, []store.AuditEvent{system, elsewhere, signIn, redeem, invite}},
		{"tenant", store.AuditFilter{TenantID: contoso}, []store.AuditEvent{signIn, redeem, invite}},
		{"activity", store.AuditFilter{Activity: "Invite external user"}, []store.AuditEvent{elsewhere, invite}},
		{"actor by id", store.AuditFilter{TenantID: contoso, ActorID: "guest-id"}, []store.AuditEvent{redeem}},
		{"actor by name", store.AuditFilter{TenantID: contoso, ActorID: "admin@contoso.example"}, []store.AuditEvent{invite}},
		{"since is inclusive", store.AuditFilter{TenantID: contoso, Since: at(time.Minute)}, []store.AuditEvent{signIn, redeem}},
		{"limit", store.AuditFilter{Limit: 2}, []store.AuditEvent{system, elsewhere}},
		{"before id", store.AuditFilter{TenantID: contoso, BeforeID: signIn.ID}, []store.AuditEvent{redeem, invite}},
		{"nothing", store.AuditFilter{TenantID: contoso, Activity: "Delete user"}, nil},
	}
	for _, c := range cases {
		got, err := s.ListAudit(ctx, c.filter)
		require.NoError(t, err, c.name)
		if c.want == nil {
			require.Empty(t, got, c.name)
			continue
		}
		require.Equal(t, c.want, got, c.name)
	}
}

func auditPaging(t *testing.T, s store.Store) {
	ctx := t.Context()
	tid := createTenant(t, s, "contoso").ID
	var newestFirst []store.AuditEvent
	for i := range 5 {
		e := appendAudit(t, s, auditFixture(tid, "Sign-in", time.Duration(i)*time.Second))
		newestFirst = append([]store.AuditEvent{e}, newestFirst...)
	}

	var paged []store.AuditEvent
	filter := store.AuditFilter{TenantID: tid, Limit: 2}
	for pages := 0; ; pages++ {
		require.Less(t, pages, 4, "paging does not end")
		page, err := s.ListAudit(ctx, filter)
		require.NoError(t, err)
		if len(page) == 0 {
			break
		}
		paged = append(paged, page...)
		filter.BeforeID = page[len(page)-1].ID
	}
	require.Equal(t, newestFirst, paged)
}

func auditDuplicateID(t *testing.T, s store.Store) {
	e := appendAudit(t, s, auditFixture(newID(), "Sign-in", 0))
	require.ErrorIs(t, s.AppendAudit(t.Context(), e), store.ErrConflict, "append-only: an id is never overwritten")
}
