package api

import (
	"context"
	"fmt"
	"net/netip"
	"sync"
	"testing"

	"github.com/cairn-id/cairn/internal/server"
	"github.com/cairn-id/cairn/issuer"
)

// TestNonceFloodFromManyAddresses: anonymous clients behind a trusted
// proxy, each with its own address (so each gets a fresh burst from the
// per-client limiter), ask for many more nonces than the store's cap.
// A real wallet still gets a nonce and a credential during and after the
// flood, and the flood stores nothing (issue 9: nonce exhaustion).
func TestNonceFloodFromManyAddresses(t *testing.T) {
	const addresses, perAddress, cap = 600, 4, 500
	f := newFixture(t, func(c *fixtureConfig) {
		c.MaxLiveNonces = cap // the old global cap, small so the test stays short
		c.API.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
	})
	flood := func(from, to int) (ok, refused int) {
		var mu sync.Mutex
		var wg sync.WaitGroup
		sem := make(chan struct{}, 8)
		for i := from; i < to; i++ {
			wg.Add(1)
			sem <- struct{}{}
			go func(i int) {
				defer func() { <-sem; wg.Done() }()
				xff := fmt.Sprintf("2001:db8:%x:%x::1", i/256, i%256) // one /64 each
				for range perAddress {
					r := postNonce(t, f, xff)
					mu.Lock()
					if r.status == 200 {
						ok++
					} else {
						refused++
					}
					mu.Unlock()
				}
			}(i)
		}
		wg.Wait()
		return ok, refused
	}
	wallet := func(when string) {
		w := newWallet(t, f)
		if r := w.run(f.offer(t, false)); r.status != 200 {
			t.Fatalf("%s the flood, a real wallet got %d %s", when, r.status, r.raw)
		}
	}
	ok1, ref1 := flood(0, addresses/2)
	wallet("during")
	ok2, ref2 := flood(addresses/2, addresses)
	wallet("after")
	t.Logf("flood: %d nonces answered, %d refused", ok1+ok2, ref1+ref2)
	if ok1+ok2 <= cap {
		t.Errorf("the flood got only %d nonces: the test did not exceed the old cap of %d", ok1+ok2, cap)
	}
	if n, err := f.svc.NonceCount(context.Background()); err != nil || n > 2 {
		t.Errorf("the store holds %d nonces after the flood (%v): anonymous requests must not take store space", n, err)
	}
}

// TestNonceStateless replaces the old live-nonce cap: nonces beyond the
// old cap are answered without any store write, a used nonce is recorded
// once (a second credential request with it is invalid_nonce), a forged
// or expired one is refused, and Sweep drops the used record after the
// nonce's expiry.
func TestNonceStateless(t *testing.T) {
	f := newFixture(t, func(c *fixtureConfig) {
		c.MaxLiveNonces = 2
		c.API.NonceLimit = server.RateLimit{Off: true}
	})
	before := f.snapshot(t)
	for i := 0; i < 5; i++ {
		if r := postNonce(t, f, ""); r.status != 200 || r.body["c_nonce"] == "" {
			t.Fatalf("nonce %d: %d %s", i, r.status, r.raw)
		}
	}
	sameStore(t, before, f.snapshot(t))

	w := newWallet(t, f)
	o := f.offer(t, false)
	code, _ := w.fetchOffer(o)
	tok := w.token(code, "").body["access_token"].(string)
	for name, n := range map[string]string{
		"forged":  "AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		"garbage": "not-a-nonce",
	} {
		if r := w.credential(tok, testConfigID, w.proof(n, nil)); r.status != 400 || r.body["error"] != "invalid_nonce" {
			t.Errorf("%s nonce: %d %s", name, r.status, r.raw)
		}
	}
	n := w.nonce()
	if r := w.credential(tok, testConfigID, w.proof(n, nil)); r.status != 200 {
		t.Fatalf("credential: %d %s", r.status, r.raw)
	}
	if c, err := f.svc.NonceCount(context.Background()); err != nil || c != 1 {
		t.Errorf("used nonces stored = %d, %v; want 1", c, err)
	}
	// Same nonce again, with a fresh token: refused as used.
	w2 := newWallet(t, f)
	code2, _ := w2.fetchOffer(f.offer(t, false))
	tok2 := w2.token(code2, "").body["access_token"].(string)
	if r := w2.credential(tok2, testConfigID, w2.proof(n, nil)); r.status != 400 || r.body["error"] != "invalid_nonce" {
		t.Errorf("reused nonce: %d %s", r.status, r.raw)
	}
	old := w2.nonce()
	f.clk.Advance(issuer.DefaultNonceTTL)
	if r := w2.credential(tok2, testConfigID, w2.proof(old, nil)); r.status != 400 || r.body["error"] != "invalid_nonce" {
		t.Errorf("expired nonce: %d %s", r.status, r.raw)
	}
	if st, err := f.svc.Sweep(context.Background()); err != nil || st.Nonces != 1 {
		t.Errorf("sweep: %+v %v, want the used nonce dropped", st, err)
	}
}
