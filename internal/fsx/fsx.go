// Package fsx owns Cairn's two ways of writing a file, and its file
// lock (DESIGN.md §7: secrets on disk are owner-only and never
// clobbered):
//
//   - WriteNew creates a file that must not exist yet — keys, hash keys,
//     issuer configuration, QR codes of credential offers, batch sheets. It
//     never replaces an existing file, and a crash leaves either no file at
//     the path or the complete content, never a torn one.
//   - WriteAtomic replaces a file's content as a whole — a cached registry
//     snapshot. A crash leaves either the old or the new content.
//
// Both write a temporary file in the target's directory, sync it, give it
// its final mode, and then publish it: WriteNew by hard-linking (which fails
// rather than overwrites), WriteAtomic by renaming over the target. The
// directory is synced afterwards, where the platform allows.
//
// Lock serializes a read-modify-write of such a file between processes
// (an exclusive flock(2) on a lock file beside it; unix only).
package fsx

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
)

// WriteNew writes data to path with mode perm, refusing to replace anything
// at path: then the error wraps fs.ErrExist (errors.Is(err, fs.ErrExist)).
// Other errors are *fs.PathError values naming path, as os.OpenFile's are.
func WriteNew(path string, data []byte, perm fs.FileMode) error {
	if _, err := os.Lstat(path); err == nil {
		return &fs.PathError{Op: "open", Path: path, Err: syscall.EEXIST}
	}
	tmp, err := writeTemp(path, data, perm)
	if err != nil {
		return err
	}
	defer os.Remove(tmp) // after the link the content lives on under path
	if err := os.Link(tmp, path); err != nil {
		var le *os.LinkError
		if errors.As(err, &le) {
			err = le.Err
		}
		return &fs.PathError{Op: "open", Path: path, Err: err}
	}
	syncDir(filepath.Dir(path))
	return nil
}

// WriteAtomic replaces the content of path with data, mode perm: readers see
// the old or the new content, never a mixture, and a crash leaves one of
// the two.
func WriteAtomic(path string, data []byte, perm fs.FileMode) error {
	tmp, err := writeTemp(path, data, perm)
	if err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	syncDir(filepath.Dir(path))
	return nil
}

// writeTemp writes data to a new temporary file beside path (created
// O_EXCL, 0600, before the final mode is set) and returns its name. On
// error nothing is left behind.
func writeTemp(path string, data []byte, perm fs.FileMode) (name string, err error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return "", &fs.PathError{Op: "open", Path: path, Err: err}
	}
	name = f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(name)
		}
	}()
	if err := f.Chmod(perm); err != nil && runtime.GOOS != "windows" {
		return "", fmt.Errorf("fsx: chmod %s: %w", path, err)
	}
	if _, err := f.Write(data); err != nil {
		return "", fmt.Errorf("fsx: write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		return "", fmt.Errorf("fsx: sync %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return "", fmt.Errorf("fsx: close %s: %w", path, err)
	}
	return name, nil
}

// syncDir makes a directory entry durable; best effort, since not every
// platform can sync a directory.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}
