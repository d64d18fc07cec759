// Package e2e holds the end-to-end tests that run the project's services
// against each other over HTTP on loopback: the issuer (issuer/api), the
// wallet agent (wallet/api) and the verifier (verifier/api), with one
// trust registry — OpenID4VCI 1.0 issuance into the agent, OpenID4VP 1.0
// presentation from it to the verifier (DESIGN.md §1 flows 1–3), and the
// offline proximity QR (docs/proximity.md). It has no code of its own:
// being outside every role package, it may import them all without
// breaking the layering rules (internal/layering).
package e2e
