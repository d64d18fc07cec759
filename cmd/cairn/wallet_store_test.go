package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cairn-id/cairn/internal/store/pg/pgtest"
	"github.com/cairn-id/cairn/internal/testkit"
)

// TestWalletAgentsOnPostgres: a holder created on one agent logs in on
// a second agent sharing the PostgreSQL store and the pepper, after the
// first has stopped. A second agent whose data directory has no pepper
// refuses to start (a new pepper would open no holder) and leaves no
// pepper behind.
func TestWalletAgentsOnPostgres(t *testing.T) {
	u := pgtest.URL(t)
	work := t.TempDir()
	storeFile := filepath.Join(work, "store.url")
	os.WriteFile(storeFile, []byte(u+"\n"), 0o600)
	pinFile := filepath.Join(work, "pin")
	os.WriteFile(pinFile, []byte("482913\n"), 0o600)
	session := filepath.Join(work, "s.json")
	dataA, dataB := filepath.Join(work, "a"), filepath.Join(work, "b")
	addrA, addrB := freeAddr(t), freeAddr(t)

	_, stopA := walletServe(t, dataA, addrA, "--store-file", storeFile)
	if _, err := os.Stat(filepath.Join(dataA, "wallet.db")); err == nil {
		t.Fatal("serve on PostgreSQL created wallet.db")
	}
	if code, _, errOut := walletCLI(t, "wallet", "--agent", "http://"+addrA, "--session", session, "holder", "create", "--pin-file", pinFile); code != 0 {
		t.Fatalf("create on A: %d %s", code, errOut)
	}

	// B without the pepper.
	logs := &testkit.SyncBuffer{}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	code := run(ctx, []string{"wallet", "serve", "--data", dataB, "--addr", addrB, "--store-file", storeFile},
		&env{stdin: strings.NewReader(""), stdout: io.Discard, stderr: logs, getenv: func(string) string { return "" }, now: time.Now})
	if code != ExitUsage || !strings.Contains(logs.String(), "copy the pepper") {
		t.Fatalf("agent without the pepper: exit %d: %s", code, logs.String())
	}
	if _, err := os.Stat(filepath.Join(dataB, "pepper")); err == nil {
		t.Fatal("the refused agent left a new pepper")
	}

	pepper, err := os.ReadFile(filepath.Join(dataA, "pepper"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dataB, "pepper"), pepper, 0o600)
	stopA()
	walletServe(t, dataB, addrB, "--store-file", storeFile)
	if code, _, errOut := walletCLI(t, "wallet", "--agent", "http://"+addrB, "--session", session, "holder", "login", "--pin-file", pinFile); code != 0 {
		t.Fatalf("login on B: %d %s", code, errOut)
	}
	if code, out, errOut := walletCLI(t, "wallet", "--agent", "http://"+addrB, "--session", session, "list"); code != 0 || !strings.Contains(out, "no credentials") {
		t.Fatalf("list on B: %d %s %s", code, out, errOut)
	}
}
