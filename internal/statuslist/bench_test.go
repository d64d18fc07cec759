package statuslist

import (
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	mrand "math/rand/v2"
	"testing"
	"time"
)

// benchList returns a 1,000,000-entry list with about 1% of entries
// non-VALID at random positions: a plausible revocation rate that still
// fits a token under jose.MaxCompactLen.
func benchList(b *testing.B, bits Bits) *List {
	b.Helper()
	const size = 1_000_000
	l, err := New(bits, size)
	if err != nil {
		b.Fatal(err)
	}
	rng := mrand.New(mrand.NewPCG(7, uint64(bits)))
	for range size / 100 {
		if err := l.Set(rng.IntN(size), uint8(1+rng.IntN(1<<bits-1))); err != nil {
			b.Fatal(err)
		}
	}
	return l
}

// BenchmarkCheckOneOf1M measures one status check in a list of a million
// entries, from a decoded list and from the signed token (verify, decode,
// Get). Compare the token cases with BenchmarkRawES256Verify.
func BenchmarkCheckOneOf1M(b *testing.B) {
	s, k := newTestSigner(b)
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	for _, bits := range []Bits{1, 2} {
		l := benchList(b, bits)
		b.Run(fmt.Sprintf("decoded/%dbit", bits), func(b *testing.B) {
			b.ReportAllocs()
			idx := 0
			for b.Loop() {
				if _, err := l.Get(idx); err != nil {
					b.Fatal(err)
				}
				idx = (idx + 7919) % l.Len()
			}
		})
		tok, err := l.SignToken(s, TokenOptions{Subject: testURI, IssuedAt: now, ExpiresIn: time.Hour})
		if err != nil {
			b.Fatal(err)
		}
		opts := VerifyOptions{Key: &k.PublicKey, Now: func() time.Time { return now }, ExpectedSubject: testURI}
		b.Run(fmt.Sprintf("token/%dbit", bits), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				t, err := VerifyToken(tok, opts)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := t.List.Get(424242); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(tok)), "token-bytes")
		})
	}
}

// BenchmarkRawES256Verify is the baseline: one P-256 ECDSA verification
// of a SHA-256 digest, nothing else.
func BenchmarkRawES256Verify(b *testing.B) {
	_, k := newTestSigner(b)
	digest := sha256.Sum256([]byte("header.payload"))
	sig, err := ecdsa.SignASN1(rand.Reader, k, digest[:])
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if !ecdsa.VerifyASN1(&k.PublicKey, digest[:], sig) {
			b.Fatal("verify failed")
		}
	}
}
