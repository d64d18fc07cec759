package vccheck

import (
	"errors"
	"slices"

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
	// CodeNoX5C: the issuer's key may only come from an x5c header (an
	// X.509-anchored issuer, the x5c-only PID policy) and there is none.
	CodeNoX5C Code = "no_x5c"
	// CodeUntrustedChain: the x5c chain does not end at a configured
	// trust anchor (or breaks the path policy); an anchor copy inside
	// x5c never counts.
	CodeUntrustedChain Code = "untrusted_chain"
	// CodeWrongVCT: under the PID profile, a vct outside urn:eudi:pid:….
	CodeWrongVCT Code = "wrong_vct"
	// CodeCertificateProfile: under the strict PID profile, the signing
	// certificate breaks ETSI TS 119 412-6.
	CodeCertificateProfile Code = "certificate_profile"
	// CodeCertificateRevoked: a certificate of the x5c path is revoked.
	CodeCertificateRevoked Code = "certificate_revoked"
)

// classes are checked in order: an outcome of the pipeline wins over the
// format errors it may wrap.
var classes = []struct {
	err  error
	code Code
}{
	{ErrRevoked, CodeRevoked},
	{ErrCertRevoked, CodeCertificateRevoked},
	{ErrSuspended, CodeSuspended},
	{ErrNotAuthorized, CodeNotAuthorized},
	{ErrStatusUnavailable, CodeStatusUnavailable},
	{ErrIssuerCompromised, CodeIssuerCompromised},
	{sdjwtvc.ErrUntrustedChain, CodeUntrustedChain},
	{sdjwtvc.ErrUntrustedIssuer, CodeUntrusted},
	{sdjwt.ErrExpired, CodeExpired},
	{sdjwt.ErrNotYetValid, CodeNotYetValid},
	{sdjwtvc.ErrNoX5C, CodeNoX5C},
	{sdjwtvc.ErrIssuerKey, CodeIssuerKeyUnresolved},
	{ErrPIDVCT, CodeWrongVCT},
	{ErrCertProfile, CodeCertificateProfile},
	{sdjwtvc.ErrMissingClaim, CodeMissingClaim},
}

// pidCodes are the internal/sdjwt codes the PID profile reports on its
// own (PIDProfileStrict): a caseworker reads them as outcomes, not as a
// damaged presentation.
var pidCodes = []Code{Code(sdjwt.Code(sdjwt.ErrType)), Code(sdjwt.Code(sdjwt.ErrHashAlg))}

// AllCodes lists every code Classify returns beyond CodeValid and the
// other format codes of internal/sdjwt: CodeInvalid, each outcome of the
// pipeline, and the sdjwt codes the PID profile reports (wrong_typ,
// unsupported_sd_alg). A service that words outcomes for people needs a
// message for each.
func AllCodes() []Code {
	out := []Code{CodeInvalid}
	for _, c := range classes {
		if !slices.Contains(out, c.code) {
			out = append(out, c.code)
		}
	}
	return append(out, pidCodes...)
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

// Codes returns the code of each error joined in err (errors.Join, as
// PIDProfileStrict reports its findings), in order and without repeats;
// for any other error, its one code.
func Codes(err error) []Code {
	if err == nil {
		return nil
	}
	j, ok := err.(interface{ Unwrap() []error })
	if !ok {
		return []Code{Classify(err)}
	}
	var out []Code
	for _, e := range j.Unwrap() {
		for _, c := range Codes(e) {
			if !slices.Contains(out, c) {
				out = append(out, c)
			}
		}
	}
	return out
}
