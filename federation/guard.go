package federation

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// GuardConfig says which upstream addresses a Guard lets through.
type GuardConfig struct {
	// AllowPrivateNetworks lets provider URLs reach loopback, private and
	// link-local addresses, and plain http on loopback. For development
	// and tests only.
	AllowPrivateNetworks bool
	// TrustedPrefixes are URL prefixes (scheme, host, port and a path
	// prefix) that are always allowed whatever they resolve to, e.g.
	// Foyer's own external URL so one tenant can federate with another.
	TrustedPrefixes []string
	// Base is the client whose Timeout and *http.Transport settings (TLS
	// roots, idle pools) the guarded client copies; its proxy is dropped,
	// since a proxy would hide the address really dialled. Optional.
	Base *http.Client
	// Resolver resolves host names for CheckURL; net.DefaultResolver when
	// nil.
	Resolver *net.Resolver
}

// Guard keeps server-side requests to upstream providers away from
// internal addresses (SSRF): URLs are checked when configured, and every
// connection is checked again at dial time against the address actually
// dialled, so a name that resolves to a public address at check time and
// to a private one later (DNS rebinding) is still refused.
type Guard struct {
	allowPrivate bool
	trusted      []*url.URL
	resolver     *net.Resolver
	client       *http.Client
}

// maxRedirects bounds how many redirects the guarded client follows; each
// hop is checked like the first request.
const maxRedirects = 3

// NewGuard checks cfg and builds the guard and its client.
func NewGuard(cfg GuardConfig) (*Guard, error) {
	g := &Guard{allowPrivate: cfg.AllowPrivateNetworks, resolver: cfg.Resolver}
	if g.resolver == nil {
		g.resolver = net.DefaultResolver
	}
	var errs []error
	for _, p := range cfg.TrustedPrefixes {
		u, err := url.Parse(p)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			errs = append(errs, fmt.Errorf("trusted prefix %q is not an absolute http(s) URL without query", p))
			continue
		}
		u.Host = strings.ToLower(u.Host)
		u.Path = strings.TrimSuffix(u.Path, "/")
		g.trusted = append(g.trusted, u)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}

	var transport *http.Transport
	timeout := 30 * time.Second
	if cfg.Base != nil {
		if t, ok := cfg.Base.Transport.(*http.Transport); ok {
			transport = t.Clone()
		}
		if cfg.Base.Timeout > 0 {
			timeout = cfg.Base.Timeout
		}
	}
	if transport == nil {
		transport = http.DefaultTransport.(*http.Transport).Clone()
	}
	transport.Proxy = nil
	transport.DialContext = g.dialContext
	transport.DialTLSContext = nil
	g.client = &http.Client{
		Transport: &guardedTransport{guard: g, next: transport},
		Timeout:   timeout,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) > maxRedirects {
				return fmt.Errorf("more than %d redirects", maxRedirects)
			}
			return g.checkURLShape(req.URL)
		},
	}
	return g, nil
}

// Client answers the HTTP client every connector uses for discovery, the
// token endpoint, userinfo and JWKS.
func (g *Guard) Client() *http.Client { return g.client }

// CheckURL answers nil when rawURL may be fetched: https (http only on
// loopback when private networks are allowed, or under a trusted prefix),
// and a host whose every address is public. Refusals for an address wrap
// ErrPrivateAddress.
func (g *Guard) CheckURL(ctx context.Context, rawURL string) error {
	u, err := url.Parse(rawURL)
	if err != nil {
		return fmt.Errorf("provider URL: %w", err)
	}
	if err := g.checkURLShape(u); err != nil {
		return err
	}
	if g.isTrusted(u) || g.allowPrivate {
		return nil
	}
	host := u.Hostname()
	if addr, err := netip.ParseAddr(host); err == nil {
		return checkAddr(addr)
	}
	addrs, err := g.resolver.LookupNetIP(ctx, "ip", host)
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) && dnsErr.IsNotFound {
		// A name that does not resolve today is no address to refuse;
		// the client checks whatever it resolves to at every connection.
		return nil
	}
	if err != nil {
		return fmt.Errorf("resolve %q: %w", host, err)
	}
	for _, a := range addrs {
		if err := checkAddr(a); err != nil {
			return fmt.Errorf("%q: %w", host, err)
		}
	}
	return nil
}

// checkURLShape checks what can be checked without resolving: scheme,
// host, and plain http only where it is allowed.
func (g *Guard) checkURLShape(u *url.URL) error {
	if u.Host == "" || u.User != nil {
		return fmt.Errorf("provider URL %q must be absolute and carry no user info", redact(u))
	}
	if g.isTrusted(u) {
		return nil
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if g.allowPrivate && isLoopbackName(u.Hostname()) {
			return nil
		}
		return fmt.Errorf("provider URL %q must use https", redact(u))
	}
	return fmt.Errorf("provider URL %q must use https", redact(u))
}

// isTrusted: u is under one of the trusted prefixes (same scheme, host
// and port, path at or below the prefix's path).
func (g *Guard) isTrusted(u *url.URL) bool {
	for _, t := range g.trusted {
		if u.Scheme != t.Scheme || !strings.EqualFold(u.Host, t.Host) {
			continue
		}
		if t.Path == "" || u.Path == t.Path || strings.HasPrefix(u.Path, t.Path+"/") {
			return true
		}
	}
	return false
}

// trustedHost: addr (host:port as dialled) is the host of a trusted
// prefix, so any address it resolves to is allowed.
func (g *Guard) trustedHost(addr string) bool {
	for _, t := range g.trusted {
		port := t.Port()
		if port == "" {
			port = "80"
			if t.Scheme == "https" {
				port = "443"
			}
		}
		if strings.EqualFold(addr, net.JoinHostPort(t.Hostname(), port)) {
			return true
		}
	}
	return false
}

func (g *Guard) dialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	d := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	if !g.allowPrivate && !g.trustedHost(addr) {
		d.Control = controlPublicOnly
	}
	return d.DialContext(ctx, network, addr)
}

// controlPublicOnly runs after resolution, once per address tried: the
// address checked is the one the socket connects to.
func controlPublicOnly(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("dial %s: %w", address, err)
	}
	if err := checkAddr(ap.Addr()); err != nil {
		return fmt.Errorf("dial %s: %w", address, err)
	}
	return nil
}

// guardedTransport checks every request's URL (the first and each
// redirect) before it leaves.
type guardedTransport struct {
	guard *Guard
	next  http.RoundTripper
}

func (t *guardedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if err := t.guard.checkURLShape(req.URL); err != nil {
		if req.Body != nil {
			_ = req.Body.Close()
		}
		return nil, err
	}
	return t.next.RoundTrip(req)
}

// checkAddr refuses loopback, private (RFC 1918, fc00::/7), link-local
// (169.254/16 with the cloud metadata address, fe80::/10), unspecified and
// multicast addresses, IPv4-mapped IPv6 included.
func checkAddr(a netip.Addr) error {
	a = a.Unmap()
	switch {
	case !a.IsValid(),
		a.IsLoopback(),
		a.IsPrivate(),
		a.IsLinkLocalUnicast(),
		a.IsLinkLocalMulticast(),
		a.IsInterfaceLocalMulticast(),
		a.IsMulticast(),
		a.IsUnspecified(),
		sharedAddressSpace.Contains(a),
		a.Is4() && a.As4()[0] == 0:
		return fmt.Errorf("%s: %w", a, ErrPrivateAddress)
	}
	return nil
}

// sharedAddressSpace is RFC 6598's carrier-grade NAT range, private in
// all but name.
var sharedAddressSpace = netip.MustParsePrefix("100.64.0.0/10")

func isLoopbackName(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.Unmap().IsLoopback()
}

// redact drops query and user info from u for error messages.
func redact(u *url.URL) string {
	c := *u
	c.User = nil
	c.RawQuery = ""
	c.Fragment = ""
	return c.String()
}
