package issuer

import (
	"context"
	"encoding/json"
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

// FuzzPresentPaths: pointer walking never panics on arbitrary claims.
func FuzzPresentPaths(f *testing.F) {
	f.Add(`{"a":{"b":[1,2]}}`, "/a/b/*")
	f.Add(`{"a~b":[]}`, "/a~0b/*")
	f.Add(`[1]`, "/0")
	f.Fuzz(func(t *testing.T, claims, path string) {
		var m map[string]any
		if json.Unmarshal([]byte(claims), &m) != nil {
			return
		}
		for _, p := range presentPaths(m, []string{path}) {
			if p != path {
				t.Fatalf("returned %q for %q", p, path)
			}
		}
	})
}

// FuzzAdminOffer: arbitrary admin offer bodies never panic or cause an
// internal error, and every refusal is a {code, message} object.
func FuzzAdminOffer(f *testing.F) {
	fx := newFixture(f)
	h := fx.svc.AdminHandler()
	good, _ := json.Marshal(adminOfferRequest{VCT: testVCT, Claims: testClaims(), TxCode: true, TTL: "1h"})
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
			var o adminOffer
			if json.Unmarshal(rec.Body.Bytes(), &o) != nil || o.ID == "" || o.URI == "" {
				t.Fatalf("created without an offer: %s", rec.Body)
			}
		case rec.Code >= 500:
			t.Fatalf("status %d for %q: %s", rec.Code, body, rec.Body)
		default:
			var eb adminErrorBody
			if json.Unmarshal(rec.Body.Bytes(), &eb) != nil || eb.Code == "" || eb.Message == "" {
				t.Fatalf("refusal %d without code and message: %s", rec.Code, rec.Body)
			}
		}
	})
}

// FuzzClientAddr: any X-Forwarded-For never panics, and the address it
// yields is the peer, or one named in the header while the peer is a
// trusted proxy.
func FuzzClientAddr(f *testing.F) {
	proxies, err := ParseTrustedProxies([]string{"10.0.0.0/8", "::1"})
	if err != nil {
		f.Fatal(err)
	}
	f.Add("10.1.2.3:80", "198.51.100.1")
	f.Add("10.1.2.3:80", "6.6.6.6, 198.51.100.1, 10.9.9.9")
	f.Add("203.0.113.5:1", "198.51.100.1")
	f.Add("[::1]:443", "2001:db8::1, garbage")
	f.Add("nonsense", ",,,")
	f.Fuzz(func(t *testing.T, remote, xff string) {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = remote
		r.Header.Set("X-Forwarded-For", xff)
		a, ok := clientAddr(r, proxies)
		if !ok {
			return
		}
		peer, _ := clientAddr(r, nil)
		if a != peer && (!trusted(peer, proxies) || strings.TrimSpace(xff) == "") {
			t.Fatalf("client %v from untrusted peer %v (header %q)", a, peer, xff)
		}
		if a.Is4In6() {
			t.Fatalf("client %v not unmapped: IPv4 clients would get two buckets", a)
		}
	})
}
