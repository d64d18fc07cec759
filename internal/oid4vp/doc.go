// Package oid4vp owns the wire side of OpenID for Verifiable Presentations
// 1.0 (Final) that a wallet and a verifier both need: DCQL queries, their
// evaluation against SD-JWT VCs and the check of a response against them,
// authorization requests and signed request objects, the openid4vp:// URI,
// and the authorization response (vp_token, direct_post, direct_post.jwt).
// It knows nothing of stores, sessions, consent or the trust registry, and
// imports no role package; the wallet agent and the verifier build on it.
//
// Sections implemented (numbering of the 1.0 Final text):
//
//   - §5.1 the authorization request parameters Cairn uses (client_id,
//     response_type=vp_token, response_mode, response_uri, nonce, state,
//     dcql_query, client_metadata with jwks, vp_formats_supported and
//     encrypted_response_enc_values_supported, §5.1 and §11.1 of client
//     metadata); §5.2 and §5.3 request_uri and request_uri_method ("get",
//     "post" with wallet_nonce, §5.10); AuthorizationRequest, RequestURI,
//     BuildRequestURI, ParseRequestURI.
//   - §5.8 / RFC 9101 the request object: typ oauth-authz-req+jwt, aud
//     https://self-issued.me/v2, iat/exp; SignRequestObject,
//     VerifyRequestObject.
//   - §5.9 client identifier prefixes: decentralized_identifier (signed,
//     kid a DID URL of that DID, key resolved through an injected
//     resolver) and redirect_uri (only unsigned, only with Options.Dev);
//     x509_hash and x509_san_dns (signed only, x5c header leaf first without
//     the trust anchor, HAIP 1.0 §5: X509HashClientID, X509SanDNSClientID,
//     CheckX509ClientID; the chain's trust is decided by the caller's
//     VerifyOptions.X509Chain); the others are recognised and refused as
//     unsupported. ParseClientID.
//   - §6 DCQL: §6.1 credential queries (id, format, multiple, meta,
//     trusted_authorities, require_cryptographic_holder_binding, claims,
//     claim_sets), §6.2 credential sets, §6.3 claims queries with values,
//     §6.4 selecting credentials and claims, §7 claims path pointers (§7.1
//     processing), Appendix B.3.5 (dc+sd-jwt meta vct_values); ParseQuery,
//     Evaluator.Evaluate (wallet), Evaluator.CheckResponse (verifier).
//     mso_mdoc queries are parsed and reported unsupported. The
//     Cairn-defined format "jpt" (internal/jptvc, JSON Proof Tokens with
//     BBS; no Appendix B identifier exists) is evaluated too: vct_values
//     as for dc+sd-jwt, top-level claim paths only, never holder bound
//     (JPTCredential).
//   - §8.1 the vp_token (a JSON object keyed by credential query id, each
//     an array of presentations); §8.2 response mode direct_post; §8.3
//     direct_post.jwt, encrypted with ECDH-ES (P-256) and A128GCM/A256GCM
//     to a key from client_metadata.jwks (internal/jose's JWE); §8.5 the
//     error response (access_denied).
//   - Appendix B.3.6: the KB-JWT aud is the full client_id, prefix
//     included, and its nonce the request's nonce; KBAudience,
//     CheckKBAudience.
//
// Not implemented: presentation_definition, scope-based requests, the
// Digital Credentials API, transaction_data, verifier_info, request
// encryption, the verifier_attestation, openid_federation and origin
// prefixes, and mso_mdoc / W3C formats.
package oid4vp
