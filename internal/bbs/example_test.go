package bbs_test

import (
	"crypto/rand"
	"errors"
	"fmt"

	"github.com/cairn-id/cairn/internal/bbs"
)

// An issuer signs three messages; anyone with the public key verifies them.
func ExampleSuite_Sign() {
	s := bbs.SHA256()
	sk, err := s.GenerateKey(rand.Reader)
	if err != nil {
		panic(err)
	}
	pk := sk.PublicKey()
	header := []byte(`{"alg":"BBS"}`)
	msgs := [][]byte{[]byte("given_name=Amina"), []byte("birthdate=1990-01-01"), []byte("nationality=SD")}
	sig, err := s.Sign(sk, pk, header, msgs)
	if err != nil {
		panic(err)
	}
	fmt.Println(len(pk), len(sig), s.Verify(pk, sig, header, msgs) == nil)

	msgs[2] = []byte("nationality=ER")
	fmt.Println(errors.Is(s.Verify(pk, sig, header, msgs), bbs.ErrInvalidSignature))
	// Output:
	// 96 80 true
	// true
}

// A holder discloses messages 0 and 2 and binds the proof to a presentation
// header; each proof is fresh, so two proofs of one signature differ.
func ExampleSuite_ProofGen() {
	s := bbs.SHAKE256()
	sk, err := s.KeyGen([]byte("example key material, at least 32 bytes long"), nil, nil)
	if err != nil {
		panic(err)
	}
	pk := sk.PublicKey()
	msgs := [][]byte{[]byte("given_name=Amina"), []byte("birthdate=1990-01-01"), []byte("nationality=SD")}
	sig, err := s.Sign(sk, pk, nil, msgs)
	if err != nil {
		panic(err)
	}
	ph := []byte(`{"aud":"https://clinic.example","nonce":"n-0S6_WzA2Mj"}`)
	disclosed := []int{0, 2}
	p1, err := s.ProofGen(rand.Reader, pk, sig, nil, ph, msgs, disclosed)
	if err != nil {
		panic(err)
	}
	p2, _ := s.ProofGen(rand.Reader, pk, sig, nil, ph, msgs, disclosed)

	shown := [][]byte{msgs[0], msgs[2]}
	fmt.Println(len(p1), string(p1) != string(p2))
	fmt.Println(s.ProofVerify(pk, p1, nil, ph, shown, disclosed) == nil)
	fmt.Println(errors.Is(s.ProofVerify(pk, p1, nil, []byte("other"), shown, disclosed), bbs.ErrInvalidProof))
	// Output:
	// 304 true
	// true
	// true
}

func ExampleValidatePublicKey() {
	err := bbs.ValidatePublicKey(make([]byte, bbs.PublicKeyLen))
	fmt.Println(errors.Is(err, bbs.ErrMalformedPublicKey))
	// Output: true
}
