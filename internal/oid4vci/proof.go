package oid4vci

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/cairn-id/cairn/internal/did"
	"github.com/cairn-id/cairn/internal/jose"
	"github.com/cairn-id/cairn/internal/jsonx"
	"github.com/cairn-id/cairn/internal/sdjwt"
)

// ProofTyp is the typ of a jwt key proof (Appendix F.1).
const ProofTyp = "openid4vci-proof+jwt"

// Key proof defaults.
const (
	// DefaultProofMaxAge is how old a proof's iat may be (§13.8).
	DefaultProofMaxAge = 5 * time.Minute
	// DefaultProofSkew is how far in the future iat may be (§13.8).
	DefaultProofSkew = time.Minute
	// MaxProofLen bounds one compact key proof.
	MaxProofLen = 16 << 10
)

// DefaultProofAlgs is the proof algorithm allow-list: ES256, ES384 and
// EdDSA. "none", MACs and anything else are always refused (F.1, F.4).
var DefaultProofAlgs = []jose.Alg{jose.ES256, jose.ES384, jose.EdDSA}

// Key proof errors. A refused proof wraps ErrInvalidProof, except for the
// two nonce conditions, which callers usually answer differently.
var (
	ErrInvalidProof = errors.New("oid4vci: invalid key proof")
	// ErrMissingNonce: a nonce was required and the proof has none. §8.3.1.2
	// answers this with invalid_proof (ProofErrorCode).
	ErrMissingNonce = errors.New("oid4vci: key proof has no nonce")
	// ErrInvalidNonce: CheckParams.NonceCheck refused the proof's nonce;
	// answered with invalid_nonce.
	ErrInvalidNonce = errors.New("oid4vci: key proof nonce refused")
)

// unsupportedProofHeaders are F.1 header parameters Cairn does not
// process; a proof carrying one is refused rather than half-checked.
var unsupportedProofHeaders = []string{"x5c", "trust_chain", "key_attestation"}

// ProofParams are the claims of a key proof to create.
type ProofParams struct {
	// Audience is the Credential Issuer Identifier (aud). Required.
	Audience string
	// Nonce is the c_nonce from the Nonce Endpoint; "" when the issuer has
	// none.
	Nonce string
	// IssuedAt is iat. Required.
	IssuedAt time.Time
	// ClientID is iss; leave it empty in the pre-authorized flow with
	// anonymous access, where iss must be omitted (F.1).
	ClientID string
	// KeyID, when set, is a did:jwk or did:key URL naming the signer's key,
	// sent as kid; when empty the signer's public key is sent as jwk.
	KeyID string
}

// NewProof signs a jwt key proof (Appendix F.1) with signer: header typ
// openid4vci-proof+jwt, the signer's alg, and either kid (p.KeyID, which
// must resolve to the signer's key) or the signer's public key as jwk.
func NewProof(signer *jose.Signer, p ProofParams) (string, error) {
	if signer == nil {
		return "", fmt.Errorf("%w: no signer", ErrInvalidProof)
	}
	if p.Audience == "" || p.IssuedAt.IsZero() {
		return "", fmt.Errorf("%w: audience and issued-at are required", ErrInvalidProof)
	}
	if signer.KeyID() != "" && signer.KeyID() != p.KeyID {
		return "", fmt.Errorf("%w: the signer has kid %q; pass it as KeyID", ErrInvalidProof, signer.KeyID())
	}
	pub, err := jose.NewJWK(signer.Public())
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrInvalidProof, err)
	}
	h := map[string]any{"typ": ProofTyp}
	if p.KeyID != "" {
		k, _, err := resolveKID(context.Background(), p.KeyID)
		if err != nil {
			return "", err
		}
		if !k.Equal(pub) {
			return "", fmt.Errorf("%w: kid %q names another key than the signer's", ErrInvalidProof, p.KeyID)
		}
		h["kid"] = p.KeyID
	} else {
		h["jwk"] = pub.Map()
	}
	c := map[string]any{"aud": p.Audience, "iat": p.IssuedAt.Unix()}
	if p.Nonce != "" {
		c["nonce"] = p.Nonce
	}
	if p.ClientID != "" {
		c["iss"] = p.ClientID
	}
	payload, err := json.Marshal(c)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrInvalidProof, err)
	}
	return signer.Sign(h, payload)
}

// CheckParams say what CheckProof accepts.
type CheckParams struct {
	// Audiences are the accepted aud values: the Credential Issuer
	// Identifier. Required.
	Audiences []string
	// Now is the verifier's clock reading. Required.
	Now time.Time
	// MaxAge bounds how old iat may be (DefaultProofMaxAge when zero);
	// Skew how far ahead of Now (DefaultProofSkew when zero).
	MaxAge, Skew time.Duration
	// Algs narrows DefaultProofAlgs (e.g. to what the metadata lists);
	// algorithms outside DefaultProofAlgs are ignored.
	Algs []jose.Alg
	// RequireNonce: the issuer has a Nonce Endpoint, so the proof must
	// carry a nonce (F.1). Implied by NonceCheck.
	RequireNonce bool
	// NonceCheck, when set, judges the nonce; its error is wrapped with
	// ErrInvalidNonce. An issuer that consumes nonces atomically with
	// issuance leaves it nil and checks CheckedProof.Nonce itself.
	NonceCheck func(nonce string) error
	// Anonymous: the access token came from a pre-authorized code Token
	// Request without client authentication, so the proof must not carry
	// iss (F.1).
	Anonymous bool
	// ClientID, when set and not Anonymous, is the only iss accepted.
	ClientID string
}

// CheckedProof is what a valid key proof yields.
type CheckedProof struct {
	JWK      *jose.JWK // the holder public key the credential is bound to
	DID      string    // did:jwk of JWK, or the DID the kid named
	KeyID    string    // the kid header, "" when the key came as jwk
	Nonce    string    // "" when none was sent and none was required
	IssuedAt time.Time
	Issuer   string // iss, when present
}

// CheckProof verifies a jwt key proof (Appendix F.1, F.4) and returns the
// holder key: typ exactly openid4vci-proof+jwt; alg in the allow-list and
// fitting the key; exactly one of jwk (public, no "d") and kid (a did:jwk
// or did:key URL, resolved offline); no x5c, trust_chain or key_attestation;
// the signature; aud one of p.Audiences; iat within [Now-MaxAge,
// Now+Skew]; no iss when p.Anonymous; then the nonce. Checks run in that
// order, so a proof that is also wrong elsewhere is refused as invalid
// before its nonce is looked at.
func CheckProof(ctx context.Context, compact string, p CheckParams) (*CheckedProof, error) {
	if len(p.Audiences) == 0 || p.Now.IsZero() {
		return nil, errors.New("oid4vci: CheckProof needs Audiences and Now")
	}
	j, err := jose.ParseLimited(compact, MaxProofLen)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidProof, err)
	}
	if j.Header.Typ != ProofTyp {
		return nil, fmt.Errorf("%w: typ %q, want %s", ErrInvalidProof, j.Header.Typ, ProofTyp)
	}
	algs := allowedAlgs(p.Algs)
	if !slices.Contains(algs, j.Header.Alg) {
		return nil, fmt.Errorf("%w: alg %q not allowed", ErrInvalidProof, j.Header.Alg)
	}
	for _, name := range unsupportedProofHeaders {
		if _, ok := j.Header.Params[name]; ok {
			return nil, fmt.Errorf("%w: header %s not supported", ErrInvalidProof, name)
		}
	}
	jwkParam, hasJWK := j.Header.Params["jwk"]
	_, hasKid := j.Header.Params["kid"]
	if hasJWK == hasKid {
		return nil, fmt.Errorf("%w: exactly one of jwk and kid is required", ErrInvalidProof)
	}
	out := &CheckedProof{}
	if hasJWK {
		m, ok := jwkParam.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%w: jwk must be a JSON object", ErrInvalidProof)
		}
		for _, priv := range []string{"d", "p", "q", "dp", "dq", "qi", "oth", "k"} {
			if _, ok := m[priv]; ok {
				return nil, fmt.Errorf("%w: jwk contains private or symmetric key material (%s)", ErrInvalidProof, priv)
			}
		}
		if out.JWK, err = jose.JWKFromMap(m); err != nil {
			return nil, fmt.Errorf("%w: jwk: %w", ErrInvalidProof, err)
		}
		out.DID = did.FromJWK(out.JWK)
	} else {
		if out.JWK, out.DID, err = resolveKID(ctx, j.Header.Kid); err != nil {
			return nil, err
		}
		out.KeyID = j.Header.Kid
	}
	if out.JWK.Use != "" && out.JWK.Use != "sig" {
		return nil, fmt.Errorf("%w: jwk use %q is not sig", ErrInvalidProof, out.JWK.Use)
	}
	if out.JWK.Alg != "" && out.JWK.Alg != string(j.Header.Alg) {
		return nil, fmt.Errorf("%w: jwk is for %s, header alg is %s", ErrInvalidProof, out.JWK.Alg, j.Header.Alg)
	}
	pub, err := out.JWK.PublicKey()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidProof, err)
	}
	if err := j.Verify(pub, algs); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidProof, err)
	}
	v, err := jsonx.Decode(j.Payload)
	claims, ok := v.(map[string]any)
	if err != nil || !ok {
		return nil, fmt.Errorf("%w: payload is not a JSON object", ErrInvalidProof)
	}
	if !audienceOK(claims["aud"], p.Audiences) {
		return nil, fmt.Errorf("%w: aud is not the credential issuer", ErrInvalidProof)
	}
	iat, present, err := sdjwt.NumericDate(claims, "iat")
	if err != nil || !present {
		return nil, fmt.Errorf("%w: iat missing or not a number", ErrInvalidProof)
	}
	maxAge, skew := p.MaxAge, p.Skew
	if maxAge <= 0 {
		maxAge = DefaultProofMaxAge
	}
	if skew <= 0 {
		skew = DefaultProofSkew
	}
	if iat.Before(p.Now.Add(-maxAge)) || iat.After(p.Now.Add(skew)) {
		return nil, fmt.Errorf("%w: iat outside the accepted window", ErrInvalidProof)
	}
	out.IssuedAt = iat
	if iss, present := claims["iss"]; present {
		s, ok := iss.(string)
		switch {
		case !ok:
			return nil, fmt.Errorf("%w: iss must be a string", ErrInvalidProof)
		case p.Anonymous:
			return nil, fmt.Errorf("%w: iss must be omitted after anonymous pre-authorized access", ErrInvalidProof)
		case p.ClientID != "" && s != p.ClientID:
			return nil, fmt.Errorf("%w: iss is not the client", ErrInvalidProof)
		}
		out.Issuer = s
	}
	if n, present := claims["nonce"]; present {
		s, ok := n.(string)
		if !ok {
			return nil, fmt.Errorf("%w: nonce must be a string", ErrInvalidProof)
		}
		out.Nonce = s
	}
	if out.Nonce == "" {
		if p.RequireNonce || p.NonceCheck != nil {
			return nil, ErrMissingNonce
		}
		return out, nil
	}
	if p.NonceCheck != nil {
		if err := p.NonceCheck(out.Nonce); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrInvalidNonce, err)
		}
	}
	return out, nil
}

// ProofErrorCode is the §8.3.1.2 error code for a CheckProof error:
// invalid_nonce when the nonce was refused, invalid_proof otherwise (a
// missing nonce included).
func ProofErrorCode(err error) string {
	if errors.Is(err, ErrInvalidNonce) {
		return ErrorInvalidNonce
	}
	return ErrorInvalidProof
}

func allowedAlgs(want []jose.Alg) []jose.Alg {
	if len(want) == 0 {
		return DefaultProofAlgs
	}
	out := make([]jose.Alg, 0, len(want))
	for _, a := range want {
		if slices.Contains(DefaultProofAlgs, a) {
			out = append(out, a)
		}
	}
	if len(out) == 0 {
		return DefaultProofAlgs[:0:0] // nothing allowed: every proof fails
	}
	return out
}

// audienceOK accepts aud as a string, or an array of exactly one string,
// equal to one of the accepted audiences.
func audienceOK(aud any, accepted []string) bool {
	if a, ok := aud.([]any); ok {
		if len(a) != 1 {
			return false
		}
		aud = a[0]
	}
	s, ok := aud.(string)
	return ok && s != "" && slices.Contains(accepted, s)
}

// resolveKID resolves a kid that must be a did:jwk or did:key DID URL,
// offline.
func resolveKID(ctx context.Context, kid string) (*jose.JWK, string, error) {
	d, _, err := did.ParseDIDURL(kid)
	if err != nil {
		return nil, "", fmt.Errorf("%w: kid: %w", ErrInvalidProof, err)
	}
	if m := did.Method(d); m != "jwk" && m != "key" {
		return nil, "", fmt.Errorf("%w: kid must be a did:jwk or did:key URL", ErrInvalidProof)
	}
	var r did.Resolver // did:jwk and did:key need no network
	k, err := r.ResolveKey(ctx, kid)
	if err != nil {
		return nil, "", fmt.Errorf("%w: kid: %w", ErrInvalidProof, err)
	}
	return k, d, nil
}
