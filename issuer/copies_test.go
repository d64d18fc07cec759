package issuer

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/cairn-id/cairn/internal/jose"
	"github.com/cairn-id/cairn/internal/keys"
	"github.com/cairn-id/cairn/internal/sdjwt"
	"github.com/cairn-id/cairn/internal/statuslist"
)

func batchHolders(tb testing.TB, n int) []*keys.PrivateKey {
	out := make([]*keys.PrivateKey, n)
	for i := range out {
		k, err := keys.Generate(jose.ES256, nil)
		if err != nil {
			tb.Fatal(err)
		}
		out[i] = k
	}
	return out
}

func (f *coreFixture) issueBatch(tb testing.TB, tok string, hs []*keys.PrivateKey) (*IssuedCredential, error) {
	tb.Helper()
	n, err := f.svc.NewNonce(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	var more []BatchHolder
	for _, h := range hs[1:] {
		more = append(more, BatchHolder{JWK: h.PublicJWK(), DID: h.DIDJWK()})
	}
	return f.svc.IssueCredential(context.Background(), CredentialRequest{AccessToken: tok, ConfigurationID: testConfigID,
		HolderJWK: hs[0].PublicJWK(), HolderDID: hs[0].DIDJWK(), Nonce: n, More: more})
}

// statusOf reads a record's entry in its status list.
func (f *coreFixture) statusOf(tb testing.TB, r *Record) uint8 {
	tb.Helper()
	l, err := f.svc.StatusList(context.Background(), r.StatusList)
	if err != nil {
		tb.Fatal(err)
	}
	lst, err := statuslist.FromBytes(statusListBits, l.Size, l.Bits)
	if err != nil {
		tb.Fatal(err)
	}
	v, err := lst.Get(r.StatusIndex)
	if err != nil {
		tb.Fatal(err)
	}
	return v
}

// TestBatchIssuance: N proofs give N copies with the same claims, each
// bound to its key, with its own salts and status index; a status change
// of any copy changes every copy's entry.
func TestBatchIssuance(t *testing.T) {
	f := newCore(t)
	if got := f.svc.IssuerMetadata().BatchCredentialIssuance; got == nil || got.BatchSize != DefaultBatchSize {
		t.Fatalf("metadata batch_credential_issuance %+v", got)
	}
	hs := batchHolders(t, DefaultBatchSize)
	is, err := f.issueBatch(t, f.token(t), hs)
	if err != nil {
		t.Fatal(err)
	}
	all := append([]IssuedCredential{{Credential: is.Credential, Record: is.Record}}, is.More...)
	if len(all) != len(hs) {
		t.Fatalf("%d copies", len(all))
	}
	salts, idx, ids := map[string]bool{}, map[int]bool{}, []string{}
	for i, c := range all {
		tok, err := sdjwt.Parse(c.Credential, sdjwt.Limits{})
		if err != nil {
			t.Fatal(err)
		}
		cnf, _ := tok.Payload["cnf"].(map[string]any)
		jwk, err := jose.JWKFromMap(cnf["jwk"].(map[string]any))
		if err != nil || !jwk.Equal(hs[i].PublicJWK()) || tok.Payload["sub"] != hs[i].DIDJWK() {
			t.Errorf("copy %d not bound to key %d", i, i)
		}
		var names []string
		for _, d := range tok.Disclosures {
			if salts[d.Salt] {
				t.Errorf("copy %d reuses a salt", i)
			}
			salts[d.Salt] = true
			names = append(names, d.Name)
		}
		slices.Sort(names)
		if !slices.Equal(names, []string{"given_name", "registration_date", "registration_id", "registration_place"}) {
			t.Errorf("copy %d discloses %v", i, names)
		}
		if idx[c.Record.StatusIndex] {
			t.Errorf("copy %d shares a status index", i)
		}
		idx[c.Record.StatusIndex] = true
		if len(c.Record.Copies) != len(hs)-1 || slices.Contains(c.Record.Copies, c.Record.CredentialID) {
			t.Errorf("copy %d names copies %v", i, c.Record.Copies)
		}
		ids = append(ids, c.Record.CredentialID)
	}
	ctx := context.Background()
	for _, step := range []struct {
		do   func(context.Context, string) error
		id   string
		want uint8
	}{
		{f.svc.Suspend, ids[2], statuslist.StatusSuspended},
		{f.svc.Reinstate, ids[4], statuslist.StatusValid},
		{f.svc.Revoke, ids[0], statuslist.StatusInvalid},
	} {
		listID := all[0].Record.StatusList
		before, err := f.svc.StatusListRevision(ctx, listID)
		if err != nil {
			t.Fatal(err)
		}
		if err := step.do(ctx, step.id); err != nil {
			t.Fatal(err)
		}
		// The copies share a list: it is rewritten once per change, not
		// once per copy (a holder's revocation is one list revision).
		if after, _ := f.svc.StatusListRevision(ctx, listID); after != before+1 {
			t.Errorf("list revision %d → %d after one change of %d copies, want one step", before, after, len(all))
		}
		for i, c := range all {
			if got := f.statusOf(t, c.Record); got != step.want {
				t.Errorf("after a change of one copy, copy %d has status %d, want %d", i, got, step.want)
			}
		}
	}
	if err := f.svc.Reinstate(ctx, ids[3]); !errors.Is(err, ErrRevoked) {
		t.Errorf("reinstating a revoked copy: %v", err)
	}
}

func TestBatchRefused(t *testing.T) {
	f := newCore(t)
	tok := f.token(t)
	hs := batchHolders(t, DefaultBatchSize+1)
	if _, err := f.issueBatch(t, tok, hs); !errors.Is(err, ErrBatch) {
		t.Errorf("%d proofs: %v", len(hs), err)
	}
	if _, err := f.issueBatch(t, tok, []*keys.PrivateKey{hs[0], hs[1], hs[0]}); !errors.Is(err, ErrBatch) {
		t.Errorf("one key twice: %v", err)
	}
	// Refusals consume nothing: the token still gives a batch.
	if is, err := f.issueBatch(t, tok, hs[:2]); err != nil || len(is.More) != 1 {
		t.Errorf("after refusals: %v", err)
	}
}
