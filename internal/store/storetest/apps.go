package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/internal/store"
)

func applicationCases() []testCase {
	return []testCase{
		{"CreateGetList", applicationCreateGetList},
		{"CreateConflicts", applicationCreateConflicts},
		{"Update", applicationUpdate},
		{"UnknownIsNotFound", applicationUnknown},
		{"Delete", applicationDelete},
		{"ClientSecrets", applicationClientSecrets},
		{"Owners", linkTest(applicationOwnersLink())},
		{"OwnedApplications", applicationOwnedBy},
	}
}

func applicationOwnedBy(t *testing.T, s store.Store) {
	ctx := t.Context()
	tid := createTenant(t, s, "contoso").ID
	alex := createUser(t, s, memberFixture(tid, "alex"))
	sam := createUser(t, s, memberFixture(tid, "sam"))
	wiki := createApplication(t, s, applicationFixture(tid, "wiki"))
	later := applicationFixture(tid, "crm")
	later.CreatedAt = at(time.Minute)
	crm := createApplication(t, s, later)
	createApplication(t, s, applicationFixture(tid, "mail"))
	require.NoError(t, s.AddApplicationOwner(ctx, tid, crm.ID, alex.ID))
	require.NoError(t, s.AddApplicationOwner(ctx, tid, wiki.ID, alex.ID))

	apps, err := s.ListOwnedApplications(ctx, tid, alex.ID)
	require.NoError(t, err)
	require.Equal(t, []store.Application{wiki, crm}, apps, "oldest first, only the owned")
	requireEmpty(t, func() (any, error) { return s.ListOwnedApplications(ctx, tid, sam.ID) })
	other := createTenant(t, s, "fabrikam").ID
	requireEmpty(t, func() (any, error) { return s.ListOwnedApplications(ctx, other, alex.ID) })
	require.NoError(t, s.DeleteApplication(ctx, tid, wiki.ID))
	apps, err = s.ListOwnedApplications(ctx, tid, alex.ID)
	require.NoError(t, err)
	require.Equal(t, []store.Application{crm}, apps)
}

func applicationCreateGetList(t *testing.T, s store.Store) {
	ctx := t.Context()
	tid := createTenant(t, s, "contoso").ID
	wiki := createApplication(t, s, applicationFixture(tid, "wiki"))
	// Nil lists stay nil and empty ones empty.
	spa := applicationFixture(tid, "spa")
	spa.ClientType = store.ClientPublic
	spa.PostLogoutRedirectURIs = nil
	spa.APIPermissions = []string{}
	spa.AssignmentRequired = false
	spa.FirstParty = true
	spa.RequiresMFA = false
	spa.CreatedAt = at(time.Minute)
	spa = createApplication(t, s, spa)

	got, err := s.GetApplication(ctx, tid, spa.ID)
	require.NoError(t, err)
	require.Equal(t, spa, got)

	got, err = s.GetApplicationByClientID(ctx, tid, wiki.ClientID)
	require.NoError(t, err)
	require.Equal(t, wiki, got)

	list, err := s.ListApplications(ctx, tid)
	require.NoError(t, err)
	require.Equal(t, []store.Application{wiki, spa}, list)
}

func applicationCreateConflicts(t *testing.T, s store.Store) {
	ctx := t.Context()
	contoso := createTenant(t, s, "contoso").ID
	fabrikam := createTenant(t, s, "fabrikam").ID
	wiki := createApplication(t, s, applicationFixture(contoso, "wiki"))

	sameClientID := applicationFixture(contoso, "other")
	sameClientID.ClientID = wiki.ClientID
	require.ErrorIs(t, s.CreateApplication(ctx, sameClientID), store.ErrConflict)

	sameID := applicationFixture(contoso, "other")
	sameID.ID = wiki.ID
	require.ErrorIs(t, s.CreateApplication(ctx, sameID), store.ErrConflict)

	require.ErrorIs(t, s.CreateApplication(ctx, applicationFixture(newID(), "orphan")), store.ErrNotFound)

	// Client ids are unique per tenant, not across tenants.
	createApplication(t, s, applicationFixture(fabrikam, "wiki"))
}

func applicationUpdate(t *testing.T, s store.Store) {
	ctx := t.Context()
	tid := createTenant(t, s, "contoso").ID
	wiki := createApplication(t, s, applicationFixture(tid, "wiki"))

	changed := wiki
	changed.ClientID = "wiki-v2"
	changed.DisplayName = "Wiki 2"
	changed.ClientType = store.ClientNative
	changed.RedirectURIs = []string{"http://127.0.0.1/callback"}
	changed.PostLogoutRedirectURIs = []string{}
	changed.GrantTypes = nil
	changed.HomePageURL = ""
	changed.FirstParty = true
	changed.AssignmentRequired = false
	changed.RequiresMFA = false
	changed.AccessTokenFormat = "opaque"
	changed.APIPermissions = []string{"User.Read.All", "AuditLog.Read.All"}
	changed.UpdatedAt = at(time.Hour)
	changed.CreatedAt = at(time.Hour) // not mutable
	require.NoError(t, s.UpdateApplication(ctx, changed))

	want := changed
	want.CreatedAt = wiki.CreatedAt
	got, err := s.GetApplication(ctx, tid, wiki.ID)
	require.NoError(t, err)
	require.Equal(t, want, got)
	_, err = s.GetApplicationByClientID(ctx, tid, wiki.ClientID)
	require.ErrorIs(t, err, store.ErrNotFound, "the old client id is free")

	other := createApplication(t, s, applicationFixture(tid, "other"))
	other.ClientID = changed.ClientID
	require.ErrorIs(t, s.UpdateApplication(ctx, other), store.ErrConflict)
}

func applicationUnknown(t *testing.T, s store.Store) {
	ctx := t.Context()
	tid := createTenant(t, s, "contoso").ID
	ghost := applicationFixture(tid, "ghost")
	_, err := s.GetApplication(ctx, tid, ghost.ID)
	require.ErrorIs(t, err, store.ErrNotFound)
	_, err = s.GetApplicationByClientID(ctx, tid, ghost.ClientID)
	require.ErrorIs(t, err, store.ErrNotFound)
	require.ErrorIs(t, s.UpdateApplication(ctx, ghost), store.ErrNotFound)
	require.ErrorIs(t, s.DeleteApplication(ctx, tid, ghost.ID), store.ErrNotFound)
}

func applicationDelete(t *testing.T, s store.Store) {
	ctx := t.Context()
	w := populate(t, s, "contoso")
	tid := w.Tenant.ID

	require.NoError(t, s.DeleteApplication(ctx, tid, w.App.ID))
	_, err := s.GetApplication(ctx, tid, w.App.ID)
	require.ErrorIs(t, err, store.ErrNotFound)
	requireEmpty(t, func() (any, error) { return s.ListClientSecrets(ctx, tid, w.App.ID) })
	requireEmpty(t, func() (any, error) { return s.ListAssignments(ctx, tid, w.App.ID) })
	requireEmpty(t, func() (any, error) { return s.ListApplicationOwners(ctx, tid, w.App.ID) })
	requireEmpty(t, func() (any, error) { return s.ListApplications(ctx, tid) })
	// Users and groups it pointed at stay.
	_, err = s.GetUser(ctx, tid, w.Member.ID)
	require.NoError(t, err)
	_, err = s.GetGroup(ctx, tid, w.Group.ID)
	require.NoError(t, err)
}

func applicationClientSecrets(t *testing.T, s store.Store) {
	ctx := t.Context()
	tid := createTenant(t, s, "contoso").ID
	wiki := createApplication(t, s, applicationFixture(tid, "wiki"))
	older := clientSecretFixture(wiki, 0)
	newer := clientSecretFixture(wiki, time.Hour)
	newer.ExpiresAt = nil
	newer.DisplayName = "CI pipeline, rolled over in March"
	require.NoError(t, s.AddClientSecret(ctx, older))
	require.NoError(t, s.AddClientSecret(ctx, newer))

	secrets, err := s.ListClientSecrets(ctx, tid, wiki.ID)
	require.NoError(t, err)
	require.Equal(t, []store.ClientSecret{newer, older}, secrets, "newest first, hashes included")

	require.ErrorIs(t, s.AddClientSecret(ctx, older), store.ErrConflict)
	orphan := clientSecretFixture(applicationFixture(tid, "ghost"), 0)
	require.ErrorIs(t, s.AddClientSecret(ctx, orphan), store.ErrNotFound)

	require.NoError(t, s.DeleteClientSecret(ctx, tid, wiki.ID, older.ID))
	require.ErrorIs(t, s.DeleteClientSecret(ctx, tid, wiki.ID, older.ID), store.ErrNotFound)
	secrets, err = s.ListClientSecrets(ctx, tid, wiki.ID)
	require.NoError(t, err)
	require.Equal(t, []store.ClientSecret{newer}, secrets)
}
