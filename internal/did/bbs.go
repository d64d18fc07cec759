package did

import (
	"fmt"

	"github.com/cairn-id/cairn/internal/jose"
	"github.com/cairn-id/cairn/internal/jwp"
)

// BBSKey returns the BBS issuer public key (JSON Proof Algorithms alg BBS,
// internal/jwp) that a did:jwk names: a JWK with kty "OKP" and crv
// "BLS12381G2", parsed by jwp.ParseDIDJWK (the point is checked on the
// curve, in G2 and not the identity; "d" is refused).
//
// This is a separate, explicit path: Resolve, ResolveKey and
// CheckSupported keep refusing BLS12-381 keys (jose.ParseJWK knows only
// signature keys), so a BBS did:jwk is never taken for a JWS signing key,
// and a JWS key is never taken for a BBS key here. The DID must carry no
// fragment.
func BBSKey(d string) (*jwp.PublicKey, error) {
	did, frag, err := ParseDIDURL(d)
	if err != nil {
		return nil, err
	}
	if frag != "" {
		return nil, fmt.Errorf("%w: %q is a DID URL; give the DID without #%s", ErrInvalidDID, d, frag)
	}
	if Method(did) != "jwk" {
		return nil, fmt.Errorf("%w: a BBS key is named by a did:jwk, not did:%s", ErrUnsupportedMethod, Method(did))
	}
	b, err := jwkValue(did, jwp.MaxJWKLen)
	if err != nil {
		return nil, err
	}
	k, err := jwp.ParseDIDJWK(b)
	if err != nil {
		return nil, fmt.Errorf("%w: did:jwk value is not a BBS public JWK: %w", ErrInvalidDID, err)
	}
	return k, nil
}

// FromBBSKey is the did:jwk of a BBS public key: its kty, crv and x,
// sorted, as FromJWK builds every did:jwk, so BBSKey(FromBBSKey(k))
// names k.
func FromBBSKey(k *jwp.PublicKey) string {
	return FromJWK(&jose.JWK{Kty: jwp.KtyOKP, Crv: jwp.CrvBLS12381G2, X: jose.B64.EncodeToString(k.Bytes)})
}
