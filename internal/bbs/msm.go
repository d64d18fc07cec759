package bbs

import (
	"github.com/cloudflare/circl/ecc/bls12381"
	"github.com/cloudflare/circl/ecc/bls12381/ff"
)

// msmPublic returns sum ks[i] * ps[i] by Straus' interleaved method with a
// 4-bit window per point: one shared run of 252 doublings and, per point,
// 14 additions for its table and one addition per non-zero nibble.
//
// It is VARIABLE TIME (it skips zero nibbles and indexes tables by scalar
// bits): use it only where every scalar and point is public, that is in
// Verify and ProofVerify. Sign and ProofGen keep circl's constant-time
// ScalarMult, since messages and blinding factors are secret there.
func msmPublic(ps []*bls12381.G1, ks []ff.Scalar) bls12381.G1 {
	const w = 4
	tables := make([][1 << w]bls12381.G1, len(ps))
	kb := make([][]byte, len(ps))
	for i, p := range ps {
		t := &tables[i]
		t[0].SetIdentity()
		t[1] = *p
		for d := 2; d < 1<<w; d++ {
			t[d].Add(&t[d-1], p)
		}
		kb[i] = scalarBytes(&ks[i])
	}
	var acc bls12381.G1
	acc.SetIdentity()
	for n := 0; n < 2*ScalarLen; n++ { // nibbles, most significant first
		if n > 0 {
			for range w {
				acc.Double()
			}
		}
		for i := range ps {
			b := kb[i][n/2]
			d := b >> 4
			if n%2 == 1 {
				d = b & 0x0f
			}
			if d != 0 {
				acc.Add(&acc, &tables[i][d])
			}
		}
	}
	return acc
}
