package server

import (
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"
)

// Ported from package issuer with the limiter.

// FuzzClientAddr: any X-Forwarded-For never panics, and the address it
// yields is the peer, or one named in the header while the peer is a
// trusted proxy.
func FuzzClientAddr(f *testing.F) {
	proxies, err := ParseTrustedProxies([]string{"10.0.0.0/8", "::1"})
	if err != nil {
		f.Fatal(err)
	}
	f.Add("10.1.2.3:80", "198.51.100.1")
	f.Add("10.1.2.3:80", "6.6.6.6, 198.51.100.1, 10.9.9.9")
	f.Add("203.0.113.5:1", "198.51.100.1")
	f.Add("[::1]:443", "2001:db8::1, garbage")
	f.Add("nonsense", ",,,")
	f.Fuzz(func(t *testing.T, remote, xff string) {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = remote
		r.Header.Set("X-Forwarded-For", xff)
		a, ok := ClientAddr(r, proxies)
		if !ok {
			return
		}
		peer, _ := ClientAddr(r, nil)
		if a != peer && (!trusted(peer, proxies) || strings.TrimSpace(xff) == "") {
			t.Fatalf("client %v from untrusted peer %v (header %q)", a, peer, xff)
		}
		if a.Is4In6() {
			t.Fatalf("client %v not unmapped: IPv4 clients would get two buckets", a)
		}
	})
}

// BenchmarkLimiterAllow is one rate-limit decision among 10,000 tracked
// clients.
func BenchmarkLimiterAllow(b *testing.B) {
	const maxClients = 10000
	l := NewLimiter(RateLimit{PerMinute: 30, Burst: 10}, maxClients)
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	addrs := make([]netip.Prefix, maxClients)
	for i := range addrs {
		addrs[i] = LimitKey(netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}))
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		l.AllowKey(addrs[i%len(addrs)], now.Add(time.Duration(i)*time.Millisecond))
	}
}
