// Package storetest holds the conformance suite every verifier.Store
// implementation must pass (DESIGN.md §6: one suite, two stores). It
// checks the persistence contract (typed records, ErrNotFound, ErrExists
// for a second result, atomic Update) and runs the verifier's rules
// (package verifier's Service) over the store: a request_uri served once
// and a response accepted once under concurrency, results sealed and
// swept after their retention, reviews kept beside results, keyed hashes
// of seen jpt proofs swept when their replay window ends.
package storetest

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cairn-id/cairn/internal/did"
	"github.com/cairn-id/cairn/internal/jose"
	"github.com/cairn-id/cairn/verifier"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// StoreConformance runs the suite. newStore must return an empty store
// that the suite may close.
func StoreConformance(t *testing.T, newStore func(t *testing.T) verifier.Store) {
	t.Run("persistence", func(t *testing.T) { persistence(t, newStore) })
	t.Run("rules", func(t *testing.T) { rules(t, newStore) })
}

func session(id string) *verifier.Session {
	return &verifier.Session{ID: id, Purpose: "clinic-access", Nonce: "n-" + id, State: "s-" + id, ResponseMode: "direct_post",
		Status: verifier.SessionCreated, CreatedAt: t0, ExpiresAt: t0.Add(10 * time.Minute), ResultExpiresAt: t0.Add(24 * time.Hour)}
}

func persistence(t *testing.T, newStore func(t *testing.T) verifier.Store) {
	ctx := context.Background()
	t.Run("missing keys are ErrNotFound", func(t *testing.T) {
		s := newStore(t)
		defer s.Close()
		err := s.View(ctx, func(tx verifier.Tx) error {
			for name, get := range map[string]func() error{
				"Session":   func() error { _, err := tx.Session("x"); return err },
				"Result":    func() error { _, err := tx.Result("x"); return err },
				"Review":    func() error { _, err := tx.Review("x"); return err },
				"SeenProof": func() error { _, err := tx.SeenProof("x"); return err },
			} {
				if err := get(); !errors.Is(err, verifier.ErrNotFound) {
					t.Errorf("%s: got %v, want ErrNotFound", name, err)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		err = s.Update(ctx, func(tx verifier.Tx) error {
			for name, del := range map[string]func() error{
				"DeleteSession":   func() error { return tx.DeleteSession("x") },
				"DeleteResult":    func() error { return tx.DeleteResult("x") },
				"DeleteReview":    func() error { return tx.DeleteReview("x") },
				"DeleteSeenProof": func() error { return tx.DeleteSeenProof("x") },
			} {
				if err := del(); !errors.Is(err, verifier.ErrNotFound) {
					t.Errorf("%s: got %v, want ErrNotFound", name, err)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
	t.Run("seen proofs: ErrExists for a second, listed, deleted", func(t *testing.T) {
		s := newStore(t)
		defer s.Close()
		p := &verifier.SeenProof{Digest: "dGVzdC1kaWdlc3Q", ExpiresAt: t0.Add(10 * time.Minute)}
		if err := s.Update(ctx, func(tx verifier.Tx) error { return tx.PutSeenProof(p) }); err != nil {
			t.Fatal(err)
		}
		err := s.Update(ctx, func(tx verifier.Tx) error {
			return tx.PutSeenProof(&verifier.SeenProof{Digest: p.Digest, ExpiresAt: t0})
		})
		if !errors.Is(err, verifier.ErrExists) {
			t.Fatalf("second PutSeenProof: %v, want ErrExists", err)
		}
		err = s.View(ctx, func(tx verifier.Tx) error {
			got, err := tx.SeenProof(p.Digest)
			if err != nil {
				return err
			}
			if !got.ExpiresAt.Equal(p.ExpiresAt) {
				t.Errorf("expires %v, want %v (the first one kept)", got.ExpiresAt, p.ExpiresAt)
			}
			n := 0
			if err := tx.ForEachSeenProof(func(*verifier.SeenProof) error { n++; return nil }); err != nil {
				return err
			}
			if n != 1 {
				t.Errorf("%d seen proofs listed, want 1", n)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Update(ctx, func(tx verifier.Tx) error { return tx.DeleteSeenProof(p.Digest) }); err != nil {
			t.Fatal(err)
		}
		err = s.View(ctx, func(tx verifier.Tx) error { _, err := tx.SeenProof(p.Digest); return err })
		if !errors.Is(err, verifier.ErrNotFound) {
			t.Fatalf("after delete: %v", err)
		}
	})
	t.Run("records round-trip", func(t *testing.T) {
		s := newStore(t)
		defer s.Close()
		se := session("a")
		se.SealedKey = []byte{1, 2, 3}
		r := &verifier.StoredResult{SessionID: "a", Purpose: "clinic-access", Code: verifier.CodeValid, CreatedAt: t0, ExpiresAt: t0.Add(time.Hour), Sealed: []byte{0, 255, 7}}
		rv := &verifier.Review{SessionID: "a", Decision: verifier.DecisionAccept, SealedReason: []byte{9, 0, 9}, Caseworker: "cw-1", At: t0}
		if err := s.Update(ctx, func(tx verifier.Tx) error {
			if err := tx.PutSession(se); err != nil {
				return err
			}
			if err := tx.PutResult(r); err != nil {
				return err
			}
			return tx.PutReview(rv)
		}); err != nil {
			t.Fatal(err)
		}
		err := s.View(ctx, func(tx verifier.Tx) error {
			gs, err := tx.Session("a")
			if err != nil {
				return err
			}
			if gs.Nonce != se.Nonce || gs.State != se.State || string(gs.SealedKey) != string(se.SealedKey) || !gs.ExpiresAt.Equal(se.ExpiresAt) || gs.Status != se.Status {
				t.Errorf("session: got %+v, want %+v", gs, se)
			}
			gr, err := tx.Result("a")
			if err != nil {
				return err
			}
			if string(gr.Sealed) != string(r.Sealed) || gr.Code != r.Code || !gr.ExpiresAt.Equal(r.ExpiresAt) {
				t.Errorf("result: got %+v, want %+v", gr, r)
			}
			gv, err := tx.Review("a")
			if err != nil {
				return err
			}
			if string(gv.SealedReason) != string(rv.SealedReason) || gv.Caseworker != rv.Caseworker || gv.Decision != rv.Decision {
				t.Errorf("review: got %+v, want %+v", gv, rv)
			}
			n := 0
			if err := tx.ForEachSession(func(*verifier.Session) error { n++; return nil }); err != nil {
				return err
			}
			if err := tx.ForEachResult(func(*verifier.StoredResult) error { n++; return nil }); err != nil {
				return err
			}
			if n != 2 {
				t.Errorf("ForEach saw %d records, want 2", n)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		// A second result for the same session is refused.
		err = s.Update(ctx, func(tx verifier.Tx) error { return tx.PutResult(r) })
		if !errors.Is(err, verifier.ErrExists) {
			t.Errorf("second PutResult: got %v, want ErrExists", err)
		}
	})
	t.Run("a failed Update changes nothing", func(t *testing.T) {
		s := newStore(t)
		defer s.Close()
		boom := errors.New("boom")
		err := s.Update(ctx, func(tx verifier.Tx) error {
			if err := tx.PutSession(session("b")); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("got %v", err)
		}
		_ = s.View(ctx, func(tx verifier.Tx) error {
			if _, err := tx.Session("b"); !errors.Is(err, verifier.ErrNotFound) {
				t.Errorf("session written by a failed Update: %v", err)
			}
			return nil
		})
	})
	t.Run("Batch commits, and a failed Batch changes nothing", func(t *testing.T) {
		s := newStore(t)
		defer s.Close()
		var wg sync.WaitGroup
		for i := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				id := string(rune('a' + i))
				err := s.Batch(ctx, func(tx verifier.Tx) error {
					if err := tx.PutSession(session(id)); err != nil {
						return err
					}
					if i%2 == 1 {
						return errors.New("refused")
					}
					return nil
				})
				if (err == nil) != (i%2 == 0) {
					t.Errorf("Batch %d: %v", i, err)
				}
			}()
		}
		wg.Wait()
		_ = s.View(ctx, func(tx verifier.Tx) error {
			for i := range 8 {
				_, err := tx.Session(string(rune('a' + i)))
				if (err == nil) != (i%2 == 0) {
					t.Errorf("session %d after Batch: %v", i, err)
				}
			}
			return nil
		})
	})
	t.Run("writes in View fail", func(t *testing.T) {
		s := newStore(t)
		defer s.Close()
		err := s.View(ctx, func(tx verifier.Tx) error { return tx.PutSession(session("c")) })
		if err == nil {
			t.Error("PutSession in View succeeded")
		}
	})
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func service(t *testing.T, st verifier.Store, clk *clock) *verifier.Service {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	jwk, _ := jose.NewJWK(&k.PublicKey)
	d := did.FromJWK(jwk)
	sg, _ := jose.NewSigner(k, nil)
	key := make([]byte, verifier.ResultKeyLen)
	_, _ = rand.Read(key)
	sealer, _ := verifier.NewSealer(key, nil)
	ps, err := verifier.DefaultPurposes()
	if err != nil {
		t.Fatal(err)
	}
	svc, err := verifier.New(verifier.Config{Store: st, Signer: sg.WithKeyID(d + "#0"), DID: d, BaseURL: "https://verifier.example",
		Purposes: ps, Sealer: sealer, Now: clk.Now, ResponseMode: "direct_post"})
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

func rules(t *testing.T, newStore func(t *testing.T) verifier.Store) {
	ctx := context.Background()
	const n = 8
	t.Run("seen proofs are swept when their replay window ends", func(t *testing.T) {
		clk := &clock{t: t0}
		st := newStore(t)
		svc := service(t, st, clk)
		defer svc.Close()
		err := st.Update(ctx, func(tx verifier.Tx) error {
			if err := tx.PutSeenProof(&verifier.SeenProof{Digest: "early", ExpiresAt: t0.Add(5 * time.Minute)}); err != nil {
				return err
			}
			return tx.PutSeenProof(&verifier.SeenProof{Digest: "late", ExpiresAt: t0.Add(20 * time.Minute)})
		})
		if err != nil {
			t.Fatal(err)
		}
		clk.Add(10 * time.Minute)
		c, err := svc.Sweep(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if c.SeenProofs != 1 {
			t.Errorf("sweep: %+v, want the one past its window", c)
		}
		_ = st.View(ctx, func(tx verifier.Tx) error {
			if _, err := tx.SeenProof("early"); !errors.Is(err, verifier.ErrNotFound) {
				t.Errorf("expired seen proof kept: %v", err)
			}
			if _, err := tx.SeenProof("late"); err != nil {
				t.Errorf("seen proof inside its window swept: %v", err)
			}
			return nil
		})
	})
	t.Run("request_uri is served exactly once under concurrency", func(t *testing.T) {
		clk := &clock{t: t0}
		svc := service(t, newStore(t), clk)
		defer svc.Close()
		req, err := svc.CreateSession(ctx, "clinic-access", verifier.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		var ok, used atomic.Int32
		var wg sync.WaitGroup
		for range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := svc.RequestObject(ctx, req.SessionID, "")
				switch verifier.CodeOfError(err) {
				case "":
					if err == nil {
						ok.Add(1)
					} else {
						t.Error(err)
					}
				case verifier.CodeRequestUsed:
					used.Add(1)
				default:
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		if ok.Load() != 1 || used.Load() != n-1 {
			t.Errorf("%d served, %d refused as used; want 1 and %d", ok.Load(), used.Load(), n-1)
		}
	})
	t.Run("a response is accepted exactly once under concurrency", func(t *testing.T) {
		clk := &clock{t: t0}
		svc := service(t, newStore(t), clk)
		defer svc.Close()
		req, err := svc.CreateSession(ctx, "clinic-access", verifier.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.RequestObject(ctx, req.SessionID, ""); err != nil {
			t.Fatal(err)
		}
		state := stateOf(t, svc, req.SessionID)
		body := []byte(url.Values{"error": {"access_denied"}, "state": {state}}.Encode())
		var ok, replay atomic.Int32
		var wg sync.WaitGroup
		for range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res, err := svc.Respond(ctx, req.SessionID, body)
				switch {
				case err == nil && res.Code == verifier.CodeWalletDeclined:
					ok.Add(1)
				case verifier.CodeOfError(err) == verifier.CodeResponseReplay:
					replay.Add(1)
				default:
					t.Error(res, err)
				}
			}()
		}
		wg.Wait()
		if ok.Load() != 1 || replay.Load() != n-1 {
			t.Errorf("%d accepted, %d refused as replays; want 1 and %d", ok.Load(), replay.Load(), n-1)
		}
		res, err := svc.Result(ctx, req.SessionID)
		if err != nil || res.Code != verifier.CodeWalletDeclined {
			t.Fatalf("Result: %v %v", res, err)
		}
	})
	t.Run("reviews beside results; sweep after retention", func(t *testing.T) {
		clk := &clock{t: t0}
		st := newStore(t)
		svc := service(t, st, clk)
		defer svc.Close()
		req, _ := svc.CreateSession(ctx, "clinic-access", verifier.CreateOptions{})
		if _, err := svc.Result(ctx, req.SessionID); verifier.CodeOfError(err) != verifier.CodeResultPending {
			t.Fatalf("pending result: %v", err)
		}
		if _, err := svc.RecordReview(ctx, req.SessionID, verifier.ReviewedDecision{Decision: "accept", Reason: "seen", Caseworker: "cw"}); verifier.CodeOfError(err) != verifier.CodeResultPending {
			t.Fatalf("review before a result: %v", err)
		}
		_, _ = svc.RequestObject(ctx, req.SessionID, "")
		body := []byte(url.Values{"error": {"access_denied"}, "state": {stateOf(t, svc, req.SessionID)}}.Encode())
		if _, err := svc.Respond(ctx, req.SessionID, body); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.RecordReview(ctx, req.SessionID, verifier.ReviewedDecision{Decision: "maybe", Reason: "x", Caseworker: "cw"}); !errors.Is(err, verifier.ErrReview) {
			t.Errorf("bad decision: %v", err)
		}
		if _, err := svc.RecordReview(ctx, req.SessionID, verifier.ReviewedDecision{Decision: "accept", Reason: "documents seen at the desk", Caseworker: "cw-7"}); err != nil {
			t.Fatal(err)
		}
		res, err := svc.Result(ctx, req.SessionID)
		if err != nil {
			t.Fatal(err)
		}
		if res.Code != verifier.CodeWalletDeclined || res.Review == nil || res.Review.Decision != "accept" || res.Review.Reason != "documents seen at the desk" {
			t.Errorf("automated result and review: %+v %+v", res, res.Review)
		}
		// The reason is not stored in the clear.
		_ = st.View(ctx, func(tx verifier.Tx) error {
			rv, err := tx.Review(req.SessionID)
			if err != nil {
				t.Fatal(err)
			}
			if string(rv.SealedReason) == "documents seen at the desk" {
				t.Error("review reason stored in the clear")
			}
			return nil
		})
		other, _ := svc.CreateSession(ctx, "clinic-access", verifier.CreateOptions{})
		clk.Add(2 * time.Hour) // past the other session's expiry and grace
		c, err := svc.Sweep(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if c.Sessions != 1 || c.Results != 0 {
			t.Errorf("first sweep: %+v, want the expired session only", c)
		}
		if _, err := svc.Result(ctx, other.SessionID); verifier.CodeOfError(err) != verifier.CodeSessionNotFound {
			t.Errorf("swept session: %v", err)
		}
		clk.Add(24 * time.Hour) // clinic-access keeps results 24h
		if _, err := svc.Result(ctx, req.SessionID); verifier.CodeOfError(err) != verifier.CodeSessionNotFound {
			t.Errorf("result past retention is still served: %v", err)
		}
		c, err = svc.Sweep(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if c.Results != 1 || c.Sessions != 1 {
			t.Errorf("second sweep: %+v, want the result and its session", c)
		}
		_ = st.View(ctx, func(tx verifier.Tx) error {
			if _, err := tx.Review(req.SessionID); !errors.Is(err, verifier.ErrNotFound) {
				t.Errorf("review kept after its result was swept: %v", err)
			}
			return nil
		})
	})
	t.Run("sweeps racing responses: each session answered and kept, or swept", func(t *testing.T) {
		st := newStore(t)
		svc := service(t, st, &clock{t: t0})
		defer svc.Close()
		// Another instance, whose clock is past the sessions' expiry and grace.
		sw := service(t, st, &clock{t: t0.Add(verifier.DefaultSessionTTL + verifier.ExpiredGrace + time.Minute)})
		const m = 24
		ids, bodies := make([]string, m), make([][]byte, m)
		for i := range ids {
			req, err := svc.CreateSession(ctx, "clinic-access", verifier.CreateOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := svc.RequestObject(ctx, req.SessionID, ""); err != nil {
				t.Fatal(err)
			}
			ids[i] = req.SessionID
			bodies[i] = []byte(url.Values{"error": {"access_denied"}, "state": {stateOf(t, svc, req.SessionID)}}.Encode())
		}
		var swept atomic.Int32
		answered := make([]error, m)
		var wg sync.WaitGroup
		for i := range ids {
			wg.Go(func() { _, answered[i] = svc.Respond(ctx, ids[i], bodies[i]) })
		}
		for range 3 {
			wg.Go(func() {
				c, err := sw.Sweep(ctx)
				if err != nil {
					t.Errorf("Sweep: %v", err)
				}
				swept.Add(int32(c.Sessions))
			})
		}
		wg.Wait()
		c, err := sw.Sweep(ctx)
		if err != nil {
			t.Fatal(err)
		}
		wins := 0
		_ = st.View(ctx, func(tx verifier.Tx) error {
			for i, id := range ids {
				se, serr := tx.Session(id)
				_, rerr := tx.Result(id)
				switch {
				case answered[i] == nil:
					wins++
					if serr != nil || se.Status != verifier.SessionAnswered || rerr != nil {
						t.Errorf("session %d answered, then: session %v (%v), result %v; want both kept", i, se, serr, rerr)
					}
				case verifier.CodeOfError(answered[i]) == verifier.CodeSessionNotFound:
					if !errors.Is(serr, verifier.ErrNotFound) || !errors.Is(rerr, verifier.ErrNotFound) {
						t.Errorf("session %d swept before its answer, then: session %v, result %v; want neither", i, serr, rerr)
					}
				default:
					t.Errorf("response %d: %v, want accepted or CodeSessionNotFound (swept)", i, answered[i])
				}
			}
			return nil
		})
		if got := int(swept.Load()) + c.Sessions; got != m-wins {
			t.Errorf("%d session deletions counted, want %d (each unanswered session once)", got, m-wins)
		}
		t.Logf("%d of %d responses won against the sweeps", wins, m)
	})
	t.Run("expired sessions refuse fetches and responses", func(t *testing.T) {
		clk := &clock{t: t0}
		svc := service(t, newStore(t), clk)
		defer svc.Close()
		req, _ := svc.CreateSession(ctx, "clinic-access", verifier.CreateOptions{})
		clk.Add(verifier.DefaultSessionTTL)
		if _, err := svc.RequestObject(ctx, req.SessionID, ""); verifier.CodeOfError(err) != verifier.CodeSessionExpired {
			t.Errorf("fetch: %v", err)
		}
		if _, err := svc.Respond(ctx, req.SessionID, []byte("error=access_denied")); verifier.CodeOfError(err) != verifier.CodeSessionExpired {
			t.Errorf("respond: %v", err)
		}
		if _, err := svc.RequestObject(ctx, "nope", ""); verifier.CodeOfError(err) != verifier.CodeSessionNotFound {
			t.Errorf("unknown: %v", err)
		}
	})
}

// stateOf reads a session's state as a wallet would from its request.
func stateOf(t *testing.T, svc *verifier.Service, id string) string {
	t.Helper()
	s, err := svc.SessionState(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
