// Package schemas owns Cairn's catalogue of credential types for people on
// the move: for each type, its verifiable credential type identifier (vct),
// a JSON Schema (draft 2020-12) for the user claims, the SD-JWT VC Type
// Metadata document (draft-ietf-oauth-sd-jwt-vc-25, "Type Metadata" and
// "Claim Metadata": display per locale, claim paths, labels, sd
// always/allowed/never), default GPG 45-style evidence scores (DESIGN.md §3)
// and an optional maximum lifetime.
//
// The catalogue is embedded in the binary (directory catalogue/) and checked
// once by Load: every file parses, every claim path in a metadata document
// exists in the type's schema, every claim has an English label and the
// never-selectively-disclosable claims of SD-JWT VC (iss, nbf, exp, cnf,
// vct, vct#integrity, status) are never marked "always". Each type's
// schema is compiled on its first use (Catalogue.Compile does all of them
// at once), so commands that never validate do not pay for it. Those
// registered claims are added by the credential layer; the schemas accept
// them but never require them.
//
// Layout of catalogue/:
//
//	common.schema.json     shared definitions (dates, ISO 3166-1 codes, places, …)
//	evidence.schema.json   the shared evidence claim every type $refs
//	labels.json            claim labels in en, fr, ar, uk (shared by types)
//	types/<name>/<major>/  type.json (policy), schema.json, metadata.json
//
// The package also owns the one typing of operator text into claim values
// (Field.ParseText, Type.ParseClaimInput, Type.ClaimsFromText): by each
// claim's description (ClaimFields: kind, allowed values, pattern, entry
// bound), with per-claim messages that never repeat the text. The issuer's
// prompt and its CSV registration drives both use it.
//
// An external type is one issued outside Cairn that verifiers and wallets
// read: the EU PID (urn:eudi:pid:1, from the reference type metadata
// pid_v1.4). Its type.json names its own vct and "external": true, and
// claims no evidence (no defaults, caps or presets); Type.External says
// so, and Cairn's issuer refuses to be configured for it.
//
// A Cairn vct is urn:cairn:vct:<name>:<major>. A breaking change to a type gets a
// new major directory; the old one stays so old credentials still validate.
package schemas
