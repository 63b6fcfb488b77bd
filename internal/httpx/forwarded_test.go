package httpx

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/internal/audit"
)

var testProxies = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("2001:db8:ffff::/48")}

func TestParseNode(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		in   string
		want string // "" when no address
	}{
		{"192.0.2.60", "192.0.2.60"},
		{" 192.0.2.60 ", "192.0.2.60"},
		{"192.0.2.60:8080", "192.0.2.60"},
		{"192.0.2.60:_abc", "192.0.2.60"},
		{"[2001:db8:cafe::17]", "2001:db8:cafe::17"},
		{"[2001:db8:cafe::17]:4711", "2001:db8:cafe::17"},
		{"2001:db8:cafe::17", "2001:db8:cafe::17"},
		{"::ffff:192.0.2.1", "192.0.2.1"},
		{"[::ffff:192.0.2.1]", "192.0.2.1"},
		{"unknown", ""},
		{"_hidden", ""},
		{"_SEVKISEK", ""},
		{"", ""},
		{"192.0.2.60:", ""},
		{"192.0.2.60:99999999", ""},
		{"192.0.2.60:80:80", ""},
		{"[2001:db8::1", ""},
		{"[2001:db8::1]x", ""},
		{"[192.0.2.1]", ""},
		{"2001:db8::1:80]", ""},
		{"fe80::1%eth0", ""},
		{"[fe80::1%eth0]", ""},
		{"example.com", ""},
		{"1.2.3", ""},
		{strings.Repeat("1", 100), ""},
	} {
		t.Run(tt.in, func(t *testing.T) {
			a, ok := ParseNode(tt.in)
			if tt.want == "" {
				require.False(t, ok, "got %v", a)
				return
			}
			require.True(t, ok)
			require.Equal(t, tt.want, a.String())
		})
	}
}

func TestForwardedFor(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		in   string
		want []string
	}{
		{`for=192.0.2.43`, []string{"192.0.2.43"}},
		{`For="[2001:db8:cafe::17]:4711"`, []string{"[2001:db8:cafe::17]:4711"}},
		{`for=192.0.2.60;proto=http;by=203.0.113.43`, []string{"192.0.2.60"}},
		{`for=192.0.2.43, for=198.51.100.17`, []string{"192.0.2.43", "198.51.100.17"}},
		{`for=192.0.2.43,,for=198.51.100.17`, []string{"192.0.2.43", "198.51.100.17"}},
		{`for=unknown`, []string{"unknown"}},
		{`for="_gazonk"`, []string{"_gazonk"}},
		{`for="\[2001:db8::1\]"`, []string{"[2001:db8::1]"}},
		{`proto=https`, []string{""}},
		{`for=1.2.3.4;for=5.6.7.8`, []string{""}},
		{`for="1.2.3.4`, []string{""}},
		{`for="1.2.3.4"x`, []string{""}},
		{`for=1.2.3.4 x`, []string{""}},
		{`=1.2.3.4`, []string{""}},
		{`for=`, []string{""}},
		{`for="1.2.3.4, for=5.6.7.8`, []string{"", "5.6.7.8"}},
	} {
		t.Run(tt.in, func(t *testing.T) {
			require.Equal(t, tt.want, ForwardedFor(tt.in))
		})
	}
}

func TestClientAddr(t *testing.T) {
	t.Parallel()
	proxy := netip.MustParseAddr("10.0.0.1")
	stranger := netip.MustParseAddr("192.0.2.7")
	for _, tt := range []struct {
		name     string
		peer     netip.Addr
		fwd, xff []string
		want     string
	}{
		{"an untrusted peer is the client whatever it says", stranger, []string{"for=198.51.100.1"}, []string{"198.51.100.1"}, "192.0.2.7"},
		{"a trusted peer without headers", proxy, nil, nil, "10.0.0.1"},
		{"X-Forwarded-For through one proxy", proxy, nil, []string{"198.51.100.1"}, "198.51.100.1"},
		{"X-Forwarded-For: the client's own claims are left of its address", proxy, nil, []string{"1.1.1.1, 2.2.2.2, 198.51.100.1"}, "198.51.100.1"},
		{"X-Forwarded-For through two proxies", proxy, nil, []string{"1.1.1.1, 198.51.100.1, 10.0.0.2"}, "198.51.100.1"},
		{"X-Forwarded-For on several lines", proxy, nil, []string{"1.1.1.1", "198.51.100.1, 10.0.0.2"}, "198.51.100.1"},
		{"Forwarded", proxy, []string{"for=198.51.100.1;proto=https"}, nil, "198.51.100.1"},
		{"Forwarded IPv6 quoted with a port", proxy, []string{`for="[2001:db8:cafe::17]:4711"`}, nil, "2001:db8:cafe::17"},
		{"Forwarded through a trusted IPv6 proxy", proxy, []string{`for=198.51.100.1, for="[2001:db8:ffff::1]"`}, nil, "198.51.100.1"},
		{"Forwarded hidden client: the last proxy stands for it", proxy, []string{`for=1.1.1.1, for=_hidden, for=10.0.0.2`}, nil, "10.0.0.2"},
		{"Forwarded unknown", proxy, []string{`for=unknown`}, nil, "10.0.0.1"},
		{"a garbled element stops the walk", proxy, []string{`for=1.1.1.1, for="oops`}, nil, "10.0.0.1"},
		{"client garbage on the left changes nothing", proxy, []string{`for="oops, for=198.51.100.1`}, nil, "198.51.100.1"},
		{"only trusted addresses: the leftmost", proxy, nil, []string{"10.0.0.3, 10.0.0.2"}, "10.0.0.3"},
		{"both headers agreeing", proxy, []string{"for=198.51.100.1"}, []string{"198.51.100.1"}, "198.51.100.1"},
		{"both headers disagreeing: the peer", proxy, []string{"for=203.0.113.9"}, []string{"198.51.100.1"}, "10.0.0.1"},
		{"blank headers are absent", proxy, []string{" "}, []string{"198.51.100.1"}, "198.51.100.1"},
		{"an IPv4-mapped peer", netip.MustParseAddr("::ffff:10.0.0.1"), nil, []string{"198.51.100.1"}, "198.51.100.1"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, ClientAddr(tt.peer, tt.fwd, tt.xff, testProxies).String())
			require.Equal(t, tt.peer.Unmap().String(), ClientAddr(tt.peer, tt.fwd, tt.xff, nil).String(), "nothing trusted by default")
		})
	}
}

func TestRequestIDBehindTrustedProxies(t *testing.T) {
	t.Parallel()
	var req audit.Request
	h := RequestIDBehind(testProxies)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { req = audit.RequestFrom(r.Context()) }))
	for _, tt := range []struct{ remote, xff, want string }{
		{"10.0.0.1:443", "198.51.100.1", "198.51.100.1"},
		{"192.0.2.7:1", "198.51.100.1", "192.0.2.7"},
		{"[2001:db8:ffff::9]:443", "198.51.100.1", "198.51.100.1"},
		{"[::1]:443", "198.51.100.1", "::1"},
		{"pipe", "198.51.100.1", "pipe"},
	} {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.RemoteAddr = tt.remote
		r.Header.Set("X-Forwarded-For", tt.xff)
		h.ServeHTTP(httptest.NewRecorder(), r)
		require.Equal(t, tt.want, req.ClientIP, tt.remote)
	}
}

func TestAccessLogHasTheClientAddress(t *testing.T) {
	t.Parallel()
	logger, logs := newLogger()
	metrics, err := NewMetrics(prometheus.NewRegistry())
	require.NoError(t, err)
	h := Stack(http.NewServeMux(), logger, metrics, Security{TrustedProxies: testProxies}, AccessSampling{})
	r := httptest.NewRequest(http.MethodGet, "/x", nil)
	r.RemoteAddr = "10.0.0.1:443"
	r.Header.Set("Forwarded", "for=198.51.100.1")
	h.ServeHTTP(httptest.NewRecorder(), r)
	require.Contains(t, logs.String(), `"client_ip":"198.51.100.1"`)
}

// FuzzForwarded: whatever the headers say, the parser neither panics nor
// lets a client choose its address: the answer is the peer when the peer
// is not trusted, an address the chain names otherwise, and anything the
// client adds on the left of what trusted proxies appended changes nothing.
func FuzzForwarded(f *testing.F) {
	for _, s := range []struct{ peer, fwd, xff, left string }{
		{"10.0.0.1", "for=198.51.100.1", "", "for=1.1.1.1"},
		{"10.0.0.1", `for="[2001:db8:cafe::17]:4711";proto=https`, "", `for="`},
		{"10.0.0.1", "for=_hidden, for=10.0.0.2", "198.51.100.1", "unknown"},
		{"192.0.2.7", "for=198.51.100.1", "198.51.100.1", ""},
		{"10.0.0.1", "", "198.51.100.1, 10.0.0.2", "1.1.1.1"},
		{"2001:db8:ffff::1", `for="\[::1\]";by=x`, "", `for=";;,,"`},
	} {
		f.Add(s.peer, s.fwd, s.xff, s.left)
	}
	f.Fuzz(func(t *testing.T, peerText, fwd, xff, left string) {
		peer, err := netip.ParseAddr(peerText)
		if err != nil {
			return
		}
		peer = peer.Unmap().WithZone("")
		var fwds, xffs []string
		if fwd != "" {
			fwds = []string{fwd}
		}
		if xff != "" {
			xffs = []string{xff}
		}
		got := ClientAddr(peer, fwds, xffs, testProxies)
		require.True(t, got.IsValid())
		if !isTrusted(peer, testProxies) {
			require.Equal(t, peer, got, "an untrusted peer is the client")
			return
		}
		named := got == peer || strings.Contains(fwd+","+xff, got.String()) ||
			strings.Contains(strings.ToLower(fwd+","+xff), strings.ToLower(got.StringExpanded()))
		if !named {
			// IPv4-mapped and other spellings: the address must parse out of
			// some hop.
			for _, hop := range append(ForwardedFor(fwd), splitList(xff)...) {
				if a, ok := ParseNode(hop); ok && a == got {
					named = true
				}
			}
		}
		require.True(t, named, "%v is named by the chain", got)
		if isTrusted(got, testProxies) || fwd != "" && xff != "" {
			return
		}
		// The walk stopped at an untrusted address: nothing further left
		// was read, so a client's additions there change nothing.
		var again netip.Addr
		if fwd != "" {
			again = ClientAddr(peer, []string{left, fwd}, nil, testProxies)
		} else if xff != "" {
			again = ClientAddr(peer, nil, []string{left, xff}, testProxies)
		} else {
			return
		}
		require.Equal(t, got, again, "left %q", left)
	})
}
