package issuer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/cairn-id/cairn/internal/did"
	"github.com/cairn-id/cairn/internal/jose"
)

// ProofTyp is the typ of a jwt key proof (OpenID4VCI 1.0 Appendix F.1).
const ProofTyp = "openid4vci-proof+jwt"

// ProofAlgs are the key proof algorithms this issuer accepts.
var proofAlgs = []jose.Alg{jose.ES256, jose.EdDSA}

// Proof errors; the HTTP layer answers invalid_proof or invalid_nonce.
var (
	ErrInvalidProof = errors.New("issuer: invalid key proof")
	ErrMissingNonce = errors.New("issuer: key proof has no nonce")
)

// holderKey is what a verified proof yields.
type holderKey struct {
	JWK   *jose.JWK
	DID   string // did:jwk of JWK, or the DID the kid named
	Nonce string
}

// verifyProof checks a jwt key proof: header typ, alg allow-list, exactly
// one of jwk (public only) or kid (a did:jwk/did:key URL), the signature
// with that key, aud = this issuer, iat within the window, and a nonce.
// The nonce itself is checked against the store by the caller.
func (s *Service) verifyProof(ctx context.Context, compact string, now time.Time) (*holderKey, error) {
	if len(compact) > jose.MaxCompactLen {
		return nil, fmt.Errorf("%w: too large", ErrInvalidProof)
	}
	j, err := jose.Parse(compact)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidProof, err)
	}
	if j.Header.Typ != ProofTyp {
		return nil, fmt.Errorf("%w: typ %q, want %s", ErrInvalidProof, j.Header.Typ, ProofTyp)
	}
	for _, p := range []string{"x5c", "trust_chain", "key_attestation"} {
		if _, ok := j.Header.Params[p]; ok {
			return nil, fmt.Errorf("%w: header %s not supported", ErrInvalidProof, p)
		}
	}
	jwkParam, hasJWK := j.Header.Params["jwk"]
	hasKid := j.Header.Kid != ""
	if hasJWK == hasKid {
		return nil, fmt.Errorf("%w: exactly one of jwk and kid is required", ErrInvalidProof)
	}
	hk := &holderKey{}
	if hasJWK {
		m, ok := jwkParam.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%w: jwk must be a JSON object", ErrInvalidProof)
		}
		if _, priv := m["d"]; priv {
			return nil, fmt.Errorf("%w: jwk contains private key material", ErrInvalidProof)
		}
		if hk.JWK, err = jose.JWKFromMap(m); err != nil {
			return nil, fmt.Errorf("%w: jwk: %w", ErrInvalidProof, err)
		}
		hk.DID = did.FromJWK(hk.JWK)
	} else {
		d, _, err := did.ParseDIDURL(j.Header.Kid)
		if err != nil {
			return nil, fmt.Errorf("%w: kid: %w", ErrInvalidProof, err)
		}
		if m := did.Method(d); m != "jwk" && m != "key" {
			return nil, fmt.Errorf("%w: kid must be a did:jwk or did:key URL", ErrInvalidProof)
		}
		var r did.Resolver // did:jwk and did:key resolve offline
		if hk.JWK, err = r.ResolveKey(ctx, j.Header.Kid); err != nil {
			return nil, fmt.Errorf("%w: kid: %w", ErrInvalidProof, err)
		}
		hk.DID = d
	}
	pub, err := hk.JWK.PublicKey()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidProof, err)
	}
	if err := j.Verify(pub, proofAlgs); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidProof, err)
	}
	var c struct {
		Aud   json.RawMessage `json:"aud"`
		Iat   *json.Number    `json:"iat"`
		Nonce *string         `json:"nonce"`
	}
	dec := json.NewDecoder(strings.NewReader(string(j.Payload)))
	dec.UseNumber()
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("%w: payload: %w", ErrInvalidProof, err)
	}
	if !s.audienceOK(c.Aud) {
		return nil, fmt.Errorf("%w: aud is not %s", ErrInvalidProof, s.base)
	}
	if c.Iat == nil {
		return nil, fmt.Errorf("%w: iat missing", ErrInvalidProof)
	}
	iatF, err := c.Iat.Float64()
	if err != nil {
		return nil, fmt.Errorf("%w: iat: %w", ErrInvalidProof, err)
	}
	iat := time.Unix(int64(iatF), 0)
	if iat.Before(now.Add(-s.cfg.ProofMaxAge)) || iat.After(now.Add(DefaultProofSkew)) {
		return nil, fmt.Errorf("%w: iat outside the accepted window", ErrInvalidProof)
	}
	if c.Nonce == nil || *c.Nonce == "" {
		return nil, ErrMissingNonce
	}
	hk.Nonce = *c.Nonce
	return hk, nil
}

func (s *Service) audienceOK(raw json.RawMessage) bool {
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return one == s.base
	}
	var many []string
	if json.Unmarshal(raw, &many) == nil && len(many) == 1 {
		return many[0] == s.base
	}
	return false
}
