// Package assurance owns the accretion assurance engine of the verifier
// (DESIGN.md §3; issue 11): it decides, for one purpose's policy, which
// identity profile the credentials a person presented meet together, and
// explains the answer.
//
// It is pure: no I/O besides parsing policy bytes, no clock (the
// evaluation time is an input), no randomness. Its input is a list of
// already-verified facts about each presented credential (issuer, vct,
// iat, holder key, the evidence the issuer declared, the caps of the
// registry authorization that covered iat, the core identity claims
// disclosed); the verification pipeline produces them.
//
// The rules it implements, after UK GPG 45 (scores per part, never summed;
// profiles as thresholds) and DESIGN.md §3:
//
//   - caps first: a declared score above the registry's cap is lowered to
//     it, and both values are kept for the explanation;
//   - one credential fills at most one evidence slot, and one issuer fills
//     at most one slot of a profile (Australia's "one document per
//     institution"); slots are assigned by maximum bipartite matching
//     (slots against issuers, augmenting paths), so a piece that could fill
//     either of two slots never blocks the other;
//   - activity history is the span from the earliest attestation (iat, or
//     an earlier known_since) to the latest, in days, turned into a GPG 45
//     activity score by the policy's day thresholds;
//   - identity-fraud and verification are the best (never summed) capped
//     scores among the credentials that count;
//   - all credentials must be bound to one holder key, or the whole
//     presentation is refused;
//   - family_name, given_name and birthdate must agree across the
//     credentials that count (after NFC, case folding and whitespace
//     folding; a declared name variant or transliteration agrees; a
//     year-only birthdate agrees with a full date in that year); a
//     disagreement blocks every profile and is reported;
//   - the output is the first profile of the policy that is met (policy
//     order is preference), or the nearest one and exactly what is
//     missing, each credential's contribution, and an eIDAS level as
//     advice (low or substantial; never high from third-party evidence).
//
// A caseworker's reviewed decision (Review) is kept beside the automated
// result (Combine), never in place of it (GDPR Art. 22).
//
// Policies are versioned JSON files; a few ship embedded (Shipped, Load).
// See docs/assurance.md for the policies, the profiles and the sources of
// their thresholds.
package assurance
