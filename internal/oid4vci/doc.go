// Package oid4vci owns the wire side of OpenID for Verifiable Credential
// Issuance 1.0 (Final) that an issuer and a wallet both need: the message
// types, their strict parsing and validation, key proof creation and
// checking, and a small Client that runs the pre-authorized code flow. It
// knows nothing of stores, sessions or any role package; the issuer and the
// wallet build on it.
//
// Sections implemented (numbering of the 1.0 Final text):
//
//   - §4.1 Credential Offer: the offer object (§4.1.1: credential_issuer,
//     credential_configuration_ids, grants with the pre-authorized code
//     grant and tx_code), openid-credential-offer:// URIs by value
//     (credential_offer, §4.1.2) and by reference (credential_offer_uri,
//     §4.1.3); ParseOfferURI, BuildOfferURI, ParseOffer.
//   - §6.1–§6.3 Token Request, Response and Error Response for the
//     urn:ietf:params:oauth:grant-type:pre-authorized_code grant
//     (form-encoded, with tx_code); TokenRequest, TokenResponse.
//   - §7 Nonce Endpoint; NonceResponse.
//   - §8.2, §8.3 Credential Request (credential_configuration_id or
//     credential_identifier, proofs.jwt) and Response (credentials,
//     notification_id), §8.3.1.2 the credential error codes.
//   - §11 Notification Request and its error codes.
//   - §12.2.1, §12.2.2 the Credential Issuer Identifier and where its
//     metadata lives (/.well-known/openid-credential-issuer inserted between
//     host and path), §12.2.4 the metadata parameters a wallet needs, with
//     Appendix A.3 (dc+sd-jwt, vct) and Appendix B.2 (claims descriptions);
//     §12.3 and RFC 8414 §3 Authorization Server Metadata.
//   - Appendix F.1 the jwt proof type (typ openid4vci-proof+jwt; exactly
//     one of jwk or a did:jwk/did:key kid; iss omitted in the anonymous
//     pre-authorized flow) and F.4 verifying it; §13.8 proof replay (iat
//     window, c_nonce).
//   - §13.5 offers are untrusted input: every offer, metadata document and
//     response is size-bounded, strictly decoded (duplicate members refused)
//     and validated before use.
//
// Not implemented: the authorization code flow, deferred issuance (§9),
// encrypted requests and responses (§10), signed metadata (§12.2.3), and
// the di_vp and attestation proof types.
package oid4vci
