package federation_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/federation"
)

func TestGuardCheckURL(t *testing.T) {
	t.Parallel()
	closed := mustGuard(t, federation.GuardConfig{})
	private := mustGuard(t, federation.GuardConfig{AllowPrivateNetworks: true})
	trusted := mustGuard(t, federation.GuardConfig{TrustedPrefixes: []string{"http://127.0.0.1:9999/t/fab"}})

	for _, tc := range []struct {
		name    string
		guard   *federation.Guard
		url     string
		private bool // refused with ErrPrivateAddress
		ok      bool
	}{
		{"Loopback", closed, "https://127.0.0.1/", true, false},
		// RFC 2606: .invalid never resolves; the dial-time check decides.
		{"NameThatDoesNotResolve", closed, "https://login.partner.invalid/", false, true},
		{"RFC1918", closed, "https://10.0.0.1/", true, false},
		{"RFC1918_192", closed, "https://192.168.1.10/", true, false},
		{"Metadata", closed, "https://169.254.169.254/latest/meta-data/", true, false},
		{"IPv6Loopback", closed, "https://[::1]/", true, false},
		{"IPv4MappedLoopback", closed, "https://[::ffff:127.0.0.1]/", true, false},
		{"IPv6LinkLocal", closed, "https://[fe80::1]/", true, false},
		{"IPv6ULA", closed, "https://[fc00::1]/", true, false},
		{"Unspecified", closed, "https://0.0.0.0/", true, false},
		{"Multicast", closed, "https://224.0.0.1/", true, false},
		{"NameResolvingToLoopback", closed, "https://localhost/", true, false},
		{"PlainHTTP", closed, "http://93.184.215.14/", false, false},
		{"PublicAddress", closed, "https://93.184.215.14/.well-known/openid-configuration", false, true},
		{"UserInfoInURL", closed, "https://user:pw@93.184.215.14/", false, false},
		{"PrivateAllowed", private, "https://10.0.0.1/", false, true},
		{"HTTPLoopbackAllowed", private, "http://127.0.0.1:8080/", false, true},
		{"HTTPLocalhostAllowed", private, "http://localhost:8080/", false, true},
		{"HTTPPrivateNotLoopback", private, "http://10.0.0.1/", false, false},
		{"TrustedPrefix", trusted, "http://127.0.0.1:9999/t/fab/.well-known/openid-configuration", false, true},
		{"TrustedPrefixExact", trusted, "http://127.0.0.1:9999/t/fab", false, true},
		{"TrustedPrefixPathBoundary", trusted, "http://127.0.0.1:9999/t/fabrikam-evil", false, false},
		{"TrustedPrefixOtherPort", trusted, "http://127.0.0.1:9998/t/fab", false, false},
		{"TrustedGuardStillRefusesLoopback", trusted, "https://127.0.0.1/", true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.guard.CheckURL(t.Context(), tc.url)
			if tc.ok {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			require.Equal(t, tc.private, errors.Is(err, federation.ErrPrivateAddress), "err: %v", err)
		})
	}
}

// TestGuardClientRefusesAtDial: the client checks the address it really
// connects to, whatever CheckURL said when the provider was saved.
func TestGuardClientRefusesAtDial(t *testing.T) {
	t.Parallel()
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("ok"))
	}))
	t.Cleanup(srv.Close)
	port := srv.URL[strings.LastIndex(srv.URL, ":"):]

	closed := mustGuard(t, federation.GuardConfig{Base: srv.Client()})
	for _, u := range []string{
		srv.URL,                    // https://127.0.0.1:port
		"https://localhost" + port, // a name resolving to loopback
		"https://[::1]" + port,     // IPv6 loopback
		"https://10.0.0.1/",        // refused before any packet leaves
		"https://169.254.169.254/", // the cloud metadata service
	} {
		t.Run(u, func(t *testing.T) {
			_, err := get(t, closed.Client(), u)
			require.ErrorIs(t, err, federation.ErrPrivateAddress)
		})
	}

	t.Run("AllowedWithPrivateNetworks", func(t *testing.T) {
		open := mustGuard(t, federation.GuardConfig{AllowPrivateNetworks: true, Base: srv.Client()})
		code, err := get(t, open.Client(), srv.URL)
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, code)
	})
	t.Run("AllowedUnderTrustedPrefix", func(t *testing.T) {
		trusted := mustGuard(t, federation.GuardConfig{TrustedPrefixes: []string{srv.URL}, Base: srv.Client()})
		code, err := get(t, trusted.Client(), srv.URL+"/t/fabrikam")
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, code)
	})
}

// TestGuardClientRechecksRedirects: a trusted or public provider cannot
// bounce the client to an internal address.
func TestGuardClientRechecksRedirects(t *testing.T) {
	t.Parallel()
	internal := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("secret"))
	}))
	t.Cleanup(internal.Close)
	target := internal.URL
	bouncer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target, http.StatusFound)
	}))
	t.Cleanup(bouncer.Close)

	g := mustGuard(t, federation.GuardConfig{TrustedPrefixes: []string{bouncer.URL}})
	_, err := get(t, g.Client(), bouncer.URL)
	require.ErrorContains(t, err, "must use https")

	target = "https://169.254.169.254/latest/meta-data/"
	_, err = get(t, g.Client(), bouncer.URL)
	require.ErrorIs(t, err, federation.ErrPrivateAddress)

	target = bouncer.URL + "/again"
	_, err = get(t, g.Client(), bouncer.URL)
	require.ErrorContains(t, err, "redirects")
}

func mustGuard(t *testing.T, cfg federation.GuardConfig) *federation.Guard {
	t.Helper()
	g, err := federation.NewGuard(cfg)
	require.NoError(t, err)
	return g
}

func get(t *testing.T, c *http.Client, url string) (int, error) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	require.NoError(t, err)
	res, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	_ = res.Body.Close()
	return res.StatusCode, nil
}
