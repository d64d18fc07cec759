package jwp_test

import (
	"crypto/rand"
	"errors"
	"fmt"

	"github.com/cairn-id/cairn/internal/jwp"
)

// An issuer issues a JSON Proof Token; the holder discloses two claims to a
// verifier, which sees those two only.
func ExampleIssueToken() {
	key, err := jwp.GenerateKey(rand.Reader)
	if err != nil {
		panic(err)
	}
	cs, err := jwp.NewClaimSet("", []string{"iat", "exp", "given_name", "family_name", "household_size"})
	if err != nil {
		panic(err)
	}
	issued, err := jwp.IssueToken(key, cs, "jpt", map[string]any{
		"iat": 1764633600, "exp": 1767225600, "given_name": "Amina", "family_name": "Abdelrahman", "household_size": 5,
	})
	if err != nil {
		panic(err)
	}

	ph := jwp.PresentationHeader{Aud: "x509_hash:clinic.example", Nonce: "n-0S6_WzA2Mj"}
	p, err := jwp.PresentToken(rand.Reader, &key.Public, cs, issued, ph, []string{"given_name", "exp"})
	if err != nil {
		panic(err)
	}
	wire := p.Compact()

	received, err := jwp.ParsePresented(wire)
	if err != nil {
		panic(err)
	}
	tok, err := jwp.VerifyToken(&key.Public, cs, received, jwp.VerifyOptions{Audience: ph.Aud, Nonce: ph.Nonce})
	if err != nil {
		panic(err)
	}
	fmt.Println(tok.Disclosed, tok.Claims["given_name"], len(tok.Claims))

	_, err = jwp.VerifyToken(&key.Public, cs, received, jwp.VerifyOptions{Audience: "x509_hash:landlord.example", Nonce: ph.Nonce})
	fmt.Println(errors.Is(err, jwp.ErrAudience))
	// Output:
	// [exp given_name] Amina 2
	// true
}

// The compact serialization: "~" separates payload slots, an empty slot is
// an omitted payload and "_" a disclosed zero-length one.
func ExampleParsePresented() {
	p, err := jwp.ParsePresented("eyJub25jZSI6Im4ifQ.eyJhbGciOiJCQlMifQ.YQ~~_.AQ")
	if err != nil {
		panic(err)
	}
	fmt.Printf("%s %s %q %v\n", p.PresentationHeader, p.IssuerHeader, p.Payloads, p.Disclosed())
	_, err = jwp.ParsePresented("eyJhbGciOiJCQlMifQ.YQ.AQ")
	fmt.Println(errors.Is(err, jwp.ErrMalformed))
	// Output:
	// {"nonce":"n"} {"alg":"BBS"} ["a" "" ""] [0 2]
	// true
}

// A BBS issuer key as JWK.
func ExampleParsePublicJWK() {
	pub, err := jwp.ParsePublicJWK([]byte(`{"kty":"OKP","crv":"BLS12381G2","proof_alg":"BBS",` +
		`"x":"l5CqEP9LwItyq0KzEU7FVrNollmcqgUGX6v69ghb3VNRMfPP3wGg7Tk8m9VEnedsFUKjxj35OiCTWU3w43faSmn3wenj3E52S4ifIRJgBI1JP_q_1-7TsA7Wmtwj1Z05"}`))
	if err != nil {
		panic(err)
	}
	fmt.Println(len(pub.Bytes), pub.ProofAlg)
	// Output: 96 BBS
}
