package fsx_test

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/cairn-id/cairn/internal/fsx"
)

func ExampleWriteNew() {
	dir, _ := os.MkdirTemp("", "fsx-example")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "hash.key")
	fmt.Println(fsx.WriteNew(path, []byte("secret\n"), 0o600))
	err := fsx.WriteNew(path, []byte("other\n"), 0o600)
	fmt.Println(errors.Is(err, fs.ErrExist))
	// Output:
	// <nil>
	// true
}

func ExampleWriteAtomic() {
	dir, _ := os.MkdirTemp("", "fsx-example")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "registry.jwt")
	_ = fsx.WriteAtomic(path, []byte("v1\n"), 0o644)
	_ = fsx.WriteAtomic(path, []byte("v2\n"), 0o644)
	b, _ := os.ReadFile(path)
	fmt.Print(string(b))
	// Output: v2
}
