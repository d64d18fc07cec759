package oid4vci

import (
	"context"
	"net/url"
	"testing"

	"github.com/cairn-id/cairn/internal/jose"
)

// FuzzParseOfferURI: any string never panics; an accepted URI yields
// exactly one of an offer (valid) and an https reference, and an offer by
// value survives BuildOfferURI and a second parse.
func FuzzParseOfferURI(f *testing.F) {
	f.Add(OfferScheme + "://?credential_offer=" + url.QueryEscape(goodOffer))
	f.Add(OfferScheme + "://?credential_offer_uri=https%3A%2F%2Fi.example%2Fo%2F1")
	f.Add(OfferScheme + ":///?credential_offer_uri=https%3A%2F%2Fi.example&credential_offer=%7B%7D")
	f.Add(OfferScheme + "://host?credential_offer=%zz")
	f.Add("openid-credential-offer:?credential_offer_uri=https://a")
	f.Fuzz(func(t *testing.T, s string) {
		ou, err := ParseOfferURI(s, Options{})
		if err != nil {
			return
		}
		if (ou.Offer == nil) == (ou.URI == "") {
			t.Fatalf("accepted %q as %+v", s, ou)
		}
		if ou.URI != "" {
			if _, err := checkURL(ou.URI, Options{}, true); err != nil {
				t.Fatalf("accepted reference %q: %v", ou.URI, err)
			}
			return
		}
		if err := ou.Offer.Validate(Options{}); err != nil {
			t.Fatalf("accepted invalid offer: %v", err)
		}
		again, err := BuildOfferURI(ou.Offer, Options{})
		if err != nil {
			t.Fatalf("cannot rebuild accepted offer: %v", err)
		}
		if _, err := ParseOfferURI(again, Options{}); err != nil {
			t.Fatalf("rebuilt offer refused: %v", err)
		}
	})
}

// FuzzParseOffer: any bytes never panic; an accepted offer is valid, has
// an https issuer and survives a build/parse round trip.
func FuzzParseOffer(f *testing.F) {
	f.Add([]byte(goodOffer))
	f.Add([]byte(`{"credential_issuer":"https://i.example","credential_configuration_ids":["a"],"grants":{"` + GrantPreAuthorizedCode + `":{"pre-authorized_code":"c","tx_code":{}}}}`))
	f.Add([]byte(`{"credential_issuer":"https://i.example","Credential_issuer":"x","credential_configuration_ids":["a"]}`))
	f.Add([]byte(`{"credential_issuer":null,"credential_configuration_ids":null,"grants":null}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		o, err := ParseOffer(b, Options{})
		if err != nil {
			return
		}
		if err := CheckIssuerIdentifier(o.CredentialIssuer, Options{}); err != nil || len(o.CredentialConfigurationIDs) == 0 {
			t.Fatalf("accepted %+v (%v)", o, err)
		}
		if g := o.PreAuthorized(); g != nil && g.PreAuthorizedCode == "" {
			t.Fatalf("accepted an empty pre-authorized code")
		}
		s, err := BuildOfferURI(o, Options{})
		if err != nil {
			t.Fatalf("cannot build accepted offer: %v", err)
		}
		if _, err := ParseOfferURI(s, Options{}); err != nil {
			t.Fatalf("built URI refused: %v", err)
		}
	})
}

// FuzzCheckProof: any string never panics, and nothing passes but a proof
// signed by the key it names, for this audience, with a nonce.
func FuzzCheckProof(f *testing.F) {
	k := genKey(f, jose.ES256)
	good, err := NewProof(k.JoseSigner(), ProofParams{Audience: testAud, Nonce: "n", IssuedAt: testNow})
	if err != nil {
		f.Fatal(err)
	}
	kid, _ := NewProof(k.JoseSigner(), ProofParams{Audience: testAud, Nonce: "n", IssuedAt: testNow, KeyID: k.DIDJWK() + "#0"})
	f.Add(good)
	f.Add(kid)
	f.Add(signProof(f, k, map[string]any{"typ": "JWT", "jwk": k.PublicJWK().Map()}, map[string]any{"aud": testAud}))
	f.Add("e30.e30.")
	f.Add("")
	f.Fuzz(func(t *testing.T, compact string) {
		p, err := CheckProof(context.Background(), compact, checkParams())
		if err != nil {
			return
		}
		if p.JWK == nil || p.DID == "" || p.Nonce == "" || p.Issuer != "" {
			t.Fatalf("accepted a proof without key, DID or nonce, or with iss: %+v", p)
		}
		j, err := jose.Parse(compact)
		if err != nil {
			t.Fatalf("accepted unparseable proof: %v", err)
		}
		pub, _ := p.JWK.PublicKey()
		if err := j.Verify(pub, DefaultProofAlgs); err != nil {
			t.Fatalf("accepted a proof its key does not verify: %v", err)
		}
	})
}
