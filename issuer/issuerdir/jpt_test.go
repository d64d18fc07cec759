package issuerdir_test

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"testing"

	"github.com/cairn-id/cairn/internal/keys"
	"github.com/cairn-id/cairn/issuer"
	"github.com/cairn-id/cairn/issuer/issuerdir"
)

// TestJPTDirectory: jpt enabled at init (with --bbs) or later; the BBS key
// is 0600 and never replaced; the opened Service offers the type as jpt
// and as SD-JWT VC.
func TestJPTDirectory(t *testing.T) {
	const other = "urn:cairn:vct:language-skills:1"
	root := t.TempDir()

	// jpt for a type the issuer does not offer is refused, nothing created.
	r := request()
	r.JPT = []string{other}
	var ie *issuerdir.InitError
	if _, err := issuerdir.Init(filepath.Join(root, "bad"), r); !errors.As(err, &ie) || ie.Field != "jpt" {
		t.Fatalf("Init with jpt for another type: %v", err)
	}
	if _, err := os.Stat(filepath.Join(root, "bad")); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("a refused Init created the directory")
	}

	// Without --bbs: no key; enabling later creates it.
	dir := filepath.Join(root, "later")
	r = request()
	r.Types = []string{vct, other}
	if _, err := issuerdir.Init(dir, r); err != nil {
		t.Fatal(err)
	}
	keyPath := filepath.Join(dir, issuer.DirBBSKeyFile)
	if _, err := os.Stat(keyPath); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("a BBS key without --bbs")
	}
	if _, err := issuerdir.SetJPT(dir, "urn:cairn:vct:school-enrolment:1", true, nil); !errors.As(err, &ie) {
		t.Fatalf("SetJPT for a type not offered: %v", err)
	}
	cfg, err := issuerdir.SetJPT(dir, vct, true, nil)
	if err != nil {
		t.Fatal(err)
	}
	k, err := keys.LoadBBS(keyPath)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.BBSKey != keys.BBSDIDJWK(&k.Public) || !slices.Equal(cfg.JPT, []string{vct}) {
		t.Fatalf("config %+v", cfg)
	}
	if fi, _ := os.Stat(keyPath); runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600 {
		t.Fatalf("key mode %04o", fi.Mode().Perm())
	}
	before, _ := os.ReadFile(keyPath)
	if cfg, err = issuerdir.SetJPT(dir, other, true, nil); err != nil || len(cfg.JPT) != 2 {
		t.Fatalf("second type: %+v %v", cfg, err)
	}
	if after, _ := os.ReadFile(keyPath); string(after) != string(before) {
		t.Fatal("the BBS key was replaced")
	}
	if cfg, err = issuerdir.SetJPT(dir, other, false, nil); err != nil || !slices.Equal(cfg.JPT, []string{vct}) {
		t.Fatalf("disable: %+v %v", cfg, err)
	}
	svc, err := issuerdir.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	md := svc.IssuerMetadata()
	if _, ok := md.CredentialConfigurationsSupported["humanitarian-registration.v1.jpt"]; !ok {
		t.Fatalf("no jpt configuration: %v", md.CredentialConfigurationsSupported)
	}
	if _, ok := md.CredentialConfigurationsSupported["language-skills.v1.jpt"]; ok {
		t.Fatal("disabled type still offered as jpt")
	}
	if _, ok := md.CredentialConfigurationsSupported["humanitarian-registration.v1"]; !ok {
		t.Fatal("SD-JWT VC configuration gone")
	}
	if string(svc.BBSPublicKey().Bytes) != string(k.Public.Bytes) {
		t.Fatal("the Service signs with another BBS key")
	}
	svc.Close()

	// With --bbs at init; a missing key file then stops the directory
	// from opening rather than issuing without it.
	dir2 := filepath.Join(root, "init")
	r = request()
	r.JPT = []string{vct}
	cfg, err = issuerdir.Init(dir2, r)
	if err != nil || cfg.BBSKey == "" {
		t.Fatalf("Init with jpt: %+v %v", cfg, err)
	}
	os.Remove(filepath.Join(dir2, issuer.DirBBSKeyFile))
	if _, err := issuerdir.Open(dir2); err == nil {
		t.Fatal("opened a jpt issuer without its BBS key")
	}
}
