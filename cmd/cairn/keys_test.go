package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/cairn-id/cairn/internal/did"
	"github.com/cairn-id/cairn/internal/jose"
	"github.com/cairn-id/cairn/internal/jwp"
	"github.com/cairn-id/cairn/internal/keys"
)

type cliResult struct {
	code           int
	stdout, stderr string
}

func runCLI(t *testing.T, args ...string) cliResult {
	t.Helper()
	var out, errb bytes.Buffer
	e := &env{
		stdin:  strings.NewReader(""),
		stdout: &out,
		stderr: &errb,
		getenv: func(string) string { return "" },
		now:    func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) },
	}
	code := run(context.Background(), args, e)
	return cliResult{code, out.String(), errb.String()}
}

func TestKeysGenerate(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		alg, wantAlg, wantCrv string
	}{{"", "ES256", "P-256"}, {"ES256", "ES256", "P-256"}, {"es384", "ES384", "P-384"}, {"EdDSA", "EdDSA", "Ed25519"}} {
		path := filepath.Join(dir, "k-"+c.wantAlg+c.alg+".jwk")
		args := []string{"keys", "generate", "--out", path}
		if c.alg != "" {
			args = append(args, "--alg", c.alg)
		}
		r := runCLI(t, args...)
		if r.code != ExitOK {
			t.Fatalf("%v: exit %d, stderr %s", args, r.code, r.stderr)
		}
		k, err := keys.Load(path)
		if err != nil {
			t.Fatal(err)
		}
		if string(k.Alg()) != c.wantAlg || k.PublicJWK().Crv != c.wantCrv {
			t.Errorf("%v: key %s/%s", args, k.Alg(), k.PublicJWK().Crv)
		}
		if got := strings.TrimSpace(r.stdout); got != k.DIDJWK() {
			t.Errorf("stdout %q, want the key's did:jwk %q", got, k.DIDJWK())
		}
		if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
			t.Errorf("mode %04o", fi.Mode().Perm())
		}
	}
}

func TestKeysGenerateJSON(t *testing.T) {
	path := filepath.Join(t.TempDir(), "holder.jwk")
	r := runCLI(t, "keys", "generate", "--alg", "EdDSA", "--out", path, "--json")
	if r.code != ExitOK {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var out struct {
		DID  string          `json:"did"`
		Alg  string          `json:"alg"`
		JWK  json.RawMessage `json:"jwk"`
		File string          `json:"file"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, r.stdout)
	}
	pub, err := jose.ParseJWK(out.JWK) // refuses private members
	if err != nil {
		t.Fatalf("jwk in output: %v", err)
	}
	if out.DID != did.FromJWK(pub) || out.File != path || out.Alg != "EdDSA" {
		t.Errorf("output %+v", out)
	}
	k, _ := keys.Load(path)
	if !k.PublicJWK().Equal(pub) {
		t.Error("printed JWK is not the saved key's")
	}
	if strings.Contains(r.stdout, `"d"`) {
		t.Error("private member printed")
	}
}

func TestKeysGenerateRefusesOverwrite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "k.jwk")
	if r := runCLI(t, "keys", "generate", "--out", path); r.code != ExitOK {
		t.Fatal(r.stderr)
	}
	before, _ := os.ReadFile(path)
	r := runCLI(t, "keys", "generate", "--out", path)
	if r.code != ExitFailure {
		t.Errorf("exit %d, want %d", r.code, ExitFailure)
	}
	if !strings.Contains(r.stderr, "already exists") || !strings.Contains(r.stderr, path) {
		t.Errorf("stderr %q does not say the file exists", r.stderr)
	}
	if r.stdout != "" {
		t.Errorf("stdout %q on failure", r.stdout)
	}
	after, _ := os.ReadFile(path)
	if !bytes.Equal(before, after) {
		t.Error("key file changed")
	}
}

func TestKeysUsageErrors(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{
		{"keys", "generate"},
		{"keys", "generate", "--alg", "RS256", "--out", filepath.Join(dir, "a")},
		{"keys", "generate", "--alg", "none", "--out", filepath.Join(dir, "b")},
		{"keys", "generate", "--out", "-"},
		{"keys", "generate", "--out", filepath.Join(dir, "c"), "extra"},
		{"keys", "generate", "--bogus"},
		{"keys", "show"},
		{"keys", "show", filepath.Join(dir, "missing.jwk")},
	} {
		r := runCLI(t, args...)
		if r.code != ExitUsage {
			t.Errorf("%v: exit %d, want %d (stderr %s)", args, r.code, ExitUsage, r.stderr)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("usage errors left files: %v", entries)
	}
}

func TestKeysShow(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "issuer.jwk")
	if r := runCLI(t, "keys", "generate", "--out", path); r.code != ExitOK {
		t.Fatal(r.stderr)
	}
	k, _ := keys.Load(path)
	didKey, _ := k.KeyDID()

	r := runCLI(t, "keys", "show", path)
	if r.code != ExitOK {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	for _, want := range []string{k.DIDJWK(), didKey, k.PublicJWK().Thumbprint(), "ES256", "private key"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("show output lacks %q:\n%s", want, r.stdout)
		}
	}

	r = runCLI(t, "keys", "show", "--json", path)
	var out struct {
		DID, DIDKey, Thumbprint string
		Private                 bool
		JWK                     json.RawMessage
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal([]byte(r.stdout), &raw); err != nil {
		t.Fatalf("%v: %s", err, r.stdout)
	}
	json.Unmarshal(raw["did"], &out.DID)
	json.Unmarshal(raw["did_key"], &out.DIDKey)
	json.Unmarshal(raw["private"], &out.Private)
	pub, err := jose.ParseJWK(raw["jwk"])
	if err != nil || !pub.Equal(k.PublicJWK()) {
		t.Errorf("jwk %s: %v", raw["jwk"], err)
	}
	if out.DID != k.DIDJWK() || out.DIDKey != didKey || !out.Private {
		t.Errorf("json output %s", r.stdout)
	}

	// A public JWK file is accepted too, whatever its mode.
	pubPath := filepath.Join(dir, "issuer.pub.jwk")
	os.WriteFile(pubPath, raw["jwk"], 0o644)
	r = runCLI(t, "keys", "show", pubPath)
	if r.code != ExitOK || !strings.Contains(r.stdout, k.DIDJWK()) || !strings.Contains(r.stdout, "public key") {
		t.Errorf("public file: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	// A private key readable by others is refused with the fix.
	os.Chmod(path, 0o644)
	r = runCLI(t, "keys", "show", path)
	if r.code != ExitFailure || !strings.Contains(r.stderr, "chmod 600") {
		t.Errorf("insecure key: exit %d, stderr %q", r.code, r.stderr)
	}

	// Garbage is a usage error.
	bad := filepath.Join(dir, "bad.jwk")
	os.WriteFile(bad, []byte("not json"), 0o600)
	if r := runCLI(t, "keys", "show", bad); r.code != ExitUsage {
		t.Errorf("garbage: exit %d", r.code)
	}
}

func TestKeysHelpHasExamples(t *testing.T) {
	for _, sub := range []string{"generate", "show"} {
		r := runCLI(t, "keys", sub, "--help")
		if r.code != ExitOK || !strings.Contains(r.stdout, "Examples:") || !strings.Contains(r.stdout, "cairn keys "+sub) {
			t.Errorf("keys %s --help: exit %d\n%s", sub, r.code, r.stdout)
		}
	}
}

func TestKeysGenerateBBS(t *testing.T) {
	path := filepath.Join(t.TempDir(), "issuer-bbs.jwk")
	r := runCLI(t, "keys", "generate", "--alg", "BBS", "--out", path, "--json")
	if r.code != ExitOK {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var out struct {
		DID  string          `json:"did"`
		Alg  string          `json:"alg"`
		JWK  json.RawMessage `json:"jwk"`
		File string          `json:"file"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, r.stdout)
	}
	pub, err := jwp.ParsePublicJWK(out.JWK) // refuses "d"
	if err != nil {
		t.Fatalf("jwk in output: %v", err)
	}
	k, err := keys.LoadBBS(path)
	if err != nil {
		t.Fatal(err)
	}
	if out.Alg != "BBS" || out.File != path || out.DID != keys.BBSDIDJWK(&k.Public) || string(pub.Bytes) != string(k.Public.Bytes) {
		t.Errorf("output %+v", out)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %04o", fi.Mode().Perm())
	}
	before, _ := os.ReadFile(path)
	r = runCLI(t, "keys", "generate", "--alg", "bbs", "--out", path)
	if r.code != ExitFailure || !strings.Contains(r.stderr, "already exists") {
		t.Errorf("overwrite: exit %d, stderr %q", r.code, r.stderr)
	}
	if after, _ := os.ReadFile(path); string(after) != string(before) {
		t.Error("key file replaced")
	}
}

// TestKeysShowBBS: keys show and keys public read BBS key files, private
// (permissions checked) and public, and never print "d".
func TestKeysShowBBS(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "issuer-bbs.jwk")
	if r := runCLI(t, "keys", "generate", "--alg", "BBS", "--out", path); r.code != ExitOK {
		t.Fatalf("generate: %s", r.stderr)
	}
	k, err := keys.LoadBBS(path)
	if err != nil {
		t.Fatal(err)
	}
	r := runCLI(t, "keys", "show", "--json", path)
	var out struct {
		DID        string          `json:"did"`
		Alg        string          `json:"alg"`
		Thumbprint string          `json:"thumbprint"`
		Private    bool            `json:"private"`
		JWK        json.RawMessage `json:"jwk"`
	}
	if r.code != ExitOK || json.Unmarshal([]byte(r.stdout), &out) != nil {
		t.Fatalf("show: exit %d %s %s", r.code, r.stdout, r.stderr)
	}
	if out.DID != keys.BBSDIDJWK(&k.Public) || out.Alg != "BBS" || out.Thumbprint != k.Public.Kid || !out.Private || strings.Contains(r.stdout, `"d"`) {
		t.Fatalf("show: %s", r.stdout)
	}
	r = runCLI(t, "keys", "show", path)
	if r.code != ExitOK || !strings.Contains(r.stdout, "alg:        BBS") || !strings.Contains(r.stdout, out.DID) || strings.Contains(r.stdout, "did:key") {
		t.Fatalf("show (text): %s", r.stdout)
	}
	r = runCLI(t, "keys", "public", path)
	pub, err := jwp.ParsePublicJWK([]byte(r.stdout)) // refuses "d"
	if r.code != ExitOK || err != nil || string(pub.Bytes) != string(k.Public.Bytes) {
		t.Fatalf("public: exit %d %v %s", r.code, err, r.stdout)
	}
	// The public file reads back, as a public key.
	pubPath := filepath.Join(dir, "bbs.pub.jwk")
	os.WriteFile(pubPath, []byte(r.stdout), 0o644)
	if r := runCLI(t, "keys", "show", "--json", pubPath); r.code != ExitOK || !strings.Contains(r.stdout, `"private": false`) || !strings.Contains(r.stdout, out.DID) {
		t.Fatalf("show public: exit %d %s %s", r.code, r.stdout, r.stderr)
	}
	// A private BBS file others may read is refused.
	if runtime.GOOS != "windows" {
		os.Chmod(path, 0o644)
		if r := runCLI(t, "keys", "show", path); r.code != ExitFailure || !strings.Contains(r.stderr, "0644") && !strings.Contains(strings.ToLower(r.stderr), "permission") {
			t.Fatalf("insecure file: exit %d %s", r.code, r.stderr)
		}
	}
}
