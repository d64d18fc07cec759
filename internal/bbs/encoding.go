package bbs

import (
	"fmt"

	"github.com/cloudflare/circl/ecc/bls12381"
	"github.com/cloudflare/circl/ecc/bls12381/ff"
)

// decodeG1 is octets_to_point_E1 of a compressed point followed by the
// identity and subgroup checks the draft asks for (§4.2.4.3, §4.2.4.5).
func decodeG1(b []byte) (bls12381.G1, error) {
	var g bls12381.G1
	if len(b) != PointLen {
		return g, fmt.Errorf("G1 point of %d bytes", len(b))
	}
	if b[0]&0x80 == 0 {
		return g, fmt.Errorf("G1 point not in compressed form")
	}
	// SetBytes checks the flags, that x < p, that the point is on the curve
	// and that it is in the r-order subgroup.
	if err := g.SetBytes(b); err != nil {
		return g, fmt.Errorf("G1 point: %w", err)
	}
	if g.IsIdentity() {
		return g, fmt.Errorf("G1 identity")
	}
	return g, nil
}

// decodePublicKey is octets_to_pubkey (§4.2.4.6).
func decodePublicKey(pk []byte) (*bls12381.G2, error) {
	var w bls12381.G2
	if len(pk) != PublicKeyLen {
		return nil, fmt.Errorf("%w: %d bytes, want %d", ErrMalformedPublicKey, len(pk), PublicKeyLen)
	}
	if pk[0]&0x80 == 0 {
		return nil, fmt.Errorf("%w: not in compressed form", ErrMalformedPublicKey)
	}
	if err := w.SetBytes(pk); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformedPublicKey, err)
	}
	if w.IsIdentity() {
		return nil, fmt.Errorf("%w: identity", ErrMalformedPublicKey)
	}
	return &w, nil
}

// ValidatePublicKey checks that pk is a valid public key: a compressed,
// non-identity point of G2 (octets_to_pubkey).
func ValidatePublicKey(pk []byte) error {
	_, err := decodePublicKey(pk)
	return err
}

// signature is (A, e).
type signature struct {
	a bls12381.G1
	e ff.Scalar
}

// decodeSignature is octets_to_signature (§4.2.4.3).
func decodeSignature(b []byte) (*signature, error) {
	if len(b) != SignatureLen {
		return nil, fmt.Errorf("%w: %d bytes, want %d", ErrMalformedSignature, len(b), SignatureLen)
	}
	a, err := decodeG1(b[:PointLen])
	if err != nil {
		return nil, fmt.Errorf("%w: A: %v", ErrMalformedSignature, err)
	}
	e, err := decodeScalar(b[PointLen:])
	if err != nil {
		return nil, fmt.Errorf("%w: e: %v", ErrMalformedSignature, err)
	}
	return &signature{a: a, e: e}, nil
}

// encode is signature_to_octets.
func (sig *signature) encode() []byte {
	return append(sig.a.BytesCompressed(), scalarBytes(&sig.e)...)
}

// proof is (Abar, Bbar, D, e^, r1^, r3^, (m^_j1, ..., m^_jU), c).
type proof struct {
	abar, bbar, d      bls12381.G1
	eHat, r1Hat, r3Hat ff.Scalar
	mHat               []ff.Scalar
	c                  ff.Scalar
}

// minProofLen is proof_len_floor = 3 * octet_point_length + 4 * octet_scalar_length.
const minProofLen = 3*PointLen + 4*ScalarLen

// ProofLen returns the length of a proof that leaves undisclosed messages
// undisclosed.
func ProofLen(undisclosed int) int { return minProofLen + undisclosed*ScalarLen }

// decodeProof is octets_to_proof (§4.2.4.5).
func decodeProof(b []byte) (*proof, error) {
	if len(b) < minProofLen {
		return nil, fmt.Errorf("%w: %d bytes, at least %d", ErrMalformedProof, len(b), minProofLen)
	}
	if (len(b)-3*PointLen)%ScalarLen != 0 {
		return nil, fmt.Errorf("%w: %d bytes is not 3 points and whole scalars", ErrMalformedProof, len(b))
	}
	u := (len(b)-3*PointLen)/ScalarLen - 4
	if u > MaxMessages {
		return nil, fmt.Errorf("%w: %d undisclosed messages", ErrTooManyMessages, u)
	}
	p := &proof{mHat: make([]ff.Scalar, u)}
	var err error
	pts := []*bls12381.G1{&p.abar, &p.bbar, &p.d}
	for i, pt := range pts {
		if *pt, err = decodeG1(b[i*PointLen : (i+1)*PointLen]); err != nil {
			return nil, fmt.Errorf("%w: point %d: %v", ErrMalformedProof, i, err)
		}
	}
	scs := make([]*ff.Scalar, 0, u+4)
	scs = append(scs, &p.eHat, &p.r1Hat, &p.r3Hat)
	for i := range p.mHat {
		scs = append(scs, &p.mHat[i])
	}
	scs = append(scs, &p.c)
	off := 3 * PointLen
	for i, sc := range scs {
		if *sc, err = decodeScalar(b[off : off+ScalarLen]); err != nil {
			return nil, fmt.Errorf("%w: scalar %d: %v", ErrMalformedProof, i, err)
		}
		off += ScalarLen
	}
	return p, nil
}

// encode is proof_to_octets.
func (p *proof) encode() []byte {
	out := make([]byte, 0, ProofLen(len(p.mHat)))
	out = append(out, p.abar.BytesCompressed()...)
	out = append(out, p.bbar.BytesCompressed()...)
	out = append(out, p.d.BytesCompressed()...)
	out = append(out, scalarBytes(&p.eHat)...)
	out = append(out, scalarBytes(&p.r1Hat)...)
	out = append(out, scalarBytes(&p.r3Hat)...)
	for i := range p.mHat {
		out = append(out, scalarBytes(&p.mHat[i])...)
	}
	return append(out, scalarBytes(&p.c)...)
}
