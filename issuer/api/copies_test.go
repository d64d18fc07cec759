package api

import (
	"context"
	"testing"

	"github.com/cairn-id/cairn/internal/jose"
	"github.com/cairn-id/cairn/internal/keys"
	"github.com/cairn-id/cairn/internal/oid4vci"
	"github.com/cairn-id/cairn/internal/sdjwt"
	"github.com/cairn-id/cairn/issuer"
)

// TestBatchOverHTTP: the metadata advertises batch_credential_issuance,
// and one Credential Request with N proofs (the client's
// PreAuthorizedRequest.More) gets N credentials, copy i bound to key i;
// more proofs than the batch size, or proofs over different nonces, are
// invalid_proof.
func TestBatchOverHTTP(t *testing.T) {
	f := newFixture(t)
	w := newWallet(t, f)
	more := make([]*jose.Signer, issuer.DefaultBatchSize-1)
	pubs := []*jose.JWK{w.key.PublicJWK()}
	for i := range more {
		k, err := keys.Generate(jose.ES256, nil)
		if err != nil {
			t.Fatal(err)
		}
		more[i], pubs = k.JoseSigner(), append(pubs, k.PublicJWK())
	}
	is, err := w.cl.RunPreAuthorized(context.Background(), oid4vci.PreAuthorizedRequest{OfferURI: f.offer(t, false).URI,
		ConfigurationID: testConfigID, Holder: w.key.JoseSigner(), More: more})
	if err != nil {
		t.Fatal(err)
	}
	if b := is.Metadata.BatchCredentialIssuance; b == nil || b.BatchSize != issuer.DefaultBatchSize {
		t.Errorf("batch_credential_issuance %+v", b)
	}
	if len(is.Credentials) != len(pubs) {
		t.Fatalf("%d credentials for %d proofs", len(is.Credentials), len(pubs))
	}
	for i, c := range is.Credentials {
		tok, err := sdjwt.Parse(c, sdjwt.Limits{})
		if err != nil {
			t.Fatal(err)
		}
		cnf, _ := tok.Payload["cnf"].(map[string]any)
		k, err := jose.JWKFromMap(cnf["jwk"].(map[string]any))
		if err != nil || !k.Equal(pubs[i]) {
			t.Errorf("credential %d not bound to proof %d's key", i, i)
		}
	}

	// Refusals, each with a fresh token.
	redeem := func() string {
		code, _ := w.fetchOffer(f.offer(t, false))
		r := w.token(code, "")
		if r.status != 200 {
			t.Fatal(r.raw)
		}
		return r.body["access_token"].(string)
	}
	proofBy := func(s *jose.Signer, nonce string) string {
		p, err := oid4vci.NewProof(s, oid4vci.ProofParams{Audience: f.svc.URL(), Nonce: nonce, IssuedAt: f.clk.Now()})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	tok, n := redeem(), w.nonce()
	proofs := []string{proofBy(w.key.JoseSigner(), n)}
	for _, s := range more {
		proofs = append(proofs, proofBy(s, n))
	}
	extra, _ := keys.Generate(jose.ES256, nil)
	if r := w.credential(tok, testConfigID, append(proofs, proofBy(extra.JoseSigner(), n))...); r.status != 400 || r.body["error"] != "invalid_proof" {
		t.Errorf("%d proofs: %d %s", len(proofs)+1, r.status, r.raw)
	}
	if r := w.credential(tok, testConfigID, proofs[0], proofBy(more[0], w.nonce())); r.status != 400 || r.body["error"] != "invalid_proof" {
		t.Errorf("two nonces: %d %s", r.status, r.raw)
	}
	if r := w.credential(tok, testConfigID, proofs[:2]...); r.status != 200 {
		t.Errorf("after refusals: %d %s", r.status, r.raw)
	}
}
