package vccheck

import (
	"errors"

	"github.com/cairn-id/cairn/internal/sdjwt"
	"github.com/cairn-id/cairn/internal/sdjwtvc"
)

// Code is the stable, snake_case name of a verification outcome, as a
// CLI's JSON output, a verifier service's API and a wallet show it. Codes
// never change meaning; new ones may be added.
type Code string

// Codes of Verify's outcomes. The format and cryptographic failures of
// internal/sdjwt keep their own codes (sdjwt.Code: "nonce_mismatch",
// "invalid_signature", …); CodeInvalid covers anything else.
const (
	CodeValid               Code = "" // no error
	CodeInvalid             Code = "invalid"
	CodeUntrusted           Code = "untrusted_issuer"
	CodeIssuerKeyUnresolved Code = "issuer_key_unresolved"
	CodeMissingClaim        Code = "missing_claim"
	CodeExpired             Code = "expired"
	CodeNotYetValid         Code = "not_yet_valid"
	CodeRevoked             Code = "revoked"
	CodeSuspended           Code = "suspended"
	CodeNotAuthorized       Code = "issuer_not_authorized"
	CodeStatusUnavailable   Code = "status_unavailable"
	// CodeIssuerCompromised: the registry says the issuer's key was
	// reported compromised; nothing it signed is trusted.
	CodeIssuerCompromised Code = "issuer_key_compromised"
)

// classes are checked in order: an outcome of the pipeline wins over the
// format errors it may wrap.
var classes = []struct {
	err  error
	code Code
}{
	{ErrRevoked, CodeRevoked},
	{ErrSuspended, CodeSuspended},
	{ErrNotAuthorized, CodeNotAuthorized},
	{ErrStatusUnavailable, CodeStatusUnavailable},
	{ErrIssuerCompromised, CodeIssuerCompromised},
	{sdjwtvc.ErrUntrustedIssuer, CodeUntrusted},
	{sdjwt.ErrExpired, CodeExpired},
	{sdjwt.ErrNotYetValid, CodeNotYetValid},
	{sdjwtvc.ErrIssuerKey, CodeIssuerKeyUnresolved},
	{sdjwtvc.ErrMissingClaim, CodeMissingClaim},
}

// Classify returns the code of an error from Verify (or from
// sdjwtvc.Verify): CodeValid for nil, the code of the first matching
// outcome, else the sdjwt code of a format or signature failure, else
// CodeInvalid. Every non-nil error has a non-empty code.
func Classify(err error) Code {
	if err == nil {
		return CodeValid
	}
	for _, c := range classes {
		if errors.Is(err, c.err) {
			return c.code
		}
	}
	if c := sdjwt.Code(err); c != "" {
		return Code(c)
	}
	return CodeInvalid
}
