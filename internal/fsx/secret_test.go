package fsx

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cairn-id/cairn/internal/bounded"
)

func TestReadSecret(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, mode os.FileMode, data string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(data), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	ok := write("ok", 0o600, "secret")
	if b, err := ReadSecret(ok, 64); err != nil || string(b) != "secret" {
		t.Fatalf("ReadSecret(0600) = %q, %v", b, err)
	}
	for _, mode := range []os.FileMode{0o640, 0o604, 0o660, 0o644} {
		p := write("loose"+mode.String(), mode, "secret")
		_, err := ReadSecret(p, 64)
		var me *ModeError
		if !errors.Is(err, ErrInsecureMode) || !errors.As(err, &me) || me.Mode != mode || !strings.Contains(err.Error(), "chmod 600 "+p) {
			t.Errorf("mode %04o: %v, want a ModeError naming the fix", mode, err)
		}
	}
	if _, err := ReadSecret(dir, 64); !errors.Is(err, ErrNotRegular) {
		t.Errorf("directory: %v, want ErrNotRegular", err)
	}
	big := write("big", 0o600, strings.Repeat("x", 65))
	if _, err := ReadSecret(big, 64); !errors.Is(err, bounded.ErrTooLarge) {
		t.Errorf("65 bytes with max 64: %v, want ErrTooLarge", err)
	}
	if _, err := ReadSecret(filepath.Join(dir, "absent"), 64); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("absent: %v, want ErrNotExist", err)
	}
}
