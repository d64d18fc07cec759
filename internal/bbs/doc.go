// Package bbs implements the BBS signature scheme of the IRTF CFRG draft
// draft-irtf-cfrg-bbs-signatures-11 (its algorithms and test vectors are
// those of -06 to -10), with its BBS Signatures Interface
// (api_id = ciphersuite_id || "H2G_HM2S_") and both BLS12-381 ciphersuites,
// BLS12-381-SHAKE-256 and BLS12-381-SHA-256 (§7.2). Section numbers
// below are those of the -09 text, the last one read in full; the -10
// vectors are byte-identical to the ones tested here, and that -11 changed
// neither is assumed, not checked.
//
// It owns, in the draft's section numbering:
//   - key generation: KeyGen and SkToPk (§3.4);
//   - the interface operations Sign, Verify, ProofGen and ProofVerify (§3.5)
//     with their core operations (§3.6) and proof subroutines (§3.7);
//   - the utilities create_generators (§4.1.1, cached per suite, safe for
//     concurrent use), messages_to_scalars (§4.1.2), calculate_random_scalars
//     (§4.2.1), hash_to_scalar (§4.2.2), calculate_domain (§4.2.3) and the
//     strict encodings of public keys, signatures and proofs (§4.2.4.x):
//     compressed points only, subgroup checks, no identity points, scalars
//     in 1..r-1, exact lengths; disclosed indexes must be strictly ascending;
//   - the hash_to_curve suite BLS12381G1_XOF:SHAKE-256_SSWU_RO_ that the draft
//     defines in its Appendix A.1, built from RFC 9380: expand_message_xof
//     (§5.3.2), hash_to_field (§5.2), the simplified SWU map for AB == 0
//     (§6.6.3) onto the 11-isogenous curve with the isogeny of Appendix E.2,
//     and clear_cofactor with h_eff (§7, §8.8.1);
//   - the draft's mocked random scalars (§8.1, seeded_random_scalars), for
//     the fixture tests only.
//
// Group arithmetic, pairings and field arithmetic come from
// github.com/cloudflare/circl (ecc/bls12381 and its ff package), whose G1
// hash is the RFC 9380 suite BLS12381G1_XMD:SHA-256_SSWU_RO_ used by the
// SHA-256 ciphersuite. Secret-dependent arithmetic uses circl's constant-time
// field and scalar code and its fixed-window scalar multiplication; the
// SHAKE-256 map code selects with conditional moves, never branches on field
// values, and reduces hash outputs without math/big. Verify and
// ProofVerify, whose inputs are all public, use a variable-time
// multi-scalar multiplication instead.
//
// Randomness: ProofGen draws its random scalars from the io.Reader it is
// given (crypto/rand.Reader when nil) and GenerateKey from its reader; no
// other operation is randomized (Sign is deterministic, as in the draft).
//
// Inputs are bounded: at most MaxMessages messages per signature or proof.
// Messages are octet strings; what they mean is the caller's business (the
// JSON Web Proof layer maps payload slots to messages).
package bbs
