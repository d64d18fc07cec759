// Package x509trust owns X.509 trust for credentials and requests signed
// under a certificate chain carried in a JWS header x5c (RFC 7515 §4.1.6):
// configured trust anchors per context, path validation at an injected
// time, certificate revocation by CRL, and the PID signing-certificate
// profile.
//
// Specifications implemented:
//   - OpenID4VC HAIP 1.0 §6.1.1 (and §5 for access certificates): the key of
//     an SD-JWT VC or Status List Token comes from x5c[0], the chain is
//     validated to a trust anchor the verifier already holds, the anchor
//     itself is not expected in x5c and a copy found there is ignored, and
//     the signing certificate is not self-signed.
//   - draft-ietf-oauth-sd-jwt-vc-25 §3.5 (issuer key from x5c).
//   - RFC 5280 §6 path validation, through Go's crypto/x509 Verify (with
//     ExtKeyUsageAny: EUDI document-signer certificates carry ISO 18013-5
//     EKUs, not serverAuth) followed by this package's own policy: every CA
//     in the path asserts basicConstraints cA and keyUsage keyCertSign, the
//     leaf is an end entity, the chain and each certificate are size
//     bounded (MaxChainLen, MaxCertSize).
//   - RFC 5280 §5 CRLs (CRLChecker): fetched through an injected guarded
//     HTTP client (internal/httpx), size bounded, signature checked against
//     the issuing CA, cached until nextUpdate; a CRL that cannot be had
//     gives RevocationUnknown, never "valid" and never "revoked".
//   - ETSI TS 119 412-6 (PID provider signing certificates), reported by
//     CheckPIDSigningProfile: QC type id-etsi-qct-pid 0.4.0.194126.1.1 in
//     qcStatements (EN 319 412-5 §4.2.3 QcType, or as a statement of its
//     own), a critical keyUsage with digitalSignature, certificatePolicies,
//     subject and authority key identifiers. Strict makes each finding an
//     error; lenient (test ecosystems) keeps them as warnings.
//
// Trust contexts keep anchors apart: a PID provider CA (ContextPID) does
// not vouch for a status list signer unless also configured for
// ContextPIDStatus, nor for relying-party access certificates
// (ContextAccess) or QEAA providers (ContextQEAA).
package x509trust
