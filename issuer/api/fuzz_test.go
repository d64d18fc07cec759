package api

import (
	"context"
	"encoding/json"
	"github.com/cairn-id/cairn/issuer"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzVerifyProof: arbitrary key proofs never panic, and nothing but a
// proof signed by the key it names, with this issuer's aud, passes.
func FuzzVerifyProof(f *testing.F) {
	fx := newFixture(f)
	w := newWallet(f, fx)
	f.Add(w.proof("n", nil))
	f.Add(w.proof("n", func(h, c map[string]any) { h["typ"] = "JWT" }))
	f.Add(w.proof("n", func(h, c map[string]any) { delete(h, "jwk"); h["kid"] = w.key.DIDJWK() + "#0" }))
	f.Add("e30.e30.")
	f.Add("")
	f.Fuzz(func(t *testing.T, compact string) {
		hk, err := fx.svc.VerifyProof(context.Background(), compact, fx.clk.Now())
		if err != nil {
			return
		}
		if hk.JWK == nil || hk.DID == "" || hk.Nonce == "" {
			t.Fatalf("accepted proof without key, DID or nonce: %+v", hk)
		}
	})
}

// FuzzAdminOffer: arbitrary admin offer bodies never panic or cause an
// internal error, and every refusal is a {code, message} object.
func FuzzAdminOffer(f *testing.F) {
	fx := newFixture(f)
	h := NewAdmin(fx.svc, nil)
	good, _ := json.Marshal(issuer.AdminOfferRequest{VCT: testVCT, Claims: testClaims(), TxCode: true, TTL: "1h"})
	f.Add(string(good))
	f.Add(`{"vct":"` + testVCT + `","claims":{"iss":"x"}}`)
	f.Add(`{"vct":"` + testVCT + `","claims":{},"evidence":{"strength":9}}`)
	f.Add(`{"claims":null,"ttl":"-1h"}`)
	f.Add(`[]`)
	f.Fuzz(func(t *testing.T, body string) {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("POST", "/admin/offers", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		h.ServeHTTP(rec, req)
		switch {
		case rec.Code == http.StatusCreated:
			var o issuer.AdminOfferResponse
			if json.Unmarshal(rec.Body.Bytes(), &o) != nil || o.ID == "" || o.URI == "" {
				t.Fatalf("created without an offer: %s", rec.Body)
			}
		case rec.Code >= 500:
			t.Fatalf("status %d for %q: %s", rec.Code, body, rec.Body)
		default:
			var eb issuer.AdminErrorBody
			if json.Unmarshal(rec.Body.Bytes(), &eb) != nil || eb.Code == "" || eb.Message == "" {
				t.Fatalf("refusal %d without code and message: %s", rec.Code, rec.Body)
			}
		}
	})
}
