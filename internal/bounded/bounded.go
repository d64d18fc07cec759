// Package bounded reads files and streams with a size limit (DESIGN.md §7:
// every size bounded), failing with ErrTooLarge rather than truncating or
// reading without end.
package bounded

import (
	"errors"
	"fmt"
	"io"
	"os"
)

// ErrTooLarge is returned when the input is longer than the limit.
var ErrTooLarge = errors.New("input larger than its limit")

// ReadAll reads r to the end, at most max bytes.
func ReadAll(r io.Reader, max int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("%w (%d bytes)", ErrTooLarge, max)
	}
	return b, nil
}

// ReadFile reads the file at path, at most max bytes; the error names the
// file.
func ReadFile(path string, max int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := ReadAll(f, max)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return b, nil
}
