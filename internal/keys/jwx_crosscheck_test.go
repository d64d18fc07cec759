package keys

import (
	"crypto"
	"encoding/json"
	"testing"

	"github.com/lestrrat-go/jwx/v3/jwk"

	"github.com/cairn-id/cairn/internal/jose"
)

// The private JWK file format is held against lestrrat-go/jwx v3: files we
// write, jwx reads to the same key; keys jwx exports, we read.
func TestPrivateJWKCrossCheckJWX(t *testing.T) {
	for _, alg := range []jose.Alg{jose.ES256, jose.ES384, jose.EdDSA} {
		t.Run(string(alg), func(t *testing.T) {
			k, err := Generate(alg, nil)
			if err != nil {
				t.Fatal(err)
			}
			ours, err := MarshalPrivateJWK(k)
			if err != nil {
				t.Fatal(err)
			}
			theirs, err := jwk.ParseKey(ours)
			if err != nil {
				t.Fatalf("jwx cannot read our file: %v", err)
			}
			var raw any
			if err := jwk.Export(theirs, &raw); err != nil {
				t.Fatal(err)
			}
			signer, ok := raw.(crypto.Signer)
			if !ok {
				t.Fatalf("jwx exported %T", raw)
			}
			if !signer.Public().(interface{ Equal(crypto.PublicKey) bool }).Equal(k.Public()) {
				t.Fatal("jwx read a different key")
			}

			exported, err := jwk.Import(k.Signer())
			if err != nil {
				t.Fatal(err)
			}
			b, err := json.Marshal(exported)
			if err != nil {
				t.Fatal(err)
			}
			back, err := ParsePrivateJWK(b)
			if err != nil {
				t.Fatalf("we cannot read jwx's private JWK: %v", err)
			}
			if !back.PublicJWK().Equal(k.PublicJWK()) {
				t.Fatal("round trip through jwx changed the key")
			}
		})
	}
}
