package bbs

import (
	"crypto/rand"
	"fmt"
	"io"

	"github.com/cloudflare/circl/ecc/bls12381"
	"github.com/cloudflare/circl/ecc/bls12381/ff"
)

// scalarSource is a source of ProofGen's random scalars that needs to know
// how many are wanted up front (the draft's mocked RNG: one expand_message of
// 48 * count bytes). Only in-package types implement it.
type scalarSource interface {
	randomScalars(count int) ([]ff.Scalar, error)
}

// randomScalars is calculate_random_scalars (§4.2.1): count times
// OS2IP(get_random(48)) mod r, with get_random reading from rnd.
func randomScalars(rnd io.Reader, count int) ([]ff.Scalar, error) {
	if src, ok := rnd.(scalarSource); ok {
		return src.randomScalars(count)
	}
	buf := make([]byte, expandLen)
	defer clear(buf)
	out := make([]ff.Scalar, count)
	for i := range out {
		if _, err := io.ReadFull(rnd, buf); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrRandomness, err)
		}
		out[i] = scalarFromUniform(buf)
	}
	return out, nil
}

// seededRandomScalars is the draft's seeded_random_scalars(SEED, DST, count)
// (§8.1, mocked random scalars): one expand_message(SEED, DST, 48 * count),
// cut into 48-byte pieces, each OS2IP mod r.
func (s *Suite) seededRandomScalars(seed, dst []byte, count int) ([]ff.Scalar, error) {
	if count*expandLen > 65535 {
		return nil, fmt.Errorf("%w: %d mocked scalars", ErrParameter, count)
	}
	v, err := s.expand(seed, dst, count*expandLen)
	if err != nil {
		return nil, err
	}
	out := make([]ff.Scalar, count)
	for i := range out {
		out[i] = scalarFromUniform(v[i*expandLen : (i+1)*expandLen])
	}
	return out, nil
}

// mockedRandom is the fixtures' deterministic randomness for ProofGen. It
// is deliberately unexported: deterministic proof randomness links proofs
// and, reused, reveals the undisclosed messages.
type mockedRandom struct {
	s         *Suite
	seed, dst []byte
}

func (m *mockedRandom) randomScalars(count int) ([]ff.Scalar, error) {
	return m.s.seededRandomScalars(m.seed, m.dst, count)
}

// Read refuses: the mocked source only supplies scalars to ProofGen.
func (m *mockedRandom) Read([]byte) (int, error) {
	return 0, fmt.Errorf("%w: mocked source used as a byte reader", ErrRandomness)
}

// checkIndexes checks that idx is strictly ascending within 0..l-1 and
// returns the complementary (undisclosed) indexes in ascending order.
func checkIndexes(idx []int, l int) ([]int, error) {
	if len(idx) > l {
		return nil, fmt.Errorf("%w: %d disclosed of %d messages", ErrIndexes, len(idx), l)
	}
	for k, i := range idx {
		if i < 0 || i >= l {
			return nil, fmt.Errorf("%w: index %d outside 0..%d", ErrIndexes, i, l-1)
		}
		if k > 0 && i <= idx[k-1] {
			return nil, fmt.Errorf("%w: indexes not strictly ascending at position %d", ErrIndexes, k)
		}
	}
	und := make([]int, 0, l-len(idx))
	k := 0
	for i := 0; i < l; i++ {
		if k < len(idx) && idx[k] == i {
			k++
			continue
		}
		und = append(und, i)
	}
	return und, nil
}

// initRes is the output of ProofInit and ProofVerifyInit.
type initRes struct {
	abar, bbar, d, t1, t2 bls12381.G1
	domain                ff.Scalar
}

// challenge is ProofChallengeCalculate (§3.7.4): hash_to_scalar of
// serialize((R, i1, msg_i1, ..., iR, msg_iR, Abar, Bbar, D, T1, T2, domain))
// || I2OSP(len(ph), 8) || ph, with api_id || "H2S_".
func (s *Suite) challenge(ir *initRes, idx []int, msgs []ff.Scalar, ph []byte) (ff.Scalar, error) {
	in := make([]byte, 0, 8+len(idx)*(8+ScalarLen)+5*PointLen+ScalarLen+8+len(ph))
	in = i2osp8(in, uint64(len(idx)))
	for k, i := range idx {
		in = i2osp8(in, uint64(i))
		in = append(in, scalarBytes(&msgs[k])...)
	}
	for _, p := range []*bls12381.G1{&ir.abar, &ir.bbar, &ir.d, &ir.t1, &ir.t2} {
		in = append(in, p.BytesCompressed()...)
	}
	in = append(in, scalarBytes(&ir.domain)...)
	in = i2osp8(in, uint64(len(ph)))
	in = append(in, ph...)
	return s.hashToScalar(in, s.dst("H2S_"))
}

// ProofGen is ProofGen(PK, signature, header, ph, messages,
// disclosed_indexes) (§3.5.3, CoreProofGen §3.6.3, ProofInit §3.7.1,
// ProofFinalize §3.7.2). messages are all the signed messages in order;
// disclosed holds the zero-based indexes to disclose, strictly ascending.
// The random scalars come from rnd; nil means crypto/rand.Reader. The
// signature is verified first (the draft recommends it), so a proof is never
// made from a signature that does not verify.
func (s *Suite) ProofGen(rnd io.Reader, pk, sig, header, ph []byte, messages [][]byte, disclosed []int) ([]byte, error) {
	if rnd == nil {
		rnd = rand.Reader
	}
	sg, err := decodeSignature(sig)
	if err != nil {
		return nil, err
	}
	w, err := decodePublicKey(pk)
	if err != nil {
		return nil, err
	}
	if len(messages) > MaxMessages {
		return nil, fmt.Errorf("%w: %d messages, at most %d", ErrTooManyMessages, len(messages), MaxMessages)
	}
	und, err := checkIndexes(disclosed, len(messages))
	if err != nil {
		return nil, err
	}
	st, err := s.verifyDecoded(pk, w, sg, header, messages, false)
	if err != nil {
		return nil, err
	}
	msgs, gens := st.msgs, st.gens.pts
	rs, err := randomScalars(rnd, 5+len(und))
	if err != nil {
		return nil, err
	}
	defer clear(rs)
	r1, r2, eT, r1T, r3T, mT := &rs[0], &rs[1], &rs[2], &rs[3], &rs[4], rs[5:]

	// ProofInit.
	ir := initRes{domain: st.domain}
	b := st.b
	var t bls12381.G1
	var r1r2 ff.Scalar
	ir.d.ScalarMult(r2, &b)          // D = B * r2
	r1r2.Mul(r1, r2)                 //
	ir.abar.ScalarMult(&r1r2, &sg.a) // Abar = A * (r1 * r2)
	ir.bbar.ScalarMult(r1, &ir.d)    // Bbar = D * r1 - Abar * e
	t.ScalarMult(&sg.e, &ir.abar)    //
	t.Neg()                          //
	ir.bbar.Add(&ir.bbar, &t)        //
	ir.t1.ScalarMult(eT, &ir.abar)   // T1 = Abar * e~ + D * r1~
	t.ScalarMult(r1T, &ir.d)         //
	ir.t1.Add(&ir.t1, &t)            //
	ir.t2.ScalarMult(r3T, &ir.d)     // T2 = D * r3~ + sum H_j * m~_j
	for k, j := range und {
		t.ScalarMult(&mT[k], &gens[j+1])
		ir.t2.Add(&ir.t2, &t)
	}

	dMsgs := make([]ff.Scalar, len(disclosed))
	for k, i := range disclosed {
		dMsgs[k] = msgs[i]
	}
	c, err := s.challenge(&ir, disclosed, dMsgs, ph)
	if err != nil {
		return nil, err
	}

	// ProofFinalize.
	p := proof{abar: ir.abar, bbar: ir.bbar, d: ir.d, c: c, mHat: make([]ff.Scalar, len(und))}
	var r3, tmp ff.Scalar
	r3.Inv(r2)
	tmp.Mul(&sg.e, &c) // e^ = e~ + e * c
	p.eHat.Add(eT, &tmp)
	tmp.Mul(r1, &c) // r1^ = r1~ - r1 * c
	p.r1Hat.Sub(r1T, &tmp)
	tmp.Mul(&r3, &c) // r3^ = r3~ - r3 * c
	p.r3Hat.Sub(r3T, &tmp)
	for k, j := range und { // m^_j = m~_j + msg_j * c
		tmp.Mul(&msgs[j], &c)
		p.mHat[k].Add(&mT[k], &tmp)
	}
	return p.encode(), nil
}

// ProofVerify is ProofVerify(PK, proof, header, ph, disclosed_messages,
// disclosed_indexes) (§3.5.4, CoreProofVerify §3.6.4, ProofVerifyInit
// §3.7.3). disclosedMessages[k] is the message at index disclosed[k]; the
// indexes must be strictly ascending. It returns nil for a valid proof, an
// error matching ErrInvalidProof for a well-formed proof that does not
// verify, and ErrMalformedProof, ErrMalformedPublicKey, ErrIndexes or
// ErrTooManyMessages for inputs that do not decode.
func (s *Suite) ProofVerify(pk, proofBytes, header, ph []byte, disclosedMessages [][]byte, disclosed []int) error {
	pr, err := decodeProof(proofBytes)
	if err != nil {
		return err
	}
	w, err := decodePublicKey(pk)
	if err != nil {
		return err
	}
	if len(disclosedMessages) != len(disclosed) {
		return fmt.Errorf("%w: %d messages for %d indexes", ErrIndexes, len(disclosedMessages), len(disclosed))
	}
	l := len(disclosed) + len(pr.mHat)
	if l > MaxMessages {
		return fmt.Errorf("%w: %d messages", ErrTooManyMessages, l)
	}
	und, err := checkIndexes(disclosed, l)
	if err != nil {
		return err
	}
	msgs, err := s.messagesToScalars(disclosedMessages)
	if err != nil {
		return err
	}
	generators, err := s.createGenerators(l + 1)
	if err != nil {
		return err
	}
	gens := generators.pts
	p1, err := s.p1Point()
	if err != nil {
		return err
	}

	// ProofVerifyInit.
	ir := initRes{abar: pr.abar, bbar: pr.bbar, d: pr.d}
	if ir.domain, err = s.calculateDomain(pk, generators, header); err != nil {
		return err
	}
	// Every input here is public: variable-time multi-scalar multiplication.
	// T1 = Bbar * c + Abar * e^ + D * r1^
	ir.t1 = msmPublic([]*bls12381.G1{&pr.bbar, &pr.abar, &pr.d}, []ff.Scalar{pr.c, pr.eHat, pr.r1Hat})
	// T2 = Bv * c + D * r3^ + sum H_j * m^_j, with
	// Bv * c = P1 * c + Q_1 * (domain * c) + sum H_i * (msg_i * c)
	ps := make([]*bls12381.G1, 0, l+3)
	ks := make([]ff.Scalar, 0, l+3)
	var k ff.Scalar
	ps, ks = append(ps, p1, &pr.d), append(ks, pr.c, pr.r3Hat)
	k.Mul(&ir.domain, &pr.c)
	ps, ks = append(ps, &gens[0]), append(ks, k)
	for n, i := range disclosed {
		k.Mul(&msgs[n], &pr.c)
		ps, ks = append(ps, &gens[i+1]), append(ks, k)
	}
	for n, j := range und {
		ps, ks = append(ps, &gens[j+1]), append(ks, pr.mHat[n])
	}
	ir.t2 = msmPublic(ps, ks)

	c, err := s.challenge(&ir, disclosed, msgs, ph)
	if err != nil {
		return err
	}
	if c.IsEqual(&pr.c) != 1 {
		return fmt.Errorf("%w: challenge mismatch", ErrInvalidProof)
	}
	// h(Abar, W) * h(Bbar, -BP2) == Identity_GT
	if !pairingCheck(&pr.abar, w, &pr.bbar, &s.bp2N) {
		return fmt.Errorf("%w: pairing check", ErrInvalidProof)
	}
	return nil
}
