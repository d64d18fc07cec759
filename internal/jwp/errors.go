package jwp

import "errors"

// Errors returned at the package boundary. Callers match them with
// errors.Is; the wrapped text says which check failed. Errors of
// internal/bbs (bbs.ErrInvalidProof...) are wrapped, not replaced.
var (
	// ErrMalformed: the compact serialization does not parse (part count,
	// base64url, characters, an omitted payload in the issued form).
	ErrMalformed = errors.New("jwp: malformed JWP")
	// ErrTooLarge: an input exceeds a bound of Limits.
	ErrTooLarge = errors.New("jwp: JWP exceeds size limit")
	// ErrHeader: a header is not a JSON object, repeats a member, or has a
	// registered member of the wrong type.
	ErrHeader = errors.New("jwp: invalid header")
	// ErrCrit: the header has a "crit" parameter; Cairn understands no
	// extension parameter, so every listed name is unknown.
	ErrCrit = errors.New("jwp: unsupported crit header parameter")
	// ErrUnsupportedAlg: the header alg is not one this package implements.
	ErrUnsupportedAlg = errors.New("jwp: unsupported algorithm")
	// ErrAlgMismatch: the header alg differs from the key's proof_alg, or
	// the Presentation Header names another alg than the Issuer Header.
	ErrAlgMismatch = errors.New("jwp: algorithm does not match the key")
	// ErrBadKey: a JWK that is not a valid BBS issuer key.
	ErrBadKey = errors.New("jwp: invalid BBS JWK")
	// ErrPrivateKeyInJWK: a public JWK was expected and "d" is present.
	ErrPrivateKeyInJWK = errors.New("jwp: JWK contains private key material")
	// ErrInvalidProof: the proof does not verify for these headers and
	// payloads (a tampered, swapped or reordered payload, another
	// Presentation Header, another key).
	ErrInvalidProof = errors.New("jwp: proof does not verify")
	// ErrAudience: the Presentation Header aud does not name the verifier.
	ErrAudience = errors.New("jwp: presentation audience mismatch")
	// ErrNonce: the Presentation Header nonce is not the expected one.
	ErrNonce = errors.New("jwp: presentation nonce mismatch")
	// ErrDisclosure: the disclosed slots asked for are out of range or
	// repeated.
	ErrDisclosure = errors.New("jwp: bad disclosure")
	// ErrClaims: a JPT claim problem: unknown claim name, claim-list
	// mismatch (cid, slot count), or a payload that is not a JSON value.
	ErrClaims = errors.New("jwp: invalid JPT claims")
)
