package main

import (
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/cairn-id/cairn/wallet"
	walletapi "github.com/cairn-id/cairn/wallet/api"
	"github.com/cairn-id/cairn/wallet/boltstore"
	"github.com/cairn-id/cairn/wallet/storetest"
)

// walletAgentCmd (testscript "wallet-agent") starts an in-process wallet
// agent (test-sized Argon2id) for the script and sets $AGENT to its URL;
// it stops with the script.
func walletAgentCmd(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 0 {
		ts.Fatalf("usage: wallet-agent")
	}
	dir := filepath.Join(ts.Getenv("WORK"), ".agent")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		ts.Fatalf("%v", err)
	}
	st, err := boltstore.Open(filepath.Join(dir, "wallet.db"))
	if err != nil {
		ts.Fatalf("%v", err)
	}
	svc, err := wallet.New(wallet.Config{Store: st, Pepper: storetest.Pepper(4), KDF: storetest.TestKDF})
	if err != nil {
		ts.Fatalf("%v", err)
	}
	h, err := walletapi.New(svc, walletapi.Options{})
	if err != nil {
		ts.Fatalf("%v", err)
	}
	srv := httptest.NewServer(h)
	ts.Defer(func() {
		srv.Close()
		svc.Close()
		st.Close()
	})
	ts.Setenv("AGENT", srv.URL)
}

var recoveryCodeLine = regexp.MustCompile(`(?m)^recovery code: ([A-Z2-7]{4}(?:-[A-Z2-7]{4}){7})$`)

// walletRecoveryCodeCmd (testscript "wallet-recovery-code FILE") writes
// the recovery code printed by the last 'holder create' to FILE.
func walletRecoveryCodeCmd(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: wallet-recovery-code FILE")
	}
	m := recoveryCodeLine.FindStringSubmatch(ts.ReadFile("stdout"))
	if m == nil {
		ts.Fatalf("no recovery code in the last stdout")
	}
	if err := os.WriteFile(ts.MkAbs(args[0]), []byte(m[1]+"\n"), 0o600); err != nil {
		ts.Fatalf("%v", err)
	}
}
