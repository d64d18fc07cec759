package bbs

import (
	"bytes"
	"encoding/hex"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/cloudflare/circl/ecc/bls12381"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// RFC 9380 Appendix K.6, expand_message_xof(SHAKE256).
func TestExpandMessageXOFVectors(t *testing.T) {
	dst := []byte("QUUX-V01-CS02-with-expander-SHAKE256")
	for _, tc := range []struct{ msg, want string }{
		{"", "2ffc05c48ed32b95d72e807f6eab9f7530dd1c2f013914c8fed38c5ccc15ad76"},
		{"abc", "b39e493867e2767216792abce1f2676c197c0692aed061560ead251821808e07"},
		{"abcdef0123456789", "245389cf44a13f0e70af8665fe5337ec2dcd138890bb7901c4ad9cfceb054b65"},
	} {
		got, err := expandXOF([]byte(tc.msg), dst, 32)
		if err != nil {
			t.Fatal(err)
		}
		if want := unhex(t, tc.want); !bytes.Equal(got, want) {
			t.Errorf("expand_message_xof(%q) = %x, want %x", tc.msg, got, want)
		}
	}
	if _, err := expandXOF(nil, make([]byte, 256), 32); err == nil {
		t.Error("256-byte DST accepted")
	}
	if _, err := expandXOF(nil, dst, 65536); err == nil {
		t.Error("65536-byte output accepted")
	}
}

// RFC 9380 Appendix J.9.1, BLS12381G1_XMD:SHA-256_SSWU_RO_: the map code of
// the SHAKE suite, fed by expand_message_xmd, must give the RFC's points.
func TestHashToCurveRFCVectors(t *testing.T) {
	dst := []byte("QUUX-V01-CS02-with-BLS12381G1_XMD:SHA-256_SSWU_RO_")
	for _, tc := range []struct{ msg, x, y string }{
		{"", "052926add2207b76ca4fa57a8734416c8dc95e24501772c814278700eed6d1e4e8cf62d9c09db0fac349612b759e79a1",
			"08ba738453bfed09cb546dbb0783dbb3a5f1f566ed67bb6be0e8c67e2e81a4cc68ee29813bb7994998f3eae0c9c6a265"},
		{"abc", "03567bc5ef9c690c2ab2ecdf6a96ef1c139cc0b2f284dca0a9a7943388a49a3aee664ba5379a7655d3c68900be2f6903",
			"0b9c15f3fe6e5cf4211f346271d7b01c8f3b28be689c8429c85b67af215533311f0b8dfaaa154fa6b88176c229f2885d"},
		{"abcdef0123456789", "11e0b079dea29a68f0383ee94fed1b940995272407e3bb916bbf268c263ddd57a6a27200a784cbc248e84f357ce82d98",
			"03a87ae2caf14e8ee52e51fa2ed8eefe80f02457004ba4d486d6aa1f517c0889501dc7413753f9599b099ebcbbd2d709"},
	} {
		p, err := hashToCurveG1(expandXMD, []byte(tc.msg), dst)
		if err != nil {
			t.Fatal(err)
		}
		want := append(unhex(t, tc.x), unhex(t, tc.y)...)
		if got := p.Bytes(); !bytes.Equal(got, want) {
			t.Errorf("hash_to_curve(%q) = %x, want %x", tc.msg, got, want)
		}
	}
}

// TestMapMatchesCircl runs this package's SSWU + 11-isogeny + h_eff code
// with expand_message_xmd (SHA-256) on 1,000 random inputs and DSTs and
// compares it with circl's G1.Hash, an independent implementation of the
// same suite. This checks the map independently of the expander.
func TestMapMatchesCircl(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 381))
	n := 1000
	if testing.Short() {
		n = 100
	}
	for i := 0; i < n; i++ {
		msg := make([]byte, r.IntN(200))
		for j := range msg {
			msg[j] = byte(r.Uint32())
		}
		dst := make([]byte, 1+r.IntN(80))
		for j := range dst {
			dst[j] = byte(r.Uint32())
		}
		ours, err := hashToCurveG1(expandXMD, msg, dst)
		if err != nil {
			t.Fatal(err)
		}
		var theirs bls12381.G1
		theirs.Hash(msg, dst)
		if !ours.IsEqual(&theirs) {
			t.Fatalf("input %d (msg %x, dst %x): ours %x, circl %x", i, msg, dst, ours.BytesCompressed(), theirs.BytesCompressed())
		}
	}
}

// The exceptional input u = 0 (tv1 = inv0(0) = 0) must take the
// x1 = B'/(Z*A') branch and still land on E'.
func TestSSWUExceptionalInput(t *testing.T) {
	var u = fpFromUint(0)
	x, y := mapToIsoCurve(&u)
	var lhs = y
	lhs.Sqr(&y)
	rhs := isoRHS(&x)
	if lhs.IsEqual(&rhs) != 1 {
		t.Fatal("map(0) is not on E'")
	}
	if x.IsEqual(&sswuBOverZA) != 1 {
		t.Fatal("map(0) did not use x1 = B/(Z*A)")
	}
	for _, v := range []uint64{1, 2, 11, 1 << 40} {
		u := fpFromUint(v)
		x, y := mapToIsoCurve(&u)
		lhs.Sqr(&y)
		rhs := isoRHS(&x)
		if lhs.IsEqual(&rhs) != 1 || y.Sgn0() != u.Sgn0() {
			t.Fatalf("map(%d) is off E' or has the wrong sign", v)
		}
	}
}
