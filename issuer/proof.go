package issuer

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cairn-id/cairn/internal/jose"
	"github.com/cairn-id/cairn/internal/oid4vci"
)

// ProofTyp is the typ of a jwt key proof (OpenID4VCI 1.0 Appendix F.1).
const ProofTyp = oid4vci.ProofTyp

// ProofAlgs are the key proof algorithms this issuer accepts.
var proofAlgs = []jose.Alg{jose.ES256, jose.EdDSA}

// Proof errors; the HTTP layer answers invalid_proof or invalid_nonce.
var (
	ErrInvalidProof = errors.New("issuer: invalid key proof")
	ErrMissingNonce = errors.New("issuer: key proof has no nonce")
)

// HolderKey is what a verified key proof yields.
type HolderKey struct {
	JWK   *jose.JWK
	DID   string // did:jwk of JWK, or the DID the kid named
	Nonce string
}

// VerifyProof checks a jwt key proof with oid4vci.CheckProof: typ, alg
// allow-list, exactly one of jwk (public only) or kid (a did:jwk/did:key
// URL), the signature with that key, aud = this issuer, iat within the
// window, no iss (access is anonymous: the token endpoint takes no
// client authentication) and a nonce. The nonce itself is checked against
// the store by the caller, atomically with issuance.
func (s *Service) VerifyProof(ctx context.Context, compact string, now time.Time) (*HolderKey, error) {
	p, err := oid4vci.CheckProof(ctx, compact, oid4vci.CheckParams{
		Audiences: []string{s.base}, Now: now, MaxAge: s.cfg.ProofMaxAge, Skew: DefaultProofSkew,
		Algs: proofAlgs, RequireNonce: true, Anonymous: true,
	})
	if errors.Is(err, oid4vci.ErrMissingNonce) {
		return nil, fmt.Errorf("%w: %w", ErrMissingNonce, err)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidProof, err)
	}
	return &HolderKey{JWK: p.JWK, DID: p.DID, Nonce: p.Nonce}, nil
}
