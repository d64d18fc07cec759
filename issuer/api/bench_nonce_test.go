package api_test

import (
	"context"
	"crypto/rand"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/cairn-id/cairn/internal/jose"
	"github.com/cairn-id/cairn/internal/keys"
	"github.com/cairn-id/cairn/internal/server"
	"github.com/cairn-id/cairn/issuer"
	"github.com/cairn-id/cairn/issuer/api"
	"github.com/cairn-id/cairn/issuer/boltstore"
	"github.com/cairn-id/cairn/schemas"
)

// countingStore counts the write transactions (durable commits) a
// Service makes.
type countingStore struct {
	issuer.Store
	writes atomic.Int64
}

func (c *countingStore) Update(ctx context.Context, fn func(tx issuer.Tx) error) error {
	c.writes.Add(1)
	return c.Store.Update(ctx, fn)
}

func (c *countingStore) Batch(ctx context.Context, fn func(tx issuer.Tx) error) error {
	c.writes.Add(1)
	return c.Store.Batch(ctx, fn)
}

func newCountingBench(b *testing.B) (*benchIssuer, *countingStore) {
	b.Helper()
	cat, err := schemas.Load()
	if err != nil {
		b.Fatal(err)
	}
	bolt, err := boltstore.Open(filepath.Join(b.TempDir(), "issuer.db"))
	if err != nil {
		b.Fatal(err)
	}
	st := &countingStore{Store: bolt}
	b.Cleanup(func() { st.Close() })
	key, err := keys.Generate(jose.ES256, nil)
	if err != nil {
		b.Fatal(err)
	}
	hk := make([]byte, 32)
	rand.Read(hk)
	bi := &benchIssuer{srv: httptest.NewUnstartedServer(nil)}
	bi.srv.Start()
	b.Cleanup(bi.srv.Close)
	cfg := issuer.Config{URL: bi.srv.URL, Dev: true, Names: map[string]string{"en": "Relief NGO"}, Types: []string{benchVCT},
		Catalogue: cat, Key: key, HashKey: hk, Store: st, StatusListSize: 1 << 16, Logger: slog.New(slog.DiscardHandler)}
	if bi.svc, err = issuer.New(cfg); err != nil {
		b.Fatal(err)
	}
	off := server.RateLimit{Off: true}
	if bi.h, err = api.New(bi.svc, api.Options{NonceLimit: off, TokenLimit: off, OfferLimit: off}); err != nil {
		b.Fatal(err)
	}
	bi.srv.Config.Handler = bi.h
	return bi, st
}

// BenchmarkIssuerNonce is one c_nonce (the nonce endpoint's work).
func BenchmarkIssuerNonce(b *testing.B) {
	bi, st := newCountingBench(b)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := bi.svc.NewNonce(ctx); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(st.writes.Load())/float64(b.N), "commits/op")
}

// BenchmarkIssueLibraryCommits is BenchmarkIssueLibrary over a store that
// counts write transactions: commits/op is the durable writes per
// credential (token, nonce, reservation, record).
func BenchmarkIssueLibraryCommits(b *testing.B) {
	bi, st := newCountingBench(b)
	holder, _ := keys.Generate(jose.ES256, nil)
	ctx := context.Background()
	codes := bi.codes(b, b.N)
	before := st.writes.Load()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		g, err := bi.svc.RedeemCode(ctx, codes[i], "")
		if err != nil {
			b.Fatal(err)
		}
		nonce, err := bi.svc.NewNonce(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := bi.svc.IssueCredential(ctx, issuer.CredentialRequest{AccessToken: g.AccessToken, ConfigurationID: "humanitarian-registration.v1",
			HolderJWK: holder.PublicJWK(), HolderDID: holder.DIDJWK(), Nonce: nonce}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(st.writes.Load()-before)/float64(b.N), "commits/op")
}
