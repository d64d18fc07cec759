package wallet

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"

	"github.com/cairn-id/cairn/internal/bounded"
	"github.com/cairn-id/cairn/internal/fsx"
	"github.com/cairn-id/cairn/internal/jose"
)

// Pepper file errors.
var (
	ErrPepperExists   = errors.New("wallet: pepper file already exists")
	ErrPepperInsecure = errors.New("wallet: pepper file is readable by group or others")
	ErrPepperInvalid  = errors.New("wallet: invalid pepper file")
)

// CreatePepper writes a new random 32-byte server pepper to path
// (base64url and a newline, mode 0600), never replacing a file
// (ErrPepperExists). Keep it outside the store's directory and its
// backups: a copy of the store without it is useless.
func CreatePepper(path string, rnd io.Reader) ([]byte, error) {
	if rnd == nil {
		rnd = rand.Reader
	}
	p := make([]byte, MinPepperLen)
	if _, err := io.ReadFull(rnd, p); err != nil {
		return nil, fmt.Errorf("wallet: pepper: %w", err)
	}
	if err := fsx.WriteNew(path, []byte(jose.B64.EncodeToString(p)+"\n"), 0o600); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("%w: %s", ErrPepperExists, path)
		}
		return nil, fmt.Errorf("wallet: pepper: %w", err)
	}
	return p, nil
}

// LoadPepper reads a pepper file written by CreatePepper. On Unix the
// file must be a regular file no one but its owner can read or write
// (ErrPepperInsecure), like internal/keys' key files.
func LoadPepper(path string) ([]byte, error) {
	b, err := fsx.ReadSecret(path, 1024)
	switch {
	case errors.Is(err, fsx.ErrInsecureMode):
		return nil, fmt.Errorf("%w: %w", ErrPepperInsecure, err)
	case errors.Is(err, fsx.ErrNotRegular), errors.Is(err, bounded.ErrTooLarge):
		return nil, fmt.Errorf("%w: %w", ErrPepperInvalid, err)
	case err != nil:
		return nil, fmt.Errorf("wallet: pepper: %w", err)
	}
	p, err := jose.B64.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(p) < MinPepperLen {
		return nil, fmt.Errorf("%w: %s: want base64url of at least %d bytes", ErrPepperInvalid, path, MinPepperLen)
	}
	return p, nil
}
