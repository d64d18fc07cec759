package keys

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"io/fs"

	"github.com/cairn-id/cairn/internal/bounded"
	"github.com/cairn-id/cairn/internal/did"
	"github.com/cairn-id/cairn/internal/fsx"
	"github.com/cairn-id/cairn/internal/jose"
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
	if err := fsx.WriteNew(path, b, 0o600); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("%w: %s (refusing to overwrite a key)", ErrExists, path)
		}
		return fmt.Errorf("keys: save key: %w", err)
	}
	return nil
}

// LoadBBS reads a BBS private JWK file written by SaveBBS. On Unix the file
// must not be readable or writable by group or others.
func LoadBBS(path string) (*jwp.PrivateKey, error) {
	b, err := fsx.ReadSecret(path, MaxPrivateJWKLen)
	switch {
	case errors.Is(err, fsx.ErrInsecureMode):
		return nil, fmt.Errorf("%w: %w", ErrInsecurePermissions, err)
	case errors.Is(err, bounded.ErrTooLarge):
		return nil, fmt.Errorf("%w: %s larger than %d bytes", ErrInvalidKey, path, MaxPrivateJWKLen)
	case err != nil:
		return nil, fmt.Errorf("keys: %w", err)
	}
	defer clear(b)
	k, err := jwp.ParsePrivateJWK(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w: %w", path, ErrInvalidKey, err)
	}
	return k, nil
}

// BBSDIDJWK is the did:jwk of a BBS public key, built as did.FromJWK builds
// every did:jwk (kty, crv and x only, sorted). Cairn's DID resolver does not
// resolve BLS12-381 keys yet; the registry side of BBS keys is still to do.
func BBSDIDJWK(pub *jwp.PublicKey) string {
	return did.FromJWK(&jose.JWK{Kty: jwp.KtyOKP, Crv: jwp.CrvBLS12381G2, X: jose.B64.EncodeToString(pub.Bytes)})
}
