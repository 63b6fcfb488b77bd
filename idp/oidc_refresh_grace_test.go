package idp_test

import (
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/internal/config"
	"github.com/foyer-idp/foyer/internal/store/sqlstore/sqltest"
)

// refreshWith posts a refresh grant for rt as c.
func (c *client) refreshWith(t testing.TB, rt string) response {
	t.Helper()
	return c.token(t, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}})
}

// TestRefreshRetryWithinGrace: a client that lost the response of a
// refresh and retries with the old token within tokens.refreshReuseGrace
// gets the same refresh token back, with an equivalent access token, and
// the family lives on. Once the client used the new token, the old one
// coming back is a replay again.
func TestRefreshRetryWithinGrace(t *testing.T) {
	t.Parallel()
	runWoodgrove(t, func(t *testing.T, w woodgrove) {
		tok, _ := w.web.tokens(t, w.browser(), w.alice.Mail)
		first := w.web.refreshWith(t, tok.RefreshToken)
		require.Equal(t, http.StatusOK, first.status, first.body)

		w.clock.Advance(config.DefaultTokens().RefreshReuseGrace - time.Second)
		retry := w.web.refreshWith(t, tok.RefreshToken)
		require.Equal(t, http.StatusOK, retry.status, "a retry within the window: %s", retry.body)
		next := first.json["refresh_token"].(string)
		assert.Equal(t, next, retry.json["refresh_token"], "the same refresh token")
		access := retry.json["access_token"].(string)
		assert.NotEqual(t, first.json["access_token"], access, "a new access token")
		_, a := jwtParts(t, first.json["access_token"].(string))
		_, b := jwtParts(t, access)
		for _, claim := range []string{"sub", "aud", "scope", "client_id", "tid", "auth_time", "iss"} {
			assert.Equal(t, a[claim], b[claim], "equivalent access token: %s", claim)
		}
		assert.Equal(t, first.json["scope"], retry.json["scope"])
		assert.NotEmpty(t, retry.json["id_token"])
		for _, tk := range []string{first.json["access_token"].(string), access, next} {
			assert.Equal(t, true, w.web.introspect(t, tk)["active"], "the family lives on")
		}

		// The client moves on with the new token ...
		third := w.web.refreshWith(t, next)
		require.Equal(t, http.StatusOK, third.status, third.body)
		// ... so the first token back, even within the window, is a replay.
		requireOAuthError(t, w.web.refreshWith(t, tok.RefreshToken), http.StatusBadRequest, "invalid_grant")
		assert.Equal(t, false, w.web.introspect(t, third.json["refresh_token"].(string))["active"], "the family is revoked")
		assert.Equal(t, false, w.web.introspect(t, access)["active"], "so is the access token of the retry")
	})
}

// TestRefreshReplayOutsideGrace: a replay after the window, or by another
// client within it, revokes the family.
func TestRefreshReplayOutsideGrace(t *testing.T) {
	t.Parallel()
	runWoodgrove(t, func(t *testing.T, w woodgrove) {
		grace := config.DefaultTokens().RefreshReuseGrace
		t.Run("after the window", func(t *testing.T) {
			tok, _ := w.web.tokens(t, w.browser(), w.alice.Mail)
			first := w.web.refreshWith(t, tok.RefreshToken)
			require.Equal(t, http.StatusOK, first.status, first.body)
			w.clock.Advance(grace + time.Second)
			requireOAuthError(t, w.web.refreshWith(t, tok.RefreshToken), http.StatusBadRequest, "invalid_grant")
			assert.Equal(t, false, w.web.introspect(t, first.json["refresh_token"].(string))["active"])
		})
		t.Run("another client within the window", func(t *testing.T) {
			other := w.app(t, w.tn, "other-app")
			tok, _ := w.web.tokens(t, w.browser(), w.alice.Mail)
			first := w.web.refreshWith(t, tok.RefreshToken)
			require.Equal(t, http.StatusOK, first.status, first.body)
			r := other.refreshWith(t, tok.RefreshToken)
			requireOAuthError(t, r, http.StatusBadRequest, "invalid_grant")
			assert.NotContains(t, r.body, first.json["refresh_token"])
			assert.Equal(t, false, w.web.introspect(t, first.json["refresh_token"].(string))["active"])
			assert.Equal(t, false, w.web.introspect(t, first.json["access_token"].(string))["active"])
		})
	})
}

// TestRefreshGraceOff: tokens.refreshReuseGrace 0 revokes the family on
// any second use, at once.
func TestRefreshGraceOff(t *testing.T) {
	t.Parallel()
	sqltest.Run(t, func(t *testing.T, b sqltest.Backend) {
		w := newWoodgrove(t, newEnv(t, b, func(o *envOptions) {
			o.tokens = func(c *config.Tokens) { c.RefreshReuseGrace = 0 }
		}))
		tok, _ := w.web.tokens(t, w.browser(), w.alice.Mail)
		first := w.web.refreshWith(t, tok.RefreshToken)
		require.Equal(t, http.StatusOK, first.status, first.body)
		requireOAuthError(t, w.web.refreshWith(t, tok.RefreshToken), http.StatusBadRequest, "invalid_grant")
		assert.Equal(t, false, w.web.introspect(t, first.json["refresh_token"].(string))["active"])
	})
}

// TestConcurrentRefreshWithinGrace: refreshes racing with one token, as a
// client with several tabs or a retrying HTTP stack sends them, all get
// the same new refresh token, and the family lives on.
func TestConcurrentRefreshWithinGrace(t *testing.T) {
	t.Parallel()
	runWoodgrove(t, func(t *testing.T, w woodgrove) {
		tok, _ := w.web.tokens(t, w.browser(), w.alice.Mail)
		const racers = 6
		results := make([]response, racers)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range racers {
			wg.Go(func() {
				<-start
				results[i] = w.web.refreshWith(t, tok.RefreshToken)
			})
		}
		close(start)
		wg.Wait()
		next := ""
		for i, r := range results {
			require.Equal(t, http.StatusOK, r.status, "racer %d: %s", i, r.body)
			if next == "" {
				next = r.json["refresh_token"].(string)
			}
			assert.Equal(t, next, r.json["refresh_token"], "racer %d: the same refresh token", i)
			assert.Equal(t, true, w.web.introspect(t, r.json["access_token"].(string))["active"], "racer %d", i)
		}
		r := w.web.refreshWith(t, next)
		require.Equal(t, http.StatusOK, r.status, "the family lives on: %s", r.body)
	})
}
