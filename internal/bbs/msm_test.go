package bbs

import (
	"crypto/rand"
	"testing"

	"github.com/cloudflare/circl/ecc/bls12381"
	"github.com/cloudflare/circl/ecc/bls12381/ff"
)

// msmPublic must equal the sum of constant-time scalar multiplications,
// including zero scalars, r-1, repeated points and the identity.
func TestMSMPublic(t *testing.T) {
	for _, n := range []int{0, 1, 2, 7, 23} {
		ps := make([]*bls12381.G1, n)
		ks := make([]ff.Scalar, n)
		var want bls12381.G1
		want.SetIdentity()
		for i := range ps {
			var k ff.Scalar
			if err := k.Random(rand.Reader); err != nil {
				t.Fatal(err)
			}
			p := new(bls12381.G1)
			p.ScalarMult(&k, bls12381.G1Generator())
			switch i % 5 {
			case 1:
				ks[i].SetUint64(0)
			case 2:
				ks[i].SetOne()
				ks[i].Neg() // r - 1
			case 3:
				p = ps[i-1] // repeated point
				ks[i].SetUint64(15)
			case 4:
				p.SetIdentity()
				ks[i].SetUint64(7)
			default:
				if err := ks[i].Random(rand.Reader); err != nil {
					t.Fatal(err)
				}
			}
			ps[i] = p
			var term bls12381.G1
			term.ScalarMult(&ks[i], p)
			want.Add(&want, &term)
		}
		if got := msmPublic(ps, ks); !got.IsEqual(&want) {
			t.Errorf("n=%d: msmPublic differs from the sum of ScalarMult", n)
		}
	}
}

// BenchmarkMSM compares msmPublic with the constant-time sum of ScalarMult
// over 22 points (Verify at 20 messages).
func BenchmarkMSM(b *testing.B) {
	const n = 22
	ps := make([]*bls12381.G1, n)
	ks := make([]ff.Scalar, n)
	for i := range ps {
		_ = ks[i].Random(rand.Reader)
		ps[i] = new(bls12381.G1)
		ps[i].ScalarMult(&ks[i], bls12381.G1Generator())
		_ = ks[i].Random(rand.Reader)
	}
	b.Run("straus-public", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			msmPublic(ps, ks)
		}
	})
	b.Run("scalarmult-sum", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var acc, t bls12381.G1
			acc.SetIdentity()
			for i := range ps {
				t.ScalarMult(&ks[i], ps[i])
				acc.Add(&acc, &t)
			}
		}
	})
}
