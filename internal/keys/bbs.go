package keys

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/cairn-id/cairn/internal/did"
	"github.com/cairn-id/cairn/internal/jwp"
)

// AlgBBS names BBS issuer keys (JSON Proof Algorithms "BBS", internal/jwp)
// for `cairn keys generate --alg BBS`. They sign JSON Web Proofs, not JWS,
// so they are jwp.PrivateKey values, not PrivateKey ones.
const AlgBBS = jwp.AlgBBS

// GenerateBBS creates a BBS issuer key (BLS12-381 G2, SHA-256 suite) from
// rnd (crypto/rand when nil).
func GenerateBBS(rnd io.Reader) (*jwp.PrivateKey, error) {
	if rnd == nil {
		rnd = rand.Reader
	}
	k, err := jwp.GenerateKey(rnd)
	if err != nil {
		return nil, fmt.Errorf("keys: generate BBS key: %w", err)
	}
	return k, nil
}

// SaveBBS writes a BBS issuer key as a private JWK (kty OKP, crv
// BLS12381G2, proof_alg BBS) with mode 0600; an existing file is never
// replaced (ErrExists).
func SaveBBS(path string, k *jwp.PrivateKey) error {
	b := k.PrivateJWK()
	defer clear(b)
	return writeKeyFile(path, b)
}

// LoadBBS reads a BBS private JWK file written by SaveBBS. On Unix the file
// must not be readable or writable by group or others.
func LoadBBS(path string) (*jwp.PrivateKey, error) {
	b, err := readKeyFile(path)
	if err != nil {
		return nil, err
	}
	defer clear(b)
	k, err := jwp.ParsePrivateJWK(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w: %w", path, ErrInvalidKey, err)
	}
	return k, nil
}

// BBSDIDJWK is the did:jwk of a BBS public key (did.FromBBSKey): the
// identifier under which the registry lists it as a further key of its
// issuer entity, and which did.BBSKey reads back.
func BBSDIDJWK(pub *jwp.PublicKey) string { return did.FromBBSKey(pub) }

// LoadBBSPublic reads a BBS key file for display: a public BBS JWK (or
// the output of `cairn keys show --json` for one), or a private one
// through LoadBBS (so its permissions are checked). private says which;
// the secret never leaves this function. A file that is no BBS JWK is
// ErrInvalidKey.
func LoadBBSPublic(path string) (pub *jwp.PublicKey, private bool, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, false, fmt.Errorf("keys: %w", err)
	}
	b, err := readBounded(f, 2*jwp.MaxJWKLen)
	f.Close()
	if err != nil {
		return nil, false, fmt.Errorf("keys: %s: %w", path, err)
	}
	if jb, ok := showJWK(b); ok {
		b = jb
	}
	p, err := jwp.ParsePublicJWK(b)
	clear(b)
	switch {
	case err == nil:
		return p, false, nil
	case errors.Is(err, jwp.ErrPrivateKeyInJWK):
		k, err := LoadBBS(path)
		if err != nil {
			return nil, false, err
		}
		pub := k.Public
		return &pub, true, nil
	}
	return nil, false, fmt.Errorf("%s: %w: %w", path, ErrInvalidKey, err)
}
