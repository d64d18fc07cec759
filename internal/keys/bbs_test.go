package keys_test

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/cairn-id/cairn/internal/keys"
)

func TestBBSKeyFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "bbs.jwk")
	k, err := keys.GenerateBBS(nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := keys.SaveBBS(path, k); err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Fatalf("mode %v", fi.Mode().Perm())
		}
	}
	k2, err := keys.LoadBBS(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(k2.Public.Bytes) != string(k.Public.Bytes) || k2.Public.Kid != k.Public.Kid {
		t.Fatal("reloaded key differs")
	}
	other, _ := keys.GenerateBBS(nil)
	if err := keys.SaveBBS(path, other); !errors.Is(err, keys.ErrExists) {
		t.Fatalf("overwrite: %v", err)
	}
	if k3, _ := keys.LoadBBS(path); string(k3.Public.Bytes) != string(k.Public.Bytes) {
		t.Fatal("key file replaced")
	}
	if did := keys.BBSDIDJWK(&k.Public); !strings.HasPrefix(did, "did:jwk:eyJjcnYiOiJCTFMxMjM4MUcyIiwia3R5IjoiT0tQIiwieCI6") {
		t.Fatalf("did %s", did)
	}
	if runtime.GOOS != "windows" {
		if err := os.Chmod(path, 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := keys.LoadBBS(path); !errors.Is(err, keys.ErrInsecurePermissions) {
			t.Fatalf("world-readable key: %v", err)
		}
	}
	ec := filepath.Join(dir, "ec.jwk")
	ek, _ := keys.Generate(keys.DefaultAlg, nil)
	if err := keys.Save(ec, ek); err != nil {
		t.Fatal(err)
	}
	if _, err := keys.LoadBBS(ec); !errors.Is(err, keys.ErrInvalidKey) {
		t.Fatalf("EC key loaded as BBS: %v", err)
	}
}
