package pgstore_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"testing"

	"github.com/cairn-id/cairn/internal/jose"
	"github.com/cairn-id/cairn/internal/keys"
	"github.com/cairn-id/cairn/internal/store/pg/pgtest"
	"github.com/cairn-id/cairn/issuer"
	"github.com/cairn-id/cairn/schemas"
)

// TestTablesHoldNoClaimValues: after offers (one pending, one issued)
// the issuer's tables hold none of the claim values nor the offer's
// reference, in any column; the control finds the offer handle, which
// is stored in clear.
func TestTablesHoldNoClaimValues(t *testing.T) {
	ctx := context.Background()
	st := open(t, pgtest.URL(t))
	defer st.Close()
	cat, err := schemas.Load()
	if err != nil {
		t.Fatal(err)
	}
	key, _ := keys.Generate(jose.ES256, nil)
	hk := make([]byte, 32)
	rand.Read(hk)
	vct := "urn:cairn:vct:humanitarian-registration:1"
	svc, err := issuer.New(issuer.Config{URL: "http://127.0.0.1:1", Dev: true, Names: map[string]string{"en": "NGO"}, Types: []string{vct},
		Catalogue: cat, Key: key, HashKey: hk, Store: st})
	if err != nil {
		t.Fatal(err)
	}
	secrets := []string{"Zzyzxquorran", "Ophelindra", "1987-11-23", "REG-7741-QXJ", "Qwertzville", "CASE-55-OMEGA"}
	claims := func() map[string]any {
		return map[string]any{"family_name": "Zzyzxquorran", "given_name": "Ophelindra", "birthdate": "1987-11-23",
			"registration_id": "REG-7741-QXJ", "registration_date": "2025-03-02",
			"registration_place": map[string]any{"country": "LB", "locality": "Qwertzville"}}
	}
	pending, err := svc.CreateOffer(ctx, issuer.OfferRequest{VCT: vct, Claims: claims(), Reference: "CASE-55-OMEGA"})
	if err != nil {
		t.Fatal(err)
	}
	o, err := svc.CreateOffer(ctx, issuer.OfferRequest{VCT: vct, Claims: claims(), Reference: "CASE-55-OMEGA"})
	if err != nil {
		t.Fatal(err)
	}
	stored, _ := svc.GetOffer(ctx, o.ID)
	g, err := svc.RedeemCode(ctx, svc.CredentialOffer(stored).Grants.PreAuthorizedCode.PreAuthorizedCode, "")
	if err != nil {
		t.Fatal(err)
	}
	n, _ := svc.NewNonce(ctx)
	holder, _ := keys.Generate(jose.ES256, nil)
	if _, err := svc.IssueCredential(ctx, issuer.CredentialRequest{AccessToken: g.AccessToken, ConfigurationID: "humanitarian-registration.v1",
		HolderJWK: holder.PublicJWK(), HolderDID: holder.DIDJWK(), Nonce: n}); err != nil {
		t.Fatal(err)
	}
	dump := pgtest.Dump(t, st.DB().Schema())
	for _, s := range append(secrets, holder.DIDJWK()) {
		if bytes.Contains(dump, []byte(s)) {
			t.Errorf("the issuer's tables hold %q in clear", s)
		}
	}
	if p, _ := svc.GetOffer(ctx, pending.ID); p == nil || !bytes.Contains(dump, []byte(p.Handle)) {
		t.Error("the search does not find the pending offer's handle, stored in clear: the test is broken")
	}
}
