// Package api is the wallet agent's mobile-facing HTTP API (issue 10,
// DESIGN.md §5 …/api, §7) on internal/server: JSON routes for the
// holder's app over package wallet's Service — holders (create, login,
// logout, PIN change, recovery, quick wipe, settings), credentials (list,
// show, delete, timeline, with labels in the holder's language from
// package schemas and issuer names from the trust registry), the consent
// log (list, verify, export), export and import of the wallet file, and
// the holder keys (status, refresh). The OpenAPI 3.1 document of these
// routes is docs/wallet-api.json, served at /openapi.json and kept equal
// to the routes by a test.
//
// Every answer carries Cache-Control: no-store. Errors are {code,
// message}: the code is stable (messages.go lists them with their
// status), the message is for the holder, in en, fr, ar or uk (from
// Accept-Language, else the holder's setting, else English); the internal
// cause is only logged. A holder lockout is 423 and an address lockout or
// a rate limit 429, both with Retry-After. Creating, logging in, changing
// the PIN and recovering are rate-limited per client address before any
// Argon2id derivation runs. Secrets (PINs, device secrets, recovery
// codes, passphrases, tokens) and claim values travel only in bodies,
// never in URLs, and are never logged.
//
// The rules stay in package wallet: this package decodes, calls one
// Service method, and answers.
package api
