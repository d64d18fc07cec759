package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cairn-id/cairn/internal/jose"
	"github.com/cairn-id/cairn/internal/keys"
	"github.com/cairn-id/cairn/internal/oid4vci"
	"github.com/cairn-id/cairn/internal/qr"
	"github.com/cairn-id/cairn/internal/testkit"
	trustpkg "github.com/cairn-id/cairn/internal/trust"
)

func issuerCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, getenv: func(string) string { return "" }, now: time.Now})
	return code, out.String(), errb.String()
}

func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// TestIssuerServeFlow: init and offer through the CLI, serve, a wallet
// runs token -> nonce -> credential over HTTP, then list and revoke.
func TestIssuerServeFlow(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ngo")
	addr := freeAddr(t)
	base := "http://" + addr
	if code, _, stderr := issuerCLI(t, "issuer", "init", "--dir", dir, "--name", "en=Relief", "--url", base, "--dev", "--type", "urn:cairn:vct:humanitarian-registration:1"); code != 0 {
		t.Fatalf("init: %d %s", code, stderr)
	}
	claims := filepath.Join(t.TempDir(), "c.json")
	os.WriteFile(claims, []byte(`{"registration_id":"REG-1","registration_date":"2025-03-02","registration_place":{"country":"LB"}}`), 0o600)
	pngPath := filepath.Join(t.TempDir(), "offer.png")
	code, stdout, stderr := issuerCLI(t, "issuer", "offer", "--png", pngPath, "--dir", dir, "--type", "urn:cairn:vct:humanitarian-registration:1", "--claims", claims, "--tx-code", "--json")
	if code != 0 {
		t.Fatalf("offer: %d %s", code, stderr)
	}
	var off struct{ URI, TxCode string }
	var raw map[string]string
	if err := json.Unmarshal([]byte(stdout), &raw); err != nil {
		t.Fatal(err)
	}
	off.URI, off.TxCode = raw["uri"], raw["tx_code"]
	if png, err := os.ReadFile(pngPath); err != nil {
		t.Fatalf("offer PNG: %v", err)
	} else if got, err := qr.Decode(png); err != nil || got != off.URI {
		t.Fatalf("offer PNG decodes to %q (%v), want the offer URI", got, err)
	}
	if fi, err := os.Stat(pngPath); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("offer PNG mode: %v %v", fi.Mode(), err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	serveErr := &testkit.SyncBuffer{}
	go func() {
		done <- run(ctx, []string{"issuer", "serve", "--dir", dir, "--addr", addr}, &env{stdin: strings.NewReader(""), stdout: io.Discard, stderr: serveErr, getenv: func(string) string { return "" }, now: time.Now})
	}()
	if !waitReady(base) {
		cancel()
		t.Fatalf("server not ready")
	}
	holder := walletRun(t, base, off.URI, off.TxCode)
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("serve exited %d: %s", code, serveErr.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not shut down")
	}
	if !strings.Contains(serveErr.String(), `"msg":"credential issued"`) {
		t.Errorf("no JSON log line for the issuance:\n%s", serveErr.String())
	}
	if strings.Contains(serveErr.String(), "REG-1") {
		t.Error("a claim value reached the log")
	}

	code, stdout, stderr = issuerCLI(t, "issuer", "list", "--dir", dir, "--json")
	var recs []map[string]any
	if code != 0 || json.Unmarshal([]byte(stdout), &recs) != nil || len(recs) != 1 {
		t.Fatalf("list: %d %s %s", code, stdout, stderr)
	}
	if strings.Contains(stdout, "REG-1") || recs[0]["holder_thumbprint"] != holder.PublicJWK().Thumbprint() {
		t.Errorf("record %v", recs[0])
	}
	id := recs[0]["credential_id"].(string)
	for _, step := range []struct {
		verb  string
		code  int
		state string
	}{{"suspend", 0, "suspended"}, {"reinstate", 0, "valid"}, {"revoke", 0, "revoked"}, {"reinstate", 1, "revoked"}} {
		if code, _, stderr := issuerCLI(t, "issuer", step.verb, "--dir", dir, id); code != step.code {
			t.Fatalf("%s: %d %s", step.verb, code, stderr)
		}
		_, stdout, _ := issuerCLI(t, "issuer", "list", "--dir", dir)
		if !strings.Contains(stdout, fmt.Sprintf("%s  ", step.state)) {
			t.Errorf("after %s: %s", step.verb, stdout)
		}
	}
}

// waitReady polls /readyz for up to ten seconds (CI machines are small and shared).
func waitReady(base string) bool {
	c := &http.Client{Timeout: 5 * time.Second}
	for i := 0; i < 500; i++ {
		if res, err := c.Get(base + "/readyz"); err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return true
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	return false
}

// walletRun takes the offer at offerURI through token, nonce and
// credential with internal/oid4vci's Client (the wallet side of the
// flow), and returns the holder key the credential is bound to.
func walletRun(t *testing.T, base, offerURI, txCode string) *keys.PrivateKey {
	t.Helper()
	holder, err := keys.Generate(jose.EdDSA, nil)
	if err != nil {
		t.Fatal(err)
	}
	c := oid4vci.NewClient(oid4vci.ClientOptions{HTTPClient: &http.Client{Timeout: 5 * time.Second}, AllowHTTP: true})
	is, err := c.RunPreAuthorized(context.Background(), oid4vci.PreAuthorizedRequest{
		OfferURI: offerURI, TxCode: txCode, ConfigurationID: "humanitarian-registration.v1", Holder: holder.JoseSigner()})
	if err != nil {
		t.Fatalf("wallet at %s: %v", base, err)
	}
	if len(is.Credentials) != 1 {
		t.Fatalf("credential response with %d credentials", len(is.Credentials))
	}
	return holder
}

// serveInProcess runs 'cairn issuer serve' until the returned stop is
// called; stop fails the test unless serve exits 0.
func serveInProcess(t *testing.T, dir, addr string, extra ...string) (logs *testkit.SyncBuffer, stop func()) {
	t.Helper()
	return serveInProcessAt(t, dir, addr, time.Now, extra...)
}

// serveInProcessAt is serveInProcess with the server's clock.
func serveInProcessAt(t *testing.T, dir, addr string, now func() time.Time, extra ...string) (logs *testkit.SyncBuffer, stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	logs = &testkit.SyncBuffer{}
	go func() {
		done <- run(ctx, append([]string{"issuer", "serve", "--dir", dir, "--addr", addr}, extra...), &env{stdin: strings.NewReader(""), stdout: io.Discard, stderr: logs, getenv: func(string) string { return "" }, now: now})
	}()
	stopped := false
	stop = func() {
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
		t.Fatalf("server not ready: %s", logs.String())
	}
	return logs, stop
}

// TestIssuerAdminSocket: while serve runs, offer, list, suspend, revoke
// work on the same directory through the admin socket, with the exit
// codes of the direct path; shutdown removes the socket and the store is
// free again.
func TestIssuerAdminSocket(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ngo")
	addr := freeAddr(t)
	base := "http://" + addr
	const vct = "urn:cairn:vct:humanitarian-registration:1"
	if code, _, stderr := issuerCLI(t, "issuer", "init", "--dir", dir, "--name", "en=Relief", "--url", base, "--dev", "--type", vct); code != 0 {
		t.Fatalf("init: %d %s", code, stderr)
	}
	tmp := t.TempDir()
	claims, bad := filepath.Join(tmp, "c.json"), filepath.Join(tmp, "bad.json")
	os.WriteFile(claims, []byte(`{"given_name":"Amina","registration_id":"REG-1","registration_date":"2025-03-02","registration_place":{"country":"LB"}}`), 0o600)
	os.WriteFile(bad, []byte(`{"given_name":"Amina","birthdate":"12/04/1991","registration_date":"2025-03-02","registration_place":{"country":"LB"}}`), 0o600)
	sock := filepath.Join(dir, "admin.sock")

	logs, stop := serveInProcess(t, dir, addr)
	if fi, err := os.Lstat(sock); err != nil || fi.Mode().Type() != os.ModeSocket || fi.Mode().Perm() != 0o600 {
		t.Fatalf("admin socket: %v %v", fi, err)
	}
	code, stdout, stderr := issuerCLI(t, "issuer", "offer", "--no-png", "--dir", dir, "--type", vct, "--claims", claims, "--tx-code", "--json", "--reference", "Q-17")
	if code != 0 {
		t.Fatalf("offer while serve runs: %d %s", code, stderr)
	}
	var off map[string]string
	if err := json.Unmarshal([]byte(stdout), &off); err != nil || len(off["tx_code"]) != 6 {
		t.Fatalf("offer output %q %v", stdout, err)
	}
	holder := walletRun(t, base, off["uri"], off["tx_code"])

	// Refusals keep their exit codes across the socket.
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"offer", "--dir", dir, "--type", vct, "--claims", bad}, ExitInvalid, "/birthdate"},
		{[]string{"offer", "--dir", dir, "--type", "urn:cairn:vct:language-skills:1", "--claims", claims}, ExitUsage, "not offered"},
		{[]string{"revoke", "--dir", dir, "no-such-credential"}, ExitUsage, "no credential"},
	} {
		code, _, stderr := issuerCLI(t, append([]string{"issuer"}, tc.args...)...)
		if code != tc.code || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d %q, want %d %q", tc.args, code, stderr, tc.code, tc.want)
		}
		if strings.Contains(stderr, "12/04/1991") {
			t.Error("a claim value reached stderr")
		}
	}

	list := func() []map[string]any {
		t.Helper()
		code, stdout, stderr := issuerCLI(t, "issuer", "list", "--dir", dir, "--json")
		var recs []map[string]any
		if code != 0 || json.Unmarshal([]byte(stdout), &recs) != nil {
			t.Fatalf("list: %d %s %s", code, stdout, stderr)
		}
		if strings.Contains(stdout, "notification_id") {
			t.Error("list --json shows the wallet's notification id")
		}
		return recs
	}
	recs := list()
	if len(recs) != 1 || recs[0]["holder_thumbprint"] != holder.PublicJWK().Thumbprint() || recs[0]["state"] != "valid" {
		t.Fatalf("records while serving: %v", recs)
	}
	id := recs[0]["credential_id"].(string)
	for _, step := range []struct {
		verb, state string
		code        int
	}{{"suspend", "suspended", 0}, {"reinstate", "valid", 0}, {"revoke", "revoked", 0}, {"reinstate", "revoked", ExitFailure}} {
		code, _, stderr := issuerCLI(t, "issuer", step.verb, "--dir", dir, id)
		if code != step.code {
			t.Fatalf("%s while serving: %d %s", step.verb, code, stderr)
		}
		if got := list()[0]["state"]; got != step.state {
			t.Fatalf("after %s: state %v, want %s", step.verb, got, step.state)
		}
	}
	// The running server's status list says revoked too.
	res, err := http.Get(base + "/status/" + recs[0]["status_list"].(string))
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("status list: %v", err)
	}
	res.Body.Close()

	stop()
	if _, err := os.Lstat(sock); !os.IsNotExist(err) {
		t.Errorf("admin socket left after shutdown: %v", err)
	}
	log := logs.String()
	if !strings.Contains(log, `"route":"admin_offer"`) || !strings.Contains(log, `"route":"admin_records"`) {
		t.Errorf("admin requests not in the log:\n%s", log)
	}
	for _, v := range []string{"Amina", "REG-1", "12/04/1991", "Q-17"} {
		if strings.Contains(log, v) {
			t.Errorf("%q reached the server log", v)
		}
	}
	// Direct again: the store was released.
	if recs := list(); len(recs) != 1 || recs[0]["state"] != "revoked" {
		t.Errorf("records after shutdown: %v", recs)
	}
}

// TestIssuerServeStaleSocket: a socket left by a crashed server neither
// blocks operator commands nor the next serve.
func TestIssuerServeStaleSocket(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ngo")
	addr := freeAddr(t)
	if code, _, stderr := issuerCLI(t, "issuer", "init", "--dir", dir, "--name", "en=Relief", "--url", "http://"+addr, "--dev", "--type", "urn:cairn:vct:humanitarian-registration:1"); code != 0 {
		t.Fatalf("init: %d %s", code, stderr)
	}
	sock := filepath.Join(dir, "admin.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	ln.(*net.UnixListener).SetUnlinkOnClose(false)
	ln.Close()
	os.Chmod(sock, 0o600)
	if code, stdout, stderr := issuerCLI(t, "issuer", "list", "--dir", dir, "--json"); code != 0 || strings.TrimSpace(stdout) != "[]" {
		t.Fatalf("list beside a stale socket: %d %s %s", code, stdout, stderr)
	}
	_, stop := serveInProcess(t, dir, addr)
	if code, _, stderr := issuerCLI(t, "issuer", "list", "--dir", dir); code != 0 {
		t.Fatalf("list through the replaced socket: %d %s", code, stderr)
	}
	stop()
	// A socket other users may write to is refused, not used.
	ln, err = net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	os.Chmod(sock, 0o666)
	if code, _, stderr := issuerCLI(t, "issuer", "list", "--dir", dir); code != ExitFailure || !strings.Contains(stderr, "not private") {
		t.Errorf("list through a world-writable socket: %d %s", code, stderr)
	}
}

// writeRegistry signs a registry that authorizes issuerDID for vct with
// the given caps, and writes it with the board's pinned public key.
func writeRegistry(t *testing.T, dir, issuerDID, vct string, maxStrength, maxValidity, maxVerification int) (snapshot, pin string) {
	t.Helper()
	board, err := keys.Generate(jose.ES256, nil)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Now().Add(-time.Hour).UTC().Truncate(time.Second)
	reg := &trustpkg.Registry{ID: "urn:test:registry", Name: "Test Board", Authority: board.DIDJWK(), Version: 1, IssuedAt: at, Expires: at.Add(48 * time.Hour),
		Entities: []trustpkg.Entity{{
			DID: issuerDID, Role: trustpkg.RoleIssuer, Status: trustpkg.StatusActive, Names: map[string]string{"en": "Relief"},
			StatusHistory: []trustpkg.StatusChange{{Status: trustpkg.StatusActive, At: at}}, ValidFrom: at,
			IssuerAuthorizations: []trustpkg.IssuerAuthorization{{VCT: vct, MaxStrength: maxStrength, MaxValidity: maxValidity, MaxVerification: maxVerification, From: at}},
		}}}
	compact, err := trustpkg.SignSnapshot(reg, board.JoseSigner().WithKeyID(board.DIDJWK()+"#0"))
	if err != nil {
		t.Fatal(err)
	}
	snapshot, pin = filepath.Join(dir, "registry.jwt"), filepath.Join(dir, "board.pub.jwk")
	pub, _ := json.Marshal(board.PublicJWK().Map())
	if err := os.WriteFile(snapshot, []byte(compact), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(pin, pub, 0o600); err != nil {
		t.Fatal(err)
	}
	return snapshot, pin
}

// TestIssuerServeRegistry: a server started with --registry refuses, for
// a client that brought no registry, offers the registry does not allow;
// the refusals keep exit 8 across the admin socket.
func TestIssuerServeRegistry(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ngo")
	addr := freeAddr(t)
	code, stdout, stderr := issuerCLI(t, "issuer", "init", "--dir", dir, "--name", "en=Relief", "--url", "http://"+addr, "--dev",
		"--type", "urn:cairn:vct:humanitarian-registration:1", "--type", "urn:cairn:vct:language-skills:1")
	if code != 0 {
		t.Fatalf("init: %d %s", code, stderr)
	}
	tmp := t.TempDir()
	snapshot, pin := writeRegistry(t, tmp, strings.TrimSpace(stdout), "urn:cairn:vct:humanitarian-registration:1", 2, 1, 2)
	claims, lang := filepath.Join(tmp, "c.json"), filepath.Join(tmp, "l.json")
	os.WriteFile(claims, []byte(`{"registration_id":"REG-1","registration_date":"2025-03-02","registration_place":{"country":"LB"}}`), 0o600)
	os.WriteFile(lang, []byte(`{"languages":[{"language":"ar","overall":"C1"}],"assessed_on":"2026-11-20"}`), 0o600)

	_, stop := serveInProcess(t, dir, addr, "--registry", snapshot, "--registry-key", pin)
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"evidence above the cap", []string{"--type", "urn:cairn:vct:humanitarian-registration:1", "--claims", claims}, ExitNotAuthorized, "evidence validity above the registry cap"},
		{"type not authorized", []string{"--type", "urn:cairn:vct:language-skills:1", "--claims", lang}, ExitNotAuthorized, "does not authorize this issuer for urn:cairn:vct:language-skills:1"},
	} {
		code, _, stderr := issuerCLI(t, append([]string{"issuer", "offer", "--no-png", "--dir", dir}, tc.args...)...)
		if code != tc.code || !strings.Contains(stderr, tc.want) {
			t.Errorf("%s: exit %d %q, want %d %q", tc.name, code, stderr, tc.code, tc.want)
		}
	}
	stop()
	// Without the server (and without --registry) the store takes them.
	if code, _, stderr := issuerCLI(t, "issuer", "offer", "--no-png", "--dir", dir, "--type", "urn:cairn:vct:language-skills:1", "--claims", lang); code != 0 {
		t.Errorf("offer without registry: %d %s", code, stderr)
	}
	// A registry that does not verify stops serve from starting.
	other, _ := writeRegistry(t, t.TempDir(), "did:example:x", "urn:cairn:vct:language-skills:1", 1, 1, 1)
	if code, _, stderr := issuerCLI(t, "issuer", "serve", "--dir", dir, "--addr", addr, "--registry", other, "--registry-key", pin); code != ExitUntrusted {
		t.Errorf("serve with a registry of another board: %d %s", code, stderr)
	}
}

// TestIssuerOfferBatchWhileServing: a registration drive is prepared while
// the desk's server keeps running; the offers go through the admin socket
// and show up in the server's store.
func TestIssuerOfferBatchWhileServing(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ngo")
	addr := freeAddr(t)
	const vct = "urn:cairn:vct:humanitarian-registration:1"
	if code, _, stderr := issuerCLI(t, "issuer", "init", "--dir", dir, "--name", "en=Relief", "--url", "http://"+addr, "--dev", "--type", vct); code != 0 {
		t.Fatalf("init: %d %s", code, stderr)
	}
	tmp := t.TempDir()
	csv := filepath.Join(tmp, "drive.csv")
	os.WriteFile(csv, []byte("reference,registration_id,registration_date,registration_place.country\nQ-1,REG-1,2025-03-02,LB\nQ-2,REG-2,2025-03-02,LB\nQ-3,REG-3,not-a-date,LB\n"), 0o600)
	_, stop := serveInProcess(t, dir, addr)
	out := filepath.Join(tmp, "out")
	code, stdout, stderr := issuerCLI(t, "issuer", "offer-batch", "--dir", dir, "--csv", csv, "--out", out, "--type", vct)
	if code != ExitInvalid || !strings.Contains(stdout, "2 offers for 3 rows") || !strings.Contains(stderr, "line 4 (Q-3)") {
		t.Fatalf("offer-batch while serving: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if strings.Contains(stderr, "not-a-date") {
		t.Error("a claim value reached the refusal message")
	}
	for _, png := range []string{"Q-1-2.png", "Q-2-3.png"} {
		if _, err := os.Stat(filepath.Join(out, png)); err != nil {
			t.Errorf("missing %s: %v", png, err)
		}
	}
	stop()
}

// TestIssuerServeRegistryReload: serve re-reads --registry every
// --registry-refresh; a newer snapshot is used at once, a rollback or a
// snapshot of another board is refused with a warning and the previous
// one kept, and once the snapshot in use expires (on the server's clock)
// offers are refused.
func TestIssuerServeRegistryReload(t *testing.T) {
	const hum, lang = "urn:cairn:vct:humanitarian-registration:1", "urn:cairn:vct:language-skills:1"
	dir := filepath.Join(t.TempDir(), "ngo")
	addr := freeAddr(t)
	code, stdout, stderr := issuerCLI(t, "issuer", "init", "--dir", dir, "--name", "en=Relief", "--url", "http://"+addr, "--dev", "--type", hum, "--type", lang)
	if code != 0 {
		t.Fatalf("init: %d %s", code, stderr)
	}
	issuerDID := strings.TrimSpace(stdout)
	tmp := t.TempDir()
	board, other := newBoard(t), newBoard(t)
	snapshot, pin := filepath.Join(tmp, "registry.jwt"), filepath.Join(tmp, "board.pub.jwk")
	pub, _ := json.Marshal(board.PublicJWK().Map())
	if err := os.WriteFile(pin, pub, 0o600); err != nil {
		t.Fatal(err)
	}
	at := time.Now().Add(-time.Hour).UTC().Truncate(time.Second)
	publish := func(signer *keys.PrivateKey, version uint64, vcts ...string) {
		t.Helper()
		reg := &trustpkg.Registry{ID: "urn:test:registry", Name: "Test Board", Authority: signer.DIDJWK(), Version: version, IssuedAt: at, Expires: at.Add(48 * time.Hour),
			Entities: []trustpkg.Entity{{DID: issuerDID, Role: trustpkg.RoleIssuer, Status: trustpkg.StatusActive, Names: map[string]string{"en": "Relief"},
				StatusHistory: []trustpkg.StatusChange{{Status: trustpkg.StatusActive, At: at}}, ValidFrom: at}}}
		for _, v := range vcts {
			reg.Entities[0].IssuerAuthorizations = append(reg.Entities[0].IssuerAuthorizations, trustpkg.IssuerAuthorization{VCT: v, MaxStrength: 4, MaxValidity: 4, MaxVerification: 4, From: at})
		}
		compact, err := trustpkg.SignSnapshot(reg, signer.JoseSigner().WithKeyID(signer.DIDJWK()+"#0"))
		if err != nil {
			t.Fatal(err)
		}
		// rename: the server never reads a half-written file
		if err := os.WriteFile(snapshot+".tmp", []byte(compact), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(snapshot+".tmp", snapshot); err != nil {
			t.Fatal(err)
		}
	}
	langClaims := filepath.Join(tmp, "l.json")
	os.WriteFile(langClaims, []byte(`{"languages":[{"language":"ar","overall":"C1"}],"assessed_on":"2026-11-20"}`), 0o600)
	offerLang := func() (int, string) {
		code, _, stderr := issuerCLI(t, "issuer", "offer", "--no-png", "--dir", dir, "--type", lang, "--claims", langClaims)
		return code, stderr
	}
	// eventually polls until cond holds (the refresh runs every 50 ms).
	eventually := func(what string, cond func() bool) {
		t.Helper()
		for i := 0; i < 200; i++ {
			if cond() {
				return
			}
			time.Sleep(25 * time.Millisecond)
		}
		t.Fatalf("timed out waiting for: %s", what)
	}
	var clockMu sync.Mutex
	offset := time.Duration(0)
	now := func() time.Time { clockMu.Lock(); defer clockMu.Unlock(); return time.Now().Add(offset) }

	publish(board, 1, hum)
	logs, _ := serveInProcessAt(t, dir, addr, now, "--registry", snapshot, "--registry-key", pin, "--registry-refresh", "50ms")
	if code, stderr := offerLang(); code != ExitNotAuthorized {
		t.Fatalf("v1 does not authorize %s: exit %d %s", lang, code, stderr)
	}
	publish(board, 2, hum, lang)
	eventually("v2 in use", func() bool { c, _ := offerLang(); return c == 0 })

	publish(board, 1, hum) // rollback
	eventually("rollback refused", func() bool { return strings.Contains(logs.String(), "older than the one already held") })
	if code, stderr := offerLang(); code != 0 {
		t.Errorf("after a rollback attempt v2 should stay: exit %d %s", code, stderr)
	}
	publish(other, 5, hum) // not signed by the pinned board
	eventually("bad signature refused", func() bool { return strings.Contains(logs.String(), "not from a pinned registry key") })
	if code, stderr := offerLang(); code != 0 {
		t.Errorf("after a foreign snapshot v2 should stay: exit %d %s", code, stderr)
	}
	if !strings.Contains(logs.String(), `"level":"WARN","msg":"registry reload refused; keeping the snapshot in use"`) {
		t.Errorf("no warning logged:\n%s", logs.String())
	}

	// The server's clock passes v2's expiry: offers fail closed.
	clockMu.Lock()
	offset = 48 * time.Hour
	clockMu.Unlock()
	code, stderr = offerLang()
	if code != ExitNotAuthorized || !strings.Contains(stderr, "expired") {
		t.Errorf("offer under an expired registry: exit %d %s", code, stderr)
	}
	eventually("expiry logged", func() bool { return strings.Contains(logs.String(), "snapshot in use has expired") })
}

func newBoard(t *testing.T) *keys.PrivateKey {
	t.Helper()
	k, err := keys.Generate(jose.ES256, nil)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestIssuerOfferPNGNamedByHandle: the default PNG file name carries the
// offer's public handle, never the id that redeems it (issue 9: offer ids
// are bearer secrets and file names get shared).
func TestIssuerOfferPNGNamedByHandle(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ngo")
	if code, _, stderr := issuerCLI(t, "issuer", "init", "--dir", dir, "--name", "en=Relief", "--url", "http://127.0.0.1:1", "--dev", "--type", "urn:cairn:vct:humanitarian-registration:1"); code != 0 {
		t.Fatalf("init: %d %s", code, stderr)
	}
	claims := filepath.Join(t.TempDir(), "c.json")
	os.WriteFile(claims, []byte(`{"registration_id":"REG-1","registration_date":"2025-03-02","registration_place":{"country":"LB"}}`), 0o600)
	cwd := t.TempDir()
	t.Chdir(cwd)
	code, stdout, stderr := issuerCLI(t, "issuer", "offer", "--dir", dir, "--type", "urn:cairn:vct:humanitarian-registration:1", "--claims", claims, "--json")
	if code != 0 {
		t.Fatalf("offer: %d %s", code, stderr)
	}
	var off map[string]string
	if err := json.Unmarshal([]byte(stdout), &off); err != nil {
		t.Fatal(err)
	}
	if off["id"] == "" || off["handle"] == "" {
		t.Fatalf("offer output %v", off)
	}
	if _, err := os.Stat(filepath.Join(cwd, "offer-"+off["handle"]+".png")); err != nil {
		t.Fatalf("PNG not named by the handle: %v", err)
	}
	entries, _ := os.ReadDir(cwd)
	for _, e := range entries {
		if strings.Contains(e.Name(), off["id"]) {
			t.Fatalf("file %s carries the offer id", e.Name())
		}
	}
}
