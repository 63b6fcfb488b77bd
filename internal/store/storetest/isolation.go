package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/internal/store"
)

// Every case populates two tenants, A and B, and reaches for A's rows
// through B's id. Each must miss (ErrNotFound, or nothing listed) and leave
// A's rows as they were.
func isolationCases() []testCase {
	return []testCase{
		{"Users", isolationUsers},
		{"SameNamesInTwoTenants", isolationSameNames},
		{"Groups", isolationGroups},
		{"Applications", isolationApplications},
		{"Roles", isolationRoles},
		{"SigningKeys", isolationSigningKeys},
		{"Tokens", isolationTokens},
		{"Audit", isolationAudit},
		{"AuthRequests", isolationAuthRequests},
		{"Sessions", isolationSessions},
		{"RefreshTokens", isolationRefreshTokens},
		{"AccessTokens", isolationAccessTokens},
		{"Consents", isolationConsents},
		{"Counters", isolationCounters},
		{"MFA", isolationMFA},
	}
}

func twoWorlds(t *testing.T, s store.Store) (a, b world) {
	t.Helper()
	return populate(t, s, "contoso"), populate(t, s, "fabrikam")
}

func isolationUsers(t *testing.T, s store.Store) {
	ctx := t.Context()
	a, b := twoWorlds(t, s)
	bid := b.Tenant.ID
	// populate reuses names across tenants; this user's exist only in A.
	onlyA := createUser(t, s, guestFixture(a.Tenant.ID, "only-a"))
	id := onlyA.Identities[0]

	_, err := s.GetUser(ctx, bid, onlyA.ID)
	require.ErrorIs(t, err, store.ErrNotFound)
	for _, email := range []string{onlyA.Mail, onlyA.UserPrincipalName} {
		_, err = s.GetUserByEmail(ctx, bid, email)
		require.ErrorIs(t, err, store.ErrNotFound, email)
	}
	_, err = s.GetUserByIdentity(ctx, bid, id.Issuer, id.IssuerAssignedID)
	require.ErrorIs(t, err, store.ErrNotFound)
	hijack := onlyA
	hijack.TenantID = bid
	hijack.DisplayName = "hijacked"
	require.ErrorIs(t, s.UpdateUser(ctx, hijack), store.ErrNotFound)
	require.ErrorIs(t, s.SetPasswordHash(ctx, bid, onlyA.ID, "x", at(time.Hour)), store.ErrNotFound)
	require.ErrorIs(t, s.DeleteUser(ctx, bid, onlyA.ID), store.ErrNotFound)

	users, err := s.ListUsers(ctx, bid, store.UserFilter{})
	require.NoError(t, err)
	require.ElementsMatch(t, []store.User{b.Member, b.Guest}, users)
	got, err := s.GetUser(ctx, a.Tenant.ID, onlyA.ID)
	require.NoError(t, err)
	require.Equal(t, onlyA, got, "untouched")
}

// isolationSameNames: unique keys are per tenant, so B may reuse A's.
func isolationSameNames(t *testing.T, s store.Store) {
	ctx := t.Context()
	a, b := twoWorlds(t, s)
	// populate made both tenants' users from the same names: same UPNs,
	// mails and identities. Lookups still answer each tenant its own.
	for _, w := range []world{a, b} {
		got, err := s.GetUserByEmail(ctx, w.Tenant.ID, w.Guest.Mail)
		require.NoError(t, err)
		require.Equal(t, w.Guest, got)
		id := w.Guest.Identities[0]
		got, err = s.GetUserByIdentity(ctx, w.Tenant.ID, id.Issuer, id.IssuerAssignedID)
		require.NoError(t, err)
		require.Equal(t, w.Guest, got)
		app, err := s.GetApplicationByClientID(ctx, w.Tenant.ID, w.App.ClientID)
		require.NoError(t, err)
		require.Equal(t, w.App, app)
	}
}

func isolationGroups(t *testing.T, s store.Store) {
	ctx := t.Context()
	a, b := twoWorlds(t, s)
	aid, bid, group := a.Tenant.ID, b.Tenant.ID, a.Group

	_, err := s.GetGroup(ctx, bid, group.ID)
	require.ErrorIs(t, err, store.ErrNotFound)
	hijack := group
	hijack.TenantID = bid
	require.ErrorIs(t, s.UpdateGroup(ctx, hijack), store.ErrNotFound)
	require.ErrorIs(t, s.DeleteGroup(ctx, bid, group.ID), store.ErrNotFound)

	// No membership may cross tenants, whichever side names the other.
	require.ErrorIs(t, s.AddGroupMember(ctx, bid, b.Group.ID, a.Member.ID), store.ErrNotFound, "A's user into B's group")
	require.ErrorIs(t, s.AddGroupMember(ctx, aid, group.ID, b.Member.ID), store.ErrNotFound, "B's user into A's group")
	require.ErrorIs(t, s.AddGroupMember(ctx, bid, group.ID, b.Member.ID), store.ErrNotFound, "through B into A's group")
	require.ErrorIs(t, s.AddGroupOwner(ctx, bid, b.Group.ID, a.Member.ID), store.ErrNotFound)
	require.ErrorIs(t, s.RemoveGroupMember(ctx, bid, group.ID, a.Guest.ID), store.ErrNotFound)
	require.ErrorIs(t, s.RemoveGroupOwner(ctx, bid, group.ID, a.Member.ID), store.ErrNotFound)

	requireEmpty(t, func() (any, error) { return s.ListGroupMembers(ctx, bid, group.ID) })
	requireEmpty(t, func() (any, error) { return s.ListGroupOwners(ctx, bid, group.ID) })
	requireEmpty(t, func() (any, error) { return s.ListUserGroups(ctx, bid, a.Guest.ID) })
	groups, err := s.ListGroups(ctx, bid)
	require.NoError(t, err)
	require.Equal(t, []store.Group{b.Group}, groups)
	requireWorldIntact(t, s, a)
}

func isolationApplications(t *testing.T, s store.Store) {
	ctx := t.Context()
	a, b := twoWorlds(t, s)
	bid, app := b.Tenant.ID, a.App

	_, err := s.GetApplication(ctx, bid, app.ID)
	require.ErrorIs(t, err, store.ErrNotFound)
	hijack := app
	hijack.TenantID = bid
	hijack.ClientID = "hijacked"
	require.ErrorIs(t, s.UpdateApplication(ctx, hijack), store.ErrNotFound)
	require.ErrorIs(t, s.DeleteApplication(ctx, bid, app.ID), store.ErrNotFound)

	secret := clientSecretFixture(hijack, 0)
	require.ErrorIs(t, s.AddClientSecret(ctx, secret), store.ErrNotFound)
	require.ErrorIs(t, s.DeleteClientSecret(ctx, bid, app.ID, a.Secret.ID), store.ErrNotFound)
	requireEmpty(t, func() (any, error) { return s.ListClientSecrets(ctx, bid, app.ID) })

	require.ErrorIs(t, s.AddApplicationOwner(ctx, bid, b.App.ID, a.Member.ID), store.ErrNotFound)
	require.ErrorIs(t, s.RemoveApplicationOwner(ctx, bid, app.ID, a.Member.ID), store.ErrNotFound)
	requireEmpty(t, func() (any, error) { return s.ListApplicationOwners(ctx, bid, app.ID) })

	for name, principal := range map[string]store.Assignment{
		"A's user to B's app":  assignment(b.App, store.PrincipalUser, a.Member.ID, 0),
		"A's group to B's app": assignment(b.App, store.PrincipalGroup, a.Group.ID, 0),
		"B's user to A's app":  {TenantID: bid, AppID: app.ID, PrincipalType: store.PrincipalUser, PrincipalID: b.Member.ID, CreatedAt: at(0)},
	} {
		require.ErrorIs(t, s.AddAssignment(ctx, principal), store.ErrNotFound, name)
	}
	require.ErrorIs(t, s.RemoveAssignment(ctx, bid, app.ID, a.Member.ID), store.ErrNotFound)
	requireEmpty(t, func() (any, error) { return s.ListAssignments(ctx, bid, app.ID) })
	assigned, err := s.IsAssigned(ctx, bid, app.ID, a.Member.ID)
	require.NoError(t, err)
	require.False(t, assigned)
	requireWorldIntact(t, s, a)
}

func isolationRoles(t *testing.T, s store.Store) {
	ctx := t.Context()
	a, b := twoWorlds(t, s)
	bid := b.Tenant.ID

	require.ErrorIs(t, s.AssignRole(ctx, bid, a.Guest.ID, a.Role), store.ErrNotFound)
	require.ErrorIs(t, s.UnassignRole(ctx, bid, a.Member.ID, a.Role), store.ErrNotFound)
	requireEmpty(t, func() (any, error) { return s.ListUserRoles(ctx, bid, a.Member.ID) })
	requireUsers(t, []store.User{b.Member}, func() ([]store.User, error) { return s.ListRoleMembers(ctx, bid, a.Role) })
	requireWorldIntact(t, s, a)
}

func isolationSigningKeys(t *testing.T, s store.Store) {
	ctx := t.Context()
	a, b := twoWorlds(t, s)

	keys, err := s.ListSigningKeys(ctx, b.Tenant.ID)
	require.NoError(t, err)
	require.Equal(t, []store.SigningKey{b.NextKey, b.ActiveKey}, keys)

	// B cannot rotate A's keys: they are not B's active and next key.
	rot := store.KeyRotation{TenantID: b.Tenant.ID, ExpectActiveID: a.ActiveKey.ID, PromoteID: a.NextKey.ID,
		NewNext: signingKeyFixture(b.Tenant.ID, store.KeyNext, time.Hour), At: at(time.Hour), RetireUntil: at(2 * time.Hour)}
	require.ErrorIs(t, s.RotateSigningKeys(ctx, rot), store.ErrConflict)
	requireWorldIntact(t, s, a)
	requireWorldIntact(t, s, b)
}

func isolationTokens(t *testing.T, s store.Store) {
	ctx := t.Context()
	a, b := twoWorlds(t, s)
	_, err := s.ConsumeToken(ctx, b.Tenant.ID, a.Token.Kind, a.Token.Hash, at(time.Minute))
	require.ErrorIs(t, err, store.ErrNotFound)
	requireWorldIntact(t, s, a) // consumes A's token: it was still there
}

func isolationAudit(t *testing.T, s store.Store) {
	a, b := twoWorlds(t, s)
	events, err := s.ListAudit(t.Context(), store.AuditFilter{TenantID: b.Tenant.ID})
	require.NoError(t, err)
	require.Equal(t, []store.AuditEvent{b.Audit}, events)
	events, err = s.ListAudit(t.Context(), store.AuditFilter{TenantID: b.Tenant.ID, ActorID: a.Audit.ActorID})
	require.NoError(t, err)
	require.Equal(t, []store.AuditEvent{b.Audit}, events, "same actor, still only B's events")
}
