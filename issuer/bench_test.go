package issuer

import (
	"context"
	"crypto/rand"
	"net/http/httptest"
	"net/netip"
	"testing"
	"time"

	"github.com/cairn-id/cairn/internal/jose"
	"github.com/cairn-id/cairn/internal/keys"
)

// BenchmarkIssueHTTP is one credential through the HTTP endpoints on
// loopback per op: token, nonce, proof, credential (the offer is created
// outside the timer).
func BenchmarkIssueHTTP(b *testing.B) {
	// One client on loopback makes every request: the per-address rate
	// limits would measure the limiter's 429s, not issuance.
	f := newFixture(b, func(c *Config) {
		c.StatusListSize = 1 << 16
		c.NonceLimit.Off, c.TokenLimit.Off, c.OfferLimit.Off = true, true, true
	})
	w := newWallet(b, f)
	offers := make([]string, b.N)
	for i := range offers {
		o := f.offer(b, false)
		offers[i], _ = w.fetchOffer(o)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t := w.token(offers[i], "")
		tok, ok := t.body["access_token"].(string)
		if !ok {
			b.Fatalf("token: %d %s", t.status, t.raw)
		}
		r := w.credential(tok, testConfigID, w.proof(w.nonce(), nil))
		if r.status != 200 {
			b.Fatal(r.raw)
		}
	}
}

// BenchmarkIssueLibrary is the same work without HTTP: the store
// operations and the signing the endpoints do, called directly.
func BenchmarkIssueLibrary(b *testing.B) {
	f := newFixture(b, func(c *Config) { c.StatusListSize = 1 << 16 })
	holder, _ := keys.Generate(jose.ES256, nil)
	hk := &holderKey{JWK: holder.PublicJWK(), DID: holder.DIDJWK()}
	t := f.svc.types[testConfigID]
	ctx := context.Background()
	codes := make([]string, b.N)
	for i := range codes {
		o := f.offer(b, false)
		codes[i] = f.svc.preAuthCode(o.ID)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		now := f.clk.Now()
		tok := f.svc.hash("access_token", codes[i])
		if _, err := f.store.Redeem(ctx, RedeemRequest{CodeHash: f.svc.hash("code", codes[i]), Now: now, MaxAttempts: 5,
			Token: AccessToken{Hash: tok, ExpiresAt: now.Add(time.Minute)}}); err != nil {
			b.Fatal(err)
		}
		nonce := f.svc.hash("c_nonce", codes[i])
		if err := f.store.PutNonce(ctx, nonce, now.Add(time.Minute), 0); err != nil {
			b.Fatal(err)
		}
		if _, err := f.store.Issue(ctx, IssueRequest{TokenHash: tok, NonceHash: nonce, Now: now, Rand: rand.Reader, StatusListSize: 1 << 16,
			Sign: func(o *StoredOffer, list string, idx int) (*Record, error) {
				_, rec, err := f.svc.sign(o, t, hk, list, idx, now)
				return rec, err
			}}); err != nil {
			b.Fatal(err)
		}
	}
}

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
