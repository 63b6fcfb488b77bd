package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/internal/store"
)

func purgeCases() []testCase {
	return []testCase{
		{"RemovesOnlyExpired", purgeRemovesOnlyExpired},
		{"NothingExpired", purgeNothingExpired},
	}
}

// purgeRemovesOnlyExpired puts one row expiring before the purge time, one
// expiring exactly at it and one after it in every table, in two tenants.
// Gone rows are checked with a clock from before their expiry, so only
// deletion can make them miss.
func purgeRemovesOnlyExpired(t *testing.T, s store.Store) {
	ctx := t.Context()
	const purgeAt = 24 * time.Hour
	var gone, kept []func(t *testing.T, clock time.Time) error
	for _, slug := range []string{"contoso", "fabrikam"} {
		c := newClientIn(t, s, slug)
		for _, expires := range []time.Duration{purgeAt - time.Microsecond, purgeAt, purgeAt + time.Hour} {
			checks := oneOfEach(t, s, c, at(expires))
			if expires < purgeAt {
				gone = append(gone, checks...)
			} else {
				kept = append(kept, checks...)
			}
		}
	}

	n, err := s.PurgeExpired(ctx, at(purgeAt))
	require.NoError(t, err)
	require.EqualValues(t, len(gone), n)
	for i, check := range gone {
		require.ErrorIs(t, check(t, at(0)), store.ErrNotFound, "gone %d", i)
	}
	for i, check := range kept {
		require.NoError(t, check(t, at(0)), "kept %d", i)
	}
	n, err = s.PurgeExpired(ctx, at(purgeAt))
	require.NoError(t, err)
	require.Zero(t, n, "a second purge finds nothing")
}

func purgeNothingExpired(t *testing.T, s store.Store) {
	w := populate(t, s, "contoso")
	n, err := s.PurgeExpired(t.Context(), at(time.Minute))
	require.NoError(t, err)
	require.Zero(t, n)
	requireWorldIntact(t, s, w)
}

// oneOfEach stores a row expiring at expires in every table PurgeExpired
// sweeps and answers, for each, a check that it is still there (nil) at a
// clock before its expiry.
func oneOfEach(t *testing.T, s store.Store, c client, expires time.Time) []func(t *testing.T, clock time.Time) error {
	t.Helper()
	ctx := t.Context()
	tid := c.tenantID

	ar := authRequestFixture(tid, c.app.ClientID)
	ar.ExpiresAt = expires
	createAuthRequest(t, s, ar)
	ss := sessionFixture(tid, c.user.ID)
	ss.ExpiresAt = expires
	createSession(t, s, ss)
	rt := c.refreshToken()
	rt.ExpiresAt = expires
	createRefreshToken(t, s, rt)
	tok := clientCredentialsFixture(tid, c.app.ClientID)
	tok.ExpiresAt = expires
	createAccessToken(t, s, tok)
	key := "counter:" + newID()
	_, err := s.IncrementCounter(ctx, tid, key, expires, at(0))
	require.NoError(t, err)
	single := tokenFixture(tid, "passcode")
	single.ExpiresAt = expires
	createToken(t, s, single)
	login := federationLoginFixture(tid, newID())
	login.ExpiresAt = expires
	createFederationLogin(t, s, login)
	device := deviceFixture(tid, c.app.ClientID)
	device.ExpiresAt = expires
	createDevice(t, s, device)

	return []func(t *testing.T, clock time.Time) error{
		func(t *testing.T, clock time.Time) error {
			_, err := s.GetAuthRequest(t.Context(), tid, ar.ID, clock)
			return err
		},
		func(t *testing.T, clock time.Time) error {
			_, err := s.GetSession(t.Context(), tid, ss.ID, clock)
			return err
		},
		func(t *testing.T, _ time.Time) error {
			_, err := s.GetRefreshToken(t.Context(), tid, rt.Hash)
			return err
		},
		func(t *testing.T, _ time.Time) error {
			_, err := s.GetAccessToken(t.Context(), tid, tok.ID)
			return err
		},
		func(t *testing.T, clock time.Time) error {
			n, err := s.GetCounter(t.Context(), tid, key, clock)
			if err == nil && n == 0 {
				return store.ErrNotFound
			}
			return err
		},
		func(t *testing.T, clock time.Time) error {
			// Consuming is the only read of a single-use token; a kept
			// one is spent by the check, which runs once.
			_, err := s.ConsumeToken(t.Context(), tid, single.Kind, single.Hash, clock)
			return err
		},
		func(t *testing.T, clock time.Time) error {
			_, err := s.ConsumeFederationLogin(t.Context(), tid, login.StateHash, clock)
			return err
		},
		func(t *testing.T, _ time.Time) error {
			_, err := s.GetDeviceAuthorizationByDeviceCode(t.Context(), tid, device.DeviceCodeHash)
			return err
		},
	}
}
