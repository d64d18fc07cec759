package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
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
		return issuerCLI(t, "registry", "fetch", "--url", srv.URL+"/registry/snapshot", "--registry-key", pin, "--cache", cache, "--dev-allow-private-network", "--trust-state", p("state.json"))
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

// TestRegistryFetchFailsClosed: a cache that does not verify (garbage,
// empty, or written under a key no longer pinned) makes fetch refuse
// (exit 1) with a message naming the reset, instead of accepting any
// version; 'registry forget --cache' resets it, and the high-water mark
// still refuses a rollback afterwards (exit 4), as does verify.
func TestRegistryFetchFailsClosed(t *testing.T) {
	dir := t.TempDir()
	p := func(name string) string { return filepath.Join(dir, name) }
	must := func(args ...string) string {
		t.Helper()
		code, out, stderr := issuerCLI(t, args...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, stderr)
		}
		return out
	}
	db := p("reg.db")
	must("registry", "init", "--db", db, "--name", "Board", "--key", p("board.jwk"), "--pin-out", p("board.pin.jwk"))
	must("registry", "publish", "--db", db, "--key", p("board.jwk"), "--ttl", "720h", "--out", p("v1.jwt"))
	must("registry", "publish", "--db", db, "--key", p("board.jwk"), "--ttl", "720h", "--out", p("v2.jwt"))
	must("registry", "init", "--db", p("old.db"), "--name", "Old board", "--key", p("old.jwk"), "--pin-out", p("old.pin.jwk"))
	must("registry", "publish", "--db", p("old.db"), "--key", p("old.jwk"), "--ttl", "720h", "--out", p("old.jwt"))
	oldSnap, _ := os.ReadFile(p("old.jwt"))

	var serving atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := os.ReadFile(serving.Load().(string))
		w.Header().Set("Content-Type", "application/jwt")
		w.Write(b)
	}))
	defer srv.Close()
	state := p("state.json")
	fetch := func(snapshot, cache string) (int, string, string) {
		serving.Store(snapshot)
		return issuerCLI(t, "registry", "fetch", "--url", srv.URL, "--registry-key", p("board.pin.jwk"), "--cache", cache,
			"--dev-allow-private-network", "--trust-state", state)
	}
	cases := []struct{ name, cache string }{
		{"garbage", "garbage\n"},
		{"empty", ""},
		{"written under a key no longer pinned", string(oldSnap)},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cache := p("cache" + itoaTest(i) + ".jwt")
			if err := os.WriteFile(cache, []byte(tc.cache), 0o644); err != nil {
				t.Fatal(err)
			}
			code, _, stderr := fetch(p("v1.jwt"), cache)
			if code != ExitFailure || !strings.Contains(stderr, "cached snapshot does not verify") || !strings.Contains(stderr, "cairn registry forget --cache "+cache) {
				t.Fatalf("fetch over a bad cache: exit %d %s", code, stderr)
			}
			if b, _ := os.ReadFile(cache); string(b) != tc.cache {
				t.Fatal("a refused fetch changed the cache")
			}
			code, out, stderr := issuerCLI(t, "registry", "forget", "--cache", cache)
			if code != 0 || !strings.Contains(out, "cache "+cache+" reset") {
				t.Fatalf("forget: %d %s %s", code, out, stderr)
			}
			if _, err := os.Stat(cache); err == nil {
				t.Fatal("cache still there after forget")
			}
			if code, out, stderr := fetch(p("v2.jwt"), cache); code != 0 || !strings.Contains(out, "version 2") {
				t.Fatalf("fetch after reset: %d %s %s", code, out, stderr)
			}
			// The cache is gone again, but the mark remembers v2.
			must("registry", "forget", "--cache", cache)
			if code, _, stderr := fetch(p("v1.jwt"), cache); code != ExitUntrusted || !strings.Contains(stderr, "older") {
				t.Fatalf("rollback after cache reset: exit %d %s", code, stderr)
			}
		})
	}
	// verify shares the marks: v1 is a rollback there too.
	cred := p("cred.sdjwt")
	must("keys", "generate", "--out", p("ngo.jwk"))
	os.WriteFile(p("claims.json"), []byte(`{"a":1}`), 0o600)
	os.WriteFile(cred, []byte(must("credential", "issue", "--key", p("ngo.jwk"), "--vct", "urn:x", "--claims", p("claims.json"))), 0o600)
	code, _, stderr := issuerCLI(t, "credential", "verify", "--registry", p("v1.jwt"), "--registry-key", p("board.pin.jwk"), "--trust-state", state, "--no-kb", cred)
	if code != ExitUntrusted || !strings.Contains(stderr, "already accepted") {
		t.Fatalf("verify with a rolled-back snapshot: exit %d %s", code, stderr)
	}
}

func itoaTest(i int) string { return string(rune('0' + i)) }

// TestTrustStatePath: where the high-water marks live when no flag says.
func TestTrustStatePath(t *testing.T) {
	if runtime.GOOS == "windows" || runtime.GOOS == "darwin" {
		t.Skip("XDG layout only")
	}
	cases := []struct {
		name, flag string
		env        map[string]string
		want       string
	}{
		{"flag wins", "/x/flag.json", map[string]string{"CAIRN_TRUST_STATE": "/x/env.json", "HOME": "/home/a"}, "/x/flag.json"},
		{"environment", "", map[string]string{"CAIRN_TRUST_STATE": "/x/env.json", "HOME": "/home/a"}, "/x/env.json"},
		{"XDG cache", "", map[string]string{"XDG_CACHE_HOME": "/c", "HOME": "/home/a"}, "/c/cairn/trust-state.json"},
		{"relative XDG ignored", "", map[string]string{"XDG_CACHE_HOME": "c", "HOME": "/home/a"}, "/home/a/.cache/cairn/trust-state.json"},
		{"home", "", map[string]string{"HOME": "/home/a"}, "/home/a/.cache/cairn/trust-state.json"},
		{"nowhere", "", nil, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := trustStatePath(&env{getenv: func(k string) string { return tc.env[k] }}, tc.flag)
			if tc.want == "" {
				if exitCode(err) != ExitUsage || !strings.Contains(err.Error(), "--trust-state") {
					t.Fatalf("got %q %v, want a usage error naming --trust-state", got, err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %q %v, want %q", got, err, tc.want)
			}
		})
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
