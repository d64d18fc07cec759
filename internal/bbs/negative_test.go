package bbs

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/cloudflare/circl/ecc/bls12381"
	"github.com/cloudflare/circl/ecc/bls12381/ff"
)

func flip(b []byte, i int) []byte {
	c := bytes.Clone(b)
	c[i] ^= 0x01
	return c
}

// Every valid signature fixture, changed in one place, must fail Verify.
func TestMutatedSignatureFixtures(t *testing.T) {
	for _, sc := range suiteCases {
		s := newSuite(t, sc.id)
		for _, path := range fixtureFiles(t, sc.dir, "signature") {
			var f signatureFixture
			readJSON(t, path, &f)
			if !f.Result.Valid {
				continue
			}
			pk, sig, hdr, msgs := f.SignerKeyPair.PublicKey, f.Signature, f.Header, toByteSlices(f.Messages)
			if err := s.Verify(pk, sig, hdr, msgs); err != nil {
				t.Fatalf("%s: unmutated copy fails: %v", path, err)
			}
			type mut struct {
				name         string
				pk, sig, hdr []byte
				msgs         [][]byte
			}
			muts := []mut{
				{"header byte", pk, sig, append(bytes.Clone(hdr), 0), msgs},
				{"extra message", pk, sig, hdr, append(append([][]byte{}, msgs...), []byte("x"))},
				{"first message", pk, sig, hdr, append([][]byte{append(bytes.Clone(msgs[0]), 'x')}, msgs[1:]...)},
				{"public key", flip(pk, 95), sig, hdr, msgs},
				{"trailing byte", pk, append(bytes.Clone(sig), 0), hdr, msgs},
				{"truncated", pk, sig[:SignatureLen-1], hdr, msgs},
			}
			for _, i := range []int{0, 1, 20, 47, 48, 60, 79} {
				muts = append(muts, mut{fmt.Sprintf("signature byte %d", i), pk, flip(sig, i), hdr, msgs})
			}
			if len(msgs) > 1 {
				sw := append([][]byte{}, msgs...)
				sw[0], sw[1] = sw[1], sw[0]
				muts = append(muts, mut{"swapped messages", pk, sig, hdr, sw})
			}
			for _, m := range muts {
				if err := s.Verify(m.pk, m.sig, m.hdr, m.msgs); err == nil {
					t.Errorf("%s/%s: %s: mutated copy verifies", sc.dir, filepath.Base(path), m.name)
				}
			}
		}
	}
}

// Every valid proof fixture, changed in one place, must fail ProofVerify.
func TestMutatedProofFixtures(t *testing.T) {
	for _, sc := range suiteCases {
		s := newSuite(t, sc.id)
		for _, path := range fixtureFiles(t, sc.dir, "proof") {
			var f proofFixture
			readJSON(t, path, &f)
			if !f.Result.Valid {
				continue
			}
			disclosed, _ := disclosedOf(f.Messages, f.DisclosedIndexes)
			pk, pr, hdr, ph, idx := f.SignerPublicKey, f.Proof, f.Header, f.PresentationHeader, f.DisclosedIndexes
			if err := s.ProofVerify(pk, pr, hdr, ph, disclosed, idx); err != nil {
				t.Fatalf("%s: unmutated copy fails: %v", path, err)
			}
			type mut struct {
				name            string
				pk, pr, hdr, ph []byte
				msgs            [][]byte
				idx             []int
			}
			muts := []mut{
				{"header", pk, pr, append(bytes.Clone(hdr), 0), ph, disclosed, idx},
				{"presentation header", pk, pr, hdr, append(bytes.Clone(ph), 0), disclosed, idx},
				{"public key", flip(pk, 95), pr, hdr, ph, disclosed, idx},
				{"trailing scalar", pk, append(bytes.Clone(pr), make([]byte, ScalarLen)...), hdr, ph, disclosed, idx},
				{"trailing byte", pk, append(bytes.Clone(pr), 1), hdr, ph, disclosed, idx},
				{"one scalar less", pk, pr[:len(pr)-ScalarLen], hdr, ph, disclosed, idx},
			}
			for _, i := range []int{0, 5, 47, 48, 100, 144, 150, 176, 208, len(pr) - 33, len(pr) - 1} {
				muts = append(muts, mut{fmt.Sprintf("proof byte %d", i), pk, flip(pr, i), hdr, ph, disclosed, idx})
			}
			if len(disclosed) > 0 {
				changed := append([][]byte{}, disclosed...)
				changed[0] = append(bytes.Clone(changed[0]), 'x')
				muts = append(muts, mut{"disclosed message", pk, pr, hdr, ph, changed, idx})
			}
			if len(idx) > 0 && len(idx) < len(f.Messages) {
				shifted := append([]int{}, idx...)
				last := len(shifted) - 1
				if shifted[last]+1 < len(f.Messages) {
					shifted[last]++
					muts = append(muts, mut{"shifted index", pk, pr, hdr, ph, disclosed, shifted})
				}
			}
			for _, m := range muts {
				if err := s.ProofVerify(m.pk, m.pr, m.hdr, m.ph, m.msgs, m.idx); err == nil {
					t.Errorf("%s/%s: %s: mutated copy verifies", sc.dir, filepath.Base(path), m.name)
				}
			}
		}
	}
}

// notInG1 returns a compressed encoding of a point on E that is not in G1.
func notInG1(t *testing.T) []byte {
	t.Helper()
	for v := uint64(1); v < 100; v++ {
		x := fpFromUint(v)
		var rhs, y, four ff.Fp
		four.SetUint64(4)
		rhs.Sqr(&x)
		rhs.Mul(&rhs, &x)
		rhs.Add(&rhs, &four)
		if y.Sqrt(&rhs) == 0 {
			continue
		}
		xb, _ := x.MarshalBinary()
		xb[0] |= 0x80
		var g bls12381.G1
		if g.SetBytes(xb) != nil {
			return xb // on E (a square root exists) but rejected: outside G1
		}
	}
	t.Fatal("no point outside G1 found")
	return nil
}

func TestStrictDecoding(t *testing.T) {
	var g1 = bls12381.G1Generator().BytesCompressed()
	identityG1 := append([]byte{0xc0}, make([]byte, PointLen-1)...)
	identityG2 := append([]byte{0xc0}, make([]byte, PublicKeyLen-1)...)
	pBytes := ff.FpOrder()
	xTooBig := bytes.Clone(pBytes)
	xTooBig[0] |= 0x80
	r := bls12381.Order()
	one := make([]byte, ScalarLen)
	one[ScalarLen-1] = 1
	zero := make([]byte, ScalarLen)
	rPlus1 := bytes.Clone(r)
	rPlus1[ScalarLen-1]++
	uncompressed := bls12381.G1Generator().Bytes()

	for _, tc := range []struct {
		name string
		sig  []byte
	}{
		{"identity A", append(bytes.Clone(identityG1), one...)},
		{"A not in G1", append(notInG1(t), one...)},
		{"A with x >= p", append(bytes.Clone(xTooBig), one...)},
		{"A uncompressed flag", append(g1WithoutCompression(g1), one...)},
		{"e zero", append(bytes.Clone(g1), zero...)},
		{"e = r", append(bytes.Clone(g1), r...)},
		{"e = r+1", append(bytes.Clone(g1), rPlus1...)},
		{"uncompressed A", append(bytes.Clone(uncompressed), one...)},
		{"empty", nil},
	} {
		if _, err := decodeSignature(tc.sig); !errors.Is(err, ErrMalformedSignature) {
			t.Errorf("signature %s: %v, want ErrMalformedSignature", tc.name, err)
		}
	}
	if _, err := decodeSignature(append(bytes.Clone(g1), one...)); err != nil {
		t.Errorf("well-formed signature rejected: %v", err)
	}

	g2 := bls12381.G2Generator().BytesCompressed()
	for _, tc := range []struct {
		name string
		pk   []byte
	}{
		{"identity", identityG2},
		{"uncompressed", bls12381.G2Generator().Bytes()},
		{"short", g2[:95]},
		{"long", append(bytes.Clone(g2), 0)},
		{"flipped", flip(g2, 50)},
		{"no compression flag", g1WithoutCompression(g2)},
	} {
		if err := ValidatePublicKey(tc.pk); !errors.Is(err, ErrMalformedPublicKey) {
			t.Errorf("public key %s: %v, want ErrMalformedPublicKey", tc.name, err)
		}
	}
	if err := ValidatePublicKey(g2); err != nil {
		t.Errorf("generator rejected: %v", err)
	}

	good := bytes.Repeat(g1, 3)
	for i := 0; i < 4; i++ {
		good = append(good, one...)
	}
	if _, err := decodeProof(good); err != nil {
		t.Fatalf("well-formed proof rejected: %v", err)
	}
	for _, tc := range []struct {
		name string
		pr   []byte
	}{
		{"short", good[:len(good)-1]},
		{"trailing", append(bytes.Clone(good), 0)},
		{"identity point", append(bytes.Clone(identityG1), good[PointLen:]...)},
		{"point outside G1", append(notInG1(t), good[PointLen:]...)},
		{"zero scalar", append(bytes.Clone(good[:len(good)-ScalarLen]), zero...)},
		{"scalar r", append(bytes.Clone(good[:len(good)-ScalarLen]), r...)},
		{"middle scalar r", append(append(bytes.Clone(good[:3*PointLen]), r...), good[3*PointLen+ScalarLen:]...)},
	} {
		if _, err := decodeProof(tc.pr); !errors.Is(err, ErrMalformedProof) {
			t.Errorf("proof %s: %v, want ErrMalformedProof", tc.name, err)
		}
	}
	if _, err := ParseSecretKey(zero); !errors.Is(err, ErrMalformedSecretKey) {
		t.Errorf("zero secret key: %v", err)
	}
	if _, err := ParseSecretKey(r); !errors.Is(err, ErrMalformedSecretKey) {
		t.Errorf("secret key r: %v", err)
	}
}

func g1WithoutCompression(b []byte) []byte {
	c := bytes.Clone(b)
	c[0] &^= 0x80
	return c
}

func TestIndexes(t *testing.T) {
	for _, tc := range []struct {
		idx []int
		l   int
		ok  bool
	}{
		{nil, 0, true},
		{[]int{0, 2, 4}, 5, true},
		{[]int{4, 2}, 5, false},
		{[]int{2, 2}, 5, false},
		{[]int{4, 2, 4, 6}, 10, false},
		{[]int{-1}, 5, false},
		{[]int{5}, 5, false},
		{[]int{0, 1, 2}, 2, false},
	} {
		und, err := checkIndexes(tc.idx, tc.l)
		if (err == nil) != tc.ok {
			t.Errorf("checkIndexes(%v, %d) = %v", tc.idx, tc.l, err)
		}
		if err != nil && !errors.Is(err, ErrIndexes) {
			t.Errorf("checkIndexes(%v, %d): %v is not ErrIndexes", tc.idx, tc.l, err)
		}
		if err == nil && len(und)+len(tc.idx) != tc.l {
			t.Errorf("checkIndexes(%v, %d): undisclosed %v", tc.idx, tc.l, und)
		}
	}
}

// Fresh keys, signatures and random proofs for both suites, at the API.
func TestRoundTrip(t *testing.T) {
	msgs := [][]byte{[]byte("given_name=Amina"), []byte("birthdate=1990-01-01"), nil, []byte("nationality=SD"), []byte("x")}
	hdr, ph := []byte("issuer header"), []byte(`{"aud":"x","nonce":"n"}`)
	for _, sc := range suiteCases {
		t.Run(sc.dir, func(t *testing.T) {
			s := newSuite(t, sc.id)
			sk, err := s.GenerateKey(rand.Reader)
			if err != nil {
				t.Fatal(err)
			}
			pk := sk.PublicKey()
			sig, err := s.Sign(sk, pk, hdr, msgs)
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Verify(pk, sig, hdr, msgs); err != nil {
				t.Fatal(err)
			}
			for _, idx := range [][]int{nil, {0}, {1, 3}, {0, 1, 2, 3, 4}} {
				p1, err := s.ProofGen(nil, pk, sig, hdr, ph, msgs, idx)
				if err != nil {
					t.Fatal(err)
				}
				p2, err := s.ProofGen(rand.Reader, pk, sig, hdr, ph, msgs, idx)
				if err != nil {
					t.Fatal(err)
				}
				if bytes.Equal(p1, p2) || len(p1) != ProofLen(len(msgs)-len(idx)) {
					t.Fatalf("proofs equal or of wrong length (%d)", len(p1))
				}
				disc := make([][]byte, len(idx))
				for k, i := range idx {
					disc[k] = msgs[i]
				}
				for _, p := range [][]byte{p1, p2} {
					if err := s.ProofVerify(pk, p, hdr, ph, disc, idx); err != nil {
						t.Fatalf("idx %v: %v", idx, err)
					}
				}
				if err := s.ProofVerify(pk, p1, hdr, ph, disc[:len(disc)/2], idx); !errors.Is(err, ErrIndexes) && len(idx) > 0 {
					t.Errorf("fewer messages than indexes: %v", err)
				}
			}
			if _, err := s.ProofGen(nil, pk, sig, hdr, ph, msgs, []int{3, 1}); !errors.Is(err, ErrIndexes) {
				t.Errorf("ProofGen with descending indexes: %v", err)
			}
			other, _ := s.GenerateKey(rand.Reader)
			if _, err := s.ProofGen(nil, other.PublicKey(), sig, hdr, ph, msgs, nil); !errors.Is(err, ErrInvalidSignature) {
				t.Errorf("ProofGen with the wrong key: %v", err)
			}
			if _, err := s.ProofGen(failingReader{}, pk, sig, hdr, ph, msgs, nil); !errors.Is(err, ErrRandomness) {
				t.Errorf("ProofGen with a failing reader: %v", err)
			}
			// The other suite must not accept this suite's signature.
			otherSuite := newSuite(t, suiteCases[0].id)
			if sc.id == suiteCases[0].id {
				otherSuite = newSuite(t, suiteCases[1].id)
			}
			if err := otherSuite.Verify(pk, sig, hdr, msgs); !errors.Is(err, ErrInvalidSignature) {
				t.Errorf("cross-suite Verify: %v", err)
			}
		})
	}
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("no entropy") }

func TestLimits(t *testing.T) {
	s := newSuite(t, SuiteSHA256)
	if _, err := s.MessagesToScalars(make([][]byte, MaxMessages+1)); !errors.Is(err, ErrTooManyMessages) {
		t.Errorf("too many messages: %v", err)
	}
	if _, err := s.CreateGenerators(MaxMessages + 2); !errors.Is(err, ErrTooManyMessages) {
		t.Errorf("too many generators: %v", err)
	}
	pr := make([]byte, ProofLen(MaxMessages+1))
	if _, err := decodeProof(pr); !errors.Is(err, ErrTooManyMessages) {
		t.Errorf("oversized proof: %v", err)
	}
	if _, err := s.HashToScalar(nil, make([]byte, 256)); !errors.Is(err, ErrParameter) {
		t.Errorf("long DST: %v", err)
	}
	if _, err := NewSuite("BBS_UNKNOWN_"); !errors.Is(err, ErrParameter) {
		t.Errorf("unknown suite: %v", err)
	}
}

// Concurrent callers of one suite see the same generators as a cold suite
// (run with -race).
func TestGeneratorCacheConcurrent(t *testing.T) {
	for _, sc := range suiteCases {
		cold := newSuite(t, sc.id, WithoutGeneratorCache())
		want, err := cold.CreateGenerators(40)
		if err != nil {
			t.Fatal(err)
		}
		s := newSuite(t, sc.id)
		var wg sync.WaitGroup
		errs := make(chan error, 16)
		for g := 0; g < 16; g++ {
			wg.Add(1)
			go func(n int) {
				defer wg.Done()
				got, err := s.CreateGenerators(n)
				if err != nil {
					errs <- err
					return
				}
				for i := range got {
					if !bytes.Equal(got[i], want[i]) {
						errs <- fmt.Errorf("count %d: generator %d differs", n, i)
						return
					}
				}
			}(1 + g + g%3*8)
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
	}
}

// No messages at all is allowed by the draft (L = 0, one generator Q_1).
func TestNoMessages(t *testing.T) {
	for _, sc := range suiteCases {
		s := newSuite(t, sc.id)
		sk, err := s.KeyGen(bytes.Repeat([]byte{7}, 32), []byte("info"), nil)
		if err != nil {
			t.Fatal(err)
		}
		pk := sk.PublicKey()
		sig, err := s.Sign(sk, pk, []byte("h"), nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Verify(pk, sig, []byte("h"), nil); err != nil {
			t.Fatalf("%s: %v", sc.dir, err)
		}
		if err := s.Verify(pk, sig, []byte("h"), [][]byte{{}}); !errors.Is(err, ErrInvalidSignature) {
			t.Errorf("%s: an added empty message verifies: %v", sc.dir, err)
		}
		p, err := s.ProofGen(rand.Reader, pk, sig, []byte("h"), nil, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(p) != ProofLen(0) {
			t.Errorf("proof of %d bytes", len(p))
		}
		if err := s.ProofVerify(pk, p, []byte("h"), nil, nil, nil); err != nil {
			t.Fatalf("%s: %v", sc.dir, err)
		}
		if err := s.ProofVerify(pk, p, []byte("h"), nil, [][]byte{{}}, []int{0}); err == nil {
			t.Errorf("%s: proof verifies with an extra disclosed message", sc.dir)
		}
	}
}

func TestSecretKeyNotPrinted(t *testing.T) {
	sk, err := SHA256().KeyGen(bytes.Repeat([]byte{9}, 32), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	hexKey := fmt.Sprintf("%x", sk.Bytes())
	for _, f := range []string{"%v", "%+v", "%#v", "%s"} {
		if out := fmt.Sprintf(f, sk); strings.Contains(out, hexKey) || !strings.Contains(out, "redacted") {
			t.Errorf("%s prints %q", f, out)
		}
	}
}
