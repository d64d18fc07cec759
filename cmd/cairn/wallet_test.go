package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cairn-id/cairn/internal/testkit"
)

// walletServe runs 'cairn wallet serve' until the returned stop.
func walletServe(t *testing.T, data, addr string) (*testkit.SyncBuffer, func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	logs := &testkit.SyncBuffer{}
	go func() {
		done <- run(ctx, []string{"wallet", "serve", "--data", data, "--addr", addr}, &env{stdin: strings.NewReader(""), stdout: io.Discard, stderr: logs, getenv: func(string) string { return "" }, now: time.Now})
	}()
	stopped := false
	stop := func() {
		t.Helper()
		if stopped {
			return
		}
		stopped = true
		cancel()
		select {
		case code := <-done:
			if code != 0 {
				t.Fatalf("serve exited %d: %s", code, logs.String())
			}
		case <-time.After(15 * time.Second):
			t.Fatal("serve did not shut down")
		}
	}
	t.Cleanup(stop)
	if !waitReady("http://" + addr) {
		t.Fatalf("wallet agent not ready: %s", logs.String())
	}
	return logs, stop
}

func walletCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr strings.Builder
	code := run(context.Background(), args, &env{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr, getenv: func(string) string { return "" }, now: time.Now})
	return code, stdout.String(), stderr.String()
}

// TestWalletServe: the first run creates the data directory (0700) with
// the pepper (0600) and the store; a holder made through the CLI client
// logs in again after a restart; the log holds no secret.
func TestWalletServe(t *testing.T) {
	work := t.TempDir()
	data := filepath.Join(work, "agent")
	addr := freeAddr(t)
	base := "http://" + addr
	pinFile := filepath.Join(work, "pin")
	if err := os.WriteFile(pinFile, []byte("482913\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	session := filepath.Join(work, "s.json")

	logs, stop := walletServe(t, data, addr)
	for path, mode := range map[string]os.FileMode{data: 0o700, filepath.Join(data, "pepper"): 0o600, filepath.Join(data, "wallet.db"): 0o600} {
		if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != mode {
			t.Fatalf("%s: %v (%v), want %v", path, fi, err, mode)
		}
	}
	code, out, errOut := walletCLI(t, "wallet", "--agent", base, "--session", session, "holder", "create", "--pin-file", pinFile, "--lang", "uk")
	if code != 0 {
		t.Fatalf("create: %d %s", code, errOut)
	}
	m := regexp.MustCompile(`recovery code: (\S+)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("create printed %q", out)
	}
	sess, err := os.ReadFile(session)
	if err != nil {
		t.Fatal(err)
	}
	token := regexp.MustCompile(`"token": "([^"]+)"`).FindSubmatch(sess)
	if token == nil {
		t.Fatalf("session file %s", sess)
	}
	if code, out, errOut := walletCLI(t, "wallet", "--session", session, "list"); code != 0 || !strings.Contains(out, "no credentials") {
		t.Fatalf("list: %d %s %s", code, out, errOut)
	}
	stop()
	for _, secret := range []string{"482913", m[1], string(token[1])} {
		if strings.Contains(logs.String(), secret) {
			t.Fatalf("the agent's log holds %q", secret)
		}
	}
	if !strings.Contains(logs.String(), "wallet data directory initialized") {
		t.Fatalf("no first-run line:\n%s", logs.String())
	}

	// restart: the session died with the process; the PIN opens the holder again
	logs, _ = walletServe(t, data, addr)
	if code, _, errOut := walletCLI(t, "wallet", "--session", session, "list"); code != ExitNoSession {
		t.Fatalf("list after restart: %d %s", code, errOut)
	}
	if code, _, errOut := walletCLI(t, "wallet", "--session", session, "holder", "login", "--pin-file", pinFile); code != 0 {
		t.Fatalf("login after restart: %d %s", code, errOut)
	}
	if strings.Contains(logs.String(), "initialized") {
		t.Fatal("the second run initialized the directory again")
	}
}
