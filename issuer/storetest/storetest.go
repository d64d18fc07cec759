// Package storetest holds the conformance suite every issuer.Store
// implementation must pass (DESIGN.md §6: one suite, two stores). It
// checks the persistence contract (typed records, ErrNotFound, atomic
// Update and Batch, the nonce counter, status lists) and runs the
// issuer's rules (package issuer's Service) over the store: single use of
// codes, tokens and nonces under concurrency, transaction-code lockout,
// stateless nonces recorded only when used, status changes, Sweep.
package storetest

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cairn-id/cairn/internal/jose"
	"github.com/cairn-id/cairn/internal/keys"
	"github.com/cairn-id/cairn/internal/statuslist"
	"github.com/cairn-id/cairn/issuer"
	"github.com/cairn-id/cairn/schemas"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

const vct = "urn:cairn:vct:humanitarian-registration:1"
const configID = "humanitarian-registration.v1"

func offer(id string) *issuer.StoredOffer {
	return &issuer.StoredOffer{
		ID: id, ConfigurationID: "t.v1", VCT: "urn:t:1", CodeHash: "code-" + id,
		Claims: map[string]any{"given_name": "Amina"}, Evidence: schemas.Evidence{Strength: 2, Validity: 2},
		Reference: "ticket 7", State: issuer.OfferPending, CreatedAt: t0, ExpiresAt: t0.Add(time.Hour),
	}
}

// StoreConformance runs the suite. newStore must return an empty store
// that the suite may close.
func StoreConformance(t *testing.T, newStore func(t *testing.T) issuer.Store) {
	t.Run("persistence", func(t *testing.T) { persistence(t, newStore) })
	t.Run("rules", func(t *testing.T) { rules(t, newStore) })
}

func persistence(t *testing.T, newStore func(t *testing.T) issuer.Store) {
	ctx := context.Background()
	update := func(t *testing.T, s issuer.Store, fn func(tx issuer.Tx) error) {
		t.Helper()
		if err := s.Update(ctx, fn); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("missing keys are ErrNotFound", func(t *testing.T) {
		s := newStore(t)
		defer s.Close()
		err := s.View(ctx, func(tx issuer.Tx) error {
			for name, get := range map[string]func() error{
				"Offer":              func() error { _, err := tx.Offer("x"); return err },
				"OfferByCode":        func() error { _, err := tx.OfferByCode("x"); return err },
				"Token":              func() error { _, err := tx.Token("x"); return err },
				"Nonce":              func() error { _, err := tx.Nonce("x"); return err },
				"Record":             func() error { _, err := tx.Record("x"); return err },
				"Reservation":        func() error { _, err := tx.Reservation("x"); return err },
				"StatusList":         func() error { _, err := tx.StatusList("x"); return err },
				"StatusListRevision": func() error { _, err := tx.StatusListRevision("x"); return err },
				"StatusListSize":     func() error { _, err := tx.StatusListSize("x"); return err },
				"StatusListAlloc":    func() error { _, err := tx.StatusListAllocation("x"); return err },
			} {
				if err := get(); !errors.Is(err, issuer.ErrNotFound) {
					t.Errorf("%s of a missing key: %v, want ErrNotFound", name, err)
				}
			}
			if cur, err := tx.CurrentStatusList(); cur != "" || err != nil {
				t.Errorf("CurrentStatusList of an empty store: %q %v", cur, err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})

	t.Run("typed records round trip and delete", func(t *testing.T) {
		s := newStore(t)
		defer s.Close()
		o := offer("o1")
		tok := &issuer.AccessToken{Hash: "tok", OfferID: "o1", ExpiresAt: t0.Add(time.Minute)}
		rec := &issuer.Record{CredentialID: "c1", VCT: "urn:t:1", StatusList: "1", StatusIndex: 3, IssuedAt: t0, State: issuer.StateValid}
		res := &issuer.Reservation{CredentialID: "c2", OfferID: "o1", TokenHash: "tok", StatusList: "1", StatusIndex: 4, State: issuer.ReservationPending, ExpiresAt: t0}
		update(t, s, func(tx issuer.Tx) error {
			return errors.Join(tx.PutOffer(o), tx.PutCode(o.CodeHash, o.ID), tx.PutToken(tok), tx.PutRecord(rec),
				tx.PutReservation(res), tx.PutNonce("n1", t0.Add(time.Minute)))
		})
		s.View(ctx, func(tx issuer.Tx) error {
			if got, err := tx.Offer("o1"); err != nil || got.Claims["given_name"] != "Amina" || got.Reference != "ticket 7" || !got.ExpiresAt.Equal(o.ExpiresAt) {
				t.Errorf("Offer: %+v %v", got, err)
			}
			if id, err := tx.OfferByCode(o.CodeHash); id != "o1" || err != nil {
				t.Errorf("OfferByCode: %q %v", id, err)
			}
			if got, err := tx.Token("tok"); err != nil || got.OfferID != "o1" || !got.ExpiresAt.Equal(tok.ExpiresAt) {
				t.Errorf("Token: %+v %v", got, err)
			}
			if got, err := tx.Record("c1"); err != nil || got.StatusIndex != 3 || got.State != issuer.StateValid {
				t.Errorf("Record: %+v %v", got, err)
			}
			if got, err := tx.Reservation("c2"); err != nil || got.StatusIndex != 4 || got.TokenHash != "tok" {
				t.Errorf("Reservation: %+v %v", got, err)
			}
			if exp, err := tx.Nonce("n1"); err != nil || !exp.Equal(t0.Add(time.Minute)) {
				t.Errorf("Nonce: %v %v", exp, err)
			}
			n := map[string]int{}
			tx.ForEachOffer(func(*issuer.StoredOffer) error { n["offers"]++; return nil })
			tx.ForEachToken(func(*issuer.AccessToken) error { n["tokens"]++; return nil })
			tx.ForEachRecord(func(*issuer.Record) error { n["records"]++; return nil })
			tx.ForEachReservation(func(*issuer.Reservation) error { n["reservations"]++; return nil })
			tx.ForEachNonce(func(string, time.Time) error { n["nonces"]++; return nil })
			for k, v := range n {
				if v != 1 {
					t.Errorf("ForEach over %s saw %d, want 1", k, v)
				}
			}
			return nil
		})
		update(t, s, func(tx issuer.Tx) error {
			return errors.Join(tx.DeleteOffer("o1"), tx.DeleteCode(o.CodeHash), tx.DeleteToken("tok"),
				tx.DeleteReservation("c2"), tx.DeleteNonce("n1"), tx.DeleteOffer("never-stored"))
		})
		s.View(ctx, func(tx issuer.Tx) error {
			for name, err := range map[string]error{
				"offer": second(tx.Offer("o1")), "code": second(tx.OfferByCode(o.CodeHash)), "token": second(tx.Token("tok")),
				"reservation": second(tx.Reservation("c2")), "nonce": second(tx.Nonce("n1")),
			} {
				if !errors.Is(err, issuer.ErrNotFound) {
					t.Errorf("%s after delete: %v", name, err)
				}
			}
			return nil
		})
	})

	t.Run("a failed transaction changes nothing", func(t *testing.T) {
		s := newStore(t)
		defer s.Close()
		boom := errors.New("boom")
		for name, run := range map[string]func(context.Context, func(issuer.Tx) error) error{"Update": s.Update, "Batch": s.Batch} {
			err := run(ctx, func(tx issuer.Tx) error {
				if err := errors.Join(tx.PutOffer(offer("o1")), tx.PutNonce("n", t0)); err != nil {
					return err
				}
				return boom
			})
			if !errors.Is(err, boom) {
				t.Errorf("%s: %v, want the callback's error", name, err)
			}
			s.View(ctx, func(tx issuer.Tx) error {
				if _, err := tx.Offer("o1"); !errors.Is(err, issuer.ErrNotFound) {
					t.Errorf("%s: offer of a failed transaction stored: %v", name, err)
				}
				if n, _ := tx.NonceCount(); n != 0 {
					t.Errorf("%s: nonce count %d after a failed transaction", name, n)
				}
				return nil
			})
		}
	})

	t.Run("nonce counter and single deletion", func(t *testing.T) {
		s := newStore(t)
		defer s.Close()
		update(t, s, func(tx issuer.Tx) error {
			return errors.Join(tx.PutNonce("a", t0), tx.PutNonce("b", t0), tx.PutNonce("a", t0.Add(time.Hour)))
		})
		count := func() int {
			var n int
			s.View(ctx, func(tx issuer.Tx) (err error) { n, err = tx.NonceCount(); return err })
			return n
		}
		if n := count(); n != 2 {
			t.Errorf("NonceCount %d after two nonces (one replaced), want 2", n)
		}
		update(t, s, func(tx issuer.Tx) error { return tx.DeleteNonce("a") })
		err := s.Update(ctx, func(tx issuer.Tx) error { return tx.DeleteNonce("a") })
		if !errors.Is(err, issuer.ErrNotFound) {
			t.Errorf("second DeleteNonce: %v, want ErrNotFound", err)
		}
		if n := count(); n != 1 {
			t.Errorf("NonceCount %d, want 1", n)
		}
	})

	t.Run("status lists keep bits allocator and revision", func(t *testing.T) {
		s := newStore(t)
		defer s.Close()
		l := &issuer.StatusList{ID: "1", Size: 16, Bits: make([]byte, 4), Allocator: []byte{1, 2, 3}}
		update(t, s, func(tx issuer.Tx) error { return errors.Join(tx.PutStatusList(l), tx.SetCurrentStatusList("1")) })
		update(t, s, func(tx issuer.Tx) error {
			return errors.Join(tx.PutStatusListBits("1", []byte{0, 9, 0, 0}, 1), tx.PutStatusListAllocator("1", []byte{4, 5}, 2))
		})
		err := s.Update(ctx, func(tx issuer.Tx) error { return tx.PutStatusListBits("nope", []byte{1}, 1) })
		if !errors.Is(err, issuer.ErrNotFound) {
			t.Errorf("bits of a missing list: %v", err)
		}
		s.View(ctx, func(tx issuer.Tx) error {
			got, err := tx.StatusList("1")
			if err != nil || got.Size != 16 || got.Revision != 2 || string(got.Bits) != "\x00\x09\x00\x00" || string(got.Allocator) != "\x04\x05" {
				t.Errorf("StatusList: %+v %v", got, err)
			}
			if rev, err := tx.StatusListRevision("1"); rev != 2 || err != nil {
				t.Errorf("StatusListRevision: %d %v", rev, err)
			}
			if cur, err := tx.CurrentStatusList(); cur != "1" || err != nil {
				t.Errorf("CurrentStatusList: %q %v", cur, err)
			}
			return nil
		})
	})

	t.Run("adds refuse a taken key and change nothing", func(t *testing.T) {
		s := newStore(t)
		defer s.Close()
		tok := &issuer.AccessToken{Hash: "tok", OfferID: "o1", ExpiresAt: t0}
		rec := &issuer.Record{CredentialID: "c1", StatusIndex: 3, State: issuer.StateValid}
		res := &issuer.Reservation{CredentialID: "c1", StatusIndex: 4, State: issuer.ReservationPending}
		update(t, s, func(tx issuer.Tx) error {
			return errors.Join(tx.AddToken(tok), tx.AddNonce("n1", t0), tx.AddRecord(rec), tx.AddReservation(res))
		})
		for name, add := range map[string]func(tx issuer.Tx) error{
			"AddToken":  func(tx issuer.Tx) error { return tx.AddToken(&issuer.AccessToken{Hash: "tok", OfferID: "o2"}) },
			"AddNonce":  func(tx issuer.Tx) error { return tx.AddNonce("n1", t0.Add(time.Hour)) },
			"AddRecord": func(tx issuer.Tx) error { return tx.AddRecord(&issuer.Record{CredentialID: "c1", StatusIndex: 9}) },
			"AddReservation": func(tx issuer.Tx) error {
				return tx.AddReservation(&issuer.Reservation{CredentialID: "c1", StatusIndex: 9})
			},
		} {
			var inTx error
			err := s.Update(ctx, func(tx issuer.Tx) error {
				inTx = add(tx)
				return nil // commit whatever the store did
			})
			if err != nil || !errors.Is(inTx, issuer.ErrExists) {
				t.Errorf("%s of a taken key: %v (commit %v), want ErrExists", name, inTx, err)
			}
		}
		s.View(ctx, func(tx issuer.Tx) error {
			if got, err := tx.Token("tok"); err != nil || got.OfferID != "o1" {
				t.Errorf("token after a refused add: %+v %v", got, err)
			}
			if exp, err := tx.Nonce("n1"); err != nil || !exp.Equal(t0) {
				t.Errorf("nonce after a refused add: %v %v", exp, err)
			}
			if got, err := tx.Record("c1"); err != nil || got.StatusIndex != 3 {
				t.Errorf("record after a refused add: %+v %v", got, err)
			}
			if got, err := tx.Reservation("c1"); err != nil || got.StatusIndex != 4 {
				t.Errorf("reservation after a refused add: %+v %v", got, err)
			}
			if n, err := tx.NonceCount(); n != 1 || err != nil {
				t.Errorf("NonceCount %d %v, want 1", n, err)
			}
			return nil
		})
	})

	t.Run("status index claims", func(t *testing.T) {
		s := newStore(t)
		defer s.Close()
		base := statuslist.NewAllocator(20, nil)
		base.MarkUsed(3)
		state, _ := base.MarshalBinary()
		update(t, s, func(tx issuer.Tx) error {
			return tx.PutStatusList(&issuer.StatusList{ID: "1", Size: 20, Bits: make([]byte, 5), Allocator: state, Revision: 4})
		})
		used := func(t *testing.T) []int {
			t.Helper()
			var got []int
			err := s.View(ctx, func(tx issuer.Tx) error {
				st, err := tx.StatusListAllocation("1")
				if err != nil {
					return err
				}
				for i := range 20 {
					if _, err := statuslist.MarkUsedState(st, i); errors.Is(err, statuslist.ErrIndexInUse) {
						got = append(got, i)
					} else if err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			return got
		}
		claim := func(idx int) error {
			return s.Update(ctx, func(tx issuer.Tx) error { return tx.ClaimStatusIndex("1", idx) })
		}
		if err := claim(3); !errors.Is(err, issuer.ErrExists) {
			t.Errorf("claim of an index the allocator state marks: %v, want ErrExists", err)
		}
		if err := claim(5); err != nil {
			t.Fatalf("claim 5: %v", err)
		}
		if err := claim(5); !errors.Is(err, issuer.ErrExists) {
			t.Errorf("second claim of 5: %v, want ErrExists", err)
		}
		err := s.Update(ctx, func(tx issuer.Tx) error {
			if err := tx.ClaimStatusIndex("1", 9); err != nil {
				return err
			}
			if err := tx.ClaimStatusIndex("1", 9); !errors.Is(err, issuer.ErrExists) {
				t.Errorf("claim of 9 twice in one transaction: %v, want ErrExists", err)
			}
			return errors.New("roll back")
		})
		if err == nil {
			t.Fatal("the rolled back transaction committed")
		}
		for _, idx := range []int{-1, 20} {
			if err := claim(idx); err == nil || errors.Is(err, issuer.ErrExists) {
				t.Errorf("claim of %d in a list of 20: %v, want an error", idx, err)
			}
		}
		if err := s.Update(ctx, func(tx issuer.Tx) error { return tx.ClaimStatusIndex("nope", 1) }); !errors.Is(err, issuer.ErrNotFound) {
			t.Errorf("claim in a missing list: %v, want ErrNotFound", err)
		}
		if got := used(t); fmt.Sprint(got) != "[3 5]" {
			t.Errorf("used indices %v, want [3 5] (9 was rolled back)", got)
		}
		s.View(ctx, func(tx issuer.Tx) error {
			if n, err := tx.StatusListSize("1"); n != 20 || err != nil {
				t.Errorf("StatusListSize: %d %v", n, err)
			}
			if rev, err := tx.StatusListRevision("1"); rev != 4 || err != nil {
				t.Errorf("revision %d %v after claims, want 4 (the entries did not change)", rev, err)
			}
			return nil
		})
		empty, _ := statuslist.NewAllocator(20, nil).MarshalBinary()
		update(t, s, func(tx issuer.Tx) error { return tx.PutStatusListAllocator("1", empty, 5) })
		if got := used(t); len(got) != 0 {
			t.Errorf("used indices %v after putting an empty allocator state, want none", got)
		}
		if err := claim(5); err != nil {
			t.Errorf("claim 5 after the state was replaced: %v", err)
		}
	})

	t.Run("concurrent claims of one index have one winner", func(t *testing.T) {
		s := newStore(t)
		defer s.Close()
		state, _ := statuslist.NewAllocator(64, nil).MarshalBinary()
		update(t, s, func(tx issuer.Tx) error {
			return tx.PutStatusList(&issuer.StatusList{ID: "1", Size: 64, Bits: make([]byte, 16), Allocator: state})
		})
		var wins, exists atomic.Int32
		var wg sync.WaitGroup
		for i := range 16 {
			wg.Go(func() {
				// Each claims index 7 and one of its own.
				err := s.Batch(ctx, func(tx issuer.Tx) error {
					if err := tx.ClaimStatusIndex("1", 20+i); err != nil {
						return err
					}
					return tx.ClaimStatusIndex("1", 7)
				})
				switch {
				case err == nil:
					wins.Add(1)
				case errors.Is(err, issuer.ErrExists):
					exists.Add(1)
				default:
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if wins.Load() != 1 || exists.Load() != 15 {
			t.Errorf("%d claims of one index won, %d found it taken; want 1 and 15", wins.Load(), exists.Load())
		}
		s.View(ctx, func(tx issuer.Tx) error {
			st, err := tx.StatusListAllocation("1")
			a := statuslist.NewAllocator(64, nil)
			if err != nil || a.UnmarshalBinary(st) != nil || a.Used() != 2 {
				t.Errorf("%d indices used, want 2 (7 and the winner's own): %v", a.Used(), err)
			}
			return nil
		})
	})

	t.Run("concurrent read-check-delete has one winner", func(t *testing.T) {
		s := newStore(t)
		defer s.Close()
		update(t, s, func(tx issuer.Tx) error { return tx.PutNonce("once", t0) })
		var wins atomic.Int32
		var wg sync.WaitGroup
		for i := 0; i < 16; i++ {
			wg.Add(1)
			go func(batch bool) {
				defer wg.Done()
				run := s.Update
				if batch {
					run = s.Batch
				}
				err := run(ctx, func(tx issuer.Tx) error {
					if _, err := tx.Nonce("once"); err != nil {
						return err
					}
					return tx.DeleteNonce("once")
				})
				if err == nil {
					wins.Add(1)
				}
			}(i%2 == 0)
		}
		wg.Wait()
		if wins.Load() != 1 {
			t.Errorf("%d transactions consumed one nonce, want 1", wins.Load())
		}
	})
}

func second[T any](_ T, err error) error { return err }

// harness is a Service over a store under test, on a settable clock.
type harness struct {
	svc *issuer.Service
	now atomic.Pointer[time.Time]
	st  issuer.Store
}

func newHarness(t *testing.T, st issuer.Store, mut func(*issuer.Config)) *harness {
	t.Helper()
	cat, err := schemas.Load()
	if err != nil {
		t.Fatal(err)
	}
	key, err := keys.Generate(jose.ES256, nil)
	if err != nil {
		t.Fatal(err)
	}
	hk := make([]byte, 32)
	rand.Read(hk)
	h := &harness{st: st}
	h.set(t0)
	cfg := issuer.Config{URL: "http://127.0.0.1:1", Dev: true, Names: map[string]string{"en": "NGO"}, Types: []string{vct},
		Catalogue: cat, Key: key, HashKey: hk, Store: st, Now: func() time.Time { return *h.now.Load() }, StatusListSize: 64}
	if mut != nil {
		mut(&cfg)
	}
	if h.svc, err = issuer.New(cfg); err != nil {
		t.Fatal(err)
	}
	return h
}

func (h *harness) set(t time.Time) { h.now.Store(&t) }

// offer creates an offer and returns it with its pre-authorized code,
// as the offer endpoint shows it.
func (h *harness) offer(t *testing.T, tx bool, ttl time.Duration) (*issuer.Offer, string) {
	t.Helper()
	o, err := h.svc.CreateOffer(context.Background(), issuer.OfferRequest{VCT: vct, TxCode: tx, TTL: ttl, Claims: map[string]any{
		"family_name": "Haddad", "given_name": "Amina", "registration_id": "REG-1", "registration_date": "2025-03-02",
		"registration_place": map[string]any{"country": "LB"}}})
	if err != nil {
		t.Fatal(err)
	}
	stored, err := h.svc.GetOffer(context.Background(), o.ID)
	if err != nil {
		t.Fatalf("offer: %v", err)
	}
	return o, h.svc.CredentialOffer(stored).Grants.PreAuthorizedCode.PreAuthorizedCode
}

var holder = sync.OnceValue(func() *keys.PrivateKey { k, _ := keys.Generate(jose.ES256, nil); return k })

func (h *harness) issue(tok, nonce string) (*issuer.IssuedCredential, error) {
	return h.svc.IssueCredential(context.Background(), issuer.CredentialRequest{AccessToken: tok, ConfigurationID: configID,
		HolderJWK: holder().PublicJWK(), HolderDID: holder().DIDJWK(), Nonce: nonce})
}

// issued runs the whole flow for a new offer.
func (h *harness) issued(t *testing.T) (*issuer.IssuedCredential, string) {
	t.Helper()
	ctx := context.Background()
	_, code := h.offer(t, false, 0)
	g, err := h.svc.RedeemCode(ctx, code, "")
	if err != nil {
		t.Fatal(err)
	}
	n, err := h.svc.NewNonce(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c, err := h.issue(g.AccessToken, n)
	if err != nil {
		t.Fatal(err)
	}
	return c, g.AccessToken
}

func rules(t *testing.T, newStore func(t *testing.T) issuer.Store) {
	ctx := context.Background()

	t.Run("redeem once", func(t *testing.T) {
		h := newHarness(t, newStore(t), nil)
		defer h.st.Close()
		_, code := h.offer(t, false, 0)
		if _, err := h.svc.RedeemCode(ctx, "nope", ""); !errors.Is(err, issuer.ErrNotFound) {
			t.Errorf("unknown code: %v", err)
		}
		if _, err := h.svc.RedeemCode(ctx, code, "123456"); !errors.Is(err, issuer.ErrTxUnwanted) {
			t.Errorf("unexpected tx code: %v", err)
		}
		g, err := h.svc.RedeemCode(ctx, code, "")
		if err != nil || g.Offer.State != issuer.OfferRedeemed {
			t.Fatalf("redeem: %+v %v", g, err)
		}
		if _, err := h.svc.RedeemCode(ctx, code, ""); !errors.Is(err, issuer.ErrUsed) {
			t.Errorf("second redeem: %v, want ErrUsed", err)
		}
		if o, err := h.svc.CheckAccessToken(ctx, g.AccessToken); err != nil || o.ID != g.Offer.ID {
			t.Errorf("CheckAccessToken: %+v %v", o, err)
		}
		h.set(t0.Add(issuer.DefaultTokenTTL))
		if _, err := h.svc.CheckAccessToken(ctx, g.AccessToken); !errors.Is(err, issuer.ErrExpired) {
			t.Errorf("expired token: %v", err)
		}
		h.set(t0.Add(issuer.DefaultOfferTTL))
		_, code2 := h.offer(t, false, time.Minute)
		h.set(t0.Add(issuer.DefaultOfferTTL + time.Minute))
		if _, err := h.svc.RedeemCode(ctx, code2, ""); !errors.Is(err, issuer.ErrExpired) {
			t.Errorf("expired code: %v", err)
		}
	})

	t.Run("transaction code attempts and lockout", func(t *testing.T) {
		h := newHarness(t, newStore(t), func(c *issuer.Config) { c.MaxTxAttempts = 3 })
		defer h.st.Close()
		o, code := h.offer(t, true, 0)
		if _, err := h.svc.RedeemCode(ctx, code, ""); !errors.Is(err, issuer.ErrTxRequired) {
			t.Errorf("missing tx: %v", err)
		}
		wrong := "000000"
		if wrong == o.TxCode {
			wrong = "111111"
		}
		for i := 1; i <= 2; i++ {
			if _, err := h.svc.RedeemCode(ctx, code, wrong); !errors.Is(err, issuer.ErrTxCode) || errors.Is(err, issuer.ErrLocked) {
				t.Errorf("wrong tx %d: %v", i, err)
			}
			if got, _ := h.svc.GetOffer(ctx, o.ID); got == nil || got.TxAttempts != i {
				t.Errorf("attempts after %d wrong codes: %+v", i, got)
			}
		}
		if _, err := h.svc.RedeemCode(ctx, code, wrong); !errors.Is(err, issuer.ErrLocked) {
			t.Errorf("third wrong tx: %v, want ErrLocked", err)
		}
		if _, err := h.svc.RedeemCode(ctx, code, o.TxCode); !errors.Is(err, issuer.ErrLocked) {
			t.Errorf("right tx after lockout: %v, want ErrLocked", err)
		}
		if got, _ := h.svc.GetOffer(ctx, o.ID); got == nil || got.State != issuer.OfferLocked || got.TxAttempts != 3 {
			t.Errorf("locked offer: %+v", got)
		}
		o2, code2 := h.offer(t, true, 0)
		if _, err := h.svc.RedeemCode(ctx, code2, o2.TxCode); err != nil {
			t.Errorf("right tx: %v", err)
		}
	})

	t.Run("issue consumes nonce token and claims", func(t *testing.T) {
		h := newHarness(t, newStore(t), nil)
		defer h.st.Close()
		o, code := h.offer(t, false, 0)
		g, err := h.svc.RedeemCode(ctx, code, "")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := h.issue(g.AccessToken, "unknown"); !errors.Is(err, issuer.ErrNonce) || !errors.Is(err, issuer.ErrNotFound) {
			t.Errorf("unknown nonce: %v", err)
		}
		n1, _ := h.svc.NewNonce(ctx)
		h.set(t0.Add(issuer.DefaultNonceTTL))
		if _, err := h.issue(g.AccessToken, n1); !errors.Is(err, issuer.ErrNonce) || !errors.Is(err, issuer.ErrExpired) {
			t.Errorf("expired nonce: %v", err)
		}
		h.set(t0)
		c, err := h.issue(g.AccessToken, n1)
		if err != nil {
			t.Fatal(err)
		}
		rec := c.Record
		if rec.State != issuer.StateValid || rec.VCT != vct || rec.StatusList == "" || rec.StatusIndex < 0 || rec.StatusIndex >= 64 || !rec.IssuedAt.Equal(t0) {
			t.Errorf("record: %+v", rec)
		}
		if _, err := h.svc.GetOffer(ctx, o.ID); !errors.Is(err, issuer.ErrNotFound) {
			t.Errorf("offer (with claims) still stored after issuance: %v", err)
		}
		n2, _ := h.svc.NewNonce(ctx)
		if _, err := h.issue(g.AccessToken, n2); !errors.Is(err, issuer.ErrUsed) {
			t.Errorf("second issue with the same token: %v, want ErrUsed", err)
		}
		if _, err := h.issue(g.AccessToken, n1); !errors.Is(err, issuer.ErrNonce) {
			t.Errorf("reused nonce: %v, want ErrNonce", err)
		}
		if recs, err := h.svc.Records(ctx); err != nil || len(recs) != 1 || recs[0].CredentialID != rec.CredentialID {
			t.Errorf("Records: %+v %v", recs, err)
		}
		if err := h.svc.Notify(ctx, g.AccessToken, "wrong", "credential_accepted"); !errors.Is(err, issuer.ErrNotFound) || errors.Is(err, issuer.ErrBadToken) {
			t.Errorf("Notify wrong id: %v", err)
		}
		if err := h.svc.Notify(ctx, "unknown", rec.NotificationID, "credential_accepted"); !errors.Is(err, issuer.ErrBadToken) {
			t.Errorf("Notify unknown token: %v", err)
		}
		if err := h.svc.Notify(ctx, g.AccessToken, rec.NotificationID, "credential_accepted"); err != nil {
			t.Errorf("Notify: %v", err)
		}
		if recs, _ := h.svc.Records(ctx); len(recs) != 1 || recs[0].Notification != "credential_accepted" {
			t.Errorf("notification not recorded: %+v", recs)
		}
		h.set(t0.Add(issuer.DefaultTokenTTL))
		if err := h.svc.Notify(ctx, g.AccessToken, rec.NotificationID, "credential_accepted"); !errors.Is(err, issuer.ErrBadToken) || !errors.Is(err, issuer.ErrExpired) {
			t.Errorf("Notify expired token: %v", err)
		}
	})

	t.Run("status changes lists and revisions", func(t *testing.T) {
		h := newHarness(t, newStore(t), func(c *issuer.Config) { c.StatusListSize = 4 })
		defer h.st.Close()
		seen := map[string]bool{}
		var recs []*issuer.Record
		for i := 0; i < 6; i++ { // lists of 4 entries: a second list is started
			c, _ := h.issued(t)
			k := fmt.Sprintf("%s/%d", c.Record.StatusList, c.Record.StatusIndex)
			if seen[k] {
				t.Errorf("status index %s given twice", k)
			}
			seen[k] = true
			recs = append(recs, c.Record)
		}
		if _, err := h.svc.StatusList(ctx, "2"); err != nil {
			t.Errorf("second list not created: %v", err)
		}
		h.st.View(ctx, func(tx issuer.Tx) error { // every index issued stays claimed
			for _, r := range recs {
				st, err := tx.StatusListAllocation(r.StatusList)
				if _, err2 := statuslist.MarkUsedState(st, r.StatusIndex); err != nil || !errors.Is(err2, statuslist.ErrIndexInUse) {
					t.Errorf("index %s/%d of %s not marked used in the allocation: %v %v", r.StatusList, r.StatusIndex, r.CredentialID, err, err2)
				}
			}
			return nil
		})
		r := recs[0]
		rev, err := h.svc.StatusListRevision(ctx, r.StatusList)
		if err != nil {
			t.Errorf("revision %d %v after issuance", rev, err)
		}
		for _, step := range []struct {
			do   func(context.Context, string) error
			want byte
			err  error
		}{{h.svc.Suspend, 2, nil}, {h.svc.Reinstate, 0, nil}, {h.svc.Revoke, 1, nil}, {h.svc.Reinstate, 1, issuer.ErrRevoked}, {h.svc.Suspend, 1, issuer.ErrRevoked}} {
			err := step.do(ctx, r.CredentialID)
			if !errors.Is(err, step.err) || (step.err == nil && err != nil) {
				t.Errorf("status change: %v, want %v", err, step.err)
			}
			l, err := h.svc.StatusList(ctx, r.StatusList)
			if err != nil {
				t.Fatal(err)
			}
			if got := (l.Bits[r.StatusIndex/4] >> (2 * (r.StatusIndex % 4))) & 3; got != step.want {
				t.Errorf("entry %d, want %d", got, step.want)
			}
			if step.err == nil && l.Revision <= rev {
				t.Errorf("revision %d after a status change, was %d: caches would serve the old list", l.Revision, rev)
			}
			rev = l.Revision
		}
		if err := h.svc.Revoke(ctx, "nope"); !errors.Is(err, issuer.ErrNotFound) {
			t.Errorf("revoke unknown: %v", err)
		}
	})

	t.Run("sweep deletes expired offers nonces tokens", func(t *testing.T) {
		h := newHarness(t, newStore(t), nil)
		defer h.st.Close()
		short, shortCode := h.offer(t, false, time.Minute)
		long, longCode := h.offer(t, false, time.Hour)
		// used nonces, as IssueCredential records them until they expire
		if err := h.st.Update(ctx, func(tx issuer.Tx) error { return tx.PutNonce("used-old", t0.Add(5*time.Minute)) }); err != nil {
			t.Fatal(err)
		}
		if _, err := h.svc.RedeemCode(ctx, longCode, ""); err != nil { // token valid 10 minutes
			t.Fatal(err)
		}
		h.set(t0.Add(30 * time.Minute))
		if err := h.st.Update(ctx, func(tx issuer.Tx) error { return tx.PutNonce("used-new", t0.Add(35*time.Minute)) }); err != nil {
			t.Fatal(err)
		}
		st, err := h.svc.Sweep(ctx)
		if err != nil || st.Offers != 1 || st.Nonces != 1 || st.Tokens != 1 {
			t.Errorf("Sweep: %+v %v", st, err)
		}
		h.set(t0)
		if _, err := h.svc.GetOffer(ctx, short.ID); !errors.Is(err, issuer.ErrNotFound) {
			t.Errorf("expired offer survived the sweep: %v", err)
		}
		if _, err := h.svc.RedeemCode(ctx, shortCode, ""); !errors.Is(err, issuer.ErrNotFound) {
			t.Errorf("code of a swept offer still redeemable: %v", err)
		}
		if _, err := h.svc.GetOffer(ctx, long.ID); err != nil {
			t.Errorf("live offer swept: %v", err)
		}
		if n, err := h.svc.NonceCount(ctx); err != nil || n != 1 {
			t.Errorf("NonceCount after sweep = %d, %v; want 1", n, err)
		}
	})

	t.Run("sweeps racing redeems: each code redeemed or gone, each offer swept once", func(t *testing.T) {
		st := newStore(t)
		h := newHarness(t, st, nil)
		defer st.Close()
		sw := newHarness(t, st, nil) // another instance, whose clock is past the offers' expiry
		sw.set(t0.Add(2 * time.Minute))
		const n = 24
		codes := make([]string, n)
		for i := range codes {
			_, codes[i] = h.offer(t, false, time.Minute)
		}
		var swept atomic.Int32
		redeemed := make([]error, n)
		var wg sync.WaitGroup
		for i := range codes {
			wg.Go(func() { _, redeemed[i] = h.svc.RedeemCode(ctx, codes[i], "") })
		}
		for range 3 {
			wg.Go(func() {
				c, err := sw.svc.Sweep(ctx)
				if err != nil {
					t.Errorf("Sweep: %v", err)
				}
				swept.Add(int32(c.Offers))
			})
		}
		wg.Wait()
		c, err := sw.svc.Sweep(ctx) // what the racing sweeps left
		if err != nil {
			t.Fatal(err)
		}
		if got := int(swept.Load()) + c.Offers; got != n {
			t.Errorf("%d offer deletions counted, want %d (each expired offer once)", got, n)
		}
		wins := 0
		for i, err := range redeemed {
			switch {
			case err == nil:
				wins++
			case !errors.Is(err, issuer.ErrNotFound):
				t.Errorf("redeem %d: %v, want success or ErrNotFound (swept)", i, err)
			}
			if _, err := h.svc.RedeemCode(ctx, codes[i], ""); !errors.Is(err, issuer.ErrNotFound) {
				t.Errorf("code %d after the sweeps: %v, want ErrNotFound", i, err)
			}
		}
		t.Logf("%d of %d redeems won against the sweeps", wins, n)
	})

	t.Run("new nonces take no store space", func(t *testing.T) {
		h := newHarness(t, newStore(t), func(c *issuer.Config) { c.MaxLiveNonces = 3 })
		defer h.st.Close()
		for i := 0; i < 10; i++ {
			if _, err := h.svc.NewNonce(ctx); err != nil {
				t.Fatalf("nonce %d: %v", i, err)
			}
		}
		if n, err := h.svc.NonceCount(ctx); err != nil || n != 0 {
			t.Fatalf("NonceCount = %d, %v; want 0 (nonces are stateless until used)", n, err)
		}
	})

	t.Run("concurrent redeem and issue are single-use", func(t *testing.T) {
		h := newHarness(t, newStore(t), nil)
		defer h.st.Close()
		_, code := h.offer(t, false, 0)
		const n = 8
		var wg sync.WaitGroup
		var wins atomic.Int32
		toks := make([]string, n)
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				if g, err := h.svc.RedeemCode(ctx, code, ""); err == nil {
					wins.Add(1)
					toks[i] = g.AccessToken
				}
			}(i)
		}
		wg.Wait()
		if wins.Load() != 1 {
			t.Fatalf("%d concurrent redeems succeeded, want 1", wins.Load())
		}
		var tok string
		for _, t := range toks {
			if t != "" {
				tok = t
			}
		}
		nonces := make([]string, n)
		for i := range nonces {
			var err error
			if nonces[i], err = h.svc.NewNonce(ctx); err != nil {
				t.Fatal(err)
			}
		}
		wins.Store(0)
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				if _, err := h.issue(tok, nonces[i]); err == nil {
					wins.Add(1)
				}
			}(i)
		}
		wg.Wait()
		if wins.Load() != 1 {
			t.Errorf("%d concurrent issues with one token succeeded, want 1", wins.Load())
		}
		if recs, _ := h.svc.Records(ctx); len(recs) != 1 {
			t.Errorf("%d records, want 1", len(recs))
		}
	})
}
