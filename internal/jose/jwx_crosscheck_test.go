package jose

import (
	"crypto"
	"encoding/json"
	"testing"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jws"
)

// These tests hold this package against an independent JOSE
// implementation, lestrrat-go/jwx v3: what we sign, jwx verifies; what jwx
// signs, we verify; our RFC 7638 thumbprints equal jwx's.

func jwxAlg(t *testing.T, a Alg) jwa.SignatureAlgorithm {
	t.Helper()
	switch a {
	case ES256:
		return jwa.ES256()
	case ES384:
		return jwa.ES384()
	case EdDSA:
		return jwa.EdDSA()
	}
	t.Fatalf("no jwx algorithm for %s", a)
	return jwa.SignatureAlgorithm{}
}

func TestCrossCheckJWX(t *testing.T) {
	for _, alg := range DefaultAlgs {
		t.Run(string(alg), func(t *testing.T) {
			key := genKey(t, alg)
			ours, err := NewSigner(key, nil)
			if err != nil {
				t.Fatal(err)
			}
			payload := []byte(`{"sub":"did:jwk:x","n":1}`)

			// ours → jwx
			tok, err := ours.Sign(map[string]any{"typ": "kb+jwt"}, payload)
			if err != nil {
				t.Fatal(err)
			}
			got, err := jws.Verify([]byte(tok), jws.WithKey(jwxAlg(t, alg), key.Public()))
			if err != nil {
				t.Fatalf("jwx rejects our JWS: %v", err)
			}
			if string(got) != string(payload) {
				t.Fatalf("jwx payload %s", got)
			}

			// jwx → ours
			theirs, err := jws.Sign(payload, jws.WithKey(jwxAlg(t, alg), key))
			if err != nil {
				t.Fatal(err)
			}
			j, err := ParseAndVerify(string(theirs), key.Public(), "", nil)
			if err != nil {
				t.Fatalf("we reject jwx's JWS: %v", err)
			}
			if string(j.Payload) != string(payload) {
				t.Fatalf("payload %s", j.Payload)
			}

			// A tampered jwx token is refused by us too.
			bad := []byte(string(theirs))
			bad[len(bad)-3] ^= 0x01
			if _, err := ParseAndVerify(string(bad), key.Public(), "", nil); err == nil {
				t.Fatal("tampered jwx token accepted")
			}

			// JWK and thumbprint agree.
			ourJWK, err := NewJWK(key.Public())
			if err != nil {
				t.Fatal(err)
			}
			theirJWK, err := jwk.Import(key.Public())
			if err != nil {
				t.Fatal(err)
			}
			tp, err := theirJWK.Thumbprint(crypto.SHA256)
			if err != nil {
				t.Fatal(err)
			}
			if B64.EncodeToString(tp) != ourJWK.Thumbprint() {
				t.Fatalf("thumbprint %s, jwx %s", ourJWK.Thumbprint(), B64.EncodeToString(tp))
			}
			theirJSON, err := json.Marshal(theirJWK)
			if err != nil {
				t.Fatal(err)
			}
			parsed, err := ParseJWK(theirJSON)
			if err != nil {
				t.Fatalf("we reject jwx's JWK %s: %v", theirJSON, err)
			}
			if !parsed.Equal(ourJWK) {
				t.Fatalf("jwx JWK %s differs from ours", theirJSON)
			}
		})
	}
}
