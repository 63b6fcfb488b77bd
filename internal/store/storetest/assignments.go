package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/internal/store"
)

func assignmentCases() []testCase {
	return []testCase{
		{"AddListRemove", assignmentAddListRemove},
		{"UnknownPrincipalOrApp", assignmentUnknown},
		{"IsAssigned", assignmentIsAssigned},
		{"PrincipalDeleted", assignmentPrincipalDeleted},
	}
}

func assignment(app store.Application, principalType, principalID string, when time.Duration) store.Assignment {
	return store.Assignment{TenantID: app.TenantID, AppID: app.ID, PrincipalType: principalType,
		PrincipalID: principalID, CreatedAt: at(when)}
}

func assignmentAddListRemove(t *testing.T, s store.Store) {
	ctx := t.Context()
	tid := createTenant(t, s, "contoso").ID
	app := createApplication(t, s, applicationFixture(tid, "wiki"))
	alex := createUser(t, s, memberFixture(tid, "alex"))
	eng := createGroup(t, s, groupFixture(tid, "engineering"))
	toGroup := assignment(app, store.PrincipalGroup, eng.ID, 0)
	toUser := assignment(app, store.PrincipalUser, alex.ID, time.Minute)
	require.NoError(t, s.AddAssignment(ctx, toUser))
	require.NoError(t, s.AddAssignment(ctx, toGroup))

	list, err := s.ListAssignments(ctx, tid, app.ID)
	require.NoError(t, err)
	require.Equal(t, []store.Assignment{toGroup, toUser}, list, "in the order they were made")

	require.ErrorIs(t, s.AddAssignment(ctx, toUser), store.ErrConflict)
	require.ErrorIs(t, s.AddAssignment(ctx, toGroup), store.ErrConflict)

	require.NoError(t, s.RemoveAssignment(ctx, tid, app.ID, eng.ID))
	require.ErrorIs(t, s.RemoveAssignment(ctx, tid, app.ID, eng.ID), store.ErrNotFound)
	list, err = s.ListAssignments(ctx, tid, app.ID)
	require.NoError(t, err)
	require.Equal(t, []store.Assignment{toUser}, list)
}

func assignmentUnknown(t *testing.T, s store.Store) {
	ctx := t.Context()
	tid := createTenant(t, s, "contoso").ID
	app := createApplication(t, s, applicationFixture(tid, "wiki"))
	alex := createUser(t, s, memberFixture(tid, "alex"))
	eng := createGroup(t, s, groupFixture(tid, "engineering"))

	cases := map[string]store.Assignment{
		"unknown user":             assignment(app, store.PrincipalUser, newID(), 0),
		"unknown group":            assignment(app, store.PrincipalGroup, newID(), 0),
		"group id as user":         assignment(app, store.PrincipalUser, eng.ID, 0),
		"user id as group":         assignment(app, store.PrincipalGroup, alex.ID, 0),
		"unknown principal type":   assignment(app, "ServicePrincipal", alex.ID, 0),
		"unknown application":      assignment(applicationFixture(tid, "ghost"), store.PrincipalUser, alex.ID, 0),
		"application of no tenant": assignment(applicationFixture(newID(), "ghost"), store.PrincipalUser, alex.ID, 0),
	}
	for name, a := range cases {
		require.ErrorIs(t, s.AddAssignment(ctx, a), store.ErrNotFound, name)
	}
	requireEmpty(t, func() (any, error) { return s.ListAssignments(ctx, tid, app.ID) })
	require.ErrorIs(t, s.RemoveAssignment(ctx, tid, app.ID, alex.ID), store.ErrNotFound)
}

func assignmentIsAssigned(t *testing.T, s store.Store) {
	ctx := t.Context()
	tid := createTenant(t, s, "contoso").ID
	app := createApplication(t, s, applicationFixture(tid, "wiki"))
	other := createApplication(t, s, applicationFixture(tid, "other"))
	direct := createUser(t, s, memberFixture(tid, "direct"))
	viaGroup := createUser(t, s, guestFixture(tid, "viagroup"))
	owner := createUser(t, s, memberFixture(tid, "owner"))
	nobody := createUser(t, s, memberFixture(tid, "nobody"))
	eng := createGroup(t, s, groupFixture(tid, "engineering"))
	require.NoError(t, s.AddGroupMember(ctx, tid, eng.ID, viaGroup.ID))
	require.NoError(t, s.AddGroupOwner(ctx, tid, eng.ID, owner.ID))
	require.NoError(t, s.AddAssignment(ctx, assignment(app, store.PrincipalUser, direct.ID, 0)))
	require.NoError(t, s.AddAssignment(ctx, assignment(app, store.PrincipalGroup, eng.ID, 0)))

	cases := []struct {
		name   string
		app    string
		user   string
		expect bool
	}{
		{"direct", app.ID, direct.ID, true},
		{"member of an assigned group", app.ID, viaGroup.ID, true},
		{"owner of an assigned group is not a member", app.ID, owner.ID, false},
		{"not assigned", app.ID, nobody.ID, false},
		{"assigned elsewhere", other.ID, direct.ID, false},
		{"unknown user", app.ID, newID(), false},
		{"unknown app", newID(), direct.ID, false},
	}
	for _, c := range cases {
		got, err := s.IsAssigned(ctx, tid, c.app, c.user)
		require.NoError(t, err, c.name)
		require.Equal(t, c.expect, got, c.name)
	}

	require.NoError(t, s.RemoveGroupMember(ctx, tid, eng.ID, viaGroup.ID))
	got, err := s.IsAssigned(ctx, tid, app.ID, viaGroup.ID)
	require.NoError(t, err)
	require.False(t, got, "left the group")
}

func assignmentPrincipalDeleted(t *testing.T, s store.Store) {
	ctx := t.Context()
	w := populate(t, s, "contoso")
	tid := w.Tenant.ID

	require.NoError(t, s.DeleteGroup(ctx, tid, w.Group.ID))
	require.NoError(t, s.DeleteUser(ctx, tid, w.Member.ID))
	requireEmpty(t, func() (any, error) { return s.ListAssignments(ctx, tid, w.App.ID) })
	assigned, err := s.IsAssigned(ctx, tid, w.App.ID, w.Guest.ID)
	require.NoError(t, err)
	require.False(t, assigned)
}
