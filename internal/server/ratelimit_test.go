package server

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
	"time"
)

func key(s string) netip.Prefix { return LimitKey(netip.MustParseAddr(s)) }

func TestLimiterBurstAndRefill(t *testing.T) {
	t0 := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	l := NewLimiter(RateLimit{PerMinute: 60, Burst: 3}, 100) // one a second
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
		ok, wait := l.AllowKey(st.k, t0.Add(st.at))
		if ok != st.allowed || wait != st.wait {
			t.Errorf("%s: allow = %v, wait %v; want %v, %v", st.name, ok, wait, st.allowed, st.wait)
		}
	}
}

func TestLimiterBoundedMemory(t *testing.T) {
	t0 := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	const max = 4
	l := NewLimiter(RateLimit{PerMinute: 1, Burst: 1}, max)
	hot := key("198.51.100.7")
	if ok, _ := l.AllowKey(hot, t0); !ok {
		t.Fatal("first request refused")
	}
	for i := 0; i < 1000; i++ {
		l.AllowKey(key(fmt.Sprintf("10.0.%d.%d", i/256, i%256)), t0)
		if i%3 == 0 { // the hot client keeps being seen: never evicted
			if ok, _ := l.AllowKey(hot, t0); ok {
				t.Fatalf("hot client allowed again after %d others: its bucket was forgotten", i)
			}
		}
		if n := l.Tracked(); n > max {
			t.Fatalf("%d clients tracked, max %d", n, max)
		}
	}
	if n := l.Tracked(); n != max {
		t.Errorf("tracked %d, want %d", n, max)
	}
	// The least recently seen is forgotten and starts with a full bucket.
	if ok, _ := l.AllowKey(key("10.0.0.0"), t0); !ok {
		t.Error("evicted client still refused: memory not freed")
	}
	if NewLimiter(RateLimit{Off: true}, max) != nil {
		t.Error("Off should disable the limiter")
	}
	var off *Limiter
	if ok, _ := off.Allow(httptest.NewRequest("GET", "/", nil)); !ok {
		t.Error("a nil limiter refused a request")
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
			got, ok := ClientAddr(r, tc.proxies)
			if !ok || got.String() != tc.want {
				t.Errorf("ClientAddr = %v %v, want %s", got, ok, tc.want)
			}
		})
	}
	if _, err := ParseTrustedProxies([]string{"not-a-cidr"}); err == nil {
		t.Error("bad CIDR accepted")
	}
}

// TestRateLimitedRoute: the route option answers 429 with Retry-After and
// {code, message}, keyed on the client behind a trusted proxy, refilled on
// the limiter's clock; a custom refusal replaces the body.
func TestRateLimitedRoute(t *testing.T) {
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	proxies, _ := ParseTrustedProxies([]string{"192.0.2.0/24"})
	l := NewLimiter(RateLimit{PerMinute: 6, Burst: 2}, 10, WithTrustedProxies(proxies), WithLimiterClock(func() time.Time { return now }))
	custom := NewLimiter(RateLimit{PerMinute: 1, Burst: 1}, 10)
	rt := newTestRouter(t, nil)
	ok := func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) }
	rt.HandleFunc("nonce", "/nonce", ok, Methods("POST"), RateLimited(l, nil))
	rt.HandleFunc("offer", "/offer", ok, RateLimited(custom, func(w http.ResponseWriter, r *http.Request, wait time.Duration) {
		WriteJSON(w, http.StatusTooManyRequests, map[string]string{"error": "slow_down"})
	}))
	do := func(method, path, xff string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(method, path, nil)
		r.RemoteAddr = "192.0.2.1:1234"
		if xff != "" {
			r.Header.Set("X-Forwarded-For", xff)
		}
		w := httptest.NewRecorder()
		rt.ServeHTTP(w, r)
		return w
	}
	for i := 0; i < 2; i++ {
		if w := do("POST", "/nonce", "198.51.100.1"); w.Code != 200 {
			t.Fatalf("within the burst: %d", w.Code)
		}
	}
	w := do("POST", "/nonce", "198.51.100.1")
	if b := body(t, w); w.Code != 429 || w.Header().Get("Retry-After") != "10" || b["code"] != CodeRateLimited || b["message"] == "" {
		t.Fatalf("over the burst: %d %q %s", w.Code, w.Header().Get("Retry-After"), w.Body)
	}
	if w := do("POST", "/nonce", "198.51.100.2"); w.Code != 200 {
		t.Errorf("another client refused: %d", w.Code)
	}
	now = now.Add(10 * time.Second)
	if w := do("POST", "/nonce", "198.51.100.1"); w.Code != 200 {
		t.Errorf("after the refill: %d", w.Code)
	}
	do("GET", "/offer", "")
	w = do("GET", "/offer", "")
	if w.Code != 429 || w.Header().Get("Retry-After") != "60" || body(t, w)["error"] != "slow_down" {
		t.Errorf("custom refusal: %d %q %s", w.Code, w.Header().Get("Retry-After"), w.Body)
	}
}
