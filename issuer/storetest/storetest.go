// Package storetest holds the conformance suite every issuer.Store
// implementation must pass (DESIGN.md §6: one suite, two stores).
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

	"github.com/cairn-id/cairn/issuer"
	"github.com/cairn-id/cairn/schemas"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func offer(id string, tx bool) *issuer.StoredOffer {
	o := &issuer.StoredOffer{
		ID: id, ConfigurationID: "t.v1", VCT: "urn:t:1", CodeHash: "code-" + id,
		Claims: map[string]any{"given_name": "Amina"}, Evidence: schemas.Evidence{Strength: 2, Validity: 2},
		Reference: "ticket 7", State: issuer.OfferPending, CreatedAt: t0, ExpiresAt: t0.Add(time.Hour),
	}
	if tx {
		o.TxCodeHash, o.TxCodeLength = "tx-"+id, 6
	}
	return o
}

func redeem(s issuer.Store, code, tx, tok string, now time.Time) (*issuer.StoredOffer, error) {
	return s.Redeem(context.Background(), issuer.RedeemRequest{CodeHash: code, TxCodeHash: tx, MaxAttempts: 3, Now: now,
		Token: issuer.AccessToken{Hash: tok, ExpiresAt: now.Add(10 * time.Minute)}})
}

var credSeq atomic.Int64

func issueReq(tok, nonce string, now time.Time, size int) issuer.IssueRequest {
	return issuer.IssueRequest{TokenHash: tok, NonceHash: nonce, Now: now, Rand: rand.Reader, StatusListSize: size,
		Sign: func(o *issuer.StoredOffer, list string, idx int) (*issuer.Record, error) {
			return &issuer.Record{CredentialID: fmt.Sprintf("cred-%d", credSeq.Add(1)), ExpiresAt: now.Add(time.Hour), HolderThumbprint: "thumb", NotificationID: "notif-" + o.ID}, nil
		}}
}

// StoreConformance runs the suite. newStore must return an empty store
// that the suite may close.
func StoreConformance(t *testing.T, newStore func(t *testing.T) issuer.Store) {
	ctx := context.Background()

	t.Run("offer put get expiry", func(t *testing.T) {
		s := newStore(t)
		defer s.Close()
		if _, err := s.GetOffer(ctx, "nope", t0); !errors.Is(err, issuer.ErrNotFound) {
			t.Errorf("GetOffer missing: %v", err)
		}
		o := offer("o1", false)
		if err := s.PutOffer(ctx, o); err != nil {
			t.Fatal(err)
		}
		if err := s.PutOffer(ctx, o); !errors.Is(err, issuer.ErrExists) {
			t.Errorf("second PutOffer: %v, want ErrExists", err)
		}
		dup := offer("o2", false)
		dup.CodeHash = o.CodeHash
		if err := s.PutOffer(ctx, dup); !errors.Is(err, issuer.ErrExists) {
			t.Errorf("PutOffer with a taken code hash: %v, want ErrExists", err)
		}
		got, err := s.GetOffer(ctx, "o1", t0)
		if err != nil || got.Claims["given_name"] != "Amina" || got.Reference != "ticket 7" || got.State != issuer.OfferPending {
			t.Errorf("GetOffer: %+v, %v", got, err)
		}
		if _, err := s.GetOffer(ctx, "o1", o.ExpiresAt); !errors.Is(err, issuer.ErrExpired) {
			t.Errorf("GetOffer at expiry: %v, want ErrExpired", err)
		}
	})

	t.Run("redeem once", func(t *testing.T) {
		s := newStore(t)
		defer s.Close()
		if err := s.PutOffer(ctx, offer("o1", false)); err != nil {
			t.Fatal(err)
		}
		if _, err := redeem(s, "code-nope", "", "tok0", t0); !errors.Is(err, issuer.ErrNotFound) {
			t.Errorf("unknown code: %v", err)
		}
		if _, err := redeem(s, "code-o1", "tx", "tok0", t0); !errors.Is(err, issuer.ErrTxUnwanted) {
			t.Errorf("unexpected tx code: %v", err)
		}
		if _, err := redeem(s, "code-o1", "", "tok1", t0.Add(time.Hour)); !errors.Is(err, issuer.ErrExpired) {
			t.Errorf("expired code: %v", err)
		}
		o, err := redeem(s, "code-o1", "", "tok1", t0)
		if err != nil || o.State != issuer.OfferRedeemed {
			t.Fatalf("redeem: %+v %v", o, err)
		}
		if _, err := redeem(s, "code-o1", "", "tok2", t0); !errors.Is(err, issuer.ErrUsed) {
			t.Errorf("second redeem: %v, want ErrUsed", err)
		}
		tok, o, err := s.PeekToken(ctx, "tok1", t0)
		if err != nil || tok.OfferID != "o1" || o.ID != "o1" {
			t.Errorf("PeekToken: %+v %+v %v", tok, o, err)
		}
		if _, _, err := s.PeekToken(ctx, "tok2", t0); !errors.Is(err, issuer.ErrNotFound) {
			t.Errorf("PeekToken of refused token: %v", err)
		}
		if _, _, err := s.PeekToken(ctx, "tok1", t0.Add(10*time.Minute)); !errors.Is(err, issuer.ErrExpired) {
			t.Errorf("PeekToken expired: %v", err)
		}
	})

	t.Run("transaction code attempts and lockout", func(t *testing.T) {
		s := newStore(t)
		defer s.Close()
		if err := s.PutOffer(ctx, offer("o1", true)); err != nil {
			t.Fatal(err)
		}
		if _, err := redeem(s, "code-o1", "", "t", t0); !errors.Is(err, issuer.ErrTxRequired) {
			t.Errorf("missing tx: %v", err)
		}
		for i := 1; i <= 2; i++ {
			if _, err := redeem(s, "code-o1", "wrong", "t", t0); !errors.Is(err, issuer.ErrTxCode) || errors.Is(err, issuer.ErrLocked) {
				t.Errorf("wrong tx %d: %v", i, err)
			}
			if o, _ := s.GetOffer(ctx, "o1", t0); o == nil || o.TxAttempts != i {
				t.Errorf("attempts after %d wrong codes: %+v", i, o)
			}
		}
		if _, err := redeem(s, "code-o1", "wrong", "t", t0); !errors.Is(err, issuer.ErrLocked) {
			t.Errorf("third wrong tx: %v, want ErrLocked", err)
		}
		if _, err := redeem(s, "code-o1", "tx-o1", "t", t0); !errors.Is(err, issuer.ErrLocked) {
			t.Errorf("right tx after lockout: %v, want ErrLocked", err)
		}
		if o, _ := s.GetOffer(ctx, "o1", t0); o == nil || o.State != issuer.OfferLocked || o.TxAttempts != 3 {
			t.Errorf("locked offer: %+v", o)
		}
		if err := s.PutOffer(ctx, offer("o2", true)); err != nil {
			t.Fatal(err)
		}
		if _, err := redeem(s, "code-o2", "tx-o2", "t2", t0); err != nil {
			t.Errorf("right tx: %v", err)
		}
	})

	t.Run("issue consumes nonce token and claims", func(t *testing.T) {
		s := newStore(t)
		defer s.Close()
		if err := s.PutOffer(ctx, offer("o1", false)); err != nil {
			t.Fatal(err)
		}
		if _, err := redeem(s, "code-o1", "", "tok", t0); err != nil {
			t.Fatal(err)
		}
		if err := s.PutNonce(ctx, "n1", t0.Add(time.Minute), 0); err != nil {
			t.Fatal(err)
		}
		if err := s.PutNonce(ctx, "n1", t0.Add(time.Minute), 0); !errors.Is(err, issuer.ErrExists) {
			t.Errorf("duplicate nonce: %v", err)
		}
		if _, err := s.Issue(ctx, issueReq("tok", "n-unknown", t0, 16)); !errors.Is(err, issuer.ErrNonce) || !errors.Is(err, issuer.ErrNotFound) {
			t.Errorf("unknown nonce: %v", err)
		}
		if _, err := s.Issue(ctx, issueReq("tok", "n1", t0.Add(time.Minute), 16)); !errors.Is(err, issuer.ErrNonce) || !errors.Is(err, issuer.ErrExpired) {
			t.Errorf("expired nonce: %v", err)
		}
		failing := issueReq("tok", "n1", t0, 16)
		failing.Sign = func(*issuer.StoredOffer, string, int) (*issuer.Record, error) { return nil, errors.New("boom") }
		if _, err := s.Issue(ctx, failing); err == nil {
			t.Error("Issue with failing Sign succeeded")
		}
		rec, err := s.Issue(ctx, issueReq("tok", "n1", t0, 16))
		if err != nil {
			t.Fatalf("Issue after a failed Sign (must have rolled back): %v", err)
		}
		if rec.State != issuer.StateValid || rec.VCT != "urn:t:1" || rec.StatusList == "" || rec.StatusIndex < 0 || rec.StatusIndex >= 16 || !rec.IssuedAt.Equal(t0) {
			t.Errorf("record: %+v", rec)
		}
		if _, err := s.GetOffer(ctx, "o1", t0); !errors.Is(err, issuer.ErrNotFound) {
			t.Errorf("offer (with claims) still stored after issuance: %v", err)
		}
		if err := s.PutNonce(ctx, "n2", t0.Add(time.Minute), 0); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Issue(ctx, issueReq("tok", "n2", t0, 16)); !errors.Is(err, issuer.ErrUsed) {
			t.Errorf("second Issue with the same token: %v, want ErrUsed", err)
		}
		if _, err := s.Issue(ctx, issueReq("tok", "n1", t0, 16)); !errors.Is(err, issuer.ErrNonce) {
			t.Errorf("reused nonce: %v, want ErrNonce", err)
		}
		recs, err := s.Records(ctx)
		if err != nil || len(recs) != 1 || recs[0].CredentialID != rec.CredentialID {
			t.Errorf("Records: %+v %v", recs, err)
		}
		// Notification with the used token.
		if err := s.Notify(ctx, "tok", "wrong", "credential_accepted", t0); !errors.Is(err, issuer.ErrNotFound) || errors.Is(err, issuer.ErrBadToken) {
			t.Errorf("Notify wrong id: %v", err)
		}
		if err := s.Notify(ctx, "tok-unknown", rec.NotificationID, "credential_accepted", t0); !errors.Is(err, issuer.ErrBadToken) {
			t.Errorf("Notify unknown token: %v", err)
		}
		if err := s.Notify(ctx, "tok", rec.NotificationID, "credential_accepted", t0.Add(time.Hour)); !errors.Is(err, issuer.ErrBadToken) || !errors.Is(err, issuer.ErrExpired) {
			t.Errorf("Notify expired token: %v", err)
		}
		if err := s.Notify(ctx, "tok", rec.NotificationID, "credential_accepted", t0); err != nil {
			t.Errorf("Notify: %v", err)
		}
		if recs, _ := s.Records(ctx); len(recs) != 1 || recs[0].Notification != "credential_accepted" {
			t.Errorf("notification not recorded: %+v", recs)
		}
	})

	t.Run("status changes and lists", func(t *testing.T) {
		s := newStore(t)
		defer s.Close()
		var recs []*issuer.Record
		// 6 credentials on lists of 4 entries: a second list is started.
		for i := 0; i < 6; i++ {
			id := fmt.Sprintf("o%d", i)
			if err := s.PutOffer(ctx, offer(id, false)); err != nil {
				t.Fatal(err)
			}
			if _, err := redeem(s, "code-"+id, "", "tok"+id, t0); err != nil {
				t.Fatal(err)
			}
			if err := s.PutNonce(ctx, "n"+id, t0.Add(time.Minute), 0); err != nil {
				t.Fatal(err)
			}
			rec, err := s.Issue(ctx, issueReq("tok"+id, "n"+id, t0, 4))
			if err != nil {
				t.Fatal(err)
			}
			recs = append(recs, rec)
		}
		seen := map[string]bool{}
		for _, r := range recs {
			k := fmt.Sprintf("%s/%d", r.StatusList, r.StatusIndex)
			if seen[k] {
				t.Errorf("status index %s given twice", k)
			}
			seen[k] = true
		}
		if _, err := s.StatusList(ctx, "2"); err != nil {
			t.Errorf("second list not created: %v", err)
		}
		r := recs[0]
		for _, step := range []struct {
			state string
			want  byte
			err   error
		}{{issuer.StateSuspended, 2, nil}, {issuer.StateValid, 0, nil}, {issuer.StateRevoked, 1, nil}, {issuer.StateValid, 1, issuer.ErrRevoked}, {issuer.StateSuspended, 1, issuer.ErrRevoked}} {
			_, err := s.SetStatus(ctx, r.CredentialID, step.state, t0)
			if !errors.Is(err, step.err) || (step.err == nil && err != nil) {
				t.Errorf("SetStatus %s: %v, want %v", step.state, err, step.err)
			}
			l, err := s.StatusList(ctx, r.StatusList)
			if err != nil {
				t.Fatal(err)
			}
			if got := (l.Bits[r.StatusIndex/4] >> (2 * (r.StatusIndex % 4))) & 3; got != step.want {
				t.Errorf("after %s: entry %d, want %d", step.state, got, step.want)
			}
		}
		if _, err := s.SetStatus(ctx, "nope", issuer.StateRevoked, t0); !errors.Is(err, issuer.ErrNotFound) {
			t.Errorf("SetStatus unknown: %v", err)
		}
	})

	t.Run("sweep deletes expired offers nonces tokens", func(t *testing.T) {
		s := newStore(t)
		defer s.Close()
		short := offer("short", false)
		short.ExpiresAt = t0.Add(time.Minute)
		for _, o := range []*issuer.StoredOffer{short, offer("long", false)} {
			if err := s.PutOffer(ctx, o); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.PutNonce(ctx, "n-short", t0.Add(time.Minute), 0); err != nil {
			t.Fatal(err)
		}
		if err := s.PutNonce(ctx, "n-long", t0.Add(time.Hour), 0); err != nil {
			t.Fatal(err)
		}
		if _, err := redeem(s, "code-long", "", "tok", t0); err != nil { // token valid 10 minutes
			t.Fatal(err)
		}
		st, err := s.Sweep(ctx, t0.Add(30*time.Minute))
		if err != nil || st.Offers != 1 || st.Nonces != 1 || st.Tokens != 1 {
			t.Errorf("Sweep: %+v %v", st, err)
		}
		if _, err := s.GetOffer(ctx, "short", t0); !errors.Is(err, issuer.ErrNotFound) {
			t.Errorf("expired offer survived the sweep: %v", err)
		}
		if _, err := redeem(s, "code-short", "", "tok9", t0); !errors.Is(err, issuer.ErrNotFound) {
			t.Errorf("code of a swept offer still redeemable: %v", err)
		}
		if _, err := s.GetOffer(ctx, "long", t0); err != nil {
			t.Errorf("live offer swept: %v", err)
		}
	})

	t.Run("nonce cap refuses beyond max and frees on sweep", func(t *testing.T) {
		s := newStore(t)
		defer s.Close()
		const max = 3
		for i := 0; i < max; i++ {
			if err := s.PutNonce(ctx, fmt.Sprintf("cap%d", i), t0.Add(time.Duration(i+1)*time.Minute), max); err != nil {
				t.Fatalf("nonce %d under the cap: %v", i, err)
			}
		}
		if err := s.PutNonce(ctx, "over", t0.Add(time.Hour), max); !errors.Is(err, issuer.ErrTooManyNonces) {
			t.Fatalf("nonce over the cap: got %v, want ErrTooManyNonces", err)
		}
		if n, err := s.NonceCount(ctx); err != nil || n != max {
			t.Fatalf("NonceCount = %d, %v; want %d (the refused one not stored)", n, err, max)
		}
		// cap0 and cap1 expire by t0+2m; the sweep frees their places.
		if st, err := s.Sweep(ctx, t0.Add(2*time.Minute)); err != nil || st.Nonces != 2 {
			t.Fatalf("Sweep = %+v, %v; want 2 nonces", st, err)
		}
		if n, err := s.NonceCount(ctx); err != nil || n != 1 {
			t.Fatalf("NonceCount after sweep = %d, %v; want 1", n, err)
		}
		for _, id := range []string{"again1", "again2"} {
			if err := s.PutNonce(ctx, id, t0.Add(time.Hour), max); err != nil {
				t.Fatalf("nonce after sweep: %v", err)
			}
		}
		if err := s.PutNonce(ctx, "again3", t0.Add(time.Hour), max); !errors.Is(err, issuer.ErrTooManyNonces) {
			t.Fatalf("cap not enforced after sweep: %v", err)
		}
		if err := s.PutNonce(ctx, "unbounded", t0.Add(time.Hour), 0); err != nil {
			t.Fatalf("max 0 means no cap: %v", err)
		}
	})

	t.Run("status list revision grows on issuance and status change", func(t *testing.T) {
		s := newStore(t)
		defer s.Close()
		if err := s.PutOffer(ctx, offer("r1", false)); err != nil {
			t.Fatal(err)
		}
		if _, err := redeem(s, "code-r1", "", "tok-r1", t0); err != nil {
			t.Fatal(err)
		}
		if err := s.PutNonce(ctx, "n-r1", t0.Add(time.Minute), 0); err != nil {
			t.Fatal(err)
		}
		rec, err := s.Issue(ctx, issueReq("tok-r1", "n-r1", t0, 64))
		if err != nil {
			t.Fatal(err)
		}
		if n, err := s.NonceCount(ctx); err != nil || n != 0 {
			t.Errorf("NonceCount after the nonce was consumed = %d, %v; want 0", n, err)
		}
		l1, err := s.StatusList(ctx, rec.StatusList)
		if err != nil {
			t.Fatal(err)
		}
		if l1.Revision == 0 {
			t.Errorf("revision 0 after an issuance")
		}
		if _, err := s.SetStatus(ctx, rec.CredentialID, issuer.StateRevoked, t0); err != nil {
			t.Fatal(err)
		}
		l2, err := s.StatusList(ctx, rec.StatusList)
		if err != nil {
			t.Fatal(err)
		}
		if l2.Revision <= l1.Revision {
			t.Errorf("revision %d after a revoke, was %d: caches would serve the old list", l2.Revision, l1.Revision)
		}
	})

	t.Run("concurrent redeem and issue are single-use", func(t *testing.T) {
		s := newStore(t)
		defer s.Close()
		if err := s.PutOffer(ctx, offer("o1", false)); err != nil {
			t.Fatal(err)
		}
		const n = 8
		var wg sync.WaitGroup
		var wins atomic.Int32
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				if _, err := redeem(s, "code-o1", "", fmt.Sprintf("tok%d", i), t0); err == nil {
					wins.Add(1)
				}
			}(i)
		}
		wg.Wait()
		if wins.Load() != 1 {
			t.Fatalf("%d concurrent redeems succeeded, want 1", wins.Load())
		}
		var tok string
		for i := 0; i < n; i++ {
			if _, _, err := s.PeekToken(ctx, fmt.Sprintf("tok%d", i), t0); err == nil {
				tok = fmt.Sprintf("tok%d", i)
			}
		}
		for i := 0; i < n; i++ {
			if err := s.PutNonce(ctx, fmt.Sprintf("n%d", i), t0.Add(time.Minute), 0); err != nil {
				t.Fatal(err)
			}
		}
		wins.Store(0)
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				if _, err := s.Issue(ctx, issueReq(tok, fmt.Sprintf("n%d", i), t0, 64)); err == nil {
					wins.Add(1)
				}
			}(i)
		}
		wg.Wait()
		if wins.Load() != 1 {
			t.Errorf("%d concurrent issues with one token succeeded, want 1", wins.Load())
		}
	})
}
