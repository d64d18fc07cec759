package issuer

import (
	"net/http/httptest"
	"net/netip"
	"testing"
	"time"
)

// benchStatusList issues one credential so list "1" exists, then serves
// GET /status/1; signEach empties the cache before each request.
func benchStatusList(b *testing.B, signEach bool) {
	f := newFixture(b, func(c *Config) { c.StatusListSize = 1 << 16 })
	w := newWallet(b, f)
	if r := w.run(f.offer(b, false)); r.status != 200 {
		b.Fatal(r.raw)
	}
	h := f.svc.Handler()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if signEach {
			f.svc.statusCache = newStatusCache()
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/status/1", nil))
		if rec.Code != 200 {
			b.Fatal(rec.Code)
		}
	}
}

// BenchmarkStatusListCached is a GET /status/{list} served from the
// signed-token cache (one store read of the revision).
func BenchmarkStatusListCached(b *testing.B) { benchStatusList(b, false) }

// BenchmarkStatusListSigned is the same request signing the list anew, as
// every request did before the cache.
func BenchmarkStatusListSigned(b *testing.B) { benchStatusList(b, true) }

// BenchmarkLimiterAllow is one rate-limit decision among 10,000 tracked
// clients.
func BenchmarkLimiterAllow(b *testing.B) {
	l := newLimiter(RateLimit{PerMinute: 30, Burst: 10}, DefaultMaxTrackedClients)
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	addrs := make([]netip.Prefix, DefaultMaxTrackedClients)
	for i := range addrs {
		addrs[i] = limitKey(netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}))
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		l.allow(addrs[i%len(addrs)], now.Add(time.Duration(i)*time.Millisecond))
	}
}
