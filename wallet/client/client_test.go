package client_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/cairn-id/cairn/wallet"
	"github.com/cairn-id/cairn/wallet/api"
	"github.com/cairn-id/cairn/wallet/boltstore"
	"github.com/cairn-id/cairn/wallet/client"
	"github.com/cairn-id/cairn/wallet/storetest"
)

var ctx = context.Background()

func newAgent(t *testing.T) (*httptest.Server, *wallet.Service) {
	t.Helper()
	st, err := boltstore.Open(filepath.Join(t.TempDir(), "wallet.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	svc := storetest.NewService(t, st, storetest.NewClock(time.Now()), storetest.Pepper(5))
	h, err := api.New(svc, api.Options{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv, svc
}

func TestProfileRoundTrip(t *testing.T) {
	srv, _ := newAgent(t)
	dir := t.TempDir()
	p := &client.Profile{SessionPath: filepath.Join(dir, "cfg", "wallet-session.json"), Agent: srv.URL, Lang: "fr"}
	created, err := p.Create(ctx, "2468", "fr")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{p.SessionPath, client.DevicePath(p.SessionPath)} {
		fi, err := os.Stat(f)
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("%s: %v %v", f, fi, err)
		}
	}
	if fi, _ := os.Stat(filepath.Dir(p.SessionPath)); fi.Mode().Perm() != 0o700 {
		t.Fatalf("directory mode %v", fi.Mode())
	}
	s, c, err := p.Open()
	if err != nil || s.HolderID != created.HolderID || s.Token == "" {
		t.Fatalf("open: %+v %v", s, err)
	}
	if st, err := c.Settings(ctx, s.Token); err != nil || st.Lang != "fr" {
		t.Fatalf("settings %+v %v", st, err)
	}
	if ks, err := c.Keys(ctx, s.Token); err != nil || ks.Unused != 5 {
		t.Fatalf("keys %+v %v", ks, err)
	}
	if list, err := c.Credentials(ctx, s.Token, "en"); err != nil || list.Lang != "en" || len(list.Credentials) != 0 {
		t.Fatalf("list %+v %v", list, err)
	}
	if _, err := c.Credential(ctx, s.Token, "abcdefgh", ""); !errors.Is(err, client.ErrRefused) {
		t.Fatalf("show unknown: %v", err)
	}

	// a wrong PIN, then the lockout, classified
	bad := &client.Profile{SessionPath: p.SessionPath, Lang: "fr-FR"}
	for range 4 {
		if _, err := bad.Login(ctx, "0000"); !errors.Is(err, client.ErrWrongSecret) {
			t.Fatalf("wrong PIN: %v", err)
		}
	}
	_, err = bad.Login(ctx, "2468")
	var ae *client.APIError
	if !errors.Is(err, client.ErrLocked) || !errors.As(err, &ae) || ae.Status != http.StatusLocked || ae.RetryAfter != 30*time.Second {
		t.Fatalf("locked: %v", err)
	}
	// the French message from the profile's language
	if ae.Message != api.Message(api.CodeLocked, "fr", 30) {
		t.Fatalf("message %q", ae.Message)
	}

	// recovery, logout, wipe
	code := created.RecoveryCode
	if _, err := p.Recover(ctx, code, "97531"); err != nil {
		t.Fatal(err)
	}
	if err := p.Logout(ctx); err != nil {
		t.Fatal(err)
	}
	if _, _, err := p.Open(); !errors.Is(err, client.ErrNoSession) {
		t.Fatalf("after logout: %v", err)
	}
	if _, err := p.Login(ctx, "97531"); err != nil {
		t.Fatal(err)
	}
	if err := p.Wipe(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Load(); !errors.Is(err, client.ErrNoProfile) {
		t.Fatalf("after wipe: %v", err)
	}
	if _, err := p.Recover(ctx, code, "1234"); !errors.Is(err, client.ErrWrongSecret) {
		t.Fatalf("recover after wipe: %v", err)
	}
}

func TestProfileRefusesLooseFiles(t *testing.T) {
	srv, _ := newAgent(t)
	p := &client.Profile{SessionPath: filepath.Join(t.TempDir(), "s.json"), Agent: srv.URL}
	if _, err := p.Create(ctx, "2468", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Create(ctx, "2468", ""); err == nil {
		t.Fatal("a second create replaced the session file")
	}
	// a device file left alone (its session file lost) is not replaced either
	orphan := &client.Profile{SessionPath: filepath.Join(t.TempDir(), "o.json"), Agent: srv.URL}
	if err := os.WriteFile(client.DevicePath(orphan.SessionPath), []byte("{}"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := orphan.Create(ctx, "2468", ""); err == nil {
		t.Fatal("create replaced a device file")
	}
	if err := os.Chmod(client.DevicePath(p.SessionPath), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Login(ctx, "2468"); err == nil {
		t.Fatal("logged in with a device file others can read")
	}
}

func TestErrorsClassified(t *testing.T) {
	srv, _ := newAgent(t)
	c := &client.Client{BaseURL: srv.URL}
	cases := []struct {
		name string
		err  error
		want error
	}{
		{"no session", func() error { _, err := c.Credentials(ctx, "nope", ""); return err }(), client.ErrNoSession},
		{"bad PIN", func() error { _, err := c.CreateHolder(ctx, "1", storetest.Device(1), ""); return err }(), client.ErrRefused},
		{"wrong code", func() error {
			_, err := c.Recover(ctx, "AAAA-AAAA-AAAA-AAAA-AAAA-AAAA-AAAA-AAAA", "1234", storetest.Device(1))
			return err
		}(), client.ErrWrongSecret},
		{"bad URL", func() error {
			_, err := (&client.Client{BaseURL: "file:///etc"}).Credentials(ctx, "x", "")
			return err
		}(), client.ErrRefused},
		{"unreachable", func() error {
			_, err := (&client.Client{BaseURL: "http://127.0.0.1:1"}).Credentials(ctx, "x", "")
			return err
		}(), client.ErrAgent},
	}
	for _, tc := range cases {
		if !errors.Is(tc.err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, tc.err, tc.want)
		}
	}
}
