package fsx

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

func TestWriteNew(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name     string
		existing []byte // nil: no file before
		perm     fs.FileMode
		wantErr  error
	}{
		{name: "new secret", perm: 0o600},
		{name: "new public", perm: 0o644},
		{name: "existing kept", existing: []byte("old"), perm: 0o600, wantErr: fs.ErrExist},
		{name: "existing empty kept", existing: []byte{}, perm: 0o600, wantErr: fs.ErrExist},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, "f"+string(rune('a'+i)))
			if tc.existing != nil {
				if err := os.WriteFile(path, tc.existing, 0o640); err != nil {
					t.Fatal(err)
				}
			}
			err := WriteNew(path, []byte("new"), tc.perm)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			got, rerr := os.ReadFile(path)
			if rerr != nil {
				t.Fatal(rerr)
			}
			want := "new"
			if tc.existing != nil {
				want = string(tc.existing)
				var pe *fs.PathError
				if !errors.As(err, &pe) || pe.Path != path {
					t.Errorf("error %v does not name %s", err, path)
				}
			}
			if string(got) != want {
				t.Errorf("content %q, want %q", got, want)
			}
			if runtime.GOOS != "windows" && tc.existing == nil {
				fi, _ := os.Stat(path)
				if fi.Mode().Perm() != tc.perm {
					t.Errorf("mode %v, want %v", fi.Mode().Perm(), tc.perm)
				}
			}
			assertNoTemp(t, dir)
		})
	}
}

func TestWriteNewMissingDirectory(t *testing.T) {
	path := filepath.Join(t.TempDir(), "no", "such", "file")
	err := WriteNew(path, []byte("x"), 0o600)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("err = %v, want ErrNotExist", err)
	}
	if want := "open " + path + ": no such file or directory"; runtime.GOOS == "linux" && err.Error() != want {
		t.Errorf("message %q, want %q (as os.OpenFile)", err, want)
	}
}

func TestWriteNewDoesNotFollowSymlink(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("symlinks need privileges on windows")
	}
	dir := t.TempDir()
	target := filepath.Join(dir, "target")
	link := filepath.Join(dir, "link")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	if err := WriteNew(link, []byte("x"), 0o600); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("err = %v, want ErrExist for a dangling symlink", err)
	}
	if _, err := os.Stat(target); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the symlink's target was created")
	}
}

func TestWriteAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "cache")
	for i, content := range []string{"one", "two, longer", "3"} {
		if err := WriteAtomic(path, []byte(content), 0o644); err != nil {
			t.Fatalf("write %d: %v", i, err)
		}
		got, err := os.ReadFile(path)
		if err != nil || string(got) != content {
			t.Fatalf("write %d: read %q, %v; want %q", i, got, err, content)
		}
		if fi, _ := os.Stat(path); runtime.GOOS != "windows" && fi.Mode().Perm() != 0o644 {
			t.Errorf("mode %v", fi.Mode().Perm())
		}
	}
	assertNoTemp(t, dir)
	if err := WriteAtomic(filepath.Join(dir, "missing", "x"), []byte("x"), 0o644); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing directory: err = %v", err)
	}
}

// assertNoTemp fails when a temporary file was left beside the targets.
func assertNoTemp(t *testing.T, dir string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if name := e.Name(); len(name) > 0 && name[0] == '.' {
			t.Errorf("temporary file %s left behind", name)
		}
	}
}
