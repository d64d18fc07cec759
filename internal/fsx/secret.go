package fsx

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"runtime"

	"github.com/cairn-id/cairn/internal/bounded"
)

// Reading secrets (DESIGN.md §7: secrets on disk are owner-only): keys,
// the wallet pepper, the verifier's results key, tokens and store URLs.

// ErrInsecureMode: a secret file may be read or written by group or
// others. Match it with errors.Is; the error is a *ModeError.
var ErrInsecureMode = errors.New("secret file readable by group or others")

// ErrNotRegular: a secret path is a directory, device, socket or pipe.
var ErrNotRegular = errors.New("not a regular file")

// ModeError says which file has which mode, and the command that fixes it.
type ModeError struct {
	Path string
	Mode fs.FileMode
}

func (e *ModeError) Error() string {
	return fmt.Sprintf("%s is readable by group or others (mode %04o); run: chmod 600 %s", e.Path, e.Mode, e.Path)
}

// Is makes errors.Is(err, ErrInsecureMode) true.
func (e *ModeError) Is(target error) bool { return target == ErrInsecureMode }

// ReadSecret reads a secret file of at most max bytes. It refuses a file
// that is not regular or whose mode lets group or others in (not checked
// on Windows, which has no such bits). The mode is taken from the open
// file, so the check and the read concern the same file.
func ReadSecret(path string, max int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: %w", path, ErrNotRegular)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 && runtime.GOOS != "windows" {
		return nil, &ModeError{Path: path, Mode: perm}
	}
	b, err := bounded.ReadAll(f, max)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return b, nil
}
