package bbs

import "errors"

// Errors returned at the package boundary. Callers match them with
// errors.Is; the wrapped text says which check failed.
var (
	// ErrMalformedPublicKey: not 96 bytes, not a compressed G2 point, outside
	// G2, or the identity (octets_to_pubkey, §4.2.4.6 of the draft).
	ErrMalformedPublicKey = errors.New("bbs: malformed public key")
	// ErrMalformedSecretKey: not 32 bytes or not in 1..r-1.
	ErrMalformedSecretKey = errors.New("bbs: malformed secret key")
	// ErrMalformedSignature: wrong length, A not a non-identity G1 point, or
	// e not in 1..r-1 (octets_to_signature).
	ErrMalformedSignature = errors.New("bbs: malformed signature")
	// ErrMalformedProof: wrong length, a point not a non-identity G1 point, or
	// a scalar not in 1..r-1 (octets_to_proof).
	ErrMalformedProof = errors.New("bbs: malformed proof")
	// ErrInvalidSignature: a well-formed signature that does not verify.
	ErrInvalidSignature = errors.New("bbs: invalid signature")
	// ErrInvalidProof: a well-formed proof that does not verify.
	ErrInvalidProof = errors.New("bbs: invalid proof")
	// ErrIndexes: disclosed indexes out of range, not strictly ascending, or
	// not matching the number of disclosed messages.
	ErrIndexes = errors.New("bbs: bad disclosed indexes")
	// ErrTooManyMessages: more than MaxMessages messages.
	ErrTooManyMessages = errors.New("bbs: too many messages")
	// ErrKeyMaterial: key_material shorter than 32 bytes or key_info longer
	// than 65535 bytes (KeyGen).
	ErrKeyMaterial = errors.New("bbs: bad key material")
	// ErrParameter: a domain separation tag or an output length outside what
	// expand_message accepts.
	ErrParameter = errors.New("bbs: bad parameter")
	// ErrRandomness: the random source failed.
	ErrRandomness = errors.New("bbs: randomness source failed")
)
