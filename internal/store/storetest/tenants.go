package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/internal/store"
)

func tenantCases() []testCase {
	return []testCase{
		{"CreateGetList", tenantCreateGetList},
		{"GetUnknown", tenantGetUnknown},
		{"DuplicateSlugOrID", tenantDuplicate},
		{"Update", tenantUpdate},
		{"UpdateUnknown", tenantUpdateUnknown},
		{"Delete", tenantDelete},
		{"DeleteCascades", tenantDeleteCascades},
		{"Lock", tenantLock},
	}
}

// tenantLock: a known tenant locks inside and outside a transaction, an
// unknown one is ErrNotFound, and the lock lets the tenant's other rows
// be written in the same transaction.
func tenantLock(t *testing.T, s store.Store) {
	ctx := t.Context()
	tn := createTenant(t, s, "contoso")
	require.NoError(t, s.LockTenant(ctx, tn.ID))
	require.ErrorIs(t, s.LockTenant(ctx, newID()), store.ErrNotFound)
	err := s.InTx(ctx, func(tx store.Store) error {
		if err := tx.LockTenant(ctx, tn.ID); err != nil {
			return err
		}
		u := memberFixture(tn.ID, "alice")
		if err := tx.CreateUser(ctx, u); err != nil {
			return err
		}
		return tx.AssignRole(ctx, tn.ID, u.ID, "Tenant Administrator")
	})
	require.NoError(t, err)
	err = s.InTx(ctx, func(tx store.Store) error { return tx.LockTenant(ctx, newID()) })
	require.ErrorIs(t, err, store.ErrNotFound)
}

func tenantCreateGetList(t *testing.T, s store.Store) {
	ctx := t.Context()
	contoso := createTenant(t, s, "contoso")
	fabrikam := tenantFixture("fabrikam")
	fabrikam.CreatedAt = at(time.Hour)
	require.NoError(t, s.CreateTenant(ctx, fabrikam))

	got, err := s.GetTenant(ctx, contoso.ID)
	require.NoError(t, err)
	require.Equal(t, contoso, got)

	got, err = s.GetTenantBySlug(ctx, "fabrikam")
	require.NoError(t, err)
	require.Equal(t, fabrikam, got)

	list, err := s.ListTenants(ctx)
	require.NoError(t, err)
	require.Equal(t, []store.Tenant{contoso, fabrikam}, list)
}

func tenantGetUnknown(t *testing.T, s store.Store) {
	ctx := t.Context()
	_, err := s.GetTenant(ctx, newID())
	require.ErrorIs(t, err, store.ErrNotFound)
	_, err = s.GetTenantBySlug(ctx, "nobody")
	require.ErrorIs(t, err, store.ErrNotFound)
	list, err := s.ListTenants(ctx)
	require.NoError(t, err)
	require.Empty(t, list)
}

func tenantDuplicate(t *testing.T, s store.Store) {
	ctx := t.Context()
	contoso := createTenant(t, s, "contoso")

	sameSlug := tenantFixture("contoso")
	require.ErrorIs(t, s.CreateTenant(ctx, sameSlug), store.ErrConflict)

	sameID := tenantFixture("fabrikam")
	sameID.ID = contoso.ID
	require.ErrorIs(t, s.CreateTenant(ctx, sameID), store.ErrConflict)
}

func tenantUpdate(t *testing.T, s store.Store) {
	ctx := t.Context()
	tn := createTenant(t, s, "contoso")

	changed := tn
	changed.Slug = "renamed" // immutable: UpdateTenant ignores it
	changed.DisplayName = "Contoso Group"
	changed.Branding = store.Branding{LogoURL: "https://cdn.example/c.svg", AccentColor: "#112233", SenderName: "Contoso IT"}
	changed.SigningAlg = "EdDSA"
	changed.Invitations = store.InvitationPolicy{AllowInvitesFrom: store.InvitesFromAdminsAndGuestInviters,
		DomainRule: store.InviteDomainsDeny, Domains: []string{"rival.example", "spam.example"},
		RedemptionOrder:      []string{store.RedeemEmailPasscode, store.RedeemPartnerTenant},
		RedeemWithAnyAccount: true}
	changed.MFA = store.MFAPolicy{Required: store.MFARequiredEveryone, PeriodSeconds: 60}
	changed.UpdatedAt = at(time.Hour)
	require.NoError(t, s.UpdateTenant(ctx, changed))

	want := changed
	want.Slug = tn.Slug
	got, err := s.GetTenant(ctx, tn.ID)
	require.NoError(t, err)
	require.Equal(t, want, got)
}

func tenantUpdateUnknown(t *testing.T, s store.Store) {
	require.ErrorIs(t, s.UpdateTenant(t.Context(), tenantFixture("ghost")), store.ErrNotFound)
}

func tenantDelete(t *testing.T, s store.Store) {
	ctx := t.Context()
	tn := createTenant(t, s, "contoso")
	other := createTenant(t, s, "fabrikam")

	require.NoError(t, s.DeleteTenant(ctx, tn.ID))
	_, err := s.GetTenant(ctx, tn.ID)
	require.ErrorIs(t, err, store.ErrNotFound)
	require.ErrorIs(t, s.DeleteTenant(ctx, tn.ID), store.ErrNotFound)

	list, err := s.ListTenants(ctx)
	require.NoError(t, err)
	require.Equal(t, []store.Tenant{other}, list)
}

// tenantDeleteCascades deletes a tenant with a row in every table and checks
// that all of them went, except its audit events, and that its neighbour
// kept everything.
func tenantDeleteCascades(t *testing.T, s store.Store) {
	ctx := t.Context()
	doomed := populate(t, s, "contoso")
	kept := populate(t, s, "fabrikam")

	require.NoError(t, s.DeleteTenant(ctx, doomed.Tenant.ID))
	requireWorldGone(t, s, doomed)
	requireWorldIntact(t, s, kept)

	events, err := s.ListAudit(ctx, store.AuditFilter{TenantID: doomed.Tenant.ID})
	require.NoError(t, err)
	require.Equal(t, []store.AuditEvent{doomed.Audit}, events, "audit events outlive their tenant")

	// The unique keys went with the rows: the same tenant can be made again.
	require.NoError(t, s.CreateTenant(ctx, doomed.Tenant))
	require.NoError(t, s.CreateUser(ctx, doomed.Member))
	require.NoError(t, s.CreateToken(ctx, doomed.Token))
}

func requireWorldGone(t *testing.T, s store.Store, w world) {
	t.Helper()
	ctx := t.Context()
	tid := w.Tenant.ID
	for _, id := range []string{w.Member.ID, w.Guest.ID} {
		_, err := s.GetUser(ctx, tid, id)
		require.ErrorIs(t, err, store.ErrNotFound)
	}
	_, err := s.GetUserByIdentity(ctx, tid, w.Guest.Identities[0].Issuer, w.Guest.Identities[0].IssuerAssignedID)
	require.ErrorIs(t, err, store.ErrNotFound)
	_, err = s.GetGroup(ctx, tid, w.Group.ID)
	require.ErrorIs(t, err, store.ErrNotFound)
	_, err = s.GetApplication(ctx, tid, w.App.ID)
	require.ErrorIs(t, err, store.ErrNotFound)
	requireEmpty(t, func() (any, error) { return s.ListGroupMembers(ctx, tid, w.Group.ID) })
	requireEmpty(t, func() (any, error) { return s.ListGroupOwners(ctx, tid, w.Group.ID) })
	requireEmpty(t, func() (any, error) { return s.ListClientSecrets(ctx, tid, w.App.ID) })
	requireEmpty(t, func() (any, error) { return s.ListApplicationOwners(ctx, tid, w.App.ID) })
	requireEmpty(t, func() (any, error) { return s.ListAssignments(ctx, tid, w.App.ID) })
	requireEmpty(t, func() (any, error) { return s.ListUserRoles(ctx, tid, w.Member.ID) })
	requireEmpty(t, func() (any, error) { return s.ListSigningKeys(ctx, tid) })
	requireEmpty(t, func() (any, error) { return s.ListUsers(ctx, tid, store.UserFilter{}) })
	_, err = s.ConsumeToken(ctx, tid, w.Token.Kind, w.Token.Hash, at(time.Minute))
	require.ErrorIs(t, err, store.ErrNotFound)
	requireOIDCStateGone(t, s, w)
}

// requireWorldIntact checks w's rows are all there. It ends by consuming
// w's token, so it comes last in a test.
func requireWorldIntact(t *testing.T, s store.Store, w world) {
	t.Helper()
	ctx := t.Context()
	tid := w.Tenant.ID
	users, err := s.ListUsers(ctx, tid, store.UserFilter{})
	require.NoError(t, err)
	require.ElementsMatch(t, []store.User{w.Member, w.Guest}, users)
	members, err := s.ListGroupMembers(ctx, tid, w.Group.ID)
	require.NoError(t, err)
	require.Equal(t, []store.User{w.Guest}, members)
	secrets, err := s.ListClientSecrets(ctx, tid, w.App.ID)
	require.NoError(t, err)
	require.Equal(t, []store.ClientSecret{w.Secret}, secrets)
	assigned, err := s.IsAssigned(ctx, tid, w.App.ID, w.Guest.ID)
	require.NoError(t, err)
	require.True(t, assigned)
	roles, err := s.ListUserRoles(ctx, tid, w.Member.ID)
	require.NoError(t, err)
	require.Equal(t, []string{w.Role}, roles)
	keys, err := s.ListSigningKeys(ctx, tid)
	require.NoError(t, err)
	require.Equal(t, []store.SigningKey{w.NextKey, w.ActiveKey}, keys)
	requireOIDCStateIntact(t, s, w)
	_, err = s.ConsumeToken(ctx, tid, w.Token.Kind, w.Token.Hash, at(time.Minute))
	require.NoError(t, err)
}

// requireEmpty checks that a list call succeeds with no elements.
func requireEmpty(t *testing.T, list func() (any, error)) {
	t.Helper()
	got, err := list()
	require.NoError(t, err)
	require.Empty(t, got)
}
