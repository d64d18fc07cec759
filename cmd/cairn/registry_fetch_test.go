package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

// TestRegistryFetch: a verifier fetches snapshots into a cache that moves
// forward only; forged and rolled-back snapshots are refused (exit 4) and
// leave the cache as it was.
func TestRegistryFetch(t *testing.T) {
	dir := t.TempDir()
	p := func(name string) string { return filepath.Join(dir, name) }
	must := func(args ...string) {
		t.Helper()
		if code, _, stderr := issuerCLI(t, args...); code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, stderr)
		}
	}
	db := p("reg.db")
	must("registry", "init", "--db", db, "--name", "Board", "--key", p("board.jwk"), "--pin-out", p("board.pin.jwk"))
	must("registry", "publish", "--db", db, "--key", p("board.jwk"), "--ttl", "720h", "--out", p("v1.jwt"))
	must("keys", "generate", "--out", p("ngo.jwk"))
	ngoDID := keyInfo(t, p("ngo.jwk")).DID
	must("registry", "add", "--db", db, "--did", ngoDID, "--role", "issuer", "--name", "en=NGO")
	must("registry", "publish", "--db", db, "--key", p("board.jwk"), "--ttl", "720h", "--out", p("v2.jwt"))
	must("keys", "generate", "--out", p("stranger.jwk"))

	var serving atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := os.ReadFile(serving.Load().(string))
		w.Header().Set("Content-Type", "application/jwt")
		w.Write(b)
	}))
	defer srv.Close()
	cache := p("cache.jwt")
	fetch := func(snapshot, pin string) (int, string, string) {
		serving.Store(snapshot)
		return issuerCLI(t, "registry", "fetch", "--url", srv.URL+"/registry/snapshot", "--registry-key", pin, "--cache", cache, "--dev-allow-private-network")
	}

	if code, out, stderr := fetch(p("v1.jwt"), p("board.pin.jwk")); code != 0 || !strings.Contains(out, "version 1") {
		t.Fatalf("v1: %d %s %s", code, out, stderr)
	}
	if code, out, stderr := fetch(p("v2.jwt"), p("board.pin.jwk")); code != 0 || !strings.Contains(out, "version 2") {
		t.Fatalf("v2: %d %s %s", code, out, stderr)
	}
	held, _ := os.ReadFile(cache)
	v2, _ := os.ReadFile(p("v2.jwt"))
	if strings.TrimSpace(string(held)) != strings.TrimSpace(string(v2)) {
		t.Fatal("cache does not hold v2")
	}
	if code, _, stderr := fetch(p("v1.jwt"), p("board.pin.jwk")); code != ExitUntrusted || !strings.Contains(stderr, "older") {
		t.Fatalf("rollback to v1: exit %d %s", code, stderr)
	}
	// A pin that did not sign the snapshot: refused.
	strangerPin := p("stranger.pin.jwk")
	if err := os.WriteFile(strangerPin, keyInfo(t, p("stranger.jwk")).JWK, 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := fetch(p("v2.jwt"), strangerPin); code != ExitUntrusted {
		t.Fatalf("foreign pin: exit %d %s", code, stderr)
	}
	after, _ := os.ReadFile(cache)
	if string(after) != string(held) {
		t.Fatal("a refused fetch changed the cache")
	}
	if code, _, _ := issuerCLI(t, "registry", "fetch", "--url", srv.URL, "--cache", cache); code != ExitUsage {
		t.Fatalf("no pin: exit %d", code)
	}
}

type keyShow struct {
	DID string          `json:"did"`
	JWK json.RawMessage `json:"jwk"`
}

// keyInfo reads 'cairn keys show --json FILE'.
func keyInfo(t *testing.T, file string) keyShow {
	t.Helper()
	code, out, stderr := issuerCLI(t, "keys", "show", "--json", file)
	var k keyShow
	if code != 0 || json.Unmarshal([]byte(out), &k) != nil || k.DID == "" {
		t.Fatalf("keys show %s: %d %s %s", file, code, out, stderr)
	}
	return k
}
