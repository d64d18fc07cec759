package jwp

import (
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/cairn-id/cairn/internal/bbs"
)

// suiteFor maps a JPA alg to its BBS ciphersuite. JPA defines only "BBS"
// (SHA-256); there is no alg for the SHAKE-256 suite.
func suiteFor(alg string) (*bbs.Suite, error) {
	if alg == AlgBBS {
		return bbs.SHA256(), nil
	}
	return nil, fmt.Errorf("%w: %q", ErrUnsupportedAlg, alg)
}

// checkIssuerHeader parses the Issuer Header and checks its alg against the
// key's proof_alg (JPA §5.1: a mismatching key MUST NOT be used).
func checkIssuerHeader(raw []byte, key *PublicKey) (*Header, *bbs.Suite, error) {
	h, err := ParseHeader(raw)
	if err != nil {
		return nil, nil, err
	}
	if h.Alg == "" {
		return nil, nil, fmt.Errorf("%w: issuer header has no alg", ErrHeader)
	}
	if h.Alg != key.ProofAlg {
		return nil, nil, fmt.Errorf("%w: header alg %q, key proof_alg %q", ErrAlgMismatch, h.Alg, key.ProofAlg)
	}
	s, err := suiteFor(h.Alg)
	if err != nil {
		return nil, nil, err
	}
	return h, s, nil
}

// checkPresentationHeader parses the Presentation Header: an alg, when
// present, must be the Issuer Header's, and aud or nonce must be there (JWP
// §6.2.1: members identifying the presentation).
func checkPresentationHeader(raw []byte, alg string) (*Header, error) {
	h, err := ParseHeader(raw)
	if err != nil {
		return nil, err
	}
	if h.Alg != "" && h.Alg != alg {
		return nil, fmt.Errorf("%w: presentation header alg %q, issuer header alg %q", ErrAlgMismatch, h.Alg, alg)
	}
	if len(h.Aud) == 0 && h.Nonce == "" {
		return nil, fmt.Errorf("%w: presentation header has neither aud nor nonce", ErrHeader)
	}
	return h, nil
}

// wrapBBS sorts errors of internal/bbs: undecodable proofs are malformed,
// everything else means the proof does not verify.
func wrapBBS(err error) error {
	if errors.Is(err, bbs.ErrMalformedProof) || errors.Is(err, bbs.ErrMalformedSignature) {
		return fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	return fmt.Errorf("%w: %w", ErrInvalidProof, err)
}

func oneProof(p [][]byte) ([]byte, error) {
	if len(p) != 1 {
		return nil, fmt.Errorf("%w: BBS has one proof value, got %d", ErrMalformed, len(p))
	}
	return p[0], nil
}

// Issue is the JPA "issue" operation for BBS (JPA §6.2.3): Sign with the
// issuer key, header = the Issuer Header octets, messages = the payloads.
// Every payload must be non-nil (an issued JWP omits none).
func Issue(key *PrivateKey, header []byte, payloads [][]byte) (*Issued, error) {
	_, s, err := checkIssuerHeader(header, &key.Public)
	if err != nil {
		return nil, err
	}
	if len(payloads) == 0 || len(payloads) > MaxPayloads {
		return nil, fmt.Errorf("%w: %d payloads, want 1..%d", ErrMalformed, len(payloads), MaxPayloads)
	}
	pls := make([][]byte, len(payloads))
	for i, p := range payloads {
		if p == nil {
			return nil, fmt.Errorf("%w: payload %d is nil", ErrMalformed, i)
		}
		pls[i] = slices.Clone(p)
		if pls[i] == nil {
			pls[i] = []byte{}
		}
	}
	sig, err := s.Sign(key.sk, key.Public.Bytes, header, pls)
	if err != nil {
		return nil, err
	}
	return &Issued{Header: slices.Clone(header), Payloads: pls, Proof: [][]byte{sig}}, nil
}

// Confirm is the holder's "confirm" (JPA §6.2.4): the issued proof must be
// a BBS signature over the Issuer Header and every payload, under pub.
func Confirm(pub *PublicKey, j *Issued) (*Header, error) {
	h, s, err := checkIssuerHeader(j.Header, pub)
	if err != nil {
		return nil, err
	}
	sig, err := oneProof(j.Proof)
	if err != nil {
		return nil, err
	}
	for i, p := range j.Payloads {
		if p == nil {
			return nil, fmt.Errorf("%w: issued form omits payload %d", ErrMalformed, i)
		}
	}
	if err := s.Verify(pub.Bytes, sig, j.Header, j.Payloads); err != nil {
		return nil, wrapBBS(err)
	}
	return h, nil
}

// Present is the holder's "present" (JPA §6.2.5): a fresh BBS proof of the
// issued signature that discloses the slots in disclose (any order, no
// repeats) and binds the Presentation Header octets as ph. Random scalars
// come from rnd (crypto/rand.Reader when nil). The issued JWP is confirmed
// first, so a bad credential never yields a presentation.
func Present(rnd io.Reader, pub *PublicKey, j *Issued, presentationHeader []byte, disclose []int) (*Presented, error) {
	ih, err := Confirm(pub, j)
	if err != nil {
		return nil, err
	}
	if _, err := checkPresentationHeader(presentationHeader, ih.Alg); err != nil {
		return nil, err
	}
	idx := slices.Clone(disclose)
	slices.Sort(idx)
	for n, i := range idx {
		if i < 0 || i >= len(j.Payloads) || (n > 0 && idx[n-1] == i) {
			return nil, fmt.Errorf("%w: slot %d of %d", ErrDisclosure, i, len(j.Payloads))
		}
	}
	s, _ := suiteFor(ih.Alg)
	proof, err := s.ProofGen(rnd, pub.Bytes, j.Proof[0], j.Header, presentationHeader, j.Payloads, idx)
	if err != nil {
		return nil, wrapBBS(err)
	}
	pls := make([][]byte, len(j.Payloads))
	for _, i := range idx {
		pls[i] = j.Payloads[i]
	}
	return &Presented{
		PresentationHeader: slices.Clone(presentationHeader),
		IssuerHeader:       j.Header,
		Payloads:           pls,
		Proof:              [][]byte{proof},
	}, nil
}

// VerifyOptions are what the verifier expects in the Presentation Header.
// Both are required: a presentation is only accepted for this verifier
// (aud) and this transaction (nonce).
type VerifyOptions struct {
	Audience string
	Nonce    string
}

// Verified is the outcome of Verify.
type Verified struct {
	IssuerHeader       *Header
	PresentationHeader *Header
	// Disclosed lists the disclosed slots, ascending.
	Disclosed []int
}

// Verify is the verifier's "verify" (JPA §6.2.6): the Presentation Header
// must name o.Audience in aud and carry o.Nonce, the slot count must match
// the proof, and ProofVerify must accept the proof for both headers and the
// disclosed payloads at their slot indexes.
func Verify(pub *PublicKey, p *Presented, o VerifyOptions) (*Verified, error) {
	if o.Audience == "" || o.Nonce == "" {
		return nil, fmt.Errorf("%w: the verifier must give its audience and nonce", ErrHeader)
	}
	ih, s, err := checkIssuerHeader(p.IssuerHeader, pub)
	if err != nil {
		return nil, err
	}
	ph, err := checkPresentationHeader(p.PresentationHeader, ih.Alg)
	if err != nil {
		return nil, err
	}
	if !slices.Contains(ph.Aud, o.Audience) {
		return nil, fmt.Errorf("%w: %q not in aud", ErrAudience, o.Audience)
	}
	if ph.Nonce != o.Nonce {
		return nil, ErrNonce
	}
	proof, err := oneProof(p.Proof)
	if err != nil {
		return nil, err
	}
	if len(p.Payloads) == 0 || len(p.Payloads) > MaxPayloads {
		return nil, fmt.Errorf("%w: %d payload slots", ErrMalformed, len(p.Payloads))
	}
	idx := p.Disclosed()
	if len(proof) < bbs.ProofLen(0) || (len(proof)-bbs.ProofLen(0))%bbs.ScalarLen != 0 {
		return nil, fmt.Errorf("%w: %w: %d bytes", ErrMalformed, bbs.ErrMalformedProof, len(proof))
	}
	// The proof length fixes the number of undisclosed messages; extra or
	// missing omitted slots would otherwise go unnoticed.
	if len(proof) != bbs.ProofLen(len(p.Payloads)-len(idx)) {
		return nil, fmt.Errorf("%w: %d slots (%d omitted) do not fit a %d-byte proof", ErrInvalidProof, len(p.Payloads), len(p.Payloads)-len(idx), len(proof))
	}
	msgs := make([][]byte, len(idx))
	for n, i := range idx {
		msgs[n] = p.Payloads[i]
	}
	if err := s.ProofVerify(pub.Bytes, proof, p.IssuerHeader, p.PresentationHeader, msgs, idx); err != nil {
		return nil, wrapBBS(err)
	}
	return &Verified{IssuerHeader: ih, PresentationHeader: ph, Disclosed: idx}, nil
}
