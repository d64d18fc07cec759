package jwp

import (
	"crypto/sha256"
	"fmt"
	"io"

	"github.com/cairn-id/cairn/internal/bbs"
	"github.com/cairn-id/cairn/internal/jose"
	"github.com/cairn-id/cairn/internal/jsonx"
)

// JWK constants for BBS issuer keys.
const (
	KtyOKP        = "OKP"
	CrvBLS12381G2 = "BLS12381G2"
	// UseProof is the "use" value of the JPA examples; other values are
	// refused.
	UseProof = "proof"
	// MaxJWKLen bounds a JWK document.
	MaxJWKLen = 4 << 10
)

// PublicKey is a BBS issuer public key with its JWK metadata.
type PublicKey struct {
	// Bytes is the 96-byte compressed G2 point, validated (on the curve,
	// in G2, not the identity).
	Bytes []byte
	// ProofAlg is the JWK "proof_alg" (JPA §5.1); Cairn requires it.
	ProofAlg string
	Kid      string
}

// PrivateKey is a BBS issuer key pair.
type PrivateKey struct {
	Public PublicKey
	sk     *bbs.SecretKey
}

// NewPrivateKey wraps a BBS secret key for alg "BBS". kid empty means the
// RFC 7638 thumbprint of the public JWK.
func NewPrivateKey(sk *bbs.SecretKey, kid string) *PrivateKey {
	k := &PrivateKey{Public: PublicKey{Bytes: sk.PublicKey(), ProofAlg: AlgBBS}, sk: sk}
	if kid == "" {
		kid = k.Public.Thumbprint()
	}
	k.Public.Kid = kid
	return k
}

// GenerateKey draws a fresh BBS issuer key (SHA-256 suite) from rnd
// (crypto/rand.Reader in production).
func GenerateKey(rnd io.Reader) (*PrivateKey, error) {
	sk, err := bbs.SHA256().GenerateKey(rnd)
	if err != nil {
		return nil, err
	}
	return NewPrivateKey(sk, ""), nil
}

// String keeps the secret out of logs.
func (k *PrivateKey) String() string { return "jwp.PrivateKey(" + k.Public.Kid + ")" }

// GoString keeps the secret out of %#v output.
func (k *PrivateKey) GoString() string { return k.String() }

// ParsePublicJWK parses a BBS public JWK. "d" is refused.
func ParsePublicJWK(b []byte) (*PublicKey, error) {
	f, err := parseJWKFields(b, true)
	if err != nil {
		return nil, err
	}
	if f.d != "" {
		return nil, ErrPrivateKeyInJWK
	}
	return f.pub, nil
}

// ParsePrivateJWK parses a BBS private JWK: "d" must be the 32-byte
// big-endian scalar whose SkToPk is "x".
func ParsePrivateJWK(b []byte) (*PrivateKey, error) {
	f, err := parseJWKFields(b, true)
	if err != nil {
		return nil, err
	}
	if f.d == "" {
		return nil, fmt.Errorf("%w: no \"d\"", ErrBadKey)
	}
	db, err := jose.DecodeSegment(f.d)
	if err != nil {
		return nil, fmt.Errorf("%w: d: %w", ErrBadKey, err)
	}
	defer clear(db)
	sk, err := bbs.ParseSecretKey(db)
	if err != nil {
		return nil, fmt.Errorf("%w: d: %w", ErrBadKey, err)
	}
	if string(sk.PublicKey()) != string(f.pub.Bytes) {
		return nil, fmt.Errorf("%w: d does not belong to x", ErrBadKey)
	}
	return &PrivateKey{Public: *f.pub, sk: sk}, nil
}

type jwkFields struct {
	pub *PublicKey
	d   string
}

// ParseDIDJWK parses the public JWK carried by the did:jwk of a BBS
// issuer key (internal/did.BBSKey). A did:jwk holds the key members only
// (kty, crv, x: did.FromJWK, keys.BBSDIDJWK), so "proof_alg" may be
// absent and is then BBS, the only proof algorithm of a BLS12381G2 key
// in Cairn; when present it must be BBS. "d" is refused. Kid is the RFC
// 7638 thumbprint unless the JWK names one: the kid of the Issuer Header
// of every JPT the key issues (NewPrivateKey).
func ParseDIDJWK(b []byte) (*PublicKey, error) {
	f, err := parseJWKFields(b, false)
	if err != nil {
		return nil, err
	}
	if f.d != "" {
		return nil, ErrPrivateKeyInJWK
	}
	switch f.pub.ProofAlg {
	case "":
		f.pub.ProofAlg = AlgBBS
	case AlgBBS:
	default:
		return nil, fmt.Errorf("%w: proof_alg %q, want %q", ErrBadKey, f.pub.ProofAlg, AlgBBS)
	}
	if f.pub.Kid == "" {
		f.pub.Kid = f.pub.Thumbprint()
	}
	return f.pub, nil
}

func parseJWKFields(b []byte, needProofAlg bool) (*jwkFields, error) {
	if len(b) > MaxJWKLen {
		return nil, fmt.Errorf("%w: larger than %d bytes", ErrBadKey, MaxJWKLen)
	}
	v, err := jsonx.Decode(b)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadKey, err)
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%w: not a JSON object", ErrBadKey)
	}
	var kty, crv, x, d, use string
	pub := &PublicKey{}
	for name, val := range m {
		var dst *string
		switch name {
		case "kty":
			dst = &kty
		case "crv":
			dst = &crv
		case "x":
			dst = &x
		case "d":
			dst = &d
		case "use":
			dst = &use
		case "kid":
			dst = &pub.Kid
		case "proof_alg":
			dst = &pub.ProofAlg
		case "alg":
			// JPA §5: proof algorithms go in proof_alg; an "alg" beside it
			// would be a second, possibly conflicting, restriction.
			return nil, fmt.Errorf("%w: \"alg\" is not used for proof keys, use \"proof_alg\"", ErrBadKey)
		default:
			continue // RFC 7517 §4: unknown members are ignored
		}
		s, ok := val.(string)
		if !ok {
			return nil, fmt.Errorf("%w: %q must be a string", ErrBadKey, name)
		}
		*dst = s
	}
	switch {
	case kty != KtyOKP:
		return nil, fmt.Errorf("%w: kty %q, want %q", ErrBadKey, kty, KtyOKP)
	case crv != CrvBLS12381G2:
		return nil, fmt.Errorf("%w: crv %q, want %q", ErrBadKey, crv, CrvBLS12381G2)
	case pub.ProofAlg == "" && needProofAlg:
		return nil, fmt.Errorf("%w: no \"proof_alg\"", ErrBadKey)
	case use != "" && use != UseProof:
		return nil, fmt.Errorf("%w: use %q", ErrBadKey, use)
	}
	xb, err := jose.DecodeSegment(x)
	if err != nil {
		return nil, fmt.Errorf("%w: x: %w", ErrBadKey, err)
	}
	if err := bbs.ValidatePublicKey(xb); err != nil {
		return nil, fmt.Errorf("%w: x: %w", ErrBadKey, err)
	}
	pub.Bytes = xb
	if _, isSet := m["d"]; isSet && d == "" {
		return nil, fmt.Errorf("%w: empty \"d\"", ErrBadKey)
	}
	return &jwkFields{pub: pub, d: d}, nil
}

// JWK returns the public JWK: kty, crv, x, proof_alg, use and kid, in a
// fixed order.
func (k *PublicKey) JWK() []byte {
	return marshalMembers("kty", KtyOKP, "crv", CrvBLS12381G2, "x", jose.B64.EncodeToString(k.Bytes),
		"proof_alg", k.ProofAlg, "use", UseProof, "kid", k.Kid)
}

// PrivateJWK returns the private JWK (the public members and "d", the
// big-endian scalar). Callers write it to a 0600 file, never to a log.
func (k *PrivateKey) PrivateJWK() []byte {
	d := k.sk.Bytes()
	defer clear(d)
	return marshalMembers("kty", KtyOKP, "crv", CrvBLS12381G2, "x", jose.B64.EncodeToString(k.Public.Bytes),
		"d", jose.B64.EncodeToString(d), "proof_alg", k.Public.ProofAlg, "use", UseProof, "kid", k.Public.Kid)
}

// Thumbprint is the RFC 7638 JWK thumbprint (SHA-256, base64url) over the
// required OKP members crv, kty and x.
func (k *PublicKey) Thumbprint() string {
	in := marshalMembers("crv", CrvBLS12381G2, "kty", KtyOKP, "x", jose.B64.EncodeToString(k.Bytes))
	sum := sha256.Sum256(in)
	return jose.B64.EncodeToString(sum[:])
}
