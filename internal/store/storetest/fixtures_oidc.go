package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/internal/store"
)

// Fixtures of the OpenID provider's records. Each is live at baseTime and
// expires after it: auth requests in 10 minutes, sessions in 8 hours,
// access tokens in an hour, refresh token families in 30 days.

// authRequestFixture answers a fresh login transaction: every request field
// set, no progress yet.
func authRequestFixture(tenantID, clientID string) store.AuthRequest {
	return store.AuthRequest{
		TenantID:            tenantID,
		ID:                  newID(),
		ClientID:            clientID,
		RedirectURI:         "https://wiki.example/callback",
		Scopes:              []string{"openid", "profile", "email", "offline_access"},
		State:               "af0ifjsldkj",
		Nonce:               "n-0S6_WzA2Mj",
		ResponseType:        "code",
		ResponseMode:        "query",
		CodeChallenge:       "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
		CodeChallengeMethod: "S256",
		Prompt:              []string{"login", "consent"},
		MaxAge:              ptr(int64(3600)),
		LoginHint:           "alex@contoso.example",
		UILocales:           []string{"en-GB", "fr"},
		ACRValues:           []string{"urn:foyer:mfa"},
		IDTokenHintSubject:  newID(),
		CreatedAt:           at(0),
		ExpiresAt:           at(10 * time.Minute),
	}
}

func createAuthRequest(t *testing.T, s store.Store, r store.AuthRequest) store.AuthRequest {
	t.Helper()
	require.NoError(t, s.CreateAuthRequest(t.Context(), r))
	return r
}

func sessionFixture(tenantID, userID string) store.Session {
	return store.Session{
		TenantID:   tenantID,
		ID:         "sha256:" + newID(),
		UserID:     userID,
		AuthTime:   at(0),
		AMR:        []string{"pwd", "otp"},
		CreatedAt:  at(0),
		LastSeenAt: at(time.Minute),
		ExpiresAt:  at(8 * time.Hour),
	}
}

func createSession(t *testing.T, s store.Store, ss store.Session) store.Session {
	t.Helper()
	require.NoError(t, s.CreateSession(t.Context(), ss))
	return ss
}

// refreshTokenFixture answers the first token of a new family and grant.
func refreshTokenFixture(tenantID, userID, clientID string) store.RefreshToken {
	return store.RefreshToken{
		TenantID:  tenantID,
		ID:        newID(),
		Hash:      "sha256:" + newID(),
		FamilyID:  newID(),
		GrantID:   newID(),
		ClientID:  clientID,
		UserID:    userID,
		Scopes:    []string{"openid", "offline_access"},
		Audience:  []string{clientID},
		AuthTime:  at(0),
		AMR:       []string{"pwd"},
		ExpiresAt: at(30 * 24 * time.Hour),
		CreatedAt: at(0),
	}
}

func createRefreshToken(t *testing.T, s store.Store, rt store.RefreshToken) store.RefreshToken {
	t.Helper()
	require.NoError(t, s.CreateRefreshToken(t.Context(), rt))
	return rt
}

// successor answers the token a rotation of prev would store, made at
// 'made': same family, grant and grant data, new id and hash.
func successor(prev store.RefreshToken, made time.Duration) store.RefreshToken {
	next := prev
	next.ID = newID()
	next.Hash = "sha256:" + newID()
	next.CreatedAt = at(made)
	next.UsedAt, next.RevokedAt = nil, nil
	return next
}

// accessTokenFixture answers a user's access token issued with rt.
func accessTokenFixture(rt store.RefreshToken) store.AccessToken {
	return store.AccessToken{
		TenantID:  rt.TenantID,
		ID:        newID(),
		ClientID:  rt.ClientID,
		Subject:   rt.UserID,
		Scopes:    rt.Scopes,
		Audience:  []string{"https://api.wiki.example"},
		FamilyID:  rt.FamilyID,
		GrantID:   rt.GrantID,
		AuthTime:  ptr(rt.AuthTime),
		AMR:       rt.AMR,
		CreatedAt: at(0),
		ExpiresAt: at(time.Hour),
	}
}

// clientCredentialsFixture answers an access token whose subject is the
// client itself: no user, family, grant or authentication.
func clientCredentialsFixture(tenantID, clientID string) store.AccessToken {
	return store.AccessToken{
		TenantID:  tenantID,
		ID:        newID(),
		ClientID:  clientID,
		Subject:   clientID,
		Scopes:    []string{"User.Read.All"},
		Audience:  []string{"https://graph.foyer.example"},
		CreatedAt: at(0),
		ExpiresAt: at(time.Hour),
	}
}

func createAccessToken(t *testing.T, s store.Store, tok store.AccessToken) store.AccessToken {
	t.Helper()
	require.NoError(t, s.CreateAccessToken(t.Context(), tok))
	return tok
}

func consentFixture(tenantID, userID, clientID string) store.Consent {
	return store.Consent{
		TenantID:  tenantID,
		UserID:    userID,
		ClientID:  clientID,
		Scopes:    []string{"openid", "profile", "email"},
		CreatedAt: at(0),
		UpdatedAt: at(0),
	}
}

func saveConsent(t *testing.T, s store.Store, c store.Consent) store.Consent {
	t.Helper()
	require.NoError(t, s.SaveConsent(t.Context(), c))
	return c
}

// increment adds one to a counter expiring at expires, at now, and answers
// the new value.
func increment(t *testing.T, s store.Store, tenantID, key string, expires, now time.Duration) int64 {
	t.Helper()
	n, err := s.IncrementCounter(t.Context(), tenantID, key, at(expires), at(now))
	require.NoError(t, err)
	return n
}

// requireCounter checks the counter's live value at now.
func requireCounter(t *testing.T, s store.Store, tenantID, key string, now time.Duration, want int64) {
	t.Helper()
	n, err := s.GetCounter(t.Context(), tenantID, key, at(now))
	require.NoError(t, err)
	require.Equal(t, want, n)
}

// requireOIDCStateIntact checks w's OpenID provider rows are as populate
// made them.
func requireOIDCStateIntact(t *testing.T, s store.Store, w world) {
	t.Helper()
	ctx := t.Context()
	tid := w.Tenant.ID
	ar, err := s.GetAuthRequest(ctx, tid, w.AuthRequest.ID, at(time.Minute))
	require.NoError(t, err)
	require.Equal(t, w.AuthRequest, ar)
	ss, err := s.GetSession(ctx, tid, w.Session.ID, at(time.Minute))
	require.NoError(t, err)
	require.Equal(t, w.Session, ss)
	rt, err := s.GetRefreshToken(ctx, tid, w.Refresh.Hash)
	require.NoError(t, err)
	require.Equal(t, w.Refresh, rt)
	tok, err := s.GetAccessToken(ctx, tid, w.Access.ID)
	require.NoError(t, err)
	require.Equal(t, w.Access, tok)
	c, err := s.GetConsent(ctx, tid, w.Consent.UserID, w.Consent.ClientID)
	require.NoError(t, err)
	require.Equal(t, w.Consent, c)
	requireCounter(t, s, tid, w.CounterKey, time.Minute, 1)
}

// requireOIDCStateGone checks none of w's OpenID provider rows is left.
func requireOIDCStateGone(t *testing.T, s store.Store, w world) {
	t.Helper()
	ctx := t.Context()
	tid := w.Tenant.ID
	_, err := s.GetAuthRequest(ctx, tid, w.AuthRequest.ID, at(time.Minute))
	require.ErrorIs(t, err, store.ErrNotFound)
	_, err = s.GetSession(ctx, tid, w.Session.ID, at(time.Minute))
	require.ErrorIs(t, err, store.ErrNotFound)
	_, err = s.GetRefreshToken(ctx, tid, w.Refresh.Hash)
	require.ErrorIs(t, err, store.ErrNotFound)
	_, err = s.GetAccessToken(ctx, tid, w.Access.ID)
	require.ErrorIs(t, err, store.ErrNotFound)
	_, err = s.GetConsent(ctx, tid, w.Consent.UserID, w.Consent.ClientID)
	require.ErrorIs(t, err, store.ErrNotFound)
	require.ErrorIs(t, s.DeleteCounter(ctx, tid, w.CounterKey), store.ErrNotFound)
}
