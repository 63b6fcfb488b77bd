package cli

import (
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestServeDebugListener: with --debug-addr's setting, the pprof index
// answers on its own loopback listener, and never on the public port.
func TestServeDebugListener(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	debugAddr := ln.Addr().String()
	require.NoError(t, ln.Close())
	s := startDevServerWith(t, map[string]string{"FOYER_DEBUG_ADDR": debugAddr})
	require.Contains(t, s.logs.String(), "http://"+debugAddr+"/debug/pprof/")

	status, body := get(t, "http://"+debugAddr+"/debug/pprof/")
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, body, "goroutine")
	status, body = get(t, "http://"+debugAddr+"/debug/pprof/heap?debug=1")
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, body, "heap profile")

	for _, path := range []string{"/debug/pprof/", "/debug/pprof/heap", "/debug/pprof/cmdline"} {
		status, body = get(t, s.base+path)
		require.Equal(t, http.StatusNotFound, status, path)
		require.NotContains(t, body, "goroutine", path)
	}
	s.shutdown(t)
	_, err = http.Get("http://" + debugAddr + "/debug/pprof/")
	require.Error(t, err, "the debug listener closes with serve")
}

// TestServeWithoutDebugAddrServesNoProfiles: off by default.
func TestServeWithoutDebugAddrServesNoProfiles(t *testing.T) {
	t.Parallel()
	s := startDevServer(t)
	require.NotContains(t, s.logs.String(), "debug listener")
	status, _ := get(t, s.base+"/debug/pprof/")
	require.Equal(t, http.StatusNotFound, status)
	s.shutdown(t)
}

// TestServeRefusesAPublicDebugAddr: a debug address off loopback is a
// configuration error, and serve listens on nothing.
func TestServeRefusesAPublicDebugAddr(t *testing.T) {
	t.Parallel()
	for _, addr := range []string{"0.0.0.0:0", ":0"} {
		stderr := serveRefused(t, newCLI(t), "serve", "--dev", "--addr", "127.0.0.1:0", "--debug-addr", addr)
		require.Contains(t, stderr, "debugAddr (FOYER_DEBUG_ADDR)")
		require.True(t, strings.Contains(stderr, "loopback"), stderr)
	}
}
