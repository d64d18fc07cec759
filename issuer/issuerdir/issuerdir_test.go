package issuerdir_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/cairn-id/cairn/internal/keys"
	"github.com/cairn-id/cairn/issuer"
	"github.com/cairn-id/cairn/issuer/issuerdir"
)

const vct = "urn:cairn:vct:humanitarian-registration:1"

func request() issuerdir.InitRequest {
	return issuerdir.InitRequest{URL: "https://issuer.relief.example", Names: map[string]string{"en": "Relief NGO"}, Types: []string{vct}}
}

func TestInitRefusals(t *testing.T) {
	for _, tc := range []struct {
		name  string
		mut   func(r *issuerdir.InitRequest)
		field string
	}{
		{"no English name", func(r *issuerdir.InitRequest) { r.Names = map[string]string{"fr": "ONG"} }, "names"},
		{"http without dev", func(r *issuerdir.InitRequest) { r.URL = "http://issuer.relief.example" }, "url"},
		{"URL with a path", func(r *issuerdir.InitRequest) { r.URL = "https://issuer.relief.example/x" }, "url"},
		{"unknown type", func(r *issuerdir.InitRequest) { r.Types = []string{"urn:nope"} }, "types"},
		{"the EU PID, issued outside Cairn", func(r *issuerdir.InitRequest) { r.Types = []string{vct, "urn:eudi:pid:1"} }, "types"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "desk")
			r := request()
			tc.mut(&r)
			_, err := issuerdir.Init(dir, r)
			var ie *issuerdir.InitError
			if !errors.As(err, &ie) || ie.Field != tc.field {
				t.Fatalf("Init: %v, want an InitError on %s", err, tc.field)
			}
			if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("a refused Init created %s: %v", dir, err)
			}
		})
	}
}

func TestInitThenOpen(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "desk")
	cfg, err := issuerdir.Init(dir, request())
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(dir)
	if err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("directory mode %v %v, want 0700", fi.Mode(), err)
	}
	for _, name := range []string{issuer.DirConfigFile, issuer.DirKeyFile, issuer.DirHashKeyFile} {
		if fi, err := os.Stat(filepath.Join(dir, name)); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v %v, want 0600", name, fi.Mode(), err)
		}
	}
	if _, err := issuerdir.Init(dir, request()); !errors.Is(err, keys.ErrExists) {
		t.Errorf("second Init: %v, want keys.ErrExists", err)
	}
	read, err := issuerdir.ReadConfig(dir)
	if err != nil || read.DID != cfg.DID || read.URL != "https://issuer.relief.example" {
		t.Errorf("ReadConfig: %+v %v", read, err)
	}

	svc, err := issuerdir.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if svc.DID() != cfg.DID {
		t.Errorf("opened DID %s, want %s", svc.DID(), cfg.DID)
	}
	if _, err := issuerdir.Open(dir); err == nil {
		t.Error("a second Open while the store is held succeeded")
	}
	if _, err := svc.CreateOffer(context.Background(), issuer.OfferRequest{VCT: vct, Claims: map[string]any{
		"registration_id": "REG-1", "registration_date": "2025-03-02", "registration_place": map[string]any{"country": "LB"}}}); err != nil {
		t.Fatal(err)
	}
	svc.Close()
	if _, err := os.Stat(filepath.Join(dir, issuer.DirStoreFile)); err != nil {
		t.Errorf("store file: %v", err)
	}
}
