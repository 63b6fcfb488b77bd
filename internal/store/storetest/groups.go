package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/internal/store"
)

func groupCases() []testCase {
	return []testCase{
		{"CreateGetList", groupCreateGetList},
		{"CreateConflictAndUnknownTenant", groupCreateConflict},
		{"Update", groupUpdate},
		{"UnknownIsNotFound", groupUnknown},
		{"Delete", groupDelete},
		{"Members", linkTest(groupMembersLink())},
		{"Owners", linkTest(groupOwnersLink())},
		{"ListUserGroups", groupListUserGroups},
	}
}

func groupCreateGetList(t *testing.T, s store.Store) {
	ctx := t.Context()
	tid := createTenant(t, s, "contoso").ID
	eng := createGroup(t, s, groupFixture(tid, "engineering"))
	sales := groupFixture(tid, "sales")
	sales.OwnersCanInviteGuests = false
	sales.Description = ""
	sales.CreatedAt = at(time.Minute)
	sales = createGroup(t, s, sales)

	got, err := s.GetGroup(ctx, tid, sales.ID)
	require.NoError(t, err)
	require.Equal(t, sales, got)

	list, err := s.ListGroups(ctx, tid)
	require.NoError(t, err)
	require.Equal(t, []store.Group{eng, sales}, list)
}

func groupCreateConflict(t *testing.T, s store.Store) {
	ctx := t.Context()
	tid := createTenant(t, s, "contoso").ID
	eng := createGroup(t, s, groupFixture(tid, "engineering"))

	again := groupFixture(tid, "again")
	again.ID = eng.ID
	require.ErrorIs(t, s.CreateGroup(ctx, again), store.ErrConflict)
	require.ErrorIs(t, s.CreateGroup(ctx, groupFixture(newID(), "orphan")), store.ErrNotFound)
}

func groupUpdate(t *testing.T, s store.Store) {
	ctx := t.Context()
	tid := createTenant(t, s, "contoso").ID
	eng := createGroup(t, s, groupFixture(tid, "engineering"))

	changed := eng
	changed.DisplayName = "Platform Engineering"
	changed.Description = "renamed"
	changed.OwnersCanInviteGuests = false
	changed.UpdatedAt = at(time.Hour)
	changed.CreatedAt = at(time.Hour) // not mutable
	require.NoError(t, s.UpdateGroup(ctx, changed))

	want := changed
	want.CreatedAt = eng.CreatedAt
	got, err := s.GetGroup(ctx, tid, eng.ID)
	require.NoError(t, err)
	require.Equal(t, want, got)
}

func groupUnknown(t *testing.T, s store.Store) {
	ctx := t.Context()
	tid := createTenant(t, s, "contoso").ID
	ghost := groupFixture(tid, "ghost")
	_, err := s.GetGroup(ctx, tid, ghost.ID)
	require.ErrorIs(t, err, store.ErrNotFound)
	require.ErrorIs(t, s.UpdateGroup(ctx, ghost), store.ErrNotFound)
	require.ErrorIs(t, s.DeleteGroup(ctx, tid, ghost.ID), store.ErrNotFound)
}

func groupDelete(t *testing.T, s store.Store) {
	ctx := t.Context()
	tid := createTenant(t, s, "contoso").ID
	eng := createGroup(t, s, groupFixture(tid, "engineering"))
	sales := createGroup(t, s, groupFixture(tid, "sales"))

	require.NoError(t, s.DeleteGroup(ctx, tid, eng.ID))
	_, err := s.GetGroup(ctx, tid, eng.ID)
	require.ErrorIs(t, err, store.ErrNotFound)
	list, err := s.ListGroups(ctx, tid)
	require.NoError(t, err)
	require.Equal(t, []store.Group{sales}, list)
}

func groupListUserGroups(t *testing.T, s store.Store) {
	ctx := t.Context()
	tid := createTenant(t, s, "contoso").ID
	alex := createUser(t, s, memberFixture(tid, "alex"))
	eng := createGroup(t, s, groupFixture(tid, "engineering"))
	sales := groupFixture(tid, "sales")
	sales.CreatedAt = at(time.Minute)
	sales = createGroup(t, s, sales)
	owned := createGroup(t, s, groupFixture(tid, "owned"))

	require.NoError(t, s.AddGroupMember(ctx, tid, sales.ID, alex.ID))
	require.NoError(t, s.AddGroupMember(ctx, tid, eng.ID, alex.ID))
	require.NoError(t, s.AddGroupOwner(ctx, tid, owned.ID, alex.ID))

	groups, err := s.ListUserGroups(ctx, tid, alex.ID)
	require.NoError(t, err)
	require.Equal(t, []store.Group{eng, sales}, groups, "direct memberships only, not ownerships")

	groups, err = s.ListUserGroups(ctx, tid, newID())
	require.NoError(t, err)
	require.Empty(t, groups)

	groups, err = s.ListOwnedGroups(ctx, tid, alex.ID)
	require.NoError(t, err)
	require.Equal(t, []store.Group{owned}, groups, "ownerships only")
	other := createTenant(t, s, "fabrikam").ID
	groups, err = s.ListOwnedGroups(ctx, other, alex.ID)
	require.NoError(t, err)
	require.Empty(t, groups, "another tenant's view holds none")
}
