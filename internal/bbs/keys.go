package bbs

import (
	"crypto/subtle"
	"fmt"
	"io"

	"github.com/cloudflare/circl/ecc/bls12381"
	"github.com/cloudflare/circl/ecc/bls12381/ff"
)

// SecretKey is a BBS secret key, a scalar in 1..r-1.
type SecretKey struct{ s ff.Scalar }

// KeyGen derives a secret key from key material (§3.4.1):
// SK = hash_to_scalar(key_material || I2OSP(len(key_info), 2) || key_info, key_dst).
// keyMaterial must hold at least 32 secret bytes; keyInfo may be empty. A nil
// keyDST takes the draft's default, ciphersuite_id || "KEYGEN_DST_" (the
// draft's key-pair fixtures pass api_id || "KEYGEN_DST_" explicitly).
func (s *Suite) KeyGen(keyMaterial, keyInfo, keyDST []byte) (*SecretKey, error) {
	if len(keyMaterial) < 32 {
		return nil, fmt.Errorf("%w: key_material of %d bytes, at least 32", ErrKeyMaterial, len(keyMaterial))
	}
	if len(keyInfo) > 65535 {
		return nil, fmt.Errorf("%w: key_info of %d bytes", ErrKeyMaterial, len(keyInfo))
	}
	if keyDST == nil {
		keyDST = []byte(string(s.id) + "KEYGEN_DST_")
	}
	in := make([]byte, 0, len(keyMaterial)+2+len(keyInfo))
	in = append(in, keyMaterial...)
	in = append(in, byte(len(keyInfo)>>8), byte(len(keyInfo)))
	in = append(in, keyInfo...)
	sk, err := s.hashToScalar(in, keyDST)
	clear(in)
	if err != nil {
		return nil, err
	}
	if sk.IsZero() == 1 {
		return nil, fmt.Errorf("%w: derived key is zero", ErrKeyMaterial)
	}
	return &SecretKey{s: sk}, nil
}

// GenerateKey draws 32 bytes of key material from rand (crypto/rand.Reader
// in production) and runs KeyGen with an empty key_info and the default DST.
func (s *Suite) GenerateKey(rand io.Reader) (*SecretKey, error) {
	km := make([]byte, 32)
	defer clear(km)
	if _, err := io.ReadFull(rand, km); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrRandomness, err)
	}
	return s.KeyGen(km, nil, nil)
}

// ParseSecretKey decodes a 32-byte big-endian scalar in 1..r-1.
func ParseSecretKey(b []byte) (*SecretKey, error) {
	sc, err := decodeScalar(b)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformedSecretKey, err)
	}
	return &SecretKey{s: sc}, nil
}

// Bytes returns I2OSP(SK, 32).
func (k *SecretKey) Bytes() []byte { return scalarBytes(&k.s) }

// PublicKey is SkToPk (§3.4.2): the compressed G2 point SK * BP2.
func (k *SecretKey) PublicKey() []byte {
	var w bls12381.G2
	w.ScalarMult(&k.s, bls12381.G2Generator())
	return w.BytesCompressed()
}

// Equal reports whether two secret keys are the same, in constant time.
func (k *SecretKey) Equal(o *SecretKey) bool {
	return subtle.ConstantTimeCompare(k.Bytes(), o.Bytes()) == 1
}

// String keeps secret keys out of logs and error messages.
func (k *SecretKey) String() string { return "bbs.SecretKey(redacted)" }

// GoString keeps secret keys out of %#v output.
func (k *SecretKey) GoString() string { return k.String() }
