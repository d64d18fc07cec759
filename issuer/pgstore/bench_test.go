package pgstore_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/cairn-id/cairn/internal/jose"
	"github.com/cairn-id/cairn/internal/keys"
	"github.com/cairn-id/cairn/internal/store/pg"
	"github.com/cairn-id/cairn/internal/store/pg/pgtest"
	"github.com/cairn-id/cairn/issuer"
	"github.com/cairn-id/cairn/issuer/pgstore"
	"github.com/cairn-id/cairn/schemas"
)

// BenchmarkIssuance runs the pre-authorized flow's store work (redeem,
// nonce, credential) in parallel on two issuer instances sharing one
// database, and reports the round trips and the
// transactions rerun after a conflict per credential: the figures a
// change to the issuance transactions should lower. Offers are made
// before the timer starts.
func BenchmarkIssuance(b *testing.B) {
	ctx := context.Background()
	u := pgtest.URL(b)
	cat, err := schemas.Load()
	if err != nil {
		b.Fatal(err)
	}
	key, _ := keys.Generate(jose.ES256, nil)
	hk := make([]byte, 32)
	rand.Read(hk)
	const vct = "urn:cairn:vct:humanitarian-registration:1"
	var c pgtest.Counter
	var svcs []*issuer.Service
	for range 2 {
		st, err := pgstore.Open(ctx, u, pg.Options{Tracer: &c, Logger: c.Logger()})
		if err != nil {
			b.Fatal(err)
		}
		defer st.Close()
		svc, err := issuer.New(issuer.Config{URL: "http://127.0.0.1:1", Dev: true, Names: map[string]string{"en": "NGO"}, Types: []string{vct},
			Catalogue: cat, Key: key, HashKey: hk, Store: st})
		if err != nil {
			b.Fatal(err)
		}
		svcs = append(svcs, svc)
	}
	holder, _ := keys.Generate(jose.ES256, nil)
	codes := make([]string, b.N)
	for i := range codes {
		o, err := svcs[0].CreateOffer(ctx, issuer.OfferRequest{VCT: vct, Claims: map[string]any{"registration_id": fmt.Sprint("REG-", i),
			"registration_date": "2025-03-02", "registration_place": map[string]any{"country": "LB"}}})
		if err != nil {
			b.Fatal(err)
		}
		stored, err := svcs[0].GetOffer(ctx, o.ID)
		if err != nil {
			b.Fatal(err)
		}
		codes[i] = svcs[0].CredentialOffer(stored).Grants.PreAuthorizedCode.PreAuthorizedCode
	}
	var next atomic.Int64
	trips0, retries0 := c.RoundTrips(), c.Retries()
	b.SetParallelism(4) // 4×GOMAXPROCS workers
	b.ResetTimer()
	b.RunParallel(func(p *testing.PB) {
		for p.Next() {
			i := int(next.Add(1)) - 1
			svc := svcs[i%2]
			g, err := svc.RedeemCode(ctx, codes[i], "")
			if err != nil {
				b.Error(err)
				return
			}
			n, err := svc.NewNonce(ctx)
			if err != nil {
				b.Error(err)
				return
			}
			if _, err := svcs[(i+1)%2].IssueCredential(ctx, issuer.CredentialRequest{AccessToken: g.AccessToken, ConfigurationID: "humanitarian-registration.v1",
				HolderJWK: holder.PublicJWK(), HolderDID: holder.DIDJWK(), Nonce: n}); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(c.RoundTrips()-trips0)/float64(b.N), "trips/op")
	b.ReportMetric(float64(c.Retries()-retries0)/float64(b.N), "retries/op")
}
