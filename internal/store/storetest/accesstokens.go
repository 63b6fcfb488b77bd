package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/internal/store"
)

func accessTokenCases() []testCase {
	return []testCase{
		{"CreateGet", accessCreateGet},
		{"GetUnknown", accessGetUnknown},
		{"CreateConflicts", accessCreateConflicts},
		{"Revoke", accessRevoke},
		{"RevokeNeverStored", accessRevokeNeverStored},
		{"OutliveTheirSubject", accessOutliveSubject},
		{"RevokeID", accessRevokeID},
	}
}

func requireAccessToken(t *testing.T, s store.Store, want store.AccessToken) {
	t.Helper()
	got, err := s.GetAccessToken(t.Context(), want.TenantID, want.ID)
	require.NoError(t, err)
	require.Equal(t, want, got)
}

// requireRevoked asks TokenRevoked about ids in tenantID.
func requireRevoked(t *testing.T, s store.Store, tenantID string, want bool, ids ...string) {
	t.Helper()
	got, err := s.TokenRevoked(t.Context(), tenantID, ids...)
	require.NoError(t, err)
	require.Equal(t, want, got, "revoked %v", ids)
}

func accessCreateGet(t *testing.T, s store.Store) {
	c := newClient(t, s)
	ofUser := createAccessToken(t, s, accessTokenFixture(c.refreshToken()))
	ofClient := createAccessToken(t, s, clientCredentialsFixture(c.tenantID, c.app.ClientID))
	// Any state comes back.
	spent := accessTokenFixture(c.refreshToken())
	spent.ExpiresAt, spent.RevokedAt = at(-time.Hour), ptr(at(-2*time.Hour))
	createAccessToken(t, s, spent)

	for _, want := range []store.AccessToken{ofUser, ofClient, spent} {
		requireAccessToken(t, s, want)
	}
}

func accessGetUnknown(t *testing.T, s store.Store) {
	tid := createTenant(t, s, "contoso").ID
	_, err := s.GetAccessToken(t.Context(), tid, newID())
	require.ErrorIs(t, err, store.ErrNotFound)
}

func accessCreateConflicts(t *testing.T, s store.Store) {
	ctx := t.Context()
	c := newClient(t, s)
	tok := createAccessToken(t, s, clientCredentialsFixture(c.tenantID, c.app.ClientID))

	again := accessTokenFixture(c.refreshToken())
	again.ID = tok.ID
	require.ErrorIs(t, s.CreateAccessToken(ctx, again), store.ErrConflict)
	require.ErrorIs(t, s.CreateAccessToken(ctx, clientCredentialsFixture(newID(), c.app.ClientID)), store.ErrNotFound,
		"unknown tenant")
	requireAccessToken(t, s, tok)
}

func accessRevoke(t *testing.T, s store.Store) {
	ctx := t.Context()
	c := newClient(t, s)
	tok := createAccessToken(t, s, accessTokenFixture(c.refreshToken()))
	other := createAccessToken(t, s, accessTokenFixture(c.refreshToken()))

	require.NoError(t, s.RevokeAccessToken(ctx, tok, at(time.Minute)))
	tok.RevokedAt = ptr(at(time.Minute))
	requireAccessToken(t, s, tok)
	requireAccessToken(t, s, other)

	// Again, even with other details: only the first revocation time stays.
	changed := tok
	changed.Scopes, changed.RevokedAt = []string{"changed"}, nil
	require.NoError(t, s.RevokeAccessToken(ctx, changed, at(time.Hour)))
	requireAccessToken(t, s, tok)
}

// accessRevokeNeverStored: a JWT access token that was never stored is
// stored, revoked, so its jti is refused from then on.
func accessRevokeNeverStored(t *testing.T, s store.Store) {
	ctx := t.Context()
	c := newClient(t, s)
	jwt := clientCredentialsFixture(c.tenantID, c.app.ClientID)

	require.NoError(t, s.RevokeAccessToken(ctx, jwt, at(time.Minute)))
	jwt.RevokedAt = ptr(at(time.Minute))
	requireAccessToken(t, s, jwt)

	require.ErrorIs(t, s.RevokeAccessToken(ctx, clientCredentialsFixture(newID(), c.app.ClientID), at(time.Minute)),
		store.ErrNotFound, "unknown tenant")
}

// accessOutliveSubject: a stored access token is a revocation record; it
// stays until it expires even when its user and client are deleted.
func accessOutliveSubject(t *testing.T, s store.Store) {
	ctx := t.Context()
	c := newClient(t, s)
	tok := accessTokenFixture(c.refreshToken())
	tok.RevokedAt = ptr(at(time.Minute))
	createAccessToken(t, s, tok)

	require.NoError(t, s.DeleteUser(ctx, c.tenantID, c.user.ID))
	require.NoError(t, s.DeleteApplication(ctx, c.tenantID, c.app.ID))
	requireAccessToken(t, s, tok)
}

// accessRevokeID: a revoked jti is found alone or beside other ids, stays
// revoked when revoked again, belongs to its tenant only, and needs one.
func accessRevokeID(t *testing.T, s store.Store) {
	ctx := t.Context()
	c := newClient(t, s)
	other := newClientIn(t, s, "fabrikam")
	jti, never := newID(), newID()

	requireRevoked(t, s, c.tenantID, false, jti)
	require.NoError(t, s.RevokeTokenID(ctx, c.tenantID, jti, at(time.Minute), at(time.Hour)))
	require.NoError(t, s.RevokeTokenID(ctx, c.tenantID, jti, at(2*time.Minute), at(2*time.Hour)), "twice")
	requireRevoked(t, s, c.tenantID, true, jti)
	requireRevoked(t, s, c.tenantID, true, never, jti)
	requireRevoked(t, s, c.tenantID, false, never)
	requireRevoked(t, s, c.tenantID, false)
	requireRevoked(t, s, other.tenantID, false, jti)
	require.ErrorIs(t, s.RevokeTokenID(ctx, newID(), jti, at(time.Minute), at(time.Hour)), store.ErrNotFound,
		"unknown tenant")
}
