package storetest

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/internal/store"
)

// linkKind is a user-to-parent relation with add, remove and list: group
// members, group owners, application owners. They share one test.
type linkKind struct {
	newParent func(t *testing.T, s store.Store, tenantID string) string
	// The rest have the shape of store.Store method expressions.
	deleteParent func(s store.Store, ctx context.Context, tenantID, parentID string) error
	add          func(s store.Store, ctx context.Context, tenantID, parentID, userID string) error
	remove       func(s store.Store, ctx context.Context, tenantID, parentID, userID string) error
	list         func(s store.Store, ctx context.Context, tenantID, parentID string) ([]store.User, error)
}

func newGroupParent(t *testing.T, s store.Store, tenantID string) string {
	return createGroup(t, s, groupFixture(tenantID, "group-"+newID())).ID
}

func groupMembersLink() linkKind {
	return linkKind{
		newParent:    newGroupParent,
		deleteParent: store.Store.DeleteGroup,
		add:          store.Store.AddGroupMember,
		remove:       store.Store.RemoveGroupMember,
		list:         store.Store.ListGroupMembers,
	}
}

func groupOwnersLink() linkKind {
	return linkKind{
		newParent:    newGroupParent,
		deleteParent: store.Store.DeleteGroup,
		add:          store.Store.AddGroupOwner,
		remove:       store.Store.RemoveGroupOwner,
		list:         store.Store.ListGroupOwners,
	}
}

func applicationOwnersLink() linkKind {
	return linkKind{
		newParent: func(t *testing.T, s store.Store, tenantID string) string {
			return createApplication(t, s, applicationFixture(tenantID, "app-"+newID())).ID
		},
		deleteParent: store.Store.DeleteApplication,
		add:          store.Store.AddApplicationOwner,
		remove:       store.Store.RemoveApplicationOwner,
		list:         store.Store.ListApplicationOwners,
	}
}

// linkTest checks add, duplicate, unknown ends, list, remove and both
// cascades of one relation.
func linkTest(k linkKind) func(t *testing.T, s store.Store) {
	return func(t *testing.T, s store.Store) {
		ctx := t.Context()
		tid := createTenant(t, s, "contoso").ID
		parent := k.newParent(t, s, tid)
		alex := createUser(t, s, memberFixture(tid, "alex"))
		bo := createUser(t, s, guestFixture(tid, "bo"))

		require.NoError(t, k.add(s, ctx, tid, parent, alex.ID))
		require.NoError(t, k.add(s, ctx, tid, parent, bo.ID))
		requireUsers(t, []store.User{alex, bo}, func() ([]store.User, error) { return k.list(s, ctx, tid, parent) })

		require.ErrorIs(t, k.add(s, ctx, tid, parent, alex.ID), store.ErrConflict, "already there")
		require.ErrorIs(t, k.add(s, ctx, tid, parent, newID()), store.ErrNotFound, "unknown user")
		require.ErrorIs(t, k.add(s, ctx, tid, newID(), alex.ID), store.ErrNotFound, "unknown parent")
		requireUsers(t, nil, func() ([]store.User, error) { return k.list(s, ctx, tid, newID()) })

		require.NoError(t, k.remove(s, ctx, tid, parent, alex.ID))
		require.ErrorIs(t, k.remove(s, ctx, tid, parent, alex.ID), store.ErrNotFound, "removed twice")
		requireUsers(t, []store.User{bo}, func() ([]store.User, error) { return k.list(s, ctx, tid, parent) })

		require.NoError(t, s.DeleteUser(ctx, tid, bo.ID))
		requireUsers(t, nil, func() ([]store.User, error) { return k.list(s, ctx, tid, parent) })

		require.NoError(t, k.add(s, ctx, tid, parent, alex.ID))
		require.NoError(t, k.deleteParent(s, ctx, tid, parent))
		requireUsers(t, nil, func() ([]store.User, error) { return k.list(s, ctx, tid, parent) })
		require.ErrorIs(t, k.add(s, ctx, tid, parent, alex.ID), store.ErrNotFound, "deleted parent")
	}
}

// requireUsers checks that list answers want, in id order.
func requireUsers(t *testing.T, want []store.User, list func() ([]store.User, error)) {
	t.Helper()
	got, err := list()
	require.NoError(t, err)
	if len(want) == 0 {
		require.Empty(t, got)
		return
	}
	require.Equal(t, sortedByID(want), got)
}
