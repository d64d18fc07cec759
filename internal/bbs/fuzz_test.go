package bbs

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// seedFromFixtures adds every signature/proof/public key found in the
// fixtures to the corpus.
func seedFromFixtures(f *testing.F, kind string, pick func(signatureFixture, proofFixture) []byte) {
	for _, sc := range suiteCases {
		files, _ := filepath.Glob(filepath.Join("testdata", sc.dir, kind, "*.json"))
		for _, path := range files {
			b, err := os.ReadFile(path)
			if err != nil {
				f.Fatal(err)
			}
			var sf signatureFixture
			var pf proofFixture
			if kind == "signature" {
				_ = jsonUnmarshal(b, &sf)
			} else {
				_ = jsonUnmarshal(b, &pf)
			}
			f.Add(pick(sf, pf))
		}
	}
}

func FuzzDecodeSignature(f *testing.F) {
	seedFromFixtures(f, "signature", func(s signatureFixture, _ proofFixture) []byte { return s.Signature })
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		sig, err := decodeSignature(b)
		if err != nil {
			if !errors.Is(err, ErrMalformedSignature) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		// A decoded signature re-encodes to the same bytes (one encoding).
		if enc := sig.encode(); !bytes.Equal(enc, b) {
			t.Fatalf("re-encoding differs: %x vs %x", enc, b)
		}
	})
}

func FuzzDecodeProof(f *testing.F) {
	seedFromFixtures(f, "proof", func(_ signatureFixture, p proofFixture) []byte { return p.Proof })
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := decodeProof(b)
		if err != nil {
			if !errors.Is(err, ErrMalformedProof) && !errors.Is(err, ErrTooManyMessages) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		if enc := p.encode(); !bytes.Equal(enc, b) {
			t.Fatalf("re-encoding differs")
		}
	})
}

func FuzzDecodePublicKey(f *testing.F) {
	seedFromFixtures(f, "signature", func(s signatureFixture, _ proofFixture) []byte { return s.SignerKeyPair.PublicKey })
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		w, err := decodePublicKey(b)
		if err != nil {
			if !errors.Is(err, ErrMalformedPublicKey) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		if enc := w.BytesCompressed(); !bytes.Equal(enc, b) {
			t.Fatalf("re-encoding differs")
		}
	})
}

// FuzzProofVerify feeds arbitrary proofs, headers and indexes to the whole
// verifier: it must return an error, never panic, and never accept.
func FuzzProofVerify(f *testing.F) {
	seedFromFixtures(f, "proof", func(_ signatureFixture, p proofFixture) []byte { return p.Proof })
	s := newSuite(f, SuiteSHA256)
	pk := mustHex("a820f230f6ae38503b86c70dc50b61c58a77e45c39ab25c0652bbaa8fa136f2851bd4781c9dcde39fc9d1d52c9e60268061e7d7632171d91aa8d460acee0e96f1e7c4cfb12d3ff9ab5d5dc91c277db75c845d649ef3c4f63aebc364cd55ded0c")
	f.Fuzz(func(t *testing.T, proof []byte) {
		idx := []int{}
		msgs := [][]byte{}
		if len(proof) > 0 {
			idx = append(idx, int(proof[0]%4))
			msgs = append(msgs, proof[:1])
		}
		if err := s.ProofVerify(pk, proof, nil, nil, msgs, idx); err == nil {
			t.Fatalf("accepted %x", proof)
		}
	})
}
