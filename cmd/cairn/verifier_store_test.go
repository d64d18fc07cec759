package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cairn-id/cairn/internal/did"
	"github.com/cairn-id/cairn/internal/oid4vp"
	"github.com/cairn-id/cairn/internal/sdjwtvc"
	"github.com/cairn-id/cairn/internal/store/pg/pgtest"
	"github.com/cairn-id/cairn/verifier"
)

// startVerifier runs 'cairn verifier serve' on dir as a separate
// process, with the store URL (password included) in its environment,
// and returns its address.
func startVerifier(t *testing.T, dir, storeURL, regFile, authFile string) string {
	t.Helper()
	return startVerifierProcess(t, dir, storeURL, regFile, authFile).addr
}

// startVerifierProcess is startVerifier returning the process; its log
// must never show a claim value of the tests' credential.
func startVerifierProcess(t *testing.T, dir, storeURL, regFile, authFile string) *serveProcess {
	t.Helper()
	p := startServe(t, storeURL, "verifier", "serve", "--dir", dir, "--registry", regFile, "--registry-key", authFile)
	p.noLog = append(p.noLog, "Haddad")
	return p
}

// onHost is u with its host replaced (the instance behind the load
// balancer that answers).
func onHost(t *testing.T, u, host string) string {
	t.Helper()
	p, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	p.Host = host
	return p.String()
}

// TestVerifierTwoProcessesOnPostgres: two 'cairn verifier serve'
// processes on one PostgreSQL store, each with its own copy of the
// directory, behind one public URL. The session is created directly in
// the store from an operator's copy of the directory (no server there),
// the wallet fetches the request object from and posts its response to
// the second, and the result is read from the first (its admin socket)
// and directly from the store.
func TestVerifierTwoProcessesOnPostgres(t *testing.T) {
	u := pgtest.URL(t)
	root := t.TempDir()
	dirA, dirB := filepath.Join(root, "a"), filepath.Join(root, "b")
	lb := "http://" + freeAddr(t) // the load balancer's address: nothing listens
	r := runCLI(t, "verifier", "init", "--dir", dirA, "--name", "en=Desk", "--url", lb, "--dev")
	if r.code != ExitOK {
		t.Fatalf("init: %d %s", r.code, r.stderr)
	}
	vdid := strings.SplitN(r.stdout, "\n", 2)[0]
	if err := os.MkdirAll(dirB, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"verifier.json", "key.jwk", "results.key"} {
		b, err := os.ReadFile(filepath.Join(dirA, name))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dirB, name), b, 0o600)
	}
	w := newVerifierWorld(t, vdid, time.Now().Add(24*time.Hour))
	regFile := filepath.Join(root, "registry.jws")
	os.WriteFile(regFile, []byte(w.snapshot(t)), 0o600)
	startVerifier(t, dirA, u, regFile, w.authFile)
	addrB := startVerifier(t, dirB, u, regFile, w.authFile)
	for _, dir := range []string{dirA, dirB} {
		if _, err := os.Stat(filepath.Join(dir, "verifier.db")); err == nil {
			t.Fatalf("serve on PostgreSQL created %s/verifier.db", dir)
		}
	}

	// The operator's machine: a copy of the directory and the store URL,
	// no server (no admin socket): request and result go to the database.
	dirC := filepath.Join(root, "operator")
	if err := os.MkdirAll(dirC, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"verifier.json", "key.jwk", "results.key"} {
		b, _ := os.ReadFile(filepath.Join(dirA, name))
		os.WriteFile(filepath.Join(dirC, name), b, 0o600)
	}
	storeFile := filepath.Join(root, "store.url")
	os.WriteFile(storeFile, []byte(u+"\n"), 0o600)
	if r := runCLIAt(t, time.Now(), "verifier", "request", "--dir", dirC, "--purpose", "clinic-access"); r.code == ExitOK {
		t.Fatal("request on a directory copy without a server nor a store succeeded")
	}
	if r := runCLIAt(t, time.Now(), "verifier", "request", "--dir", dirC, "--store-file", storeFile, "--purpose", "no-such-purpose"); r.code != ExitUsage {
		t.Errorf("direct request for an unknown purpose: %d %s", r.code, r.stderr)
	}
	r = runCLIAt(t, time.Now(), "verifier", "request", "--dir", dirC, "--store-file", storeFile, "--purpose", "clinic-access", "--json")
	if r.code != ExitOK {
		t.Fatalf("direct request from the operator's copy: %d %s", r.code, r.stderr)
	}
	var req verifier.Request
	if err := json.Unmarshal([]byte(r.stdout), &req); err != nil {
		t.Fatal(err)
	}
	ru, err := oid4vp.ParseRequestURI(req.URI, oid4vp.Options{Dev: true})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(onHost(t, ru.RequestURI, addrB))
	if err != nil {
		t.Fatal(err)
	}
	jws, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	ar, err := oid4vp.VerifyRequestObject(context.Background(), string(jws), oid4vp.VerifyOptions{Options: oid4vp.Options{Dev: true}, ClientID: ru.ClientID, Resolver: &did.Resolver{}})
	if err != nil {
		t.Fatalf("request object from B: %v (%s)", err, jws)
	}
	p, err := sdjwtvc.Present(w.credential(t, time.Now().Add(-time.Hour)), w.holder.JoseSigner(), sdjwtvc.PresentOptions{Paths: []string{"/family_name", "/given_name", "/birthdate"}, Audience: oid4vp.KBAudience(ar.ClientID), Nonce: ar.Nonce})
	if err != nil {
		t.Fatal(err)
	}
	if r := runCLIAt(t, time.Now(), "verifier", "result", "--dir", dirC, "--store-file", storeFile, req.SessionID); r.code != ExitNoResult || !strings.Contains(r.stderr, "result_pending") {
		t.Errorf("direct result before the answer: %d %s", r.code, r.stderr)
	}
	form, err := (&oid4vp.Response{VPToken: oid4vp.VPToken{"identity": {p}}, State: ar.State}).EncryptedForm(ar, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp, err := http.PostForm(onHost(t, ar.ResponseURI, addrB), form); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("response posted to B: %v %v", resp, err)
	}
	// The request object is served once across both instances.
	if resp, err := http.Get(onHost(t, ru.RequestURI, addrB)); err != nil || resp.StatusCode == http.StatusOK {
		t.Errorf("second fetch of the request object: %v %v", resp, err)
	}
	r = runCLIAt(t, time.Now(), "verifier", "result", "--dir", dirA, req.SessionID, "--wait", "5s")
	if r.code != ExitOK || !strings.Contains(r.stdout, "VALID (valid)") || !strings.Contains(r.stdout, "Haddad") {
		t.Errorf("result read on A: %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = runCLIAt(t, time.Now(), "verifier", "result", "--dir", dirC, "--store-file", storeFile, req.SessionID, "--json", "--lang", "fr")
	var res verifier.Result
	if r.code != ExitOK || json.Unmarshal([]byte(r.stdout), &res) != nil || res.Code != verifier.CodeValid || !strings.Contains(r.stdout, "Haddad") {
		t.Errorf("direct result from the operator's copy: %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := runCLIAt(t, time.Now(), "verifier", "result", "--dir", dirC, "--store-file", storeFile, "unknown-session-id-0000"); r.code != ExitNoResult {
		t.Errorf("direct result of an unknown session: %d %s", r.code, r.stderr)
	}
}
