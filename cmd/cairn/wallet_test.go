package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cairn-id/cairn/internal/qr"
	"github.com/cairn-id/cairn/internal/testkit"
	"github.com/cairn-id/cairn/wallet"
	walletapi "github.com/cairn-id/cairn/wallet/api"
	"github.com/cairn-id/cairn/wallet/client"
)

// walletServe runs 'cairn wallet serve' until the returned stop.
func walletServe(t *testing.T, data, addr string, extra ...string) (*testkit.SyncBuffer, func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	logs := &testkit.SyncBuffer{}
	go func() {
		done <- run(ctx, append([]string{"wallet", "serve", "--data", data, "--addr", addr}, extra...), &env{stdin: strings.NewReader(""), stdout: io.Discard, stderr: logs, getenv: func(string) string { return "" }, now: time.Now})
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
	return walletCLIIn(t, "", args...)
}

func walletCLIIn(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr strings.Builder
	code := run(context.Background(), args, &env{stdin: strings.NewReader(stdin), stdout: &stdout, stderr: &stderr, getenv: func(string) string { return "" }, now: time.Now})
	return code, stdout.String(), stderr.String()
}

// TestWalletServe: the first run creates the data directory (0700) with
// the pepper (0600) and the store; a holder made through the CLI client
// keeps its session over a restart (stored), logs out and in again; the
// log holds no secret.
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

	// restart: the session is a stored record its token opens, so it
	// outlives the process; a logout ends it and the PIN opens the holder again
	logs, _ = walletServe(t, data, addr)
	if code, out, errOut := walletCLI(t, "wallet", "--session", session, "list"); code != 0 || !strings.Contains(out, "no credentials") {
		t.Fatalf("list after restart: %d %s", code, errOut)
	}
	if code, _, errOut := walletCLI(t, "wallet", "--session", session, "holder", "logout"); code != 0 {
		t.Fatalf("logout: %d %s", code, errOut)
	}
	if code, _, errOut := walletCLI(t, "wallet", "--session", session, "list"); code != ExitNoSession {
		t.Fatalf("list after logout: %d %s", code, errOut)
	}
	if code, _, errOut := walletCLI(t, "wallet", "--session", session, "holder", "login", "--pin-file", pinFile); code != 0 {
		t.Fatalf("login after restart: %d %s", code, errOut)
	}
	if strings.Contains(logs.String(), "initialized") {
		t.Fatal("the second run initialized the directory again")
	}
}

// TestWalletReceiveAndProximity: the project's issuer serves; the CLI
// client, through 'cairn wallet serve', previews an offer from an issuer
// no registry vouches for (the warning shown), refuses it, accepts the
// next one, lists it, makes an offline presentation whose PNG decodes to
// the printed text, and is refused a request from an unknown verifier.
func TestWalletReceiveAndProximity(t *testing.T) {
	work := t.TempDir()
	ngo := filepath.Join(work, "ngo")
	issAddr := freeAddr(t)
	if code, _, stderr := issuerCLI(t, "issuer", "init", "--dir", ngo, "--name", "en=Relief", "--url", "http://"+issAddr, "--dev", "--type", "urn:cairn:vct:humanitarian-registration:1"); code != 0 {
		t.Fatalf("init: %d %s", code, stderr)
	}
	serveInProcess(t, ngo, issAddr)
	claims := filepath.Join(work, "c.json")
	os.WriteFile(claims, []byte(`{"given_name":"Aminata","registration_id":"REG-77","registration_date":"2025-03-02","registration_place":{"country":"LB"}}`), 0o600)
	offer := func() (uri, txFile string) {
		t.Helper()
		code, stdout, stderr := issuerCLI(t, "issuer", "offer", "--no-png", "--dir", ngo, "--type", "urn:cairn:vct:humanitarian-registration:1", "--claims", claims, "--tx-code", "--json")
		if code != 0 {
			t.Fatalf("offer: %d %s", code, stderr)
		}
		var o map[string]string
		if err := json.Unmarshal([]byte(stdout), &o); err != nil {
			t.Fatal(err)
		}
		txFile = filepath.Join(work, "tx-"+o["tx_code"])
		os.WriteFile(txFile, []byte(o["tx_code"]+"\n"), 0o600)
		return o["uri"], txFile
	}

	agentAddr := freeAddr(t)
	logs, _ := walletServe(t, filepath.Join(work, "agent"), agentAddr, "--dev-allow-private-network")
	pin := filepath.Join(work, "pin")
	os.WriteFile(pin, []byte("2468\n"), 0o600)
	session := filepath.Join(work, "s.json")
	if code, _, stderr := walletCLI(t, "wallet", "--agent", "http://"+agentAddr, "--session", session, "holder", "create", "--pin-file", pin); code != 0 {
		t.Fatalf("create: %d %s", code, stderr)
	}

	uri, tx := offer()
	code, out, stderr := walletCLIIn(t, "n\n", "wallet", "--session", session, "receive", uri, "--tx-code-file", tx)
	if code != 0 || !strings.Contains(out, "WARNING:") || !strings.Contains(out, "NOT in the trust registry") || !strings.Contains(out, "refused") {
		t.Fatalf("receive, refused: %d\n%s\n%s", code, out, stderr)
	}
	uri, tx = offer()
	code, out, stderr = walletCLI(t, "wallet", "--session", session, "receive", uri, "--tx-code-file", tx, "--yes")
	if code != 0 || !strings.Contains(out, "received: urn:cairn:vct:humanitarian-registration:1") {
		t.Fatalf("receive: %d\n%s\n%s", code, out, stderr)
	}
	if code, out, _ := walletCLI(t, "wallet", "--session", session, "list"); code != 0 || strings.Count(out, "\n") != 2 || !strings.Contains(out, "not in registry") ||
		!strings.Contains(out, "valid (checked ") {
		t.Fatalf("list: %d\n%s", code, out)
	}
	// The status read from the issuer's list; without refresh, the last one
	// read and its age.
	if code, out, _ := walletCLI(t, "wallet", "--session", session, "list", "--no-refresh"); code != 0 || !strings.Contains(out, "valid (as of ") {
		t.Fatalf("list --no-refresh: %d\n%s", code, out)
	}
	if code, out, _ := walletCLI(t, "wallet", "--session", session, "list", "--json"); code != 0 ||
		!strings.Contains(out, `"status": "valid"`) || !strings.Contains(out, `"status_checked_at"`) {
		t.Fatalf("list --json: %d\n%s", code, out)
	}

	png := filepath.Join(work, "qr.png")
	code, out, stderr = walletCLI(t, "wallet", "--session", session, "proximity", "--challenge", "c-4711", "--png", png, "--claim", "given_name")
	if code != 0 {
		t.Fatalf("proximity: %d %s", code, stderr)
	}
	b, err := os.ReadFile(png)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := qr.Decode(b); err != nil || got != strings.TrimSpace(out) {
		t.Fatalf("the PNG decodes to %q (%v), printed %q", got, err, out)
	}

	code, _, stderr = walletCLI(t, "wallet", "--session", session, "present", "openid4vp://?client_id=decentralized_identifier%3Adid%3Aweb%3Anobody.example&request_uri=http%3A%2F%2F127.0.0.1%3A1%2Fr", "--yes")
	if code != ExitInvalid {
		t.Fatalf("present to nobody: %d %s", code, stderr)
	}

	code, out, _ = walletCLI(t, "wallet", "--session", session, "log")
	if code != 0 || !strings.Contains(out, "offer_refused") || !strings.Contains(out, "offer_accepted") || !strings.Contains(out, "(offline)") {
		t.Fatalf("log: %d\n%s", code, out)
	}
	for _, secret := range []string{"Aminata", "REG-77", uri} {
		if strings.Contains(logs.String(), secret) {
			t.Fatalf("the agent's log holds %q", secret)
		}
	}
}

// TestWalletPresentOfferRevoked: 'present --offer-revoked' asks the
// agent to offer revoked credentials (offer_revoked in the request) and
// prints a warning on standard error; without it, nothing is asked and
// nothing warned, and a request only a revoked credential answers is
// refused (exit 1). The agent is a stand-in that answers as the real one
// does (the agent's side is tested in wallet/api).
func TestWalletPresentOfferRevoked(t *testing.T) {
	var mu sync.Mutex
	var asked []bool
	var responded, refused int
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/requests", func(w http.ResponseWriter, r *http.Request) {
		var req walletapi.PresentationRequest
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.Request == "" {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		mu.Lock()
		asked = append(asked, req.OfferRevoked)
		mu.Unlock()
		p := wallet.RequestPreview{ID: "preview-0001", VerifierID: "decentralized_identifier:did:web:desk.example", VerifierName: "Desk", Registered: true,
			Purpose: "clinic-access", PurposeName: "Access to the clinic",
			Queries: []wallet.QueryAnswer{}, Missing: []string{"reg"},
			Warnings: []wallet.Notice{{Code: wallet.NoticeRevoked + "/excluded", Text: "Your “Registration” from Relief has been revoked by the issuer. It is not offered here."}}}
		if req.OfferRevoked {
			p.CanAnswer, p.Missing = true, nil
			p.Queries = []wallet.QueryAnswer{{QueryID: "reg", CredentialID: "credential-0001", TypeLabel: "Registration", Claims: []wallet.ClaimLabel{{Path: "/given_name", Label: "Given name"}}}}
			p.Warnings[0] = wallet.Notice{Code: wallet.NoticeRevoked, Text: "Your “Registration” from Relief has been revoked by the issuer: a verifier will most likely refuse it."}
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(p)
	})
	mux.HandleFunc("POST /v1/requests/preview-0001/respond", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		responded++
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(wallet.Presented{VerifierID: "decentralized_identifier:did:web:desk.example", VerifierName: "Desk", Claims: []string{"/given_name"}})
	})
	mux.HandleFunc("POST /v1/requests/preview-0001/refuse", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		refused++
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, "{}")
	})
	agent := httptest.NewServer(mux)
	t.Cleanup(agent.Close)
	session := filepath.Join(t.TempDir(), "s.json")
	b, _ := json.Marshal(client.Session{Agent: agent.URL, HolderID: "holder-0001", Token: "token-0001", ExpiresAt: time.Now().Add(time.Hour)})
	if err := os.WriteFile(session, b, 0o600); err != nil {
		t.Fatal(err)
	}
	const request = "openid4vp://?client_id=decentralized_identifier%3Adid%3Aweb%3Adesk.example&request_uri=https%3A%2F%2Fdesk.example%2Fr%2F1"

	code, out, stderr := walletCLI(t, "wallet", "--session", session, "present", request, "--yes")
	if code != ExitFailure || strings.Contains(stderr, "--offer-revoked") || !strings.Contains(out, "not offered here") {
		t.Fatalf("without --offer-revoked: %d\n%s\n%s", code, out, stderr)
	}
	code, out, stderr = walletCLI(t, "wallet", "--session", session, "present", request, "--yes", "--offer-revoked")
	if code != 0 || !strings.Contains(stderr, "WARNING: --offer-revoked") || !strings.Contains(out, "most likely refuse it") || !strings.Contains(out, "sent to Desk") ||
		!strings.Contains(out, "purpose:  Access to the clinic\n") { // the purpose's name, not its id

		t.Fatalf("with --offer-revoked: %d\n%s\n%s", code, out, stderr)
	}
	mu.Lock()
	defer mu.Unlock()
	if !slices.Equal(asked, []bool{false, true}) || responded != 1 || refused != 1 {
		t.Fatalf("the agent was asked offer_revoked %v, responded %d, refused %d", asked, responded, refused)
	}
}
