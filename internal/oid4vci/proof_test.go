package oid4vci

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cairn-id/cairn/internal/did"
	"github.com/cairn-id/cairn/internal/jose"
	"github.com/cairn-id/cairn/internal/keys"
)

const testAud = "https://issuer.example/issuers/clinic"

var testNow = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

func genKey(t testing.TB, alg jose.Alg) *keys.PrivateKey {
	t.Helper()
	k, err := keys.Generate(alg, nil)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func checkParams() CheckParams {
	return CheckParams{Audiences: []string{testAud}, Now: testNow, RequireNonce: true, Anonymous: true}
}

// signProof signs arbitrary header and claims with k (alg is k's).
func signProof(t testing.TB, k *keys.PrivateKey, h, c map[string]any) string {
	t.Helper()
	payload, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	s, err := k.JoseSigner().Sign(h, payload)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// rawJWS assembles a JWS with any header (alg included) and signature.
func rawJWS(h, c map[string]any, sig []byte) string {
	hb, _ := json.Marshal(h)
	cb, _ := json.Marshal(c)
	return jose.B64.EncodeToString(hb) + "." + jose.B64.EncodeToString(cb) + "." + jose.B64.EncodeToString(sig)
}

func TestProofRoundTrip(t *testing.T) {
	for _, alg := range []jose.Alg{jose.ES256, jose.ES384, jose.EdDSA} {
		k := genKey(t, alg)
		kdid, err := k.KeyDID()
		if err != nil {
			t.Fatal(err)
		}
		for _, kid := range []string{"", k.DIDJWK() + "#0", kdid + "#" + strings.TrimPrefix(kdid, "did:key:")} {
			p, err := NewProof(k.JoseSigner(), ProofParams{Audience: testAud, Nonce: "n-1", IssuedAt: testNow, KeyID: kid})
			if err != nil {
				t.Fatalf("%s %q: %v", alg, kid, err)
			}
			var seen string
			cp := checkParams()
			cp.NonceCheck = func(n string) error { seen = n; return nil }
			got, err := CheckProof(context.Background(), p, cp)
			if err != nil {
				t.Fatalf("%s %q: %v", alg, kid, err)
			}
			wantDID := k.DIDJWK()
			if strings.HasPrefix(kid, "did:key:") {
				wantDID = kdid
			}
			if !got.JWK.Equal(k.PublicJWK()) || got.DID != wantDID || got.KeyID != kid || got.Nonce != "n-1" || seen != "n-1" || !got.IssuedAt.Equal(testNow) || got.Issuer != "" {
				t.Errorf("%s %q: got %+v", alg, kid, got)
			}
		}
	}
}

func TestNewProofRefusals(t *testing.T) {
	k, other := genKey(t, jose.ES256), genKey(t, jose.ES256)
	cases := map[string]struct {
		s *jose.Signer
		p ProofParams
	}{
		"no signer":               {nil, ProofParams{Audience: testAud, IssuedAt: testNow}},
		"no audience":             {k.JoseSigner(), ProofParams{IssuedAt: testNow}},
		"no iat":                  {k.JoseSigner(), ProofParams{Audience: testAud}},
		"kid of another key":      {k.JoseSigner(), ProofParams{Audience: testAud, IssuedAt: testNow, KeyID: other.DIDJWK() + "#0"}},
		"kid not a DID":           {k.JoseSigner(), ProofParams{Audience: testAud, IssuedAt: testNow, KeyID: "key-1"}},
		"signer with its own kid": {k.JoseSigner().WithKeyID("k1"), ProofParams{Audience: testAud, IssuedAt: testNow}},
		"did:web kid":             {k.JoseSigner(), ProofParams{Audience: testAud, IssuedAt: testNow, KeyID: "did:web:wallet.example#k"}},
	}
	for name, c := range cases {
		if p, err := NewProof(c.s, c.p); !errors.Is(err, ErrInvalidProof) {
			t.Errorf("%s: got %q %v", name, p, err)
		}
	}
	// iss only when a client id is given.
	p, err := NewProof(k.JoseSigner(), ProofParams{Audience: testAud, IssuedAt: testNow, ClientID: "wallet-1", Nonce: "n"})
	if err != nil {
		t.Fatal(err)
	}
	cp := checkParams()
	cp.Anonymous, cp.ClientID = false, "wallet-1"
	if got, err := CheckProof(context.Background(), p, cp); err != nil || got.Issuer != "wallet-1" {
		t.Fatalf("client proof: %+v %v", got, err)
	}
}

// TestCheckProofRejects is the negative list a conformance suite would
// try against a credential endpoint.
func TestCheckProofRejects(t *testing.T) {
	k := genKey(t, jose.ES256)
	stranger := genKey(t, jose.ES256)
	ed := genKey(t, jose.EdDSA)
	header := func() map[string]any { return map[string]any{"typ": ProofTyp, "jwk": k.PublicJWK().Map()} }
	claims := func() map[string]any { return map[string]any{"aud": testAud, "iat": testNow.Unix(), "nonce": "n-1"} }
	mut := func(fh func(h map[string]any), fc func(c map[string]any)) string {
		h, c := header(), claims()
		if fh != nil {
			fh(h)
		}
		if fc != nil {
			fc(c)
		}
		return signProof(t, k, h, c)
	}
	good := mut(nil, nil)
	goodSig := good[strings.LastIndexByte(good, '.')+1:]
	sigBytes, _ := jose.DecodeSegment(goodSig)
	priv, _ := keys.MarshalPrivateJWK(k)
	var privMap map[string]any
	json.Unmarshal(priv, &privMap)
	withParams := func(f func(*CheckParams)) CheckParams { p := checkParams(); f(&p); return p }

	cases := []struct {
		name   string
		proof  string
		params CheckParams
		want   error
	}{
		{"wrong typ", mut(func(h map[string]any) { h["typ"] = "JWT" }, nil), checkParams(), ErrInvalidProof},
		{"typ in other case", mut(func(h map[string]any) { h["typ"] = "OpenID4VCI-Proof+JWT" }, nil), checkParams(), ErrInvalidProof},
		{"no typ", mut(func(h map[string]any) { delete(h, "typ") }, nil), checkParams(), ErrInvalidProof},
		{"alg none", rawJWS(map[string]any{"alg": "none", "typ": ProofTyp, "jwk": k.PublicJWK().Map()}, claims(), nil), checkParams(), ErrInvalidProof},
		{"alg HS256", rawJWS(map[string]any{"alg": "HS256", "typ": ProofTyp, "jwk": k.PublicJWK().Map()}, claims(), sigBytes), checkParams(), ErrInvalidProof},
		{"alg does not fit the key", rawJWS(map[string]any{"alg": "EdDSA", "typ": ProofTyp, "jwk": k.PublicJWK().Map()}, claims(), sigBytes), checkParams(), jose.ErrAlgKeyMismatch},
		{"ES384 header on a P-256 key", rawJWS(map[string]any{"alg": "ES384", "typ": ProofTyp, "jwk": k.PublicJWK().Map()}, claims(), sigBytes), checkParams(), jose.ErrAlgKeyMismatch},
		{"alg outside the narrowed list", signProof(t, ed, map[string]any{"typ": ProofTyp, "jwk": ed.PublicJWK().Map()}, claims()),
			withParams(func(p *CheckParams) { p.Algs = []jose.Alg{jose.ES256} }), ErrInvalidProof},
		{"jwk alg member disagrees", mut(func(h map[string]any) { h["jwk"].(map[string]any)["alg"] = "ES384" }, nil), checkParams(), ErrInvalidProof},
		{"jwk for encryption", mut(func(h map[string]any) { h["jwk"].(map[string]any)["use"] = "enc" }, nil), checkParams(), ErrInvalidProof},
		{"both jwk and kid", mut(func(h map[string]any) { h["kid"] = k.DIDJWK() + "#0" }, nil), checkParams(), ErrInvalidProof},
		{"neither jwk nor kid", mut(func(h map[string]any) { delete(h, "jwk") }, nil), checkParams(), ErrInvalidProof},
		{"empty kid", mut(func(h map[string]any) { delete(h, "jwk"); h["kid"] = "" }, nil), checkParams(), ErrInvalidProof},
		{"kid not a DID", mut(func(h map[string]any) { delete(h, "jwk"); h["kid"] = "key-1" }, nil), checkParams(), ErrInvalidProof},
		{"kid did:web", mut(func(h map[string]any) { delete(h, "jwk"); h["kid"] = "did:web:wallet.example#key-1" }, nil), checkParams(), ErrInvalidProof},
		{"kid of another key", mut(func(h map[string]any) { delete(h, "jwk"); h["kid"] = stranger.DIDJWK() + "#0" }, nil), checkParams(), jose.ErrBadSignature},
		{"private d in jwk", mut(func(h map[string]any) { h["jwk"] = privMap }, nil), checkParams(), ErrInvalidProof},
		{"jwk not an object", mut(func(h map[string]any) { h["jwk"] = "key" }, nil), checkParams(), ErrInvalidProof},
		{"jwk not on the curve", mut(func(h map[string]any) {
			m := k.PublicJWK().Map()
			m["y"] = m["x"]
			h["jwk"] = m
		}, nil), checkParams(), ErrInvalidProof},
		{"x5c header", mut(func(h map[string]any) { h["x5c"] = []string{"MIIB"} }, nil), checkParams(), ErrInvalidProof},
		{"key_attestation header", mut(func(h map[string]any) { h["key_attestation"] = "a.b.c" }, nil), checkParams(), ErrInvalidProof},
		{"crit header", mut(func(h map[string]any) { h["crit"] = []string{"exp"} }, nil), checkParams(), ErrInvalidProof},
		{"jwk of another key", mut(func(h map[string]any) { h["jwk"] = stranger.PublicJWK().Map() }, nil), checkParams(), jose.ErrBadSignature},
		{"bad signature", good[:len(good)-len(goodSig)] + func() string {
			b := append([]byte(nil), sigBytes...)
			b[5] ^= 1
			return jose.B64.EncodeToString(b)
		}(), checkParams(), jose.ErrBadSignature},
		{"no signature", good[:len(good)-len(goodSig)], checkParams(), ErrInvalidProof},
		{"wrong aud", mut(nil, func(c map[string]any) { c["aud"] = "https://other.example" }), checkParams(), ErrInvalidProof},
		{"aud with trailing slash", mut(nil, func(c map[string]any) { c["aud"] = testAud + "/" }), checkParams(), ErrInvalidProof},
		{"aud array of two", mut(nil, func(c map[string]any) { c["aud"] = []string{testAud, "https://other.example"} }), checkParams(), ErrInvalidProof},
		{"no aud", mut(nil, func(c map[string]any) { delete(c, "aud") }), checkParams(), ErrInvalidProof},
		{"stale iat", mut(nil, func(c map[string]any) { c["iat"] = testNow.Add(-DefaultProofMaxAge - time.Second).Unix() }), checkParams(), ErrInvalidProof},
		{"stale iat under a shorter max age", mut(nil, func(c map[string]any) { c["iat"] = testNow.Add(-2 * time.Minute).Unix() }),
			withParams(func(p *CheckParams) { p.MaxAge = time.Minute }), ErrInvalidProof},
		{"future iat", mut(nil, func(c map[string]any) { c["iat"] = testNow.Add(DefaultProofSkew + time.Second).Unix() }), checkParams(), ErrInvalidProof},
		{"no iat", mut(nil, func(c map[string]any) { delete(c, "iat") }), checkParams(), ErrInvalidProof},
		{"iat a string", mut(nil, func(c map[string]any) { c["iat"] = "1764158400" }), checkParams(), ErrInvalidProof},
		{"missing nonce", mut(nil, func(c map[string]any) { delete(c, "nonce") }), checkParams(), ErrMissingNonce},
		{"empty nonce", mut(nil, func(c map[string]any) { c["nonce"] = "" }), checkParams(), ErrMissingNonce},
		{"missing nonce, NonceCheck set", mut(nil, func(c map[string]any) { delete(c, "nonce") }),
			withParams(func(p *CheckParams) { p.RequireNonce = false; p.NonceCheck = func(string) error { return nil } }), ErrMissingNonce},
		{"nonce not a string", mut(nil, func(c map[string]any) { c["nonce"] = 7 }), checkParams(), ErrInvalidProof},
		{"nonce refused", good, withParams(func(p *CheckParams) { p.NonceCheck = func(string) error { return errors.New("unknown") } }), ErrInvalidNonce},
		{"iss when anonymous", mut(nil, func(c map[string]any) { c["iss"] = "wallet-1" }), checkParams(), ErrInvalidProof},
		{"iss not a string", mut(nil, func(c map[string]any) { c["iss"] = 1 }), withParams(func(p *CheckParams) { p.Anonymous = false }), ErrInvalidProof},
		{"iss of another client", mut(nil, func(c map[string]any) { c["iss"] = "wallet-2" }),
			withParams(func(p *CheckParams) { p.Anonymous = false; p.ClientID = "wallet-1" }), ErrInvalidProof},
		{"payload not an object", signProofRaw(t, k, header(), []byte(`["aud"]`)), checkParams(), ErrInvalidProof},
		{"duplicate claim", signProofRaw(t, k, header(), []byte(`{"aud":"https://other.example","aud":"`+testAud+`","iat":1,"nonce":"n"}`)), checkParams(), ErrInvalidProof},
		{"oversized", mut(nil, func(c map[string]any) { c["pad"] = strings.Repeat("x", MaxProofLen) }), checkParams(), jose.ErrTooLarge},
		{"not a JWS", "e30.e30", checkParams(), ErrInvalidProof},
		{"empty", "", checkParams(), ErrInvalidProof},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := CheckProof(context.Background(), c.proof, c.params)
			if err == nil {
				t.Fatalf("accepted: %+v", got)
			}
			if !errors.Is(err, c.want) {
				t.Fatalf("got %v, want %v", err, c.want)
			}
			if c.want != ErrMissingNonce && c.want != ErrInvalidNonce && !errors.Is(err, ErrInvalidProof) {
				t.Fatalf("%v does not wrap ErrInvalidProof", err)
			}
		})
	}
	// The untouched proof passes, so each refusal above is its mutation's.
	if _, err := CheckProof(context.Background(), good, checkParams()); err != nil {
		t.Fatalf("good proof refused: %v", err)
	}
	// Anonymous off and no client id: iss is accepted and reported.
	p := mut(nil, func(c map[string]any) { c["iss"] = "wallet-1" })
	if got, err := CheckProof(context.Background(), p, withParams(func(p *CheckParams) { p.Anonymous = false })); err != nil || got.Issuer != "wallet-1" {
		t.Fatalf("iss with anonymous off: %+v %v", got, err)
	}
	// No nonce needed when the issuer has no nonce endpoint.
	p = mut(nil, func(c map[string]any) { delete(c, "nonce") })
	if _, err := CheckProof(context.Background(), p, withParams(func(p *CheckParams) { p.RequireNonce = false })); err != nil {
		t.Fatalf("nonce-less proof refused: %v", err)
	}
	if _, err := CheckProof(context.Background(), good, CheckParams{Now: testNow}); err == nil {
		t.Fatal("CheckProof without audiences accepted a proof")
	}
}

func signProofRaw(t testing.TB, k *keys.PrivateKey, h map[string]any, payload []byte) string {
	t.Helper()
	s, err := k.JoseSigner().Sign(h, payload)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestProofErrorCode(t *testing.T) {
	cases := map[error]string{
		ErrMissingNonce: ErrorInvalidProof,
		ErrInvalidProof: ErrorInvalidProof,
		errors.Join(ErrInvalidNonce, errors.New("x")): ErrorInvalidNonce,
	}
	for err, want := range cases {
		if got := ProofErrorCode(err); got != want {
			t.Errorf("%v: %s, want %s", err, got, want)
		}
	}
}

// BenchmarkCheckProof measures CheckProof against the bare signature
// check (jose.Parse and Verify with the known key) as the baseline: the
// difference is what the F.1/F.4 checks and the key resolution cost.
func BenchmarkCheckProof(b *testing.B) {
	k := genKey(b, jose.ES256)
	base, err := NewProof(k.JoseSigner(), ProofParams{Audience: testAud, Nonce: "n", IssuedAt: testNow})
	if err != nil {
		b.Fatal(err)
	}
	pub := k.Public()
	b.Run("baseline-jose-verify", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			j, err := jose.Parse(base)
			if err != nil || j.Verify(pub, DefaultProofAlgs) != nil {
				b.Fatal("baseline failed")
			}
		}
	})
	for _, kind := range []string{"jwk", "kid"} {
		kid := ""
		if kind == "kid" {
			kid = did.FromJWK(k.PublicJWK()) + "#0"
		}
		p, err := NewProof(k.JoseSigner(), ProofParams{Audience: testAud, Nonce: "n", IssuedAt: testNow, KeyID: kid})
		if err != nil {
			b.Fatal(err)
		}
		b.Run(kind, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := CheckProof(context.Background(), p, checkParams()); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
