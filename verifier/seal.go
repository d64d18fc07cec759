package verifier

import (
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"

	"github.com/cairn-id/cairn/internal/fsx"
	"github.com/cairn-id/cairn/internal/jose"
	"github.com/cairn-id/cairn/internal/seal"
)

// ResultKeyLen is the length of the results key (AES-256).
const ResultKeyLen = seal.KeyLen

// ErrSealed: a sealed value does not open with the service's key (another
// key, or altered).
var ErrSealed = errors.New("verifier: sealed value does not open with this key")

// Sealer encrypts what the store keeps of results and session keys with
// AES-256-GCM (internal/seal) under a key the service holds outside the
// database, each value bound to its session id and kind as additional data.
type Sealer struct {
	box *seal.Box
	// mac keys ProofDigest: HKDF-SHA256 of the results key with its own
	// info, so it is not the encryption key.
	mac []byte
}

// NewSealer returns a Sealer for a 32-byte key; rnd makes the GCM nonces
// (crypto/rand when nil).
func NewSealer(key []byte, rnd io.Reader) (*Sealer, error) {
	if len(key) != ResultKeyLen {
		return nil, fmt.Errorf("verifier: results key must be %d bytes, got %d", ResultKeyLen, len(key))
	}
	b, err := seal.New(key, rnd)
	if err != nil {
		return nil, err
	}
	mac, err := hkdf.Key(sha256.New, key, nil, "cairn verifier proof digest v1", 32)
	if err != nil {
		return nil, err
	}
	return &Sealer{box: b, mac: mac}, nil
}

// ProofDigest is the keyed hash a verifier keeps of a presented proof
// for replay detection (SeenProof): HMAC-SHA256 under a key derived from
// the results key, base64url. Without that key a digest tells nothing of
// the proof, and it cannot be computed from a proof seen elsewhere.
func (s *Sealer) ProofDigest(proof []byte) string {
	m := hmac.New(sha256.New, s.mac)
	m.Write(proof)
	return jose.B64.EncodeToString(m.Sum(nil))
}

// Seal encrypts plaintext bound to ad.
func (s *Sealer) Seal(plaintext []byte, ad string) ([]byte, error) {
	return s.box.Seal(plaintext, []byte(ad))
}

// Open decrypts what Seal made with the same ad.
func (s *Sealer) Open(sealed []byte, ad string) ([]byte, error) {
	p, err := s.box.Open(sealed, []byte(ad))
	if err != nil {
		return nil, ErrSealed
	}
	return p, nil
}

// GenerateResultKey writes a new random results key to path (0600, never
// overwriting a file).
func GenerateResultKey(path string, rnd io.Reader) error {
	if rnd == nil {
		rnd = rand.Reader
	}
	k := make([]byte, ResultKeyLen)
	if _, err := io.ReadFull(rnd, k); err != nil {
		return err
	}
	err := fsx.WriteNew(path, []byte(jose.B64.EncodeToString(k)+"\n"), 0o600)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("%s: %w", path, ErrExists)
	}
	return err
}

// LoadResultKey reads a results key file, refusing one that group or
// others may read.
func LoadResultKey(path string) ([]byte, error) {
	b, err := fsx.ReadSecret(path, 1024)
	if err != nil {
		return nil, fmt.Errorf("verifier: results key: %w", err)
	}
	k, err := jose.B64.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(k) != ResultKeyLen {
		return nil, fmt.Errorf("verifier: %s does not hold a %d-byte base64url key", path, ResultKeyLen)
	}
	return k, nil
}
