package bbs

import (
	"encoding/binary"
	"fmt"

	"github.com/cloudflare/circl/ecc/bls12381"
	"github.com/cloudflare/circl/ecc/bls12381/ff"
)

const (
	// ScalarLen is octet_scalar_length.
	ScalarLen = bls12381.ScalarSize
	// PointLen is octet_point_length (a compressed G1 point).
	PointLen = bls12381.G1SizeCompressed
	// PublicKeyLen is the length of a compressed G2 point.
	PublicKeyLen = bls12381.G2SizeCompressed
	// SignatureLen is the length of A || e.
	SignatureLen = PointLen + ScalarLen
	// expandLen is expand_len of both BLS12-381 suites.
	expandLen = 48
)

// montField is the part of circl's ff.Fp and ff.Scalar that fromUniform uses.
type montField[T any] interface {
	*T
	SetUint64(uint64)
	Add(x, y *T)
	Mul(x, y *T)
}

// fromUniform reduces a big-endian string (a multiple of 8 bytes) modulo
// the field's order with Horner's rule over 64-bit limbs,
// acc = acc*2^64 + limb, in circl's constant-time Montgomery arithmetic.
// (SetBytes in circl's ff goes through math/big, which is not constant time;
// KeyGen feeds secret bytes through here.)
func fromUniform[T any, P montField[T]](b []byte) T {
	var acc, limb, two64 T
	P(&two64).SetUint64(1 << 63)
	P(&two64).Add(&two64, &two64)
	for i := 0; i < len(b); i += 8 {
		P(&acc).Mul(&acc, &two64)
		P(&limb).SetUint64(binary.BigEndian.Uint64(b[i : i+8]))
		P(&acc).Add(&acc, &limb)
	}
	return acc
}

// scalarFromUniform is OS2IP(b) mod r.
func scalarFromUniform(b []byte) ff.Scalar { return fromUniform[ff.Scalar](b) }

// scalarBytes is I2OSP(s, 32).
func scalarBytes(s *ff.Scalar) []byte {
	b, _ := s.MarshalBinary()
	return b
}

// decodeScalar is OS2IP of exactly 32 bytes with the check 0 < s < r.
func decodeScalar(b []byte) (ff.Scalar, error) {
	var s ff.Scalar
	if len(b) != ScalarLen {
		return s, fmt.Errorf("scalar of %d bytes", len(b))
	}
	if err := s.UnmarshalBinary(b); err != nil {
		return s, fmt.Errorf("scalar not below r")
	}
	if s.IsZero() == 1 {
		return s, fmt.Errorf("zero scalar")
	}
	return s, nil
}

// hashToScalar is hash_to_scalar (draft §4.2.2): expand_message to 48 bytes,
// OS2IP, mod r.
func (s *Suite) hashToScalar(msg, dst []byte) (ff.Scalar, error) {
	b, err := s.expand(msg, dst, expandLen)
	if err != nil {
		return ff.Scalar{}, err
	}
	return scalarFromUniform(b), nil
}

// i2osp8 appends I2OSP(v, 8).
func i2osp8(dst []byte, v uint64) []byte {
	return binary.BigEndian.AppendUint64(dst, v)
}
