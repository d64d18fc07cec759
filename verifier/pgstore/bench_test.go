package pgstore_test

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/cairn-id/cairn/internal/did"
	"github.com/cairn-id/cairn/internal/oid4vp"
	"github.com/cairn-id/cairn/internal/sdjwtvc"
	"github.com/cairn-id/cairn/internal/store/pg"
	"github.com/cairn-id/cairn/internal/store/pg/pgtest"
	"github.com/cairn-id/cairn/verifier"
	"github.com/cairn-id/cairn/verifier/pgstore"
)

// BenchmarkVerification runs direct_post verifications in parallel on two
// verifier instances sharing one database, as the load test's wallets
// do: the request object fetched from one, the response posted to the
// other, the result read from the first. It reports the round trips and the transactions rerun after a conflict per
// verification. Sessions are made before the timer starts.
func BenchmarkVerification(b *testing.B) {
	ctx := context.Background()
	u := pgtest.URL(b)
	w := newWorld(b)
	var c pgtest.Counter
	var svcs []*verifier.Service
	for range 2 {
		st, err := pgstore.Open(ctx, u, pg.Options{Tracer: &c, Logger: c.Logger()})
		if err != nil {
			b.Fatal(err)
		}
		defer st.Close()
		svc := w.service(b, st)
		defer svc.Close()
		svcs = append(svcs, svc)
	}
	ids := make([]string, b.N)
	for i := range ids {
		req, err := svcs[i%2].CreateSession(ctx, "clinic-access", verifier.CreateOptions{})
		if err != nil {
			b.Fatal(err)
		}
		ids[i] = req.SessionID
	}
	clientID := oid4vp.PrefixDecentralizedIdentifier + ":" + w.vk.DIDJWK()
	var next atomic.Int64
	trips0, retries0 := c.RoundTrips(), c.Retries()
	b.SetParallelism(4) // 4×GOMAXPROCS wallets
	b.ResetTimer()
	b.RunParallel(func(p *testing.PB) {
		for p.Next() {
			i := int(next.Add(1)) - 1
			a, other := svcs[i%2], svcs[(i+1)%2]
			jws, err := a.RequestObject(ctx, ids[i], "")
			if err != nil {
				b.Error(err)
				return
			}
			ar, err := oid4vp.VerifyRequestObject(ctx, jws, oid4vp.VerifyOptions{Options: oid4vp.Options{Dev: true}, ClientID: clientID, Resolver: &did.Resolver{}})
			if err != nil {
				b.Error(err)
				return
			}
			vp, err := sdjwtvc.Present(w.cred, w.holder.JoseSigner(), sdjwtvc.PresentOptions{Paths: w.disclosures, Audience: oid4vp.KBAudience(ar.ClientID), Nonce: ar.Nonce})
			if err != nil {
				b.Error(err)
				return
			}
			form, err := (&oid4vp.Response{VPToken: oid4vp.VPToken{"identity": {vp}}, State: ar.State}).Form()
			if err != nil {
				b.Error(err)
				return
			}
			if res, err := other.Respond(ctx, ids[i], []byte(form.Encode())); err != nil || res.Outcome != verifier.OutcomeValid {
				b.Errorf("respond: %v", err)
				return
			}
			if _, err := a.Result(ctx, ids[i]); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(c.RoundTrips()-trips0)/float64(b.N), "trips/op")
	b.ReportMetric(float64(c.Retries()-retries0)/float64(b.N), "retries/op")
}
