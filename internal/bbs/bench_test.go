package bbs

import (
	"crypto/rand"
	"fmt"
	"testing"
)

// Benchmarks: Sign, Verify, ProofGen and ProofVerify at 5, 20 and 50
// messages, in both suites, with the suite's generator cache (warm) and
// without it (every call derives its generators again). Proofs disclose
// every other message. Compare "cached" with "uncached" of the same run.
func BenchmarkBBS(b *testing.B) {
	for _, sc := range suiteCases {
		for _, n := range []int{5, 20, 50} {
			for _, cached := range []bool{true, false} {
				var opts []Option
				mode := "cached"
				if !cached {
					opts, mode = []Option{WithoutGeneratorCache()}, "uncached"
				}
				s := newSuite(b, sc.id, opts...)
				sk, err := s.KeyGen([]byte("benchmark key material, 32 bytes or more"), nil, nil)
				if err != nil {
					b.Fatal(err)
				}
				pk := sk.PublicKey()
				msgs := make([][]byte, n)
				var idx []int
				var disc [][]byte
				for i := range msgs {
					msgs[i] = fmt.Appendf(nil, "claim-%d=value-%d", i, i)
					if i%2 == 0 {
						idx = append(idx, i)
						disc = append(disc, msgs[i])
					}
				}
				hdr, ph := []byte("header"), []byte("presentation header")
				sig, err := s.Sign(sk, pk, hdr, msgs)
				if err != nil {
					b.Fatal(err)
				}
				proof, err := s.ProofGen(rand.Reader, pk, sig, hdr, ph, msgs, idx)
				if err != nil {
					b.Fatal(err)
				}
				name := func(op string) string { return fmt.Sprintf("%s/%s/n=%d/%s", op, sc.dir, n, mode) }
				b.Run(name("Sign"), func(b *testing.B) {
					b.ReportAllocs()
					for b.Loop() {
						if _, err := s.Sign(sk, pk, hdr, msgs); err != nil {
							b.Fatal(err)
						}
					}
				})
				b.Run(name("Verify"), func(b *testing.B) {
					b.ReportAllocs()
					for b.Loop() {
						if err := s.Verify(pk, sig, hdr, msgs); err != nil {
							b.Fatal(err)
						}
					}
				})
				b.Run(name("ProofGen"), func(b *testing.B) {
					b.ReportAllocs()
					for b.Loop() {
						if _, err := s.ProofGen(rand.Reader, pk, sig, hdr, ph, msgs, idx); err != nil {
							b.Fatal(err)
						}
					}
				})
				b.Run(name("ProofVerify"), func(b *testing.B) {
					b.ReportAllocs()
					for b.Loop() {
						if err := s.ProofVerify(pk, proof, hdr, ph, disc, idx); err != nil {
							b.Fatal(err)
						}
					}
				})
			}
		}
	}
}

// BenchmarkHashToCurve compares this package's SHAKE-256 hash_to_curve
// with the same map fed by expand_message_xmd and with circl's G1.Hash.
func BenchmarkHashToCurve(b *testing.B) {
	msg, dst := []byte("message"), []byte("BBS_BLS12381G1_XOF:SHAKE-256_SSWU_RO_H2G_HM2S_SIG_GENERATOR_DST_")
	b.Run("ours-xof", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := hashToCurveG1(expandXOF, msg, dst); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("ours-xmd", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := hashToCurveG1(expandXMD, msg, dst); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("circl-xmd", func(b *testing.B) {
		b.ReportAllocs()
		s := newSuite(b, SuiteSHA256)
		for b.Loop() {
			if _, err := s.h2c(msg, dst); err != nil {
				b.Fatal(err)
			}
		}
	})
}
