package main

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cairn-id/cairn/internal/proximity"
	"github.com/cairn-id/cairn/internal/store/pg/pgtest"
	"github.com/cairn-id/cairn/internal/testkit"
)

// startWalletAgent runs 'cairn wallet serve' on data as a separate
// process on the store.
func startWalletAgent(t *testing.T, data, addr, storeURL string, extra ...string) *testkit.SyncBuffer {
	t.Helper()
	return startServeAt(t, addr, storeURL, append([]string{"wallet", "serve", "--data", data}, extra...)...).stderr
}

// TestWalletAgentsOnPostgres: two 'cairn wallet serve' processes share
// the PostgreSQL store and the pepper. A holder created and logged in on
// agent A is served by agent B with the same session token (B lists,
// receives a credential from the project's issuer and presents it
// offline), A sees what B stored, and a logout on B ends the session on
// A at once. A second agent whose data directory has no pepper refuses
// to start (a new pepper would open no holder) and leaves none behind.
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
	onA, onB := []string{"--agent", "http://" + addrA, "--session", session}, []string{"--agent", "http://" + addrB, "--session", session}
	cli := func(args ...string) (int, string, string) {
		t.Helper()
		return walletCLI(t, append([]string{"wallet"}, args...)...)
	}

	logsA := startWalletAgent(t, dataA, addrA, u, "--dev-allow-private-network")
	if _, err := os.Stat(filepath.Join(dataA, "wallet.db")); err == nil {
		t.Fatal("serve on PostgreSQL created wallet.db")
	}
	if code, _, errOut := cli(append(onA, "holder", "create", "--pin-file", pinFile)...); code != 0 {
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
	logsB := startWalletAgent(t, dataB, addrB, u, "--dev-allow-private-network")

	// Log in on A; B serves the same token.
	if code, _, errOut := cli(append(onA, "holder", "login", "--pin-file", pinFile)...); code != 0 {
		t.Fatalf("login on A: %d %s", code, errOut)
	}
	tokenOf := func() string {
		t.Helper()
		b, err := os.ReadFile(session)
		if err != nil {
			t.Fatal(err)
		}
		var s struct {
			Token string `json:"token"`
		}
		if err := json.Unmarshal(b, &s); err != nil || s.Token == "" {
			t.Fatalf("session file: %v %s", err, b)
		}
		return s.Token
	}
	token := tokenOf()
	if code, out, errOut := cli(append(onB, "list")...); code != 0 || !strings.Contains(out, "no credentials") {
		t.Fatalf("list on B: %d %s %s", code, out, errOut)
	}

	// Receive on B, from the project's issuer.
	ngo := filepath.Join(work, "ngo")
	issAddr := freeAddr(t)
	const vct = "urn:cairn:vct:humanitarian-registration:1"
	if code, _, stderr := issuerCLI(t, "issuer", "init", "--dir", ngo, "--name", "en=Relief", "--url", "http://"+issAddr, "--dev", "--type", vct); code != 0 {
		t.Fatalf("issuer init: %d %s", code, stderr)
	}
	serveInProcess(t, ngo, issAddr)
	claims := filepath.Join(work, "c.json")
	os.WriteFile(claims, []byte(`{"given_name":"Aminata","family_name":"Diallo","registration_id":"REG-77","registration_date":"2025-03-02","registration_place":{"country":"LB"}}`), 0o600)
	code, out, stderr := issuerCLI(t, "issuer", "offer", "--no-png", "--dir", ngo, "--type", vct, "--claims", claims, "--json")
	if code != 0 {
		t.Fatalf("offer: %d %s", code, stderr)
	}
	var offer map[string]string
	if err := json.Unmarshal([]byte(out), &offer); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := cli(append(onB, "receive", offer["uri"], "--yes")...); code != 0 || !strings.Contains(out, "received: "+vct) {
		t.Fatalf("receive on B: %d\n%s\n%s", code, out, errOut)
	}
	// A sees it, with the same token.
	if code, out, errOut := cli(append(onA, "list")...); code != 0 || !strings.Contains(out, "Humanitarian registration") {
		t.Fatalf("list on A after receiving on B: %d %s %s", code, out, errOut)
	}
	// Present on B (offline presentation: signed by the holder key with
	// the challenge).
	code, out, errOut := cli(append(onB, "proximity", "--challenge", "K7P2-91AB", "--png", filepath.Join(work, "qr.png"), "--claim", "given_name")...)
	if code != 0 {
		t.Fatalf("proximity on B: %d %s", code, errOut)
	}
	pres, err := proximity.Decode(strings.TrimSpace(out))
	if err != nil || !strings.Contains(pres, "~") || strings.HasSuffix(pres, "~") {
		t.Fatalf("the presentation made on B is not an SD-JWT with key binding: %v %.80q", err, pres)
	}
	if code, out, _ := cli(append(onA, "log")...); code != 0 || !strings.Contains(out, "offer_accepted") || !strings.Contains(out, "(offline)") {
		t.Fatalf("log on A: %d\n%s", code, out)
	}
	if tokenOf() != token {
		t.Fatal("the session token changed between agents")
	}

	// Logout on B (a copy of the session file keeps the token): A refuses
	// it at once, although it unwrapped the key a moment ago.
	copyFile := filepath.Join(work, "copy.json")
	b, _ := os.ReadFile(session)
	os.WriteFile(copyFile, b, 0o600)
	if code, _, errOut := cli(append(onA, "list")...); code != 0 {
		t.Fatalf("list on A before the logout: %d %s", code, errOut)
	}
	if code, _, errOut := cli(append(onB, "holder", "logout")...); code != 0 {
		t.Fatalf("logout on B: %d %s", code, errOut)
	}
	if code, _, errOut := cli("--agent", "http://"+addrA, "--session", copyFile, "list"); code != ExitNoSession {
		t.Fatalf("list on A with the logged-out token: %d %s", code, errOut)
	}
	if code, _, errOut := cli("--agent", "http://"+addrB, "--session", copyFile, "list"); code != ExitNoSession {
		t.Fatalf("list on B with the logged-out token: %d %s", code, errOut)
	}
	for _, l := range []string{logsA.String(), logsB.String()} {
		for _, secret := range []string{token, "Aminata", "482913"} {
			if strings.Contains(l, secret) {
				t.Errorf("an agent logged %q", secret)
			}
		}
	}
}
