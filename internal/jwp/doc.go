// Package jwp implements JSON Web Proofs with the BBS algorithm and JSON
// Proof Tokens on top of them, for Cairn's experimental unlinkable
// credential format. It pins these drafts (the texts read are the JOSE
// working group's editor's copies at ietf-wg-jose/json-web-proof @ 7440607,
// 2026-03-02):
//
//   - draft-ietf-jose-json-web-proof-13 (JWP): the JSON Web Proof Header and
//     its registered parameters (§4–5: alg, kid, typ, crit, iss, aud, nonce;
//     iek, hpk and hpa are refused, BBS has no holder key), the issued and
//     presented forms (§6) and the Compact Serialization (§7.1): base64url
//     without padding, payload slots and proof values joined by "~", an
//     empty slot for an omitted payload and "_" for a zero-length octet
//     string. The CBOR serialization and detached payloads are not
//     implemented.
//   - draft-ietf-jose-json-proof-algorithms-13/-14 (JPA): the "proof_alg"
//     JWK parameter (§5.1) and the BBS algorithm (§6.2): alg "BBS" is the
//     ciphersuite BBS_BLS12381G1_XMD:SHA-256_SSWU_RO_ of
//     draft-irtf-cfrg-bbs-signatures (internal/bbs). JPA defines no alg for
//     the SHAKE-256 ciphersuite, so none is offered here. Issue is BBS Sign
//     with header = the Issuer Header octets and messages = the payload
//     octets; Confirm is Verify; Present is ProofGen with ph = the
//     Presentation Header octets and the disclosed slots as
//     disclosed_indexes; Verify is ProofVerify.
//   - draft-ietf-jose-json-proof-token-13 (JPT): claim values as JSON
//     payloads in the order of a claim-name list (§5) referenced by the
//     "cid" Header Parameter (§6), so that the Issuer Header is the same
//     octets for every token of one issuer key and claim list.
//   - BBS issuer keys as JWK (draft-ietf-cose-bls-key-representations, as
//     JPA uses it): kty "OKP", crv "BLS12381G2", x the 96-byte compressed G2
//     public key, d the 32-byte big-endian secret scalar, with "proof_alg".
//
// Parsing is strict: exact part counts, canonical unpadded base64url, no
// white space, bounded sizes (Limits), header members unique (internal/jsonx
// refuses duplicates), "crit" refused (Cairn understands no extension
// parameter), and the header alg must equal the key's proof_alg. Errors
// are sentinels matched with errors.Is.
package jwp
