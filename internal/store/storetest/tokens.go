package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/internal/store"
)

func tokenCases() []testCase {
	return []testCase{
		{"ConsumeOnce", tokenConsumeOnce},
		{"ConsumeUnknown", tokenConsumeUnknown},
		{"ConsumeExpired", tokenConsumeExpired},
		{"CreateConflicts", tokenCreateConflicts},
		{"EmptyPayload", tokenEmptyPayload},
		{"DeleteExpired", tokenDeleteExpired},
	}
}

func tokenConsumeOnce(t *testing.T, s store.Store) {
	ctx := t.Context()
	tid := createTenant(t, s, "contoso").ID
	tok := createToken(t, s, tokenFixture(tid, "auth_code"))

	got, err := s.ConsumeToken(ctx, tid, tok.Kind, tok.Hash, at(time.Minute))
	require.NoError(t, err)
	want := tok
	want.ConsumedAt = ptr(at(time.Minute))
	require.Equal(t, want, got)

	again, err := s.ConsumeToken(ctx, tid, tok.Kind, tok.Hash, at(2*time.Minute))
	require.ErrorIs(t, err, store.ErrAlreadyUsed)
	require.Equal(t, want, again, "a used token is answered with ErrAlreadyUsed, first use kept")
}

func tokenConsumeUnknown(t *testing.T, s store.Store) {
	ctx := t.Context()
	tid := createTenant(t, s, "contoso").ID
	tok := createToken(t, s, tokenFixture(tid, "auth_code"))

	cases := map[string]struct{ tenant, kind, hash string }{
		"unknown hash":   {tid, tok.Kind, "sha256:unknown"},
		"other kind":     {tid, "passcode", tok.Hash},
		"unknown tenant": {newID(), tok.Kind, tok.Hash},
	}
	for name, c := range cases {
		_, err := s.ConsumeToken(ctx, c.tenant, c.kind, c.hash, at(time.Minute))
		require.ErrorIs(t, err, store.ErrNotFound, name)
	}
	_, err := s.ConsumeToken(ctx, tid, tok.Kind, tok.Hash, at(time.Minute))
	require.NoError(t, err, "the misses did not touch it")
}

func tokenConsumeExpired(t *testing.T, s store.Store) {
	ctx := t.Context()
	tid := createTenant(t, s, "contoso").ID
	tok := createToken(t, s, tokenFixture(tid, "passcode"))

	_, err := s.ConsumeToken(ctx, tid, tok.Kind, tok.Hash, tok.ExpiresAt)
	require.ErrorIs(t, err, store.ErrExpired, "at ExpiresAt")
	_, err = s.ConsumeToken(ctx, tid, tok.Kind, tok.Hash, tok.ExpiresAt.Add(time.Hour))
	require.ErrorIs(t, err, store.ErrExpired, "after ExpiresAt")

	used := createToken(t, s, tokenFixture(tid, "passcode"))
	_, err = s.ConsumeToken(ctx, tid, used.Kind, used.Hash, at(time.Minute))
	require.NoError(t, err)
	_, err = s.ConsumeToken(ctx, tid, used.Kind, used.Hash, used.ExpiresAt.Add(time.Hour))
	require.ErrorIs(t, err, store.ErrAlreadyUsed, "used, then expired")
}

func tokenCreateConflicts(t *testing.T, s store.Store) {
	ctx := t.Context()
	tid := createTenant(t, s, "contoso").ID
	tok := createToken(t, s, tokenFixture(tid, "auth_code"))

	require.ErrorIs(t, s.CreateToken(ctx, tok), store.ErrConflict)
	otherKind := tok
	otherKind.Kind = "invitation"
	require.NoError(t, s.CreateToken(ctx, otherKind), "the key is (tenant, kind, hash)")
	require.ErrorIs(t, s.CreateToken(ctx, tokenFixture(newID(), "auth_code")), store.ErrNotFound)
}

func tokenEmptyPayload(t *testing.T, s store.Store) {
	tid := createTenant(t, s, "contoso").ID
	tok := tokenFixture(tid, "invitation")
	tok.Payload = nil
	tok.SubjectID = ""
	createToken(t, s, tok)

	got, err := s.ConsumeToken(t.Context(), tid, tok.Kind, tok.Hash, at(time.Minute))
	require.NoError(t, err)
	tok.ConsumedAt = ptr(at(time.Minute))
	require.Equal(t, tok, got)
}

func tokenDeleteExpired(t *testing.T, s store.Store) {
	ctx := t.Context()
	contoso := createTenant(t, s, "contoso").ID
	fabrikam := createTenant(t, s, "fabrikam").ID
	expiring := func(tenantID string, d time.Duration) store.Token {
		tok := tokenFixture(tenantID, "passcode")
		tok.ExpiresAt = at(d)
		return createToken(t, s, tok)
	}
	expiring(contoso, 5*time.Minute)
	expiring(fabrikam, 5*time.Minute)
	expiring(contoso, 10*time.Minute)
	last := expiring(fabrikam, 20*time.Minute)

	n, err := s.DeleteExpiredTokens(ctx, at(10*time.Minute))
	require.NoError(t, err)
	require.EqualValues(t, 2, n, "strictly before, every tenant")
	n, err = s.DeleteExpiredTokens(ctx, at(15*time.Minute))
	require.NoError(t, err)
	require.EqualValues(t, 1, n)

	_, err = s.ConsumeToken(ctx, fabrikam, last.Kind, last.Hash, at(12*time.Minute))
	require.NoError(t, err)
}
