package issuer

import (
	"container/list"
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

// Rate limiting of the public, unauthenticated endpoints (nonce, token,
// offer fetch). Each of them would otherwise let anyone make the issuer
// write to its store (nonces) or guess at codes as fast as the network
// allows. The limiter is a token bucket per client address, per endpoint,
// held in this instance's memory only: several instances behind a load
// balancer each allow the rate, which is acceptable for a limit whose
// purpose is to keep one client from filling the disk, not to meter use.
//
// A refused request gets 429 Too Many Requests (RFC 6585 §4) with
// Retry-After and the OAuth error body {"error": "slow_down"}. OpenID4VCI
// 1.0 defines no rate-limit error; "slow_down" is the code OAuth
// registers for "the client asks too often, wait and retry" (RFC 8628
// §3.5, IANA OAuth Extensions Error Registry, token endpoint). A wallet
// that does not know it still sees 429 and Retry-After; "invalid_request"
// would tell it the request itself was wrong and not to retry.

// Rate limit defaults, for a registration desk: a wallet needs one offer
// fetch, one token and one or two nonces per credential. In a camp or a
// distribution site hundreds of phones may share one NAT address, so the
// limits are generous: they exist to stop a flood, and the cap on live
// nonces (MaxLiveNonces) is what protects the disk.
const (
	DefaultNonceTokenPerMinute = 120
	DefaultNonceTokenBurst     = 40
	DefaultOfferPerMinute      = 240
	DefaultOfferBurst          = 60
	DefaultMaxTrackedClients   = 10000
	DefaultMaxLiveNonces       = 100000
	maxForwardedHops           = 16
	maxForwardedHeader         = 2048
)

// RateLimit is a token bucket: PerMinute requests a minute on average,
// at most Burst at once. The zero value means the default of the
// endpoint; Off disables the limit.
type RateLimit struct {
	PerMinute float64
	Burst     int
	Off       bool
}

func (r RateLimit) orDefault(perMinute float64, burst int) RateLimit {
	if r.PerMinute <= 0 {
		r.PerMinute = perMinute
	}
	if r.Burst <= 0 {
		r.Burst = burst
	}
	return r
}

// limiter holds the token buckets of one endpoint, one per client key,
// at most max of them: the least recently seen client is forgotten first
// (it then starts again with a full bucket, which costs an attacker more
// addresses than it gains).
type limiter struct {
	rate  float64 // tokens a second
	burst float64
	max   int

	mu    sync.Mutex
	order *list.List // of *bucket, most recent first
	byKey map[netip.Prefix]*list.Element
}

type bucket struct {
	key    netip.Prefix
	tokens float64
	last   time.Time
}

func newLimiter(r RateLimit, maxClients int) *limiter {
	if r.Off {
		return nil
	}
	return &limiter{rate: r.PerMinute / 60, burst: float64(r.Burst), max: maxClients, order: list.New(), byKey: map[netip.Prefix]*list.Element{}}
}

// allow takes one token from key's bucket at now. When none is left it
// says how long until one is.
func (l *limiter) allow(key netip.Prefix, now time.Time) (bool, time.Duration) {
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
	wait := time.Duration((1 - b.tokens) / l.rate * float64(time.Second))
	return false, wait
}

// tracked is how many clients the limiter remembers.
func (l *limiter) tracked() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.order.Len()
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

// clientAddr is the address a request comes from: the direct peer,
// unless the peer is a trusted proxy, in which case X-Forwarded-For is
// read from the right (the entry the nearest proxy appended) and the
// first address that is not a trusted proxy is the client. Entries left
// of it were written by the client and are never believed. A missing or
// malformed entry stops the walk at the last trusted hop.
func clientAddr(r *http.Request, proxies []netip.Prefix) (netip.Addr, bool) {
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

// limitKey is the bucket of an address: the address itself for IPv4,
// its /64 for IPv6 (one subscriber usually holds a whole /64).
func limitKey(a netip.Addr) netip.Prefix {
	if a.Is4() {
		return netip.PrefixFrom(a, 32)
	}
	p, _ := a.Prefix(64)
	return p
}

// limit applies l to r and, when refused, answers 429 and returns false.
func (s *Service) limit(w http.ResponseWriter, r *http.Request, route string, l *limiter) bool {
	if l == nil {
		return true
	}
	a, ok := clientAddr(r, s.proxies)
	if !ok {
		return true // no address (not a TCP request): nothing to key on
	}
	allowed, wait := l.allow(limitKey(a), s.cfg.Now())
	if allowed {
		return true
	}
	secs := int(math.Ceil(wait.Seconds()))
	if secs < 1 {
		secs = 1
	}
	s.metrics.Inc("rate_limited", route)
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	oauthError(w, http.StatusTooManyRequests, "slow_down", fmt.Sprintf("too many requests from this address; retry in %d s", secs))
	return false
}
