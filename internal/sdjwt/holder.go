package sdjwt

import "github.com/cairn-id/cairn/internal/jose"

// HolderKey reads the holder's public key from cnf.jwk (RFC 7800 §3.2) of
// processed claims (SDJWT.Process), exactly as Verify does before it
// checks a Key Binding JWT: cnf must be an object holding a jwk object
// without private members, whose kty, crv, x and y are strings forming a
// supported public key. Anything else is an ErrHolderKey. A holder uses it
// to check that its key is the one a credential is bound to.
func HolderKey(claims map[string]any) (*jose.JWK, error) {
	k, _, err := holderKey(claims)
	return k, err
}
