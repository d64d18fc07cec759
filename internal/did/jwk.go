package did

import (
	"encoding/json"
	"fmt"

	"github.com/cairn-id/cairn/internal/jose"
)

// FromJWK returns the did:jwk of a public key: "did:jwk:" followed by the
// base64url of the JWK's compact JSON. Only the key members (kty, crv, x
// and, for EC, y) are used, in lexicographic order, so one key always has
// one did:jwk whatever kid/alg/use the JWK carried.
func FromJWK(k *jose.JWK) string {
	m := map[string]string{"kty": k.Kty, "crv": k.Crv, "x": k.X}
	if k.Y != "" {
		m["y"] = k.Y
	}
	b, _ := json.Marshal(m) // encoding/json sorts map keys; strings cannot fail
	return "did:jwk:" + jose.B64.EncodeToString(b)
}

// resolveJWK builds the document of a did:jwk (did-jwk spec §3.1 Read):
// one JsonWebKey2020 method with id "#0".
func resolveJWK(did string) (*Document, error) {
	b, err := jwkValue(did, jose.MaxJWKLen)
	if err != nil {
		return nil, err
	}
	k, err := jose.ParseJWK(b)
	if err != nil {
		return nil, fmt.Errorf("%w: did:jwk value is not a supported public JWK: %w", ErrInvalidDID, err)
	}
	if k.Use != "" && k.Use != "sig" && k.Use != "enc" {
		return nil, fmt.Errorf("%w: did:jwk JWK has use %q", ErrInvalidDID, k.Use)
	}
	return singleKeyDocument(did, "0", k, k.Use == "enc"), nil
}

// jwkValue decodes the JWK octets of a did:jwk (at most maxLen of them).
func jwkValue(did string, maxLen int) ([]byte, error) {
	enc := did[len("did:jwk:"):]
	if len(enc) > jose.B64.EncodedLen(maxLen) {
		return nil, fmt.Errorf("%w: did:jwk value too long", ErrInvalidDID)
	}
	b, err := jose.DecodeSegment(enc)
	if err != nil {
		return nil, fmt.Errorf("%w: did:jwk value is not base64url: %v", ErrInvalidDID, err)
	}
	return b, nil
}
