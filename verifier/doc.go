// Package verifier is the core of Cairn's verifier role (DESIGN.md §1 flows
// 2 and 3, §3, §4, §6, §7): purposes (what a desk may ask for and why, as
// files), OpenID4VP 1.0 sessions (a fresh nonce and state, an ephemeral
// ECDH-ES P-256 key for direct_post.jwt, a signed request object served at
// its request_uri exactly once, §5.8–§5.10), the verification pipeline
// applied to each authorization response (§8.2, §8.3; per credential the
// internal/vccheck pipeline with key binding to the session's nonce and the
// full client id (Appendix B.3.6), registry authorization at iat, status,
// schema of the disclosed claims, evidence capped by the registry; then the
// DCQL query actually satisfied (§6, oid4vp.CheckResponse) with claims beyond
// it dropped; across credentials one holder key and consistent core identity
// claims), results stored encrypted and kept only for the purpose's
// retention, and a caseworker's reviewed decision kept beside the automated
// one (GDPR Art. 22). Offline proximity presentations are checked by
// CheckProximity against a cached bundle, with no network. Under the HAIP
// profile (Config.Profile, HAIP 1.0 §5, §5.1; haip.go) the verifier is an
// X.509 relying party (x509_hash or x509_san_dns client id, x5c without
// the anchor), answers come only as direct_post.jwt to the session's own
// key, same-device results are released against a one-time response_code
// (ResultByCode), and PID queries name the registry's PID anchors in
// trusted_authorities. A purpose may ask for the experimental,
// Cairn-defined jpt format (JSON Proof Tokens with BBS, internal/jptvc;
// jpt.go; docs/unlinkable.md) with require_cryptographic_holder_binding
// false: the proof is checked with the full client id as aud and the
// session nonce, the issuer's BBS key and authority at iat in the
// registry; the result says the credential has no holder binding, a proof
// seen twice is refused (a keyed hash kept for the replay window only),
// and no proof bytes are stored.
//
// It has no HTTP server code (verifier/api serves it) and persists through
// the Store interface (verifier/boltstore; conformance suite
// verifier/storetest). Every failure has a stable Code with a plain-language
// message in English, French, Arabic and Ukrainian (Message). Claim values
// are never logged.
package verifier
