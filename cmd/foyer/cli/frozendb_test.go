package cli

import (
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/internal/store/sqlstore/sqltest"
)

// TestFrozenDatabaseThroughServe freezes serve's PostgreSQL (a proxy that
// stops forwarding, as SIGSTOP or a partition looks) under steady load:
// once the watchdog has seen it, every request is a 503 answered at once,
// /readyz says the store is not ready, and when the database answers again
// requests succeed without a restart.
func TestFrozenDatabaseThroughServe(t *testing.T) {
	t.Parallel()
	proxy, dsn := sqltest.NewStallProxy(t, sqltest.PostgresSchema(t))
	s := startDevServerWith(t, map[string]string{"FOYER_DATABASE": dsn, "FOYER_DATABASE_STALL_TIMEOUT": "300ms"})
	token := clientCredentials(t, s.base, s.base+"/.default")
	users := s.base + "/v1.0/users"
	status, _, body := callAPI(t, token, http.MethodGet, users)
	require.Equal(t, http.StatusOK, status, body)

	type answer struct {
		began  time.Time
		took   time.Duration
		status int
	}
	var mu sync.Mutex
	var answers []answer
	stop := make(chan struct{})
	var load sync.WaitGroup
	for range 4 {
		load.Go(func() {
			client := &http.Client{Timeout: 30 * time.Second}
			for {
				select {
				case <-stop:
					return
				default:
				}
				req, _ := http.NewRequest(http.MethodGet, users, nil)
				req.Header.Set("Authorization", "Bearer "+token)
				began := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					t.Errorf("request failed outright: %v", err)
					return
				}
				_ = resp.Body.Close()
				mu.Lock()
				answers = append(answers, answer{began, time.Since(began), resp.StatusCode})
				mu.Unlock()
			}
		})
	}

	time.Sleep(300 * time.Millisecond)
	frozen := time.Now()
	proxy.Stall()
	time.Sleep(3 * time.Second)
	st, readyBody := get(t, s.base+"/readyz")
	require.Equal(t, http.StatusServiceUnavailable, st)
	require.JSONEq(t, `{"status":"unavailable","reason":"store not ready"}`, readyBody)
	thawed := time.Now()
	proxy.Resume()
	require.Eventually(t, func() bool {
		status, _, _ := callAPI(t, token, http.MethodGet, users)
		return status == http.StatusOK
	}, 10*time.Second, 50*time.Millisecond, "requests succeed again without a restart")
	close(stop)
	load.Wait()

	var during, slowDuring int
	for _, a := range answers {
		require.Contains(t, []int{http.StatusOK, http.StatusServiceUnavailable}, a.status, "only successes and 503s")
		// Requests begun once the watchdog had time to see the freeze
		// (its 300 ms timeout and 250 ms period), and ended before the thaw.
		if a.began.After(frozen.Add(time.Second)) && a.began.Add(a.took).Before(thawed) {
			during++
			require.Equal(t, http.StatusServiceUnavailable, a.status)
			if a.took > 250*time.Millisecond {
				slowDuring++
			}
		}
	}
	require.Greater(t, during, 20, "the load went on while the database was frozen")
	require.Zero(t, slowDuring, "every 503 during the freeze came at once (%d of %d took over 250 ms)", slowDuring, during)
}
