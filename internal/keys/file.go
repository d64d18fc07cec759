package keys

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/cairn-id/cairn/internal/bounded"
	"github.com/cairn-id/cairn/internal/fsx"
	"github.com/cairn-id/cairn/internal/jose"
)

// Save writes k to path as a private JWK with mode 0600. It never replaces
// an existing file (ErrExists); see fsx.WriteNew: a crash leaves either no
// file at path or the complete key.
func Save(path string, k *PrivateKey) error {
	b, err := MarshalPrivateJWK(k)
	if err != nil {
		return err
	}
	return writeKeyFile(path, b)
}

// writeKeyFile writes a private key file, mode 0600, never replacing one.
func writeKeyFile(path string, b []byte) error {
	if err := fsx.WriteNew(path, b, 0o600); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("%w: %s (refusing to overwrite a key)", ErrExists, path)
		}
		return fmt.Errorf("keys: save key: %w", err)
	}
	return nil
}

// Load reads a private JWK file written by Save (or by hand). On Unix the
// file must not be readable or writable by group or others.
func Load(path string) (*PrivateKey, error) {
	b, err := readKeyFile(path)
	if err != nil {
		return nil, err
	}
	k, err := ParsePrivateJWK(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return k, nil
}

// readKeyFile reads a private key file of at most MaxPrivateJWKLen bytes
// that no one else can read (fsx.ReadSecret).
func readKeyFile(path string) ([]byte, error) {
	b, err := fsx.ReadSecret(path, MaxPrivateJWKLen)
	switch {
	case errors.Is(err, fsx.ErrInsecureMode):
		return nil, fmt.Errorf("%w: %w", ErrInsecurePermissions, err)
	case errors.Is(err, bounded.ErrTooLarge):
		return nil, fmt.Errorf("%w: %s larger than %d bytes", ErrInvalidKey, path, MaxPrivateJWKLen)
	case err != nil:
		return nil, fmt.Errorf("keys: %w", err)
	}
	return b, nil
}

// LoadPublicJWK reads a public JWK file. A private JWK is refused
// (ErrPrivateKeyFile) so a secret is never handled as if it were public.
func LoadPublicJWK(path string) (*jose.JWK, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("keys: %w", err)
	}
	defer f.Close()
	// Room for the output of `cairn keys show --json`, which carries the
	// JWK in its "jwk" member beside the DIDs.
	b, err := readBounded(f, 2*jose.MaxJWKLen)
	if err != nil {
		return nil, fmt.Errorf("keys: %s: %w", path, err)
	}
	if jb, ok := showJWK(b); ok {
		b = jb
	}
	if len(b) > jose.MaxJWKLen {
		return nil, fmt.Errorf("keys: %s: %w: larger than %d bytes", path, ErrInvalidKey, jose.MaxJWKLen)
	}
	k, err := jose.ParseJWK(b)
	if errors.Is(err, jose.ErrPrivateKeyInJWK) {
		return nil, fmt.Errorf("%w: %s (give its public JWK, e.g. from `cairn keys show --json`)", ErrPrivateKeyFile, path)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return k, nil
}

// showJWK returns the "jwk" member of a `cairn keys show --json` document
// (an object with "jwk" and "thumbprint" members and no "kty"), so that
// output can be given wherever a public JWK file is asked for.
func showJWK(b []byte) ([]byte, bool) {
	var doc struct {
		Kty        *string         `json:"kty"`
		JWK        json.RawMessage `json:"jwk"`
		Thumbprint string          `json:"thumbprint"`
	}
	if json.Unmarshal(b, &doc) != nil || doc.Kty != nil || len(doc.JWK) == 0 || doc.Thumbprint == "" {
		return nil, false
	}
	return doc.JWK, true
}

func readBounded(r io.Reader, max int64) ([]byte, error) {
	b, err := bounded.ReadAll(r, max)
	if errors.Is(err, bounded.ErrTooLarge) {
		return nil, fmt.Errorf("%w: file larger than %d bytes", ErrInvalidKey, max)
	}
	return b, err
}
