package loadtest

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestPercentilesAreExact(t *testing.T) {
	t.Parallel()
	r := newRecorder(1000)
	for i := 100; i >= 1; i-- { // any order
		r.success(time.Duration(i) * time.Millisecond)
	}
	r.failure(errors.New("boom"))
	r.failure(errors.New("boom"))
	s := r.stats()
	require.Equal(t, Stats{P50: 50, P90: 90, P99: 99, Max: 100, Mean: 50.5, Samples: 100}, s)
	require.Equal(t, []ErrorCount{{Message: "boom", Count: 2}}, r.errorCounts())
	require.EqualValues(t, 102, r.count())

	one := newRecorder(10)
	one.success(7 * time.Millisecond)
	require.Equal(t, Stats{P50: 7, P90: 7, P99: 7, Max: 7, Mean: 7, Samples: 1}, one.stats())
	require.Equal(t, Stats{}, newRecorder(10).stats())
}

func TestReservoirBoundsMemory(t *testing.T) {
	t.Parallel()
	r := newRecorder(1000)
	for i := range 100_000 {
		r.success(time.Duration(i%100+1) * time.Millisecond)
	}
	s := r.stats()
	require.Equal(t, 1000, s.Samples, "at most the cap is kept")
	require.EqualValues(t, 100_000, r.ok)
	require.Equal(t, 100.0, s.Max, "max and mean stay exact")
	require.InDelta(t, 50.5, s.Mean, 1e-9)
	require.InDelta(t, 50, s.P50, 8, "a uniform sample keeps the percentiles close")
	require.InDelta(t, 90, s.P90, 5)
}

func TestErrorKindsAreBounded(t *testing.T) {
	t.Parallel()
	r := newRecorder(10)
	for i := range 50 {
		r.failure(errors.New(string(rune('a'+i%26)) + string(rune('a'+i/26))))
	}
	kinds := r.errorCounts()
	require.Len(t, kinds, maxErrorKinds+1)
	var total int64
	for _, k := range kinds {
		total += k.Count
	}
	require.EqualValues(t, 50, total)
}

func TestLoopbackOnlyDialControl(t *testing.T) {
	t.Parallel()
	for _, addr := range []string{"127.0.0.1:80", "127.8.9.10:443", "[::1]:8080"} {
		require.NoError(t, loopbackOnly("tcp", addr, nil), addr)
	}
	for _, addr := range []string{"10.1.2.3:80", "192.168.0.1:80", "203.0.113.7:443", "[2001:db8::1]:80", "0.0.0.0:80"} {
		require.ErrorIs(t, loopbackOnly("tcp", addr, nil), ErrNotLoopback, addr)
	}
	require.True(t, IsLoopback("localhost"))
	require.True(t, IsLoopback("LOCALHOST"))
	require.True(t, IsLoopback("::1"))
	require.True(t, IsLoopback("127.0.0.53"))
	require.False(t, IsLoopback("localhost.example.com"))
	require.False(t, IsLoopback("169.254.1.1"))
}
