package hooks

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"

	"portal/store"
)

// ErrForbiddenAddress means a webhook URL points inside the appliance's own
// networks, where a webhook could reach what the internet must not.
var ErrForbiddenAddress = errors.New("address not allowed for webhooks")

// Special-purpose IPv4 ranges that net/netip does not classify: shared
// address space, "this network", IETF protocol assignments (some clouds'
// metadata services), benchmarking, and reserved.
var forbiddenRanges = []netip.Prefix{
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("64:ff9b::/96"), // NAT64: an IPv4 address in disguise
	netip.MustParsePrefix("2002::/16"),    // 6to4, likewise
	netip.MustParsePrefix("::/96"),        // IPv4-compatible
	netip.MustParsePrefix("fec0::/10"),    // site-local (deprecated, still routed inside some networks)
	netip.MustParsePrefix("2001::/32"),    // Teredo: tunnels to IPv4 hosts
}

// addressAllowed reports whether a webhook may connect to ip. The sandbox
// allows loopback, so a developer can point hooks at localhost.
func addressAllowed(ip netip.Addr, sandbox bool) bool {
	ip = ip.Unmap()
	switch {
	case ip.IsLoopback():
		return sandbox
	case ip.IsPrivate(), ip.IsLinkLocalUnicast(), ip.IsLinkLocalMulticast(), ip.IsMulticast(),
		ip.IsUnspecified(), ip.IsInterfaceLocalMulticast():
		return false
	}
	for _, p := range forbiddenRanges {
		if p.Contains(ip) {
			return false
		}
	}
	return ip.IsValid()
}

// guardedDialer checks the address actually dialled, after DNS, so neither a
// hostname nor a rebinding DNS answer can lead a webhook inside.
func guardedDialer(sandbox bool, timeout time.Duration) *net.Dialer {
	return &net.Dialer{
		Timeout:   timeout,
		KeepAlive: 30 * time.Second,
		Control: func(network, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil {
				return fmt.Errorf("%w: %s", ErrForbiddenAddress, address)
			}
			if !addressAllowed(ap.Addr(), sandbox) {
				return fmt.Errorf("%w: %s", ErrForbiddenAddress, ap.Addr())
			}
			return nil
		},
	}
}

// CheckURL refuses, when a webhook is created or changed, a URL whose host is
// or resolves to a forbidden address. A name that does not resolve now is
// let through: the dial-time guard still applies to every delivery.
func CheckURL(ctx context.Context, raw string, sandbox bool) error {
	u, err := url.Parse(raw)
	if err != nil {
		return err
	}
	// The host as it will be dialled: 127。0。0。1 is checked as 127.0.0.1.
	host, ascii := store.WebhookHost(u.Hostname())
	if !ascii {
		// Not an address refusal: the store refuses the URL, saying why.
		return fmt.Errorf("webhook host %q is not ASCII", host)
	}
	if numericLooking(host) {
		if _, err := netip.ParseAddr(host); err != nil {
			// 127.1, 2130706433, 0x7f.1: forms some resolvers read as addresses.
			return fmt.Errorf("%w: %s is not a dotted-quad address", ErrForbiddenAddress, host)
		}
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		if !addressAllowed(ip, sandbox) {
			return fmt.Errorf("%w: %s", ErrForbiddenAddress, ip)
		}
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	addrs, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return nil
	}
	for _, ip := range addrs {
		if !addressAllowed(ip, sandbox) {
			return fmt.Errorf("%w: %s resolves to %s", ErrForbiddenAddress, host, ip)
		}
	}
	return nil
}

// numericLooking reports a host made of digits and dots only, or written in hex.
func numericLooking(host string) bool {
	return strings.Trim(host, "0123456789.") == "" || strings.HasPrefix(strings.ToLower(host), "0x")
}
