package sdjwt

import "errors"

// Sentinel errors. Verify wraps one of these (errors.Is) with detail; Code
// maps them to the stable snake_case codes used in JSON output.
var (
	ErrMalformed              = errors.New("sdjwt: malformed SD-JWT")
	ErrTooLarge               = errors.New("sdjwt: size limit exceeded")
	ErrSignature              = errors.New("sdjwt: issuer signature invalid")
	ErrAlgorithm              = errors.New("sdjwt: algorithm not allowed or not matching the key")
	ErrType                   = errors.New("sdjwt: wrong typ header")
	ErrHashAlg                = errors.New("sdjwt: unsupported _sd_alg")
	ErrDuplicateDigest        = errors.New("sdjwt: digest appears more than once")
	ErrDuplicateDisclosure    = errors.New("sdjwt: disclosure appears more than once")
	ErrUnreferencedDisclosure = errors.New("sdjwt: disclosure not referenced by the payload")
	ErrDisclosure             = errors.New("sdjwt: invalid disclosure")
	ErrClaimCollision         = errors.New("sdjwt: disclosed claim name collides")
	ErrReservedClaim          = errors.New("sdjwt: misuse of _sd or ... ")
	ErrNeverDisclosable       = errors.New("sdjwt: claim may not be selectively disclosable")
	ErrExpired                = errors.New("sdjwt: expired")
	ErrNotYetValid            = errors.New("sdjwt: not yet valid")
	ErrKeyBindingRequired     = errors.New("sdjwt: key binding required but missing")
	ErrKeyBindingUnexpected   = errors.New("sdjwt: key binding JWT present but not requested")
	ErrHolderKey              = errors.New("sdjwt: no usable cnf.jwk holder key")
	ErrKeyBinding             = errors.New("sdjwt: key binding JWT invalid")
	// ErrKeyBindingType is wrapped together with ErrKeyBinding when the
	// KB-JWT's typ is not exactly kb+jwt.
	ErrKeyBindingType = errors.New("sdjwt: key binding JWT typ is not kb+jwt")
	// ErrKBSignature is wrapped together with ErrKeyBinding when the
	// KB-JWT's signature does not verify with the holder key.
	ErrKBSignature = errors.New("sdjwt: key binding JWT signature invalid")
	ErrNonce       = errors.New("sdjwt: key binding nonce mismatch")
	ErrAudience    = errors.New("sdjwt: key binding audience mismatch")
	ErrSDHash      = errors.New("sdjwt: key binding sd_hash mismatch")
	ErrKBTime      = errors.New("sdjwt: key binding iat outside the accepted window")
	ErrPath        = errors.New("sdjwt: invalid claim path")
)

var codes = []struct {
	err  error
	code string
}{
	{ErrMalformed, "malformed"},
	{ErrTooLarge, "too_large"},
	{ErrSignature, "invalid_signature"},
	{ErrAlgorithm, "algorithm_not_allowed"},
	{ErrKeyBindingType, "key_binding_wrong_typ"},
	{ErrType, "wrong_typ"},
	{ErrHashAlg, "unsupported_sd_alg"},
	{ErrDuplicateDigest, "duplicate_digest"},
	{ErrDuplicateDisclosure, "duplicate_disclosure"},
	{ErrUnreferencedDisclosure, "unreferenced_disclosure"},
	{ErrDisclosure, "invalid_disclosure"},
	{ErrClaimCollision, "claim_collision"},
	{ErrReservedClaim, "reserved_claim_misuse"},
	{ErrNeverDisclosable, "never_disclosable_claim"},
	{ErrExpired, "expired"},
	{ErrNotYetValid, "not_yet_valid"},
	{ErrKeyBindingRequired, "key_binding_missing"},
	{ErrKeyBindingUnexpected, "key_binding_unexpected"},
	{ErrHolderKey, "holder_key_missing"},
	{ErrKBSignature, "key_binding_signature_invalid"},
	{ErrKeyBinding, "key_binding_invalid"},
	{ErrNonce, "nonce_mismatch"},
	{ErrAudience, "audience_mismatch"},
	{ErrSDHash, "sd_hash_mismatch"},
	{ErrKBTime, "key_binding_iat"},
	{ErrPath, "invalid_path"},
}

// Code returns the stable code of err, or "" when err is not one of ours.
func Code(err error) string {
	for _, c := range codes {
		if errors.Is(err, c.err) {
			return c.code
		}
	}
	return ""
}
