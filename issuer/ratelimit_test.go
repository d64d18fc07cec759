package issuer

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"
)

func key(s string) netip.Prefix { return limitKey(netip.MustParseAddr(s)) }

func TestLimiterBurstAndRefill(t *testing.T) {
	t0 := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	l := newLimiter(RateLimit{PerMinute: 60, Burst: 3}, 100) // one a second
	a, b := key("192.0.2.1"), key("192.0.2.2")
	steps := []struct {
		name    string
		at      time.Duration
		k       netip.Prefix
		allowed bool
		wait    time.Duration
	}{
		{"burst 1", 0, a, true, 0},
		{"burst 2", 0, a, true, 0},
		{"burst 3", 0, a, true, 0},
		{"burst spent", 0, a, false, time.Second},
		{"other address has its own bucket", 0, b, true, 0},
		{"half a token", 500 * time.Millisecond, a, false, 500 * time.Millisecond},
		{"one token refilled", time.Second, a, true, 0},
		{"spent again", time.Second, a, false, time.Second},
		{"long idle refills only to the burst", time.Hour, a, true, 0},
		{"idle 2", time.Hour, a, true, 0},
		{"idle 3", time.Hour, a, true, 0},
		{"idle 4 refused", time.Hour, a, false, time.Second},
		{"a clock going back gives nothing", time.Hour - time.Minute, a, false, time.Second},
	}
	for _, st := range steps {
		ok, wait := l.allow(st.k, t0.Add(st.at))
		if ok != st.allowed || wait != st.wait {
			t.Errorf("%s: allow = %v, wait %v; want %v, %v", st.name, ok, wait, st.allowed, st.wait)
		}
	}
}

func TestLimiterBoundedMemory(t *testing.T) {
	t0 := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	const max = 4
	l := newLimiter(RateLimit{PerMinute: 1, Burst: 1}, max)
	hot := key("198.51.100.7")
	if ok, _ := l.allow(hot, t0); !ok {
		t.Fatal("first request refused")
	}
	for i := 0; i < 1000; i++ {
		l.allow(key(fmt.Sprintf("10.0.%d.%d", i/256, i%256)), t0)
		if i%3 == 0 { // the hot client keeps being seen: never evicted
			if ok, _ := l.allow(hot, t0); ok {
				t.Fatalf("hot client allowed again after %d others: its bucket was forgotten", i)
			}
		}
		if n := l.tracked(); n > max {
			t.Fatalf("%d clients tracked, max %d", n, max)
		}
	}
	if n := l.tracked(); n != max {
		t.Errorf("tracked %d, want %d", n, max)
	}
	// The least recently seen is forgotten and starts with a full bucket.
	if ok, _ := l.allow(key("10.0.0.0"), t0); !ok {
		t.Error("evicted client still refused: memory not freed")
	}
	if newLimiter(RateLimit{Off: true}, max) != nil {
		t.Error("Off should disable the limiter")
	}
}

func TestLimitKeyIPv6Prefix(t *testing.T) {
	if key("2001:db8:1:2::1") != key("2001:db8:1:2:ffff::9") {
		t.Error("two addresses of one /64 should share a bucket")
	}
	if key("2001:db8:1:2::1") == key("2001:db8:1:3::1") {
		t.Error("different /64s should not share a bucket")
	}
	if key("192.0.2.1") == key("192.0.2.2") {
		t.Error("IPv4 addresses should not share a bucket")
	}
}

func TestClientAddr(t *testing.T) {
	proxies, err := ParseTrustedProxies([]string{"10.0.0.0/8", "2001:db8:ffff::1"})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name    string
		remote  string
		xff     []string
		proxies []netip.Prefix
		want    string
	}{
		{"no proxies: XFF ignored", "203.0.113.5:4000", []string{"1.2.3.4"}, nil, "203.0.113.5"},
		{"untrusted peer: XFF ignored", "203.0.113.5:4000", []string{"1.2.3.4"}, proxies, "203.0.113.5"},
		{"trusted peer: rightmost XFF", "10.1.2.3:4000", []string{"198.51.100.9"}, proxies, "198.51.100.9"},
		{"client-written entries left of the first untrusted are ignored", "10.1.2.3:4000", []string{"6.6.6.6, 198.51.100.9, 10.9.9.9"}, proxies, "198.51.100.9"},
		{"several headers are one list", "10.1.2.3:4000", []string{"6.6.6.6", "198.51.100.9", "10.9.9.9"}, proxies, "198.51.100.9"},
		{"trusted peer, no XFF: the peer", "10.1.2.3:4000", nil, proxies, "10.1.2.3"},
		{"malformed entry stops at the last trusted hop", "10.1.2.3:4000", []string{"198.51.100.9, garbage"}, proxies, "10.1.2.3"},
		{"all hops trusted: the leftmost", "10.1.2.3:4000", []string{"10.4.4.4, 10.5.5.5"}, proxies, "10.4.4.4"},
		{"IPv6 trusted proxy", "[2001:db8:ffff::1]:443", []string{"2001:db8:1::7"}, proxies, "2001:db8:1::7"},
		{"IPv4-mapped peer", "[::ffff:10.1.2.3]:4000", []string{"198.51.100.9"}, proxies, "198.51.100.9"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/nonce", nil)
			r.RemoteAddr = tc.remote
			for _, h := range tc.xff {
				r.Header.Add("X-Forwarded-For", h)
			}
			got, ok := clientAddr(r, tc.proxies)
			if !ok || got.String() != tc.want {
				t.Errorf("clientAddr = %v %v, want %s", got, ok, tc.want)
			}
		})
	}
	if _, err := ParseTrustedProxies([]string{"not-a-cidr"}); err == nil {
		t.Error("bad CIDR accepted")
	}
}

func postNonce(t *testing.T, f *fixture, xff string) response {
	t.Helper()
	req, err := http.NewRequest("POST", f.srv.URL+"/nonce", nil)
	if err != nil {
		t.Fatal(err)
	}
	if xff != "" {
		req.Header.Set("X-Forwarded-For", xff)
	}
	res, err := f.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	r := response{status: res.StatusCode, raw: string(b), header: res.Header}
	_ = json.Unmarshal(b, &r.body)
	return r
}

func TestHTTPRateLimit(t *testing.T) {
	f := newFixture(t, func(c *Config) {
		c.NonceLimit = RateLimit{PerMinute: 6, Burst: 2} // one every 10 s
		c.TrustedProxies = []string{"127.0.0.1/32"}
	})
	// Behind the (trusted) test client, each X-Forwarded-For is a client.
	for i := 0; i < 2; i++ {
		if r := postNonce(t, f, "198.51.100.1"); r.status != 200 {
			t.Fatalf("nonce %d within the burst: %d %s", i, r.status, r.raw)
		}
	}
	r := postNonce(t, f, "198.51.100.1")
	if r.status != http.StatusTooManyRequests || r.body["error"] != "slow_down" || r.header.Get("Retry-After") != "10" {
		t.Fatalf("over the burst: %d %q Retry-After %q", r.status, r.raw, r.header.Get("Retry-After"))
	}
	if r.header.Get("Content-Type") != "application/json" {
		t.Errorf("429 body type %q", r.header.Get("Content-Type"))
	}
	if r := postNonce(t, f, "198.51.100.2"); r.status != 200 {
		t.Errorf("another client refused: %d", r.status)
	}
	// A client cannot pick its own bucket by prepending addresses.
	if r := postNonce(t, f, "203.0.113.77, 198.51.100.1"); r.status != http.StatusTooManyRequests {
		t.Errorf("spoofed left entry escaped the limit: %d", r.status)
	}
	// The token endpoint has its own bucket.
	w := newWallet(t, f)
	if r := w.token("no-such-code", ""); r.status != 400 {
		t.Errorf("token endpoint limited by the nonce bucket: %d %s", r.status, r.raw)
	}
	f.clk.Advance(10 * time.Second)
	if r := postNonce(t, f, "198.51.100.1"); r.status != 200 {
		t.Errorf("after the refill: %d %s", r.status, r.raw)
	}
	m := do(t, f.srv.Client(), "GET", f.srv.URL+"/metrics", "", "", nil)
	if !strings.Contains(m.raw, `cairn_issuer_rate_limited_total{endpoint="nonce"} 2`) {
		t.Errorf("rate_limited metric missing or wrong:\n%s", m.raw)
	}
}

func TestHTTPRateLimitIgnoresXFFFromUntrustedPeer(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.NonceLimit = RateLimit{PerMinute: 1, Burst: 1} })
	if r := postNonce(t, f, "198.51.100.1"); r.status != 200 {
		t.Fatalf("first: %d", r.status)
	}
	// Without TrustedProxies the header is the client's own word.
	if r := postNonce(t, f, "198.51.100.2"); r.status != http.StatusTooManyRequests {
		t.Errorf("a forged X-Forwarded-For bought a new bucket: %d", r.status)
	}
}

func TestHTTPOfferAndTokenLimits(t *testing.T) {
	f := newFixture(t, func(c *Config) {
		c.OfferLimit = RateLimit{PerMinute: 1, Burst: 1}
		c.TokenLimit = RateLimit{PerMinute: 1, Burst: 1}
	})
	w := newWallet(t, f)
	o := f.offer(t, false)
	if _, r := w.fetchOffer(o); r.status != 200 {
		t.Fatalf("offer: %d", r.status)
	}
	if _, r := w.fetchOffer(o); r.status != http.StatusTooManyRequests || r.body["error"] != "slow_down" || r.header.Get("Retry-After") != "60" {
		t.Errorf("second offer fetch: %d %s %q", r.status, r.raw, r.header.Get("Retry-After"))
	}
	if r := w.token("x", ""); r.status != 400 {
		t.Errorf("first token: %d", r.status)
	}
	if r := w.token("x", ""); r.status != http.StatusTooManyRequests {
		t.Errorf("second token: %d %s", r.status, r.raw)
	}
}

func TestNonceCap(t *testing.T) {
	f := newFixture(t, func(c *Config) {
		c.MaxLiveNonces = 2
		c.NonceLimit = RateLimit{Off: true}
	})
	for i := 0; i < 2; i++ {
		if r := postNonce(t, f, ""); r.status != 200 {
			t.Fatalf("nonce %d: %d", i, r.status)
		}
	}
	before := f.snapshot(t)
	r := postNonce(t, f, "")
	if r.status != http.StatusServiceUnavailable || r.body["error"] != "temporarily_unavailable" || r.header.Get("Retry-After") == "" {
		t.Fatalf("over the cap: %d %s %q", r.status, r.raw, r.header.Get("Retry-After"))
	}
	sameStore(t, before, f.snapshot(t))
	if n, err := f.svc.NonceCount(context.Background()); err != nil || n != 2 {
		t.Errorf("NonceCount = %d, %v", n, err)
	}
	m := do(t, f.srv.Client(), "GET", f.srv.URL+"/metrics", "", "", nil)
	if !strings.Contains(m.raw, "cairn_issuer_nonces_refused_total 1") {
		t.Errorf("nonces_refused metric:\n%s", m.raw)
	}
	f.clk.Advance(DefaultNonceTTL)
	if _, err := f.svc.Sweep(context.Background()); err != nil {
		t.Fatal(err)
	}
	if r := postNonce(t, f, ""); r.status != 200 {
		t.Errorf("after the sweep: %d %s", r.status, r.raw)
	}
}
