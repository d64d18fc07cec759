// Package keys owns Cairn's private signing keys: generating them (ES256 on
// P-256 by default, ES384, EdDSA on Ed25519), storing them as private JWK
// files (RFC 7517 §4, RFC 7518 §6.2.2, RFC 8037 §2) written with mode 0600
// and never overwritten, and loading them back only from files no one else
// can read. Every key read is checked: curve, exact lengths, and that the
// private scalar or seed reproduces the stated public key. Public keys are
// internal/jose JWKs; identifiers come from internal/did. BBS issuer keys
// for JSON Web Proofs (bbs.go) are internal/jwp keys in the same kind of
// file: private JWK, 0600, never overwritten.
//
// The JWK encoding is done with the standard library. lestrrat-go/jwx/v3/jwk
// was the plan, but go.sum lacks its dependencies (httprc/v3, fastjson) and
// is not ours to change; testdata/README.md says how the files were checked
// against jwx instead.
package keys

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/cairn-id/cairn/internal/did"
	"github.com/cairn-id/cairn/internal/jose"
)

// Alg is the JWS algorithm a key signs with.
type Alg = jose.Alg

// DefaultAlg is the baseline algorithm (DESIGN.md §2).
const DefaultAlg = jose.ES256

// MaxPrivateJWKLen bounds a private JWK file.
const MaxPrivateJWKLen = 8 << 10

// Errors returned at the package boundary; match them with errors.Is.
var (
	ErrExists              = errors.New("keys: file already exists")
	ErrInsecurePermissions = errors.New("keys: key file is readable by group or others")
	ErrNotPrivate          = errors.New("keys: JWK has no private part")
	ErrPrivateKeyFile      = errors.New("keys: file holds a private key where a public key is expected")
	ErrInvalidKey          = errors.New("keys: invalid private JWK")
	ErrUnsupportedAlg      = errors.New("keys: unsupported algorithm")
)

// PrivateKey is a signing key with its algorithm and public JWK.
type PrivateKey struct {
	signer crypto.Signer
	alg    jose.Alg
	pub    *jose.JWK
}

// Generate creates a key for alg (DefaultAlg when empty). rnd nil means
// crypto/rand. Ed25519 seeds are read from rnd; for ECDSA, Go 1.26 and
// later always use the system's secure source and ignore rnd.
func Generate(alg jose.Alg, rnd io.Reader) (*PrivateKey, error) {
	if rnd == nil {
		rnd = rand.Reader
	}
	switch alg {
	case "", jose.ES256:
		k, err := ecdsa.GenerateKey(elliptic.P256(), rnd)
		if err != nil {
			return nil, fmt.Errorf("keys: generate: %w", err)
		}
		return FromSigner(k)
	case jose.ES384:
		k, err := ecdsa.GenerateKey(elliptic.P384(), rnd)
		if err != nil {
			return nil, fmt.Errorf("keys: generate: %w", err)
		}
		return FromSigner(k)
	case jose.EdDSA:
		seed := make([]byte, ed25519.SeedSize)
		if _, err := io.ReadFull(rnd, seed); err != nil {
			return nil, fmt.Errorf("keys: generate: %w", err)
		}
		return FromSigner(ed25519.NewKeyFromSeed(seed))
	}
	return nil, fmt.Errorf("%w: %q (use ES256, ES384 or EdDSA)", ErrUnsupportedAlg, alg)
}

// FromSigner wraps a signer whose public key is P-256, P-384 or Ed25519
// (an in-memory key, or one held by a KMS or secure element).
func FromSigner(s crypto.Signer) (*PrivateKey, error) {
	if s == nil {
		return nil, fmt.Errorf("%w: nil signer", ErrInvalidKey)
	}
	alg, err := jose.AlgForPublicKey(s.Public())
	if err != nil {
		return nil, err
	}
	pub, err := jose.NewJWK(s.Public())
	if err != nil {
		return nil, err
	}
	return &PrivateKey{signer: s, alg: alg, pub: pub}, nil
}

// Signer returns the underlying crypto.Signer.
func (k *PrivateKey) Signer() crypto.Signer { return k.signer }

// Alg is the JWS algorithm of the key.
func (k *PrivateKey) Alg() jose.Alg { return k.alg }

// Public returns the Go public key.
func (k *PrivateKey) Public() crypto.PublicKey { return k.signer.Public() }

// JoseSigner returns a JWS signer over the key (randomness from crypto/rand).
func (k *PrivateKey) JoseSigner() *jose.Signer {
	s, err := jose.NewSigner(k.signer, nil)
	if err != nil {
		// Unreachable: every PrivateKey was built from a key jose accepts.
		panic("keys: PrivateKey holds a key jose refuses: " + err.Error())
	}
	return s
}

// PublicJWK returns a fresh copy of the public JWK (kty, crv, x, y only).
func (k *PrivateKey) PublicJWK() *jose.JWK {
	c := *k.pub
	c.Extra = map[string]json.RawMessage{}
	return &c
}

// DIDJWK returns the did:jwk of the public key.
func (k *PrivateKey) DIDJWK() string { return did.FromJWK(k.pub) }

// KeyDID returns the did:key of the public key.
func (k *PrivateKey) KeyDID() (string, error) { return did.KeyDID(k.signer.Public()) }

// MarshalPrivateJWK encodes k as a private JWK with "alg" and an RFC 7638
// thumbprint as "kid". Only in-memory ECDSA and Ed25519 keys can be
// exported.
func MarshalPrivateJWK(k *PrivateKey) ([]byte, error) {
	var d []byte
	switch s := k.signer.(type) {
	case *ecdsa.PrivateKey:
		b, err := s.Bytes() // fixed-length big-endian scalar (RFC 7518 §6.2.2.1)
		if err != nil {
			return nil, fmt.Errorf("keys: encode JWK: %w", err)
		}
		d = b
	case ed25519.PrivateKey:
		d = s.Seed() // RFC 8037 §2: d is the 32-byte seed
	default:
		return nil, fmt.Errorf("%w: signer %T cannot be exported", ErrInvalidKey, k.signer)
	}
	m := map[string]string{
		"kty": k.pub.Kty, "crv": k.pub.Crv, "x": k.pub.X,
		"d": jose.B64.EncodeToString(d), "alg": string(k.alg), "kid": k.pub.Thumbprint(),
	}
	if k.pub.Y != "" {
		m["y"] = k.pub.Y
	}
	b, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("keys: encode JWK: %w", err)
	}
	var out bytes.Buffer
	if err := json.Indent(&out, b, "", "  "); err != nil {
		return nil, fmt.Errorf("keys: encode JWK: %w", err)
	}
	out.WriteByte('\n')
	return out.Bytes(), nil
}

// ParsePrivateJWK decodes a private JWK. It refuses oversize input,
// public-only JWKs (ErrNotPrivate), key types other than EC P-256/P-384
// and OKP Ed25519, an "alg" that does not fit the key, and a private part
// of the wrong length, out of range, or not matching the public part.
func ParsePrivateJWK(b []byte) (*PrivateKey, error) {
	if len(b) > MaxPrivateJWKLen {
		return nil, fmt.Errorf("%w: larger than %d bytes", ErrInvalidKey, MaxPrivateJWKLen)
	}
	var members struct {
		Kty, Crv, X, Y, D, Alg *string
	}
	if err := json.Unmarshal(b, &members); err != nil {
		return nil, fmt.Errorf("%w: not a JSON object with string members: %v", ErrInvalidKey, err)
	}
	if members.D == nil {
		return nil, ErrNotPrivate
	}
	if members.Kty == nil || members.Crv == nil || members.X == nil {
		return nil, fmt.Errorf("%w: kty, crv and x are required", ErrInvalidKey)
	}
	// The public part must be a key Cairn accepts; jose checks lengths and
	// that the point is on the curve.
	pubJWK := &jose.JWK{Kty: *members.Kty, Crv: *members.Crv, X: *members.X}
	if members.Y != nil {
		pubJWK.Y = *members.Y
	}
	statedPub, err := pubJWK.PublicKey()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidKey, err)
	}
	d, err := jose.DecodeSegment(*members.D)
	if err != nil {
		return nil, fmt.Errorf("%w: d is not base64url", ErrInvalidKey)
	}

	var signer crypto.Signer
	switch pub := statedPub.(type) {
	case *ecdsa.PublicKey:
		// ParseRawPrivateKey checks the exact length and 0 < d < n, and
		// yields the public key d really belongs to.
		derived, err := ecdsa.ParseRawPrivateKey(pub.Curve, d)
		if err != nil {
			return nil, fmt.Errorf("%w: d: %v", ErrInvalidKey, err)
		}
		if !derived.PublicKey.Equal(pub) {
			return nil, fmt.Errorf("%w: d does not belong to x, y", ErrInvalidKey)
		}
		signer = derived
	case ed25519.PublicKey:
		if len(d) != ed25519.SeedSize {
			return nil, fmt.Errorf("%w: Ed25519 d must be %d bytes", ErrInvalidKey, ed25519.SeedSize)
		}
		derived := ed25519.NewKeyFromSeed(d)
		if !derived.Public().(ed25519.PublicKey).Equal(pub) {
			return nil, fmt.Errorf("%w: d does not belong to x", ErrInvalidKey)
		}
		signer = derived
	default:
		return nil, fmt.Errorf("%w: unsupported key %T", ErrInvalidKey, statedPub)
	}
	k, err := FromSigner(signer)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidKey, err)
	}
	if members.Alg != nil && jose.Alg(*members.Alg) != k.alg {
		return nil, fmt.Errorf("%w: alg %q does not fit a %s key (want %s)", ErrInvalidKey, *members.Alg, k.pub.Crv, k.alg)
	}
	return k, nil
}
