package issuer

import (
	"context"
	"crypto/rand"
	"testing"
	"time"

	"github.com/cairn-id/cairn/internal/jose"
	"github.com/cairn-id/cairn/internal/keys"
)

// BenchmarkIssueHTTP is one credential through the HTTP endpoints on
// loopback per op: token, nonce, proof, credential (the offer is created
// outside the timer).
func BenchmarkIssueHTTP(b *testing.B) {
	f := newFixture(b, func(c *Config) { c.StatusListSize = 1 << 16 })
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
		r := w.credential(t.body["access_token"].(string), testConfigID, w.proof(w.nonce(), nil))
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
