// Package wallet is the core of Cairn's wallet agent (DESIGN.md §1, §6,
// §7; issue 10): the holders of a multi-holder agent, their keys, their
// credentials, their consent log and their exports, with no HTTP server
// code, so that it can also run embedded on a phone. Receiving
// (OpenID4VCI 1.0 via internal/oid4vci), presenting (OpenID4VP 1.0) and
// the mobile-facing API (wallet/api) are built on its Service.
//
// Holders. CreateHolder makes a holder with a 4–8 digit PIN, a device
// secret the holder's app keeps (at least 32 bytes, never stored here)
// and a recovery code shown once. Login opens a short-lived session:
// its token is sid.secret, and the store keeps a SessionRecord with the
// data key wrapped under HKDF(secret, salt = sid), so any Service on the
// store serves it and none opens it without the token; every call
// re-reads the record, and deleting it (Logout, or ChangePIN, Recover and
// Wipe for all of a holder's) ends the session everywhere. Wrong PINs
// lock the holder (stored) and the client address (in memory) out for
// exponentially longer. ChangePIN and Recover re-wrap the data key and
// end old sessions; Wipe deletes everything of a holder in one
// transaction.
//
// Encryption at rest, operator-blind. Each holder has a random 256-bit
// data key, wrapped (XChaCha20-Poly1305) under
//
//	KEK = HKDF-SHA256(Argon2id(PIN, salt) || device secret || pepper,
//	                  info = "cairn wallet kek v1" || holder id)
//
// and separately under a key derived from the recovery code (Argon2id,
// its own salt, and the pepper). Every record of a holder (credentials,
// holder private keys, consent log entries and head, key assignments,
// pending offers, settings) is sealed with XChaCha20-Poly1305 under a key
// derived from the data key, with associated data binding it to (holder
// id, record kind, record id). The Store sees only opaque random ids,
// ciphertexts, salts, KDF parameters, counters and lockout timestamps.
// docs/wallet-security.md is the threat model; docs/wallet-export.md the
// export format.
//
// Unlinkability. A holder has N P-256 holder keys (Config.HolderKeys);
// KeyForVerifier gives each verifier its own key while unused ones
// remain, and says when they run low (RefreshKeys adds a fresh set).
//
// Experimental format jpt (internal/jptvc, Cairn-defined; jpt.go): a
// BBS-signed JSON Proof Token, received without a key proof and kept as
// one sealed copy; each presentation is a fresh zero-knowledge proof
// (jwp.PresentToken, Presentation Header {aud: full client id, nonce}),
// so verifiers cannot link two by the proof, but it has no holder
// binding: the offer preview, the acceptance and the consent view say so
// (NoticeNoHolderBinding). It has no status list (short validity, re-issue
// instead) and no offline presentation.
//
// Status. Statuses reads each credential group's entry in its issuer's
// Token Status List (draft-ietf-oauth-status-list-21 §8.3; one copy per
// group: a revocation changes every copy) through the guarded client and
// a cache per list that honours the token's ttl and exp
// (statuslist.Cache), and keeps the last status read sealed (KindStatus)
// for an offline answer with its age. PreviewRequestWith leaves a
// credential known revoked out of the consent view (and warns), and
// warns about a suspended one.
//
// Consent log. AppendLog adds hash-chained, sealed entries (offers
// accepted or refused, presentations); VerifyLog detects modified,
// removed, reordered or truncated entries; ExportLogJSON exports it.
//
// Persistence is a Store (wallet/boltstore on bbolt, wallet/pgstore on
// PostgreSQL; the conformance suite is wallet/storetest), which only
// stores: the rules are here.
package wallet
