// Package httpx owns Cairn's guarded outbound HTTP client: every fetch of a
// document named by someone else (did:web documents, issuer metadata, status
// lists, request objects) goes through NewClient so it is time-bounded,
// size-bounded (ReadLimited; GetBounded also checks status and media
// type), https-only (plain http only for signed documents such as CRLs,
// AllowPlainHTTP) and refused when it would reach a
// loopback, private, link-local or otherwise internal address (DESIGN.md §7,
// the SSRF rule; OpenID4VCI 1.0 §13 and OpenID4VP 1.0 §14 security
// considerations on fetching by reference).
//
// The address check runs on the IP that is actually dialled: names are
// resolved once, every answer is checked, and the connection is made to the
// checked IP literal, with a Dialer Control hook checking again at connect
// time. A DNS answer that changes between check and use (rebinding) therefore
// cannot smuggle a private address in. Redirects are limited and every hop is
// checked the same way.
package httpx

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"

	"github.com/cairn-id/cairn/internal/bounded"
)

// Defaults applied by NewClient when an Options field is zero.
const (
	DefaultTimeout      = 10 * time.Second
	DefaultMaxRedirects = 3
)

// Errors returned at the package boundary.
var (
	// ErrForbiddenTarget means the request would reach an address or scheme
	// the guard refuses (loopback, private, link-local, plain http, …).
	ErrForbiddenTarget = errors.New("httpx: forbidden target")
	// ErrTooLarge means a body exceeded the caller's limit.
	ErrTooLarge = errors.New("httpx: response too large")
	// ErrTooManyRedirects means the redirect chain exceeded MaxRedirects.
	ErrTooManyRedirects = errors.New("httpx: too many redirects")
)

// Options configures NewClient.
type Options struct {
	// AllowPrivate turns the guard off: internal addresses and plain http
	// are allowed. For local development and tests only, never production.
	AllowPrivate bool
	// Timeout bounds a whole request including redirects and body
	// (DefaultTimeout when zero).
	Timeout time.Duration
	// MaxRedirects is how many redirects are followed (DefaultMaxRedirects
	// when zero; negative follows none).
	MaxRedirects int
	// LookupIP resolves a host name; nil uses net.DefaultResolver. Tests
	// inject a table so no real DNS is needed.
	LookupIP func(ctx context.Context, host string) ([]net.IP, error)
	// RootCAs replaces the system roots (tests, pilots with a private CA).
	RootCAs *x509.CertPool
	// AllowAddrs are exact exceptions to the guard, for dev mode only:
	// requests to these IP:port pairs (named by their IP literal in the
	// URL) may use plain http and reach a loopback or private address.
	// 'cairn up' lets its wallet agent reach the stack's own address this
	// way, and nothing else on the machine or the network.
	AllowAddrs []netip.AddrPort
	// AllowPlainHTTP lets requests use http as well as https, with the
	// address guard unchanged (no internal target unless AllowPrivate).
	// Only for documents whose integrity does not rest on the transport:
	// CRLs are signed by their CA and their distribution points are
	// commonly http (RFC 5280 §4.2.1.13; x509trust.CRLClient).
	AllowPlainHTTP bool
}

// allowed reports whether ip:port is one of o.AllowAddrs.
func (o *Options) allowed(ip net.IP, port string) bool {
	if len(o.AllowAddrs) == 0 {
		return false
	}
	a, ok := netip.AddrFromSlice(ip)
	if !ok {
		return false
	}
	p, err := netip.ParseAddrPort(net.JoinHostPort(a.Unmap().String(), port))
	if err != nil {
		return false
	}
	for _, x := range o.AllowAddrs {
		if x.Addr().Unmap() == p.Addr() && x.Port() == p.Port() {
			return true
		}
	}
	return false
}

// allowedURL reports whether u names one of o.AllowAddrs by IP literal.
func (o *Options) allowedURL(u *url.URL) bool {
	if len(o.AllowAddrs) == 0 {
		return false
	}
	ip := parseIP(u.Hostname())
	if ip == nil {
		return false
	}
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	return o.allowed(ip, port)
}

// dialFunc is the shape of net.Dialer.DialContext; tests substitute it to
// observe what would be dialled without opening connections.
type dialFunc func(ctx context.Context, network, addr string) (net.Conn, error)

// NewClient returns an *http.Client that enforces the guard described in the
// package comment. Environment proxies are ignored on purpose: a proxy would
// be the dialled address and hide the real target from the check.
func NewClient(o Options) *http.Client {
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	d := &net.Dialer{Timeout: o.Timeout}
	if !o.AllowPrivate {
		d.Control = controlHook
		if len(o.AllowAddrs) > 0 {
			d.Control = func(network, address string, c syscall.RawConn) error {
				if host, port, err := net.SplitHostPort(address); err == nil {
					if ip := parseIP(host); ip != nil && o.allowed(ip, port) {
						return nil
					}
				}
				return controlHook(network, address, c)
			}
		}
	}
	return newClient(o, d.DialContext)
}

func newClient(o Options, dial dialFunc) *http.Client {
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	maxRedirects := o.MaxRedirects
	if maxRedirects == 0 {
		maxRedirects = DefaultMaxRedirects
	}
	tr := &http.Transport{
		Proxy:                  nil,
		DialContext:            guardedDial(o, dial),
		TLSClientConfig:        &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: o.RootCAs},
		TLSHandshakeTimeout:    o.Timeout,
		ResponseHeaderTimeout:  o.Timeout,
		MaxIdleConns:           16,
		IdleConnTimeout:        30 * time.Second,
		MaxResponseHeaderBytes: 64 << 10,
		ForceAttemptHTTP2:      true,
	}
	return &http.Client{
		Transport: schemeGuard{allowHTTP: o.AllowPrivate || o.AllowPlainHTTP, allowURL: o.allowedURL, next: tr},
		Timeout:   o.Timeout,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) > maxRedirects || maxRedirects < 0 {
				return fmt.Errorf("%w (limit %d)", ErrTooManyRedirects, max(maxRedirects, 0))
			}
			return checkScheme(req, o.AllowPrivate || o.AllowPlainHTTP || o.allowedURL(req.URL))
		},
	}
}

// schemeGuard refuses anything but https before a connection is attempted.
type schemeGuard struct {
	allowHTTP bool
	allowURL  func(*url.URL) bool // AllowAddrs
	next      http.RoundTripper
}

func (g schemeGuard) RoundTrip(req *http.Request) (*http.Response, error) {
	if err := checkScheme(req, g.allowHTTP || (g.allowURL != nil && g.allowURL(req.URL))); err != nil {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, err
	}
	return g.next.RoundTrip(req)
}

func checkScheme(req *http.Request, allowHTTP bool) error {
	switch req.URL.Scheme {
	case "https":
		return nil
	case "http":
		if allowHTTP {
			return nil
		}
	}
	return fmt.Errorf("%w: scheme %q (https only)", ErrForbiddenTarget, req.URL.Scheme)
}

// guardedDial resolves the host itself, checks every address, and dials the
// first allowed IP literal, so the name is never resolved a second time.
func guardedDial(o Options, dial dialFunc) dialFunc {
	lookup := o.LookupIP
	if lookup == nil {
		lookup = func(ctx context.Context, host string) ([]net.IP, error) {
			return net.DefaultResolver.LookupIP(ctx, "ip", host)
		}
	}
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, port, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, fmt.Errorf("httpx: dial %q: %w", addr, err)
		}
		var ips []net.IP
		if ip := parseIP(host); ip != nil {
			ips = []net.IP{ip}
		} else {
			ips, err = lookup(ctx, host)
			if err != nil {
				return nil, fmt.Errorf("httpx: resolve %q: %w", host, err)
			}
			if len(ips) == 0 {
				return nil, fmt.Errorf("httpx: resolve %q: no addresses", host)
			}
		}
		if !o.AllowPrivate {
			// One internal answer taints the name: a mixed answer set is
			// how rebinding attacks are usually staged.
			for _, ip := range ips {
				if IsForbiddenIP(ip) && !o.allowed(ip, port) {
					return nil, fmt.Errorf("%w: %s resolves to %s", ErrForbiddenTarget, host, ip)
				}
			}
		}
		var lastErr error
		for _, ip := range ips {
			conn, err := dial(ctx, network, net.JoinHostPort(ip.String(), port))
			if err == nil {
				return conn, nil
			}
			lastErr = err
			if ctx.Err() != nil {
				break
			}
		}
		return nil, lastErr
	}
}

// parseIP parses an IP literal, tolerating an IPv6 zone (which is dropped:
// zoned addresses are link-local and refused anyway).
func parseIP(host string) net.IP {
	if i := strings.IndexByte(host, '%'); i >= 0 {
		host = host[:i]
	}
	return net.ParseIP(host)
}

// controlHook runs after the socket is created and before connect(2): the
// address here is exactly what the kernel will connect to.
func controlHook(network, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return fmt.Errorf("%w: %q", ErrForbiddenTarget, address)
	}
	ip := parseIP(host)
	if ip == nil || IsForbiddenIP(ip) {
		return fmt.Errorf("%w: connect to %s", ErrForbiddenTarget, address)
	}
	return nil
}

// IsForbiddenIP reports whether ip is anything but ordinary public unicast:
// loopback, RFC 1918 private, link-local (169.254/16 holds cloud metadata),
// unspecified, multicast, broadcast, CGNAT 100.64/10, unique-local fc00::/7,
// documentation and reserved ranges, and IPv6 forms that embed or tunnel to
// an IPv4 address (IPv4-mapped ones are judged by their IPv4 address). A nil
// or malformed ip is forbidden.
func IsForbiddenIP(ip net.IP) bool {
	a, ok := netip.AddrFromSlice(ip)
	if !ok {
		return true
	}
	a = a.Unmap().WithZone("")
	if !a.IsValid() || a.IsLoopback() || a.IsPrivate() || a.IsUnspecified() ||
		a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() || a.IsInterfaceLocalMulticast() ||
		a.IsMulticast() || !a.IsGlobalUnicast() {
		return true
	}
	return inSpecialRange(a)
}

// inSpecialRange reports ranges that are not ordinary public unicast beyond
// what netip's predicates already cover. The table is built per call (only
// on dials) so the package keeps no mutable state.
func inSpecialRange(a netip.Addr) bool {
	special := [...]netip.Prefix{
		netip.MustParsePrefix("0.0.0.0/8"),       // "this network" (RFC 791); 0.0.0.0 dials localhost
		netip.MustParsePrefix("100.64.0.0/10"),   // carrier-grade NAT (RFC 6598)
		netip.MustParsePrefix("192.0.0.0/24"),    // IETF protocol assignments (RFC 6890)
		netip.MustParsePrefix("192.0.2.0/24"),    // documentation
		netip.MustParsePrefix("198.18.0.0/15"),   // benchmarking
		netip.MustParsePrefix("198.51.100.0/24"), // documentation
		netip.MustParsePrefix("203.0.113.0/24"),  // documentation
		netip.MustParsePrefix("240.0.0.0/4"),     // reserved, and 255.255.255.255 broadcast
		netip.MustParsePrefix("::/96"),           // IPv4-compatible (deprecated) and ::, ::1
		netip.MustParsePrefix("64:ff9b::/96"),    // NAT64: would reach any IPv4, internal included
		netip.MustParsePrefix("64:ff9b:1::/48"),  // local-use NAT64
		netip.MustParsePrefix("100::/64"),        // discard-only
		netip.MustParsePrefix("2001::/32"),       // Teredo: tunnels to embedded IPv4
		netip.MustParsePrefix("2001:db8::/32"),   // documentation
		netip.MustParsePrefix("2002::/16"),       // 6to4: tunnels to embedded IPv4
		netip.MustParsePrefix("fec0::/10"),       // site-local (deprecated)
	}
	for _, p := range special {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// ReadLimited reads all of r but at most max bytes; a longer body yields
// ErrTooLarge (the bytes read so far are not returned).
func ReadLimited(r io.Reader, max int64) ([]byte, error) {
	if max < 0 {
		max = 0
	}
	b, err := bounded.ReadAll(r, max)
	if errors.Is(err, bounded.ErrTooLarge) {
		return nil, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, max)
	}
	return b, err
}
