package main

import (
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cairn-id/cairn/internal/oid4vp"
	"github.com/cairn-id/cairn/internal/testkit"
	"github.com/cairn-id/cairn/verifier"
	"github.com/cairn-id/cairn/verifier/verifierdir"
)

func writeFile(t *testing.T, path string, b []byte, mode os.FileMode) string {
	t.Helper()
	if err := os.WriteFile(path, b, mode); err != nil {
		t.Fatal(err)
	}
	return path
}

func keyPEM(t *testing.T, c *testkit.TestCert) []byte {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(c.Key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
}

// 'verifier init --profile haip --x509': the client id is the x509_hash of
// the leaf, the anchor at the end of the chain is dropped, and the
// directory opens as a HAIP verifier; bad identities are usage errors.
func TestVerifierInitX509(t *testing.T) {
	now := time.Now()
	tmp := t.TempDir()
	ca := testkit.MintCert(t, "Test Access CA", nil, true, now, nil)
	leaf := testkit.MintCert(t, "Desk", ca, false, now, func(c *x509.Certificate) { c.DNSNames = []string{"desk.example"} })
	uriOnly := testkit.MintCert(t, "URI desk", ca, false, now, func(c *x509.Certificate) {
		u, _ := url.Parse("https://desk.example/")
		c.URIs = []*url.URL{u}
	})
	chain := writeFile(t, filepath.Join(tmp, "chain.pem"), append(leaf.PEM(), ca.PEM()...), 0o644)
	key := writeFile(t, filepath.Join(tmp, "leaf.key"), keyPEM(t, leaf), 0o600)
	dir := filepath.Join(tmp, "desk")
	r := runCLI(t, "verifier", "init", "--dir", dir, "--name", "en=EU desk", "--url", "https://desk.example", "--profile", "haip", "--x509", "--chain", chain, "--key-file", key, "--json")
	if r.code != ExitOK {
		t.Fatalf("init: %d %s", r.code, r.stderr)
	}
	var out struct {
		DID      string `json:"did"`
		ClientID string `json:"client_id"`
		Profile  string `json:"profile"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatal(err)
	}
	if want := oid4vp.X509HashClientID(leaf.Cert.Raw); out.ClientID != want || out.Profile != "haip" || !strings.HasPrefix(out.DID, "did:jwk:") {
		t.Fatalf("init output %+v, want client id %s", out, want)
	}
	saved, err := os.ReadFile(filepath.Join(dir, verifierdir.AccessChainFile))
	if err != nil {
		t.Fatal(err)
	}
	if got, dropped, err := verifierdir.ParseChainPEM(saved); err != nil || len(got) != 1 || dropped != 0 {
		t.Errorf("saved chain: %d certificates, %v", len(got), err)
	}
	svc, cfg, err := verifierdir.Open(dir, verifierdir.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if svc.ClientID() != out.ClientID || svc.Profile() != verifier.ProfileHAIP || cfg.ResponseMode != oid4vp.ResponseModeDirectPostJWT {
		t.Errorf("opened as %s %s %s", svc.ClientID(), svc.Profile(), cfg.ResponseMode)
	}
	svc.Close()

	// x509_san_dns with the leaf's dNSName.
	r = runCLI(t, "verifier", "init", "--dir", filepath.Join(tmp, "san"), "--name", "en=D", "--url", "https://desk.example", "--x509", "--chain", chain, "--key-file", key, "--san-dns", "desk.example", "--json")
	if r.code != ExitOK || !strings.Contains(r.stdout, `"x509_san_dns:desk.example"`) {
		t.Fatalf("san dns: %d %s %s", r.code, r.stdout, r.stderr)
	}

	other := testkit.MintCert(t, "Other", ca, false, now, nil)
	uriChain := writeFile(t, filepath.Join(tmp, "uri.pem"), uriOnly.PEM(), 0o644)
	uriKey := writeFile(t, filepath.Join(tmp, "uri.key"), keyPEM(t, uriOnly), 0o600)
	selfSigned := testkit.MintCert(t, "Self", nil, false, now, nil)
	cases := map[string]struct {
		args []string
		want int
		msg  string
	}{
		"haip without x509":     {[]string{"--profile", "haip"}, ExitUsage, "decentralized_identifier"},
		"unknown profile":       {[]string{"--profile", "fast"}, ExitUsage, "only profile"},
		"chain without x509":    {[]string{"--chain", chain}, ExitUsage, "go with --x509"},
		"x509 without key":      {[]string{"--x509", "--chain", chain}, ExitUsage, "--key-file"},
		"key of another leaf":   {[]string{"--x509", "--chain", chain, "--key-file", writeFile(t, filepath.Join(tmp, "other.key"), keyPEM(t, other), 0o600)}, ExitUsage, "not the key of the leaf"},
		"san dns not in leaf":   {[]string{"--x509", "--chain", uriChain, "--key-file", uriKey, "--san-dns", "desk.example"}, ExitUsage, "no dNSName"},
		"self-signed leaf":      {[]string{"--x509", "--chain", writeFile(t, filepath.Join(tmp, "self.pem"), selfSigned.PEM(), 0o644), "--key-file", writeFile(t, filepath.Join(tmp, "self.key"), keyPEM(t, selfSigned), 0o600)}, ExitUsage, "self-signed"},
		"key readable by group": {[]string{"--x509", "--chain", chain, "--key-file", writeFile(t, filepath.Join(tmp, "open.key"), keyPEM(t, leaf), 0o640)}, ExitFailure, "chmod 600"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			d := filepath.Join(tmp, strings.ReplaceAll(name, " ", "-"))
			args := append([]string{"verifier", "init", "--dir", d, "--name", "en=D", "--url", "https://desk.example"}, c.args...)
			r := runCLI(t, args...)
			if r.code != c.want || !strings.Contains(r.stderr, c.msg) {
				t.Fatalf("exit %d (want %d): %s", r.code, c.want, r.stderr)
			}
			if _, err := os.Stat(d); err == nil {
				t.Error("a refused init left a directory")
			}
		})
	}
}
