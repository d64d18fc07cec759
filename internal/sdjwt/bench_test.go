package sdjwt

import (
	"crypto/ecdsa"
	"crypto/sha256"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/cairn-id/cairn/internal/jose"
)

// The issue's budget: a full verification (10 disclosable claims, 4
// disclosed — given_name, family_name, address and address/locality — with
// key binding) costs at most 1.3× two raw ES256 verifications. Compare
// BenchmarkVerify with 2 × BenchmarkRawES256Verify.

func BenchmarkIssue(b *testing.B) {
	f := newFixture(b, jose.ES256, jose.ES256)
	opts := IssueOptions{Signer: f.issuer, Header: map[string]any{"typ": "example+sd-jwt"}, Disclosable: fixtureDisclosable, Decoys: 2}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Issue(f.claims, opts); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPresent(b *testing.B) {
	f := newFixture(b, jose.ES256, jose.ES256)
	kb := f.kb()
	b.ReportAllocs()
	for b.Loop() {
		p, err := f.issued.Select(fixtureSelect)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := p.WithKeyBinding(f.holder, kb); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerify(b *testing.B) {
	f := newFixture(b, jose.ES256, jose.ES256)
	pres := f.present(b, fixtureSelect)
	if n := strings.Count(withoutKB(pres), "~") - 1; n != 4 {
		b.Fatalf("presentation has %d disclosures, want 4", n)
	}
	opts := f.opts()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Verify(pres, opts); err != nil {
			b.Fatal(err)
		}
	}
}

// rawES256Verifier returns one ES256 JWS verification with nothing else:
// SHA-256 of the issuer JWT's signing input and ecdsa.Verify.
func rawES256Verifier(b *testing.B, f *fixture) func() {
	jwt := f.issued.IssuerJWT
	dot := strings.LastIndexByte(jwt, '.')
	input := []byte(jwt[:dot])
	sig, err := jose.DecodeSegment(jwt[dot+1:])
	if err != nil {
		b.Fatal(err)
	}
	pub := f.issuer.Public().(*ecdsa.PublicKey)
	return func() {
		h := sha256.Sum256(input)
		r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
		if !ecdsa.Verify(pub, h[:], r, s) {
			b.Fatal("signature does not verify")
		}
	}
}

// BenchmarkRawES256Verify is the baseline: one raw ES256 verification.
func BenchmarkRawES256Verify(b *testing.B) {
	raw := rawES256Verifier(b, newFixture(b, jose.ES256, jose.ES256))
	b.ReportAllocs()
	for b.Loop() {
		raw()
	}
}

// BenchmarkVerifyVsTwoRawES256 states the budget as one number: it
// alternates full verifications with pairs of raw ES256 verifications in
// the same loop, so load on a shared machine hits both sides alike, and
// reports their time ratio as "ratio" (the goal is ≤ 1.3; internal/sdjwtvc holds the issue-7 goal of ≤ 1.15 at the SD-JWT VC layer).
func BenchmarkVerifyVsTwoRawES256(b *testing.B) {
	f := newFixture(b, jose.ES256, jose.ES256)
	pres := f.present(b, fixtureSelect)
	opts := f.opts()
	raw := rawES256Verifier(b, f)
	var full, base time.Duration
	b.ReportAllocs()
	for b.Loop() {
		t0 := time.Now()
		if _, err := Verify(pres, opts); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		raw()
		raw()
		t2 := time.Now()
		full += t1.Sub(t0)
		base += t2.Sub(t1)
	}
	b.ReportMetric(float64(full)/float64(base), "ratio")
}
