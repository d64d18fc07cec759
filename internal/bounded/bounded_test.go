package bounded

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReadAll(t *testing.T) {
	for _, tc := range []struct {
		in   string
		max  int64
		fail bool
	}{{"", 0, false}, {"abc", 3, false}, {"abcd", 3, true}, {"abc", 100, false}} {
		b, err := ReadAll(strings.NewReader(tc.in), tc.max)
		if tc.fail != errors.Is(err, ErrTooLarge) {
			t.Errorf("ReadAll(%q, %d): err %v", tc.in, tc.max, err)
		}
		if !tc.fail && string(b) != tc.in {
			t.Errorf("ReadAll(%q, %d) = %q", tc.in, tc.max, b)
		}
	}
}

func TestReadFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(p, []byte("12345"), 0o600); err != nil {
		t.Fatal(err)
	}
	if b, err := ReadFile(p, 5); err != nil || string(b) != "12345" {
		t.Fatalf("%q %v", b, err)
	}
	if _, err := ReadFile(p, 4); !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), p) {
		t.Fatalf("over the limit: %v", err)
	}
	if _, err := ReadFile(filepath.Join(t.TempDir(), "missing"), 4); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing file: %v", err)
	}
}
