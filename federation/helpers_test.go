package federation_test

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/federation"
	"github.com/foyer-idp/foyer/federation/fedtest"
	"github.com/foyer-idp/foyer/internal/store"
	"github.com/foyer-idp/foyer/internal/testclock"
)

var updated = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func newRegistry(t *testing.T, edit ...func(*federation.RegistryConfig)) *federation.Registry {
	t.Helper()
	cfg := federation.RegistryConfig{AllowPrivateNetworks: true, Now: testclock.New(time.Now()).Now}
	for _, e := range edit {
		e(&cfg)
	}
	r, err := federation.NewRegistry(cfg)
	require.NoError(t, err)
	return r
}

func oidcProvider(f *fedtest.OIDC) store.IdentityProvider {
	return store.IdentityProvider{
		TenantID:  "contoso",
		ID:        "partner-oidc",
		Type:      store.IdPOpenIDConnect,
		Issuer:    f.Issuer,
		ClientID:  f.ClientID,
		Enabled:   true,
		UpdatedAt: updated,
	}
}

func random(t *testing.T) string {
	t.Helper()
	b := make([]byte, 24)
	_, err := rand.Read(b)
	require.NoError(t, err)
	return base64.RawURLEncoding.EncodeToString(b)
}

// trip is one browser round trip's secrets, as the sign-in pages keep
// them.
type trip struct {
	state, nonce, verifier string
}

func newTrip(t *testing.T) trip {
	return trip{state: random(t), nonce: random(t), verifier: random(t) + random(t)}
}

func (tr trip) challenge() string {
	sum := sha256.Sum256([]byte(tr.verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// authorize sends the browser to the upstream and answers the callback
// query, after checking the state came back.
func authorize(t *testing.T, c federation.Connector, tr trip) url.Values {
	t.Helper()
	authURL, err := c.AuthURL(t.Context(), federation.AuthRequest{State: tr.state, Nonce: tr.nonce, CodeChallenge: tr.challenge()})
	require.NoError(t, err)
	q := fedtest.Callback(t, authURL)
	require.Equal(t, tr.state, q.Get("state"), "state comes back unchanged")
	return q
}

// signIn runs a whole sign-in and answers what Exchange answered.
func signIn(t *testing.T, c federation.Connector) (federation.Identity, error) {
	t.Helper()
	tr := newTrip(t)
	q := authorize(t, c, tr)
	if err := federation.CallbackError(q); err != nil {
		return federation.Identity{}, err
	}
	require.NotEmpty(t, q.Get("code"))
	return c.Exchange(t.Context(), q.Get("code"), tr.verifier, tr.nonce)
}

// requireRefused checks err is an *UpstreamError with the reason.
func requireRefused(t *testing.T, err error, reason string) {
	t.Helper()
	require.Error(t, err)
	var ue *federation.UpstreamError
	require.True(t, errors.As(err, &ue), "want *UpstreamError, got %T: %v", err, err)
	require.True(t, errors.Is(err, federation.ErrUpstream))
	require.Equal(t, reason, ue.Reason, "full error: %v", err)
	require.False(t, strings.Contains(ue.Reason, "eyJ"), "reason must carry no token")
}
