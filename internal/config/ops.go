package config

import (
	"net"
	"net/netip"
	"strconv"
	"strings"
)

// MetricsOff turns the metrics listener off.
const MetricsOff = "off"

// minMetricsToken keeps a scrape token out of guessing range.
const minMetricsToken = 24

// Ops says where the operator's endpoints live and which peers may speak
// for clients.
type Ops struct {
	// MetricsAddr is a listener of its own for /metrics, so that a scrape
	// never passes the public one; "off" serves no metrics.
	MetricsAddr string `env:"METRICS_ADDR" envDefault:"127.0.0.1:9464"`
	// MetricsToken, when set, also allows a scrape on the public listener
	// with `Authorization: Bearer <token>`.
	MetricsToken string `env:"METRICS_TOKEN"`
	// TrustedProxies are the peers (CIDRs or single addresses) whose
	// X-Forwarded-For is believed; everyone else is taken by the socket
	// address, so a client cannot name its own address.
	TrustedProxies []string `env:"TRUSTED_PROXIES" envSeparator:","`
}

// MetricsOn reports whether the metrics listener runs.
func (o Ops) MetricsOn() bool { return o.MetricsAddr != MetricsOff }

// TrustedProxyNets parses TRUSTED_PROXIES (validated at load).
func (o Ops) TrustedProxyNets() []*net.IPNet {
	var out []*net.IPNet
	for _, raw := range o.TrustedProxies {
		if p, ok := parseProxy(raw); ok {
			out = append(out, &net.IPNet{IP: p.Addr().AsSlice(), Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen())})
		}
	}
	return out
}

// parseProxy reads a CIDR, or a bare address as its own /32 or /128.
func parseProxy(raw string) (netip.Prefix, bool) {
	raw = strings.TrimSpace(raw)
	if p, err := netip.ParsePrefix(raw); err == nil {
		return p.Masked(), true
	}
	if a, err := netip.ParseAddr(raw); err == nil {
		a = a.Unmap()
		return netip.PrefixFrom(a, a.BitLen()), true
	}
	return netip.Prefix{}, false
}

func (o *Ops) validate() error {
	o.MetricsAddr = strings.TrimSpace(o.MetricsAddr)
	if o.MetricsAddr != MetricsOff {
		host, port, err := net.SplitHostPort(o.MetricsAddr)
		n, perr := strconv.Atoi(port)
		if err != nil || perr != nil || n < 0 || n > 65535 || (host != "" && net.ParseIP(host) == nil && host != "localhost") {
			return &Error{"METRICS_ADDR", `host:port such as 127.0.0.1:9464, or "off"`}
		}
	}
	if o.MetricsToken != "" && len(o.MetricsToken) < minMetricsToken {
		return &Error{"METRICS_TOKEN", strconv.Itoa(minMetricsToken) + " characters or more (`openssl rand -hex 24`)"}
	}
	var kept []string
	for _, raw := range o.TrustedProxies {
		if strings.TrimSpace(raw) == "" {
			continue
		}
		if _, ok := parseProxy(raw); !ok {
			return &Error{"TRUSTED_PROXIES", "comma-separated CIDRs or addresses such as 10.0.0.0/8,192.0.2.10"}
		}
		kept = append(kept, strings.TrimSpace(raw))
	}
	o.TrustedProxies = kept
	return nil
}
