package directory_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/internal/audit"
	"github.com/foyer-idp/foyer/internal/directory"
	"github.com/foyer-idp/foyer/internal/store"
	"github.com/foyer-idp/foyer/internal/store/sqlstore/sqltest"
)

// TestForceChangePassword runs the forced password change's rules on each
// back end.
func TestForceChangePassword(t *testing.T) {
	t.Parallel()
	sqltest.RunSuite(t, []sqltest.Case[*fixture]{
		{Name: "NeedsAPassword", Fn: testForceChangeNeedsAPassword},
		{Name: "UpdateSetsAndAudits", Fn: testForceChangeUpdateSetsAndAudits},
		{Name: "ChangePassword", Fn: testChangePassword},
		{Name: "ChangePasswordRefuses", Fn: testChangePasswordRefuses},
	}, func(t *testing.T, b sqltest.Backend) *fixture { return newFixture(t, b) })
}

// A user without a password can never satisfy the flag: refused on
// create and on update, for members without one and guests alike.
func testForceChangeNeedsAPassword(t *testing.T, f *fixture) {
	ctx := t.Context()
	tn := f.tenant(t, "contoso")
	_, err := f.dir.CreateMember(ctx, tn.ID, directory.NewMember{DisplayName: "Alex", Mail: "alex@contoso.test", ForceChangePassword: true})
	requireFields(t, err, directory.ErrInvalid, "passwordProfile.forceChangePasswordNextSignIn")
	_, err = f.store.GetUserByEmail(ctx, tn.ID, "alex@contoso.test")
	require.ErrorIs(t, err, store.ErrNotFound, "nothing created")

	bare, err := f.dir.CreateMember(ctx, tn.ID, directory.NewMember{DisplayName: "Bo", Mail: "bo@contoso.test"})
	require.NoError(t, err)
	_, err = f.dir.UpdateUser(ctx, tn.ID, bare.ID, directory.UserPatch{ForceChangePassword: new(true)})
	requireFields(t, err, directory.ErrInvalid, "passwordProfile.forceChangePasswordNextSignIn")
	got, err := f.store.GetUser(ctx, tn.ID, bare.ID)
	require.NoError(t, err)
	require.False(t, got.ForceChangePassword)

	// Clearing it is always fine.
	_, err = f.dir.UpdateUser(ctx, tn.ID, bare.ID, directory.UserPatch{ForceChangePassword: new(false)})
	require.NoError(t, err)
}

func testForceChangeUpdateSetsAndAudits(t *testing.T, f *fixture) {
	ctx := t.Context()
	tn := f.tenant(t, "contoso")
	u, err := f.dir.CreateMember(ctx, tn.ID, directory.NewMember{DisplayName: "Alex", Mail: "alex@contoso.test",
		Password: "first password!", ForceChangePassword: true})
	require.NoError(t, err)
	require.True(t, u.ForceChangePassword)

	for _, force := range []bool{false, true} {
		got, err := f.dir.UpdateUser(ctx, tn.ID, u.ID, directory.UserPatch{ForceChangePassword: new(force)})
		require.NoError(t, err)
		require.Equal(t, force, got.ForceChangePassword)
		stored, err := f.store.GetUserCore(ctx, tn.ID, u.ID)
		require.NoError(t, err)
		require.Equal(t, force, stored.ForceChangePassword)
	}
	events, err := f.store.ListAudit(ctx, store.AuditFilter{TenantID: tn.ID, Activity: audit.ActivityUpdateUser})
	require.NoError(t, err)
	require.Len(t, events, 2)
	var changes []store.ModifiedProperty
	for _, e := range events {
		changes = append(changes, e.ModifiedProperties...)
	}
	require.ElementsMatch(t, []store.ModifiedProperty{
		{Name: "passwordProfile.forceChangePasswordNextSignIn", OldValue: "true", NewValue: "false"},
		{Name: "passwordProfile.forceChangePasswordNextSignIn", OldValue: "false", NewValue: "true"},
	}, changes)
}

// changeFixture is a member who must change their password, with the
// hash their sign-in proved.
func changeFixture(t *testing.T, f *fixture) (store.Tenant, store.User) {
	t.Helper()
	tn := f.tenant(t, "contoso")
	u, err := f.dir.CreateMember(t.Context(), tn.ID, directory.NewMember{DisplayName: "Alex", Mail: "alex@contoso.test",
		Password: "first password!", ForceChangePassword: true})
	require.NoError(t, err)
	return tn, u
}

func testChangePassword(t *testing.T, f *fixture) {
	ctx := t.Context()
	tn, u := changeFixture(t, f)
	require.NoError(t, f.dir.ChangePassword(ctx, u, u.PasswordHash, "second password!"))

	_, err := f.dir.VerifyPassword(ctx, tn.ID, "alex@contoso.test", "first password!")
	require.ErrorIs(t, err, directory.ErrBadCredentials, "the old password is gone")
	got, err := f.dir.VerifyPassword(ctx, tn.ID, "alex@contoso.test", "second password!")
	require.NoError(t, err)
	require.False(t, got.ForceChangePassword, "the change clears the flag")

	events, err := f.store.ListAudit(ctx, store.AuditFilter{TenantID: tn.ID, Activity: audit.ActivityChangePassword})
	require.NoError(t, err)
	require.Len(t, events, 1)
	require.Equal(t, store.ResultSuccess, events[0].Result)
	require.Equal(t, u.ID, events[0].ActorID, "the user changed it themselves")
	require.Equal(t, u.ID, events[0].TargetID)
}

func testChangePasswordRefuses(t *testing.T, f *fixture) {
	ctx := t.Context()
	tn, u := changeFixture(t, f)
	for _, bad := range []string{"first password!", "short", ""} {
		requireFields(t, f.dir.ChangePassword(ctx, u, u.PasswordHash, bad), directory.ErrInvalid, "newPassword")
	}
	// An admin's reset after the sign-in proved the old password voids
	// that proof: the reset stands.
	require.NoError(t, f.dir.SetPassword(ctx, tn.ID, u.ID, "admin's new one"))
	err := f.dir.ChangePassword(ctx, u, u.PasswordHash, "second password!")
	require.ErrorIs(t, err, directory.ErrPasswordMoved)
	_, err = f.dir.VerifyPassword(ctx, tn.ID, "alex@contoso.test", "admin's new one")
	require.NoError(t, err)

	events, err := f.store.ListAudit(ctx, store.AuditFilter{TenantID: tn.ID, Activity: audit.ActivityChangePassword})
	require.NoError(t, err)
	require.Len(t, events, 4)
	for _, e := range events {
		require.Equal(t, store.ResultFailure, e.Result)
	}
}
