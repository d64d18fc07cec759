package bbs

import (
	"fmt"

	"github.com/cloudflare/circl/ecc/bls12381"
	"github.com/cloudflare/circl/ecc/bls12381/ff"
)

// calculateDomain is calculate_domain (§4.2.3):
// hash_to_scalar(PK || I2OSP(L, 8) || Q_1 || H_1 .. H_L || api_id ||
// I2OSP(len(header), 8) || header, api_id || "H2S_").
func (s *Suite) calculateDomain(pk []byte, gens generators, header []byte) (ff.Scalar, error) {
	l := len(gens.enc) - 1
	in := make([]byte, 0, len(pk)+8+len(gens.enc)*PointLen+len(s.apiID)+8+len(header))
	in = append(in, pk...)
	in = i2osp8(in, uint64(l))
	for _, g := range gens.enc {
		in = append(in, g...)
	}
	in = append(in, s.apiID...)
	in = i2osp8(in, uint64(len(header)))
	in = append(in, header...)
	return s.hashToScalar(in, s.dst("H2S_"))
}

// computeB is B = P1 + Q_1 * domain + H_1 * msg_1 + ... + H_L * msg_L.
func computeB(p1 *bls12381.G1, gens []bls12381.G1, domain *ff.Scalar, msgs []ff.Scalar) bls12381.G1 {
	b := *p1
	var t bls12381.G1
	t.ScalarMult(domain, &gens[0])
	b.Add(&b, &t)
	for i := range msgs {
		t.ScalarMult(&msgs[i], &gens[i+1])
		b.Add(&b, &t)
	}
	return b
}

// Sign is Sign(SK, PK, header, messages) (§3.5.1 and CoreSign §3.6.1). It is
// deterministic. pk must be sk's public key; it is checked to be a valid
// public key (§6.1 recommends it) but not recomputed from sk.
func (s *Suite) Sign(sk *SecretKey, pk, header []byte, messages [][]byte) ([]byte, error) {
	if _, err := decodePublicKey(pk); err != nil {
		return nil, err
	}
	msgs, err := s.messagesToScalars(messages)
	if err != nil {
		return nil, err
	}
	gens, err := s.createGenerators(len(msgs) + 1)
	if err != nil {
		return nil, err
	}
	p1, err := s.p1Point()
	if err != nil {
		return nil, err
	}
	domain, err := s.calculateDomain(pk, gens, header)
	if err != nil {
		return nil, err
	}
	// e = hash_to_scalar(serialize((SK, msg_1, ..., msg_L, domain)), api_id || "H2S_")
	in := make([]byte, 0, (len(msgs)+2)*ScalarLen)
	in = append(in, scalarBytes(&sk.s)...)
	for i := range msgs {
		in = append(in, scalarBytes(&msgs[i])...)
	}
	in = append(in, scalarBytes(&domain)...)
	e, err := s.hashToScalar(in, s.dst("H2S_"))
	clear(in)
	if err != nil {
		return nil, err
	}
	b := computeB(p1, gens.pts, &domain, msgs)
	var den ff.Scalar
	den.Add(&sk.s, &e)
	if den.IsZero() == 1 {
		return nil, fmt.Errorf("%w: SK + e = 0", ErrInvalidSignature)
	}
	den.Inv(&den)
	var sig signature
	sig.a.ScalarMult(&den, &b)
	sig.e = e
	if sig.a.IsIdentity() {
		return nil, fmt.Errorf("%w: A is the identity", ErrInvalidSignature)
	}
	return sig.encode(), nil
}

// pairingCheck reports whether h(p0, q0) * h(p1, q1) is the identity of GT.
// An identity G1 input contributes a factor 1 and is left out.
func pairingCheck(p0 *bls12381.G1, q0 *bls12381.G2, p1 *bls12381.G1, q1 *bls12381.G2) bool {
	var ps []*bls12381.G1
	var qs []*bls12381.G2
	var signs []int
	for _, pq := range []struct {
		p *bls12381.G1
		q *bls12381.G2
	}{{p0, q0}, {p1, q1}} {
		if pq.p.IsIdentity() {
			continue
		}
		ps, qs, signs = append(ps, pq.p), append(qs, pq.q), append(signs, 1)
	}
	if len(ps) == 0 {
		return true
	}
	return bls12381.ProdPairFrac(ps, qs, signs).IsIdentity()
}

// Verify is Verify(PK, signature, header, messages) (§3.5.2 and CoreVerify
// §3.6.2). It returns nil for a valid signature, an error matching
// ErrInvalidSignature for a well-formed one that does not verify, and
// ErrMalformedPublicKey, ErrMalformedSignature or ErrTooManyMessages for
// inputs that do not decode.
func (s *Suite) Verify(pk, sig, header []byte, messages [][]byte) error {
	sg, err := decodeSignature(sig)
	if err != nil {
		return err
	}
	w, err := decodePublicKey(pk)
	if err != nil {
		return err
	}
	_, err = s.verifyDecoded(pk, w, sg, header, messages, true)
	return err
}

// signedState is what verifying a signature computes and ProofGen reuses.
type signedState struct {
	msgs   []ff.Scalar
	gens   generators
	p1     *bls12381.G1
	domain ff.Scalar
	b      bls12381.G1
}

// verifyDecoded is CoreVerify on a decoded public key and signature. With
// public set (Verify: every input is public) it computes A * e - B in one
// variable-time multi-scalar multiplication and leaves st.b unset; otherwise
// (ProofGen: the messages are the prover's secrets) it uses constant-time
// scalar multiplications and returns B for the proof.
func (s *Suite) verifyDecoded(pk []byte, w *bls12381.G2, sg *signature, header []byte, messages [][]byte, public bool) (*signedState, error) {
	st := &signedState{}
	var err error
	if st.msgs, err = s.messagesToScalars(messages); err != nil {
		return nil, err
	}
	if st.gens, err = s.createGenerators(len(st.msgs) + 1); err != nil {
		return nil, err
	}
	if st.p1, err = s.p1Point(); err != nil {
		return nil, err
	}
	if st.domain, err = s.calculateDomain(pk, st.gens, header); err != nil {
		return nil, err
	}
	// h(A, W) * h(A * e - B, BP2) == Identity_GT
	var t bls12381.G1
	if public {
		// A * e - P1 - Q_1 * domain - H_1 * msg_1 - ... - H_L * msg_L
		ps := make([]*bls12381.G1, 0, len(st.msgs)+2)
		ks := make([]ff.Scalar, 0, len(st.msgs)+2)
		ps, ks = append(ps, &sg.a), append(ks, sg.e)
		for i := range st.gens.pts {
			k := st.domain
			if i > 0 {
				k = st.msgs[i-1]
			}
			k.Neg()
			ps, ks = append(ps, &st.gens.pts[i]), append(ks, k)
		}
		t = msmPublic(ps, ks)
		negP1 := *st.p1
		negP1.Neg()
		t.Add(&t, &negP1)
	} else {
		st.b = computeB(st.p1, st.gens.pts, &st.domain, st.msgs)
		negB := st.b
		negB.Neg()
		t.ScalarMult(&sg.e, &sg.a)
		t.Add(&t, &negB)
	}
	if !pairingCheck(&sg.a, w, &t, &s.bp2) {
		return nil, ErrInvalidSignature
	}
	return st, nil
}
