package jwp_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/cairn-id/cairn/internal/jwp"
)

// Whatever ParseIssued accepts re-serializes to the same string (one value,
// one encoding), and a failure is always one of the package's errors.
func FuzzParseIssued(f *testing.F) {
	ex := loadJPA(f)
	f.Add(ex.Issued)
	f.Add("eyJhbGciOiJCQlMifQ.YQ~_~Yg.AQ")
	f.Add("eyJhbGciOiJCQlMifQ.YQ~~Yg.AQ")
	f.Add("e30.._")
	f.Fuzz(func(t *testing.T, s string) {
		j, err := jwp.ParseIssued(s)
		if err != nil {
			if !errors.Is(err, jwp.ErrMalformed) && !errors.Is(err, jwp.ErrTooLarge) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		if back := j.Compact(); back != s {
			t.Fatalf("%q re-serializes as %q", s, back)
		}
		for _, p := range j.Payloads {
			if p == nil {
				t.Fatal("issued form with an omitted payload")
			}
		}
		_, _ = jwp.ParseHeader(j.Header)
	})
}

func FuzzParsePresented(f *testing.F) {
	ex := loadJPA(f)
	f.Add(ex.Presented)
	f.Add("eyJub25jZSI6Im4ifQ.eyJhbGciOiJCQlMifQ.YQ~~_~.AQ")
	f.Add("e30.e30..AQ~AQ")
	key := testKey(f, "fuzz")
	pub := &key.Public
	f.Fuzz(func(t *testing.T, s string) {
		p, err := jwp.ParsePresented(s)
		if err != nil {
			if !errors.Is(err, jwp.ErrMalformed) && !errors.Is(err, jwp.ErrTooLarge) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		if back := p.Compact(); back != s {
			t.Fatalf("%q re-serializes as %q", s, back)
		}
		if n := strings.Count(s, "."); n != 3 {
			t.Fatalf("%d dots accepted", n)
		}
		// Verification never panics and never accepts (the key is not the
		// signer of anything the fuzzer can build).
		if _, err := jwp.Verify(pub, p, jwp.VerifyOptions{Audience: "a", Nonce: "n"}); err == nil {
			t.Fatal("forged presentation verified")
		}
	})
}

func FuzzParseHeader(f *testing.F) {
	f.Add([]byte(`{"alg":"BBS","kid":"k","cid":"c"}`))
	f.Add([]byte(`{"alg":"BBS","aud":["a"],"nonce":"n"}`))
	f.Add([]byte(`{"crit":["x"],"x":1}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := jwp.ParseHeader(b)
		if err != nil {
			if !errors.Is(err, jwp.ErrHeader) && !errors.Is(err, jwp.ErrCrit) && !errors.Is(err, jwp.ErrTooLarge) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		if string(h.Raw) != string(b) {
			t.Fatal("Raw is not the input")
		}
	})
}

// The JWK decoders: no panics, typed errors, and whatever parses
// re-encodes to a JWK that parses to the same key.
func FuzzParseJWK(f *testing.F) {
	ex := loadJPA(f)
	f.Add(string(ex.IssuerJWK))
	f.Add(string(readFile(f, "mattr-legacy/bbs-public-key.jwk")))
	f.Add(`{"kty":"OKP","crv":"BLS12381G2","x":"","proof_alg":"BBS"}`)
	f.Fuzz(func(t *testing.T, s string) {
		if k, err := jwp.ParsePrivateJWK([]byte(s)); err == nil {
			k2, err := jwp.ParsePrivateJWK(k.PrivateJWK())
			if err != nil || string(k2.Public.Bytes) != string(k.Public.Bytes) {
				t.Fatalf("private JWK does not round-trip: %v", err)
			}
		} else if !errors.Is(err, jwp.ErrBadKey) {
			t.Fatalf("untyped error %v", err)
		}
		pub, err := jwp.ParsePublicJWK([]byte(s))
		if err != nil {
			if !errors.Is(err, jwp.ErrBadKey) && !errors.Is(err, jwp.ErrPrivateKeyInJWK) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		pub2, err := jwp.ParsePublicJWK(pub.JWK())
		if err != nil || string(pub2.Bytes) != string(pub.Bytes) || pub2.ProofAlg != pub.ProofAlg || pub2.Kid != pub.Kid {
			t.Fatalf("public JWK does not round-trip: %v", err)
		}
	})
}
