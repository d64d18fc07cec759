// Package seal is Cairn's one AES-256-GCM "seal a value under a service
// key" construction (NIST SP 800-38D with 96-bit random nonces): the
// nonce is prepended to the ciphertext, and every value is bound to
// associated data naming where it belongs (a record id, a cookie name)
// so a sealed value cannot be moved elsewhere. The verifier's results,
// the issuer's pending offers and the wallet page's cookies use it. The
// wallet's per-holder records use XChaCha20-Poly1305 instead (wallet/crypto.go),
// for their larger random-nonce budget under one key per holder.
package seal

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
)

// KeyLen is the key length (AES-256).
const KeyLen = 32

// ErrOpen: a sealed value does not open with this key and associated
// data (another key, another place, or altered). It says nothing more on
// purpose.
var ErrOpen = errors.New("seal: value does not open with this key")

// Box seals and opens values under one key. It is safe for concurrent use.
type Box struct {
	aead cipher.AEAD
	rnd  io.Reader
}

// New returns a Box for a 32-byte key; rnd makes the nonces (crypto/rand
// when nil).
func New(key []byte, rnd io.Reader) (*Box, error) {
	if len(key) != KeyLen {
		return nil, fmt.Errorf("seal: key must be %d bytes, got %d", KeyLen, len(key))
	}
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(b)
	if err != nil {
		return nil, err
	}
	if rnd == nil {
		rnd = rand.Reader
	}
	return &Box{aead: aead, rnd: rnd}, nil
}

// Seal encrypts plaintext bound to ad: nonce ‖ ciphertext ‖ tag.
func (b *Box) Seal(plaintext, ad []byte) ([]byte, error) {
	ns := b.aead.NonceSize()
	out := make([]byte, ns, ns+len(plaintext)+b.aead.Overhead())
	if _, err := io.ReadFull(b.rnd, out); err != nil {
		return nil, fmt.Errorf("seal: randomness: %w", err)
	}
	return b.aead.Seal(out, out, plaintext, ad), nil
}

// Open decrypts what Seal made under the same key and ad.
func (b *Box) Open(sealed, ad []byte) ([]byte, error) {
	ns := b.aead.NonceSize()
	if len(sealed) < ns+b.aead.Overhead() {
		return nil, ErrOpen
	}
	p, err := b.aead.Open(nil, sealed[:ns], sealed[ns:], ad)
	if err != nil {
		return nil, ErrOpen
	}
	return p, nil
}
