package server

import (
	"container/list"
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Rate limiting of public, unauthenticated endpoints: a token bucket per
// client address, held in this instance's memory only (several instances
// behind a load balancer each allow the rate, which is acceptable for a
// limit whose purpose is to keep one client from flooding, not to meter
// use). A refused request gets 429 Too Many Requests (RFC 6585 §4) with
// Retry-After (RFC 9110 §10.2.3).

// ErrInvalidConfig marks a configuration this package refuses.
var ErrInvalidConfig = errors.New("server: invalid configuration")

const (
	maxForwardedHops   = 16
	maxForwardedHeader = 2048
)

// RateLimit is a token bucket: PerMinute requests a minute on average,
// at most Burst at once. Off disables the limit.
type RateLimit struct {
	PerMinute float64
	Burst     int
	Off       bool
}

// OrDefault fills a zero PerMinute or Burst with the given defaults.
func (r RateLimit) OrDefault(perMinute float64, burst int) RateLimit {
	if r.PerMinute <= 0 {
		r.PerMinute = perMinute
	}
	if r.Burst <= 0 {
		r.Burst = burst
	}
	return r
}

// Limiter holds the token buckets of one endpoint, one per client key, at
// most maxClients of them: the least recently seen client is forgotten
// first (it then starts again with a full bucket, which costs an attacker
// more addresses than it gains). A nil *Limiter allows everything.
type Limiter struct {
	rate    float64 // tokens a second
	burst   float64
	max     int
	proxies []netip.Prefix
	now     func() time.Time

	mu    sync.Mutex
	order *list.List // of *bucket, most recent first
	byKey map[netip.Prefix]*list.Element
}

type bucket struct {
	key    netip.Prefix
	tokens float64
	last   time.Time
}

// LimiterOption configures NewLimiter.
type LimiterOption func(*Limiter)

// WithTrustedProxies names the reverse proxies whose X-Forwarded-For is
// believed (see ParseTrustedProxies).
func WithTrustedProxies(p []netip.Prefix) LimiterOption {
	return func(l *Limiter) { l.proxies = p }
}

// WithLimiterClock sets the limiter's clock (default time.Now).
func WithLimiterClock(now func() time.Time) LimiterOption {
	return func(l *Limiter) { l.now = now }
}

// NewLimiter returns a limiter for r remembering at most maxClients
// clients (at least 1), or nil when r.Off (a nil limiter allows all).
func NewLimiter(r RateLimit, maxClients int, opts ...LimiterOption) *Limiter {
	if r.Off {
		return nil
	}
	if maxClients < 1 {
		maxClients = 1
	}
	l := &Limiter{rate: r.PerMinute / 60, burst: float64(r.Burst), max: maxClients, now: time.Now, order: list.New(), byKey: map[netip.Prefix]*list.Element{}}
	for _, o := range opts {
		o(l)
	}
	return l
}

// Allow takes one token from the bucket of r's client (see ClientAddr).
// When none is left it says how long until one is. A request without a
// usable address (not over TCP) is allowed: there is nothing to key on.
func (l *Limiter) Allow(r *http.Request) (ok bool, retryAfter time.Duration) {
	if l == nil {
		return true, 0
	}
	k, found := l.Key(r)
	if !found {
		return true, 0
	}
	return l.AllowKey(k, l.now())
}

// Key is the bucket r's client falls in (see ClientAddr and LimitKey),
// false when r has no usable address. A nil limiter keys on nothing.
func (l *Limiter) Key(r *http.Request) (netip.Prefix, bool) {
	if l == nil {
		return netip.Prefix{}, false
	}
	a, found := ClientAddr(r, l.proxies)
	if !found {
		return netip.Prefix{}, false
	}
	return LimitKey(a), true
}

// AllowKey takes one token from key's bucket at now.
func (l *Limiter) AllowKey(key netip.Prefix, now time.Time) (bool, time.Duration) {
	if l == nil {
		return true, 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	var b *bucket
	if el, ok := l.byKey[key]; ok {
		l.order.MoveToFront(el)
		b = el.Value.(*bucket)
		if dt := now.Sub(b.last).Seconds(); dt > 0 {
			b.tokens = math.Min(l.burst, b.tokens+dt*l.rate)
			b.last = now
		}
	} else {
		for l.order.Len() >= l.max {
			oldest := l.order.Back()
			l.order.Remove(oldest)
			delete(l.byKey, oldest.Value.(*bucket).key)
		}
		b = &bucket{key: key, tokens: l.burst, last: now}
		l.byKey[key] = l.order.PushFront(b)
	}
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	return false, time.Duration((1 - b.tokens) / l.rate * float64(time.Second))
}

// Tracked is how many clients the limiter remembers.
func (l *Limiter) Tracked() int {
	if l == nil {
		return 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.order.Len()
}

// RetryAfterSeconds is the Retry-After value for a wait: whole seconds,
// rounded up, at least 1.
func RetryAfterSeconds(wait time.Duration) int {
	secs := int(math.Ceil(wait.Seconds()))
	if secs < 1 {
		secs = 1
	}
	return secs
}

// Refuse answers a request refused by a limiter; the router has set
// Retry-After already.
type Refuse func(w http.ResponseWriter, r *http.Request, retryAfter time.Duration)

// refuseDefault answers 429 {code: rate_limited, message}.
func refuseDefault(w http.ResponseWriter, r *http.Request, wait time.Duration) {
	WriteError(w, r, &Error{Status: http.StatusTooManyRequests, Code: CodeRateLimited,
		Message: fmt.Sprintf("too many requests from this address; retry in %d s", RetryAfterSeconds(wait))})
}

// ParseTrustedProxies parses CIDRs (or single addresses) of the reverse
// proxies whose X-Forwarded-For is believed.
func ParseTrustedProxies(cidrs []string) ([]netip.Prefix, error) {
	out := make([]netip.Prefix, 0, len(cidrs))
	for _, c := range cidrs {
		c = strings.TrimSpace(c)
		if p, err := netip.ParsePrefix(c); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(c)
		if err != nil {
			return nil, fmt.Errorf("%w: trusted proxy %q is not a CIDR or an address", ErrInvalidConfig, c)
		}
		a = a.Unmap()
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

func trusted(a netip.Addr, proxies []netip.Prefix) bool {
	for _, p := range proxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// ClientAddr is the address a request comes from: the direct peer,
// unless the peer is a trusted proxy, in which case X-Forwarded-For is
// read from the right (the entry the nearest proxy appended) and the
// first address that is not a trusted proxy is the client. Entries left
// of it were written by the client and are never believed. A missing or
// malformed entry stops the walk at the last trusted hop.
func ClientAddr(r *http.Request, proxies []netip.Prefix) (netip.Addr, bool) {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	var peer netip.Addr
	if err == nil {
		peer = ap.Addr().Unmap()
	} else if host, _, herr := net.SplitHostPort(r.RemoteAddr); herr == nil {
		if peer, err = netip.ParseAddr(host); err != nil {
			return netip.Addr{}, false
		}
		peer = peer.Unmap()
	} else {
		return netip.Addr{}, false
	}
	if len(proxies) == 0 || !trusted(peer, proxies) {
		return peer, true
	}
	var hops []string
	for _, h := range r.Header.Values("X-Forwarded-For") {
		if len(h) > maxForwardedHeader {
			h = h[len(h)-maxForwardedHeader:] // the right end is the trusted one
		}
		hops = append(hops, strings.Split(h, ",")...)
	}
	client := peer
	for i, n := len(hops)-1, 0; i >= 0 && n < maxForwardedHops; i, n = i-1, n+1 {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break
		}
		client = a.Unmap()
		if !trusted(client, proxies) {
			break
		}
	}
	return client, true
}

// LimitKey is the bucket of an address: the address itself for IPv4,
// its /64 for IPv6 (one subscriber usually holds a whole /64).
func LimitKey(a netip.Addr) netip.Prefix {
	if a.Is4() {
		return netip.PrefixFrom(a, 32)
	}
	p, _ := a.Prefix(64)
	return p
}

// retryAfterHeader formats a wait for the Retry-After header.
func retryAfterHeader(wait time.Duration) string { return strconv.Itoa(RetryAfterSeconds(wait)) }
