package httpx

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// Finding the client address behind reverse proxies. A request's TCP peer
// is the client unless the peer is a proxy the operator trusts
// (trustedProxies); only then do the Forwarded (RFC 7239, for=) and
// X-Forwarded-For headers count, and only as far back as proxies keep
// vouching: the chain is walked from the right, skipping trusted proxies,
// and the first untrusted address is the client. Everything left of it was
// written by the client and is ignored. A hop that hides itself (unknown,
// an obfuscated _identifier, garbage) ends the walk at the last trusted
// proxy, whose address then stands for the client.
//
// A proxy maintains one of the two headers, and a client can send the
// other itself; so when both are present and name different clients, the
// peer's own address is used: a forger gains nothing by adding the header
// its proxy ignores.

// ClientAddr answers the client address of a request from peer with the
// given Forwarded and X-Forwarded-For header values.
func ClientAddr(peer netip.Addr, forwarded, forwardedFor []string, trusted []netip.Prefix) netip.Addr {
	peer = peer.Unmap().WithZone("")
	if !isTrusted(peer, trusted) {
		return peer
	}
	fwd, hasFwd := joined(forwarded)
	xff, hasXFF := joined(forwardedFor)
	switch {
	case hasFwd && hasXFF:
		a := walk(peer, ForwardedFor(fwd), trusted)
		if b := walk(peer, splitList(xff), trusted); a != b {
			return peer
		}
		return a
	case hasFwd:
		return walk(peer, ForwardedFor(fwd), trusted)
	case hasXFF:
		return walk(peer, splitList(xff), trusted)
	}
	return peer
}

// joined answers header values as one comma-separated list, as RFC 9110
// §5.3 lets a recipient combine them; false when there is none.
func joined(values []string) (string, bool) {
	s := strings.Join(values, ",")
	return s, strings.TrimSpace(s) != ""
}

// walk goes from the peer leftwards through the hops while the address in
// hand is a trusted proxy's.
func walk(peer netip.Addr, hops []string, trusted []netip.Prefix) netip.Addr {
	client := peer
	for i := len(hops) - 1; i >= 0 && isTrusted(client, trusted); i-- {
		a, ok := ParseNode(hops[i])
		if !ok {
			return client
		}
		client = a
	}
	return client
}

func isTrusted(a netip.Addr, trusted []netip.Prefix) bool {
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// splitList splits X-Forwarded-For at its commas, skipping empty
// elements as Forwarded's are.
func splitList(s string) []string {
	var parts []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			parts = append(parts, p)
		}
	}
	return parts
}

// ParseNode answers the IP address of a node as Forwarded's for= or
// X-Forwarded-For carry it: 192.0.2.1, 192.0.2.1:8080, [2001:db8::1],
// [2001:db8::1]:443 or a bare 2001:db8::1. unknown, obfuscated
// identifiers (_hidden) and anything else answer false.
func ParseNode(node string) (netip.Addr, bool) {
	node = strings.TrimSpace(node)
	if node == "" || len(node) > 64 {
		return netip.Addr{}, false
	}
	if strings.HasPrefix(node, "[") {
		end := strings.IndexByte(node, ']')
		if end < 0 {
			return netip.Addr{}, false
		}
		if rest := node[end+1:]; rest != "" {
			port, ok := strings.CutPrefix(rest, ":")
			if !ok || !validPort(port) {
				return netip.Addr{}, false
			}
		}
		a, err := netip.ParseAddr(node[1:end])
		if err != nil || !a.Is6() || a.Zone() != "" {
			return netip.Addr{}, false
		}
		return a.Unmap(), true
	}
	if a, err := netip.ParseAddr(node); err == nil {
		if a.Zone() != "" {
			return netip.Addr{}, false
		}
		return a.Unmap(), true
	}
	host, port, ok := strings.Cut(node, ":")
	if !ok || !validPort(port) {
		return netip.Addr{}, false
	}
	a, err := netip.ParseAddr(host)
	if err != nil || !a.Is4() {
		return netip.Addr{}, false
	}
	return a, true
}

// validPort admits a port number or an obfuscated port (_abc).
func validPort(p string) bool {
	if p == "" || len(p) > 16 {
		return false
	}
	if p[0] == '_' {
		for _, c := range []byte(p[1:]) {
			if !isAlnum(c) && c != '.' && c != '_' && c != '-' {
				return false
			}
		}
		return true
	}
	if len(p) > 5 {
		return false
	}
	for _, c := range []byte(p) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// ForwardedFor answers the for= value of each element of a Forwarded
// header (RFC 7239 §4), left to right, unquoted. An element that is
// malformed, has no for= or more than one answers "", which no address
// parses from: the walk stops there.
//
// Elements are split at every comma and pairs at every semicolon, quoted
// or not: no value a proxy writes contains either, and this way what a
// client put on the left (an unterminated quote, say) cannot change how
// the elements its proxies appended on the right are read.
func ForwardedFor(header string) []string {
	var out []string
	for _, element := range strings.Split(header, ",") {
		if strings.TrimSpace(element) == "" {
			continue // empty list elements are allowed (RFC 9110 §5.6.1)
		}
		out = append(out, elementFor(element))
	}
	return out
}

// elementFor answers the for= value of one forwarded-element, or "".
func elementFor(element string) string {
	value, found := "", false
	for _, pair := range strings.Split(element, ";") {
		name, raw, ok := strings.Cut(strings.TrimSpace(pair), "=")
		if !ok || !isToken(name) {
			return ""
		}
		v, ok := pairValue(raw)
		if !ok {
			return ""
		}
		if strings.EqualFold(name, "for") {
			if found {
				return ""
			}
			value, found = v, true
		}
	}
	return value
}

// pairValue reads a token or a quoted-string.
func pairValue(raw string) (string, bool) {
	if !strings.HasPrefix(raw, `"`) {
		// Lenient: IPv4:port is sent unquoted by some proxies, though ':'
		// is not a token character.
		for _, c := range []byte(raw) {
			if !isTokenChar(c) && c != ':' {
				return "", false
			}
		}
		return raw, raw != ""
	}
	var b strings.Builder
	for i := 1; i < len(raw); i++ {
		switch c := raw[i]; c {
		case '\\':
			i++
			if i >= len(raw) {
				return "", false
			}
			b.WriteByte(raw[i])
		case '"':
			return b.String(), i == len(raw)-1
		default:
			b.WriteByte(c)
		}
	}
	return "", false // unterminated
}

func isToken(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range []byte(s) {
		if !isTokenChar(c) {
			return false
		}
	}
	return true
}

// isTokenChar is RFC 9110's tchar.
func isTokenChar(c byte) bool {
	return isAlnum(c) || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

// clientIP is the request's client address: the TCP peer, or behind
// trusted proxies the address they forwarded.
func clientIP(r *http.Request, trusted []netip.Prefix) string {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
			return host
		}
		return r.RemoteAddr
	}
	if len(trusted) == 0 {
		return ap.Addr().Unmap().WithZone("").String()
	}
	return ClientAddr(ap.Addr(), r.Header.Values("Forwarded"), r.Header.Values("X-Forwarded-For"), trusted).String()
}
