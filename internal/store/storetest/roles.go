package storetest

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/internal/store"
)

func roleCases() []testCase {
	return []testCase{
		{"AssignListUnassign", roleAssignListUnassign},
		{"UnknownUser", roleUnknownUser},
		{"UserDeleted", roleUserDeleted},
	}
}

const (
	roleGuestInviter = "Guest Inviter"
	roleUserAdmin    = "User Administrator"
)

func roleAssignListUnassign(t *testing.T, s store.Store) {
	ctx := t.Context()
	tid := createTenant(t, s, "contoso").ID
	alex := createUser(t, s, memberFixture(tid, "alex"))
	bo := createUser(t, s, guestFixture(tid, "bo"))
	createUser(t, s, memberFixture(tid, "cy"))

	require.NoError(t, s.AssignRole(ctx, tid, alex.ID, roleUserAdmin))
	require.NoError(t, s.AssignRole(ctx, tid, alex.ID, roleGuestInviter))
	require.NoError(t, s.AssignRole(ctx, tid, bo.ID, roleGuestInviter))
	require.ErrorIs(t, s.AssignRole(ctx, tid, alex.ID, roleGuestInviter), store.ErrConflict)

	roles, err := s.ListUserRoles(ctx, tid, alex.ID)
	require.NoError(t, err)
	require.Equal(t, []string{roleGuestInviter, roleUserAdmin}, roles, "in name order")
	requireUsers(t, []store.User{alex, bo}, func() ([]store.User, error) { return s.ListRoleMembers(ctx, tid, roleGuestInviter) })
	requireUsers(t, nil, func() ([]store.User, error) { return s.ListRoleMembers(ctx, tid, "Global Administrator") })

	require.NoError(t, s.UnassignRole(ctx, tid, alex.ID, roleGuestInviter))
	require.ErrorIs(t, s.UnassignRole(ctx, tid, alex.ID, roleGuestInviter), store.ErrNotFound)
	roles, err = s.ListUserRoles(ctx, tid, alex.ID)
	require.NoError(t, err)
	require.Equal(t, []string{roleUserAdmin}, roles)
	requireUsers(t, []store.User{bo}, func() ([]store.User, error) { return s.ListRoleMembers(ctx, tid, roleGuestInviter) })
}

func roleUnknownUser(t *testing.T, s store.Store) {
	ctx := t.Context()
	tid := createTenant(t, s, "contoso").ID
	require.ErrorIs(t, s.AssignRole(ctx, tid, newID(), roleGuestInviter), store.ErrNotFound)
	requireEmpty(t, func() (any, error) { return s.ListUserRoles(ctx, tid, newID()) })
}

func roleUserDeleted(t *testing.T, s store.Store) {
	ctx := t.Context()
	tid := createTenant(t, s, "contoso").ID
	alex := createUser(t, s, memberFixture(tid, "alex"))
	require.NoError(t, s.AssignRole(ctx, tid, alex.ID, roleGuestInviter))
	require.NoError(t, s.DeleteUser(ctx, tid, alex.ID))
	requireEmpty(t, func() (any, error) { return s.ListUserRoles(ctx, tid, alex.ID) })
	requireUsers(t, nil, func() ([]store.User, error) { return s.ListRoleMembers(ctx, tid, roleGuestInviter) })
}
