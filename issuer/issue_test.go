package issuer

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"io"
	"testing"

	"github.com/cairn-id/cairn/internal/jose"
)

// failingKey is a crypto.Signer whose signatures fail.
type failingKey struct{ *ecdsa.PrivateKey }

func (failingKey) Sign(io.Reader, []byte, crypto.SignerOpts) ([]byte, error) {
	return nil, errors.New("hsm unavailable")
}

// TestFailedSignLeavesNoHalfIssuedCredential: when signing fails after
// the reservation, no Record exists, the reservation is marked failed
// (its index is not handed out again), the status list bits are
// untouched, the access token is usable again and the nonce stays
// consumed; a retry with a new nonce issues.
func TestFailedSignLeavesNoHalfIssuedCredential(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	w := newWallet(t, f)
	code, _ := w.fetchOffer(f.offer(t, false))
	tr := w.token(code, "")
	tok, _ := tr.body["access_token"].(string)
	if tok == "" {
		t.Fatalf("token: %d %s", tr.status, tr.raw)
	}
	good := f.svc.signer
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	bad, err := jose.NewSigner(failingKey{k}, nil)
	if err != nil {
		t.Fatal(err)
	}
	f.svc.signer = bad
	if r := w.credential(tok, testConfigID, w.proof(w.nonce(), nil)); r.status != 500 || r.body["error"] != "server_error" {
		t.Fatalf("credential with a failing signer: %d %s", r.status, r.raw)
	}

	if recs, err := f.svc.Records(ctx); err != nil || len(recs) != 0 {
		t.Errorf("records after a failed sign: %+v %v", recs, err)
	}
	var failed []*Reservation
	f.store.View(ctx, func(tx Tx) error {
		return tx.ForEachReservation(func(r *Reservation) error { failed = append(failed, r); return nil })
	})
	if len(failed) != 1 || failed[0].State != ReservationFailed {
		t.Fatalf("reservations after a failed sign: %+v, want one failed", failed)
	}
	l, err := f.svc.StatusList(ctx, failed[0].StatusList)
	if err != nil {
		t.Fatal(err)
	}
	for i, b := range l.Bits {
		if b != 0 {
			t.Errorf("status list byte %d is %#x after a failed sign, want every entry VALID", i, b)
		}
	}
	if _, err := f.svc.CheckAccessToken(ctx, tok); err != nil {
		t.Errorf("access token not given back after a failed sign: %v", err)
	}
	if n, err := f.svc.NonceCount(ctx); err != nil || n != 0 {
		t.Errorf("NonceCount = %d, %v after a failed sign; the nonce stays consumed", n, err)
	}

	f.svc.signer = good
	r := w.credential(tok, testConfigID, w.proof(w.nonce(), nil))
	if r.status != 200 {
		t.Fatalf("retry after a failed sign: %d %s", r.status, r.raw)
	}
	recs, err := f.svc.Records(ctx)
	if err != nil || len(recs) != 1 {
		t.Fatalf("records after the retry: %+v %v", recs, err)
	}
	if recs[0].StatusList == failed[0].StatusList && recs[0].StatusIndex == failed[0].StatusIndex {
		t.Errorf("the failed reservation's index %d was handed out again", failed[0].StatusIndex)
	}
	if r := w.credential(tok, testConfigID, w.proof(w.nonce(), nil)); r.status != 401 {
		t.Errorf("token reused after issuance: %d %s", r.status, r.raw)
	}
}
