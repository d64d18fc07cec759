//go:build !unix

package fsx

import (
	"errors"
	"fmt"
)

// Lock is not available on this platform (see lock_unix.go): it fails
// with errors.ErrUnsupported rather than not lock.
func Lock(path string) (unlock func() error, err error) {
	return nil, fmt.Errorf("fsx: locking %s: %w", path, errors.ErrUnsupported)
}
