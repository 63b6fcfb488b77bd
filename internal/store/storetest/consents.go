package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/internal/store"
)

func consentCases() []testCase {
	return []testCase{
		{"SaveGet", consentSaveGet},
		{"GetUnknown", consentGetUnknown},
		{"SaveReplaces", consentSaveReplaces},
		{"SaveUnknownUserOrClient", consentSaveUnknown},
		{"Delete", consentDelete},
		{"VanishWithUserOrApplication", consentVanishWithUserOrApp},
	}
}

func requireConsent(t *testing.T, s store.Store, want store.Consent) {
	t.Helper()
	got, err := s.GetConsent(t.Context(), want.TenantID, want.UserID, want.ClientID)
	require.NoError(t, err)
	require.Equal(t, want, got)
}

func requireNoConsent(t *testing.T, s store.Store, tenantID, userID, clientID string) {
	t.Helper()
	_, err := s.GetConsent(t.Context(), tenantID, userID, clientID)
	require.ErrorIs(t, err, store.ErrNotFound)
}

func consentSaveGet(t *testing.T, s store.Store) {
	c := newClient(t, s)
	crm := createApplication(t, s, applicationFixture(c.tenantID, "crm"))
	wiki := saveConsent(t, s, consentFixture(c.tenantID, c.user.ID, c.app.ClientID))
	bare := consentFixture(c.tenantID, c.user.ID, crm.ClientID)
	bare.Scopes = nil
	saveConsent(t, s, bare)

	requireConsent(t, s, wiki)
	requireConsent(t, s, bare)
}

func consentGetUnknown(t *testing.T, s store.Store) {
	c := newClient(t, s)
	crm := createApplication(t, s, applicationFixture(c.tenantID, "crm"))
	bo := createUser(t, s, guestFixture(c.tenantID, "bo"))
	saveConsent(t, s, consentFixture(c.tenantID, c.user.ID, c.app.ClientID))

	requireNoConsent(t, s, c.tenantID, c.user.ID, crm.ClientID)
	requireNoConsent(t, s, c.tenantID, bo.ID, c.app.ClientID)
}

func consentSaveReplaces(t *testing.T, s store.Store) {
	c := newClient(t, s)
	first := saveConsent(t, s, consentFixture(c.tenantID, c.user.ID, c.app.ClientID))

	wider := first
	wider.Scopes = []string{"openid", "profile", "email", "offline_access"}
	wider.CreatedAt, wider.UpdatedAt = at(time.Hour), at(time.Hour)
	saveConsent(t, s, wider)
	wider.CreatedAt = first.CreatedAt
	requireConsent(t, s, wider)
}

func consentSaveUnknown(t *testing.T, s store.Store) {
	ctx := t.Context()
	c := newClient(t, s)
	cases := map[string]store.Consent{
		"unknown user":   consentFixture(c.tenantID, newID(), c.app.ClientID),
		"unknown client": consentFixture(c.tenantID, c.user.ID, "nobody-client"),
		"unknown tenant": consentFixture(newID(), c.user.ID, c.app.ClientID),
	}
	for name, consent := range cases {
		require.ErrorIs(t, s.SaveConsent(ctx, consent), store.ErrNotFound, name)
	}
}

func consentDelete(t *testing.T, s store.Store) {
	ctx := t.Context()
	c := newClient(t, s)
	crm := createApplication(t, s, applicationFixture(c.tenantID, "crm"))
	gone := saveConsent(t, s, consentFixture(c.tenantID, c.user.ID, c.app.ClientID))
	kept := saveConsent(t, s, consentFixture(c.tenantID, c.user.ID, crm.ClientID))

	require.NoError(t, s.DeleteConsent(ctx, c.tenantID, gone.UserID, gone.ClientID))
	requireNoConsent(t, s, c.tenantID, gone.UserID, gone.ClientID)
	require.ErrorIs(t, s.DeleteConsent(ctx, c.tenantID, gone.UserID, gone.ClientID), store.ErrNotFound)
	requireConsent(t, s, kept)
}

func consentVanishWithUserOrApp(t *testing.T, s store.Store) {
	ctx := t.Context()
	c := newClient(t, s)
	bo := createUser(t, s, guestFixture(c.tenantID, "bo"))
	ofUser := saveConsent(t, s, consentFixture(c.tenantID, c.user.ID, c.app.ClientID))
	ofApp := saveConsent(t, s, consentFixture(c.tenantID, bo.ID, c.app.ClientID))

	require.NoError(t, s.DeleteUser(ctx, c.tenantID, c.user.ID))
	requireNoConsent(t, s, c.tenantID, ofUser.UserID, ofUser.ClientID)
	requireConsent(t, s, ofApp)

	require.NoError(t, s.DeleteApplication(ctx, c.tenantID, c.app.ID))
	requireNoConsent(t, s, c.tenantID, ofApp.UserID, ofApp.ClientID)
	// An application made again under the same client id inherits no consent.
	createApplication(t, s, applicationFixture(c.tenantID, "wiki"))
	requireNoConsent(t, s, c.tenantID, ofApp.UserID, ofApp.ClientID)
}
