package api

import (
	"encoding/json"
	"github.com/cairn-id/cairn/internal/server"
	"io"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"
)

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
	f := newFixture(t, func(c *fixtureConfig) {
		c.API.NonceLimit = server.RateLimit{PerMinute: 6, Burst: 2} // one every 10 s
		c.API.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
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
	f := newFixture(t, func(c *fixtureConfig) { c.API.NonceLimit = server.RateLimit{PerMinute: 1, Burst: 1} })
	if r := postNonce(t, f, "198.51.100.1"); r.status != 200 {
		t.Fatalf("first: %d", r.status)
	}
	// Without TrustedProxies the header is the client's own word.
	if r := postNonce(t, f, "198.51.100.2"); r.status != http.StatusTooManyRequests {
		t.Errorf("a forged X-Forwarded-For bought a new bucket: %d", r.status)
	}
}

func TestHTTPOfferAndTokenLimits(t *testing.T) {
	f := newFixture(t, func(c *fixtureConfig) {
		c.API.OfferLimit = server.RateLimit{PerMinute: 1, Burst: 1}
		c.API.TokenLimit = server.RateLimit{PerMinute: 1, Burst: 1}
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
