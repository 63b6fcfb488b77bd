package config

import (
	"fmt"
	"net/netip"
	"strings"
)

// ParseTrustedProxies reads trustedProxies: CIDRs (10.0.0.0/8,
// 2001:db8::/32) or single addresses (192.0.2.10, a /32 or /128). It
// reports every entry it cannot read.
func ParseTrustedProxies(entries []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	var bad []string
	for _, e := range entries {
		e = strings.TrimSpace(e)
		if p, err := netip.ParsePrefix(e); err == nil {
			out = append(out, p.Masked())
			continue
		}
		if a, err := netip.ParseAddr(e); err == nil && a.Zone() == "" {
			a = a.Unmap()
			out = append(out, netip.PrefixFrom(a, a.BitLen()))
			continue
		}
		bad = append(bad, e)
	}
	if len(bad) > 0 {
		return nil, fmt.Errorf("%q: not a CIDR like 10.0.0.0/8 or an IP address", bad)
	}
	return out, nil
}

// TrustedProxyPrefixes answers trustedProxies as prefixes; call it after
// Validate.
func (c Config) TrustedProxyPrefixes() []netip.Prefix {
	p, _ := ParseTrustedProxies(c.TrustedProxies)
	return p
}

// setList reads a comma-separated list, as the environment and flags give
// one; blanks are dropped.
func setList(field func(*Config) *[]string) func(*Config, string) error {
	return func(c *Config, v string) error {
		var list []string
		for _, s := range strings.Split(v, ",") {
			if s = strings.TrimSpace(s); s != "" {
				list = append(list, s)
			}
		}
		*field(c) = list
		return nil
	}
}
