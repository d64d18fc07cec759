package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cairn-id/cairn/internal/did"
	"github.com/cairn-id/cairn/internal/keys"
	"github.com/cairn-id/cairn/internal/oid4vci"
	"github.com/cairn-id/cairn/internal/trust"
	"github.com/cairn-id/cairn/internal/vccheck"
	"github.com/cairn-id/cairn/issuer"
	"github.com/cairn-id/cairn/issuer/issuerdir"
)

// TestIssuerJPTCLI: jpt enabled at init and later, a jpt offer, its
// issuance (in process), the record in 'list', a refused revoke; the
// registry lists the BBS key with add-key and answers for it across a
// deauthorization.
func TestIssuerJPTCLI(t *testing.T) {
	const reg, lang = "urn:cairn:vct:humanitarian-registration:1", "urn:cairn:vct:language-skills:1"
	root := t.TempDir()
	dir := filepath.Join(root, "ngo")
	code, stdout, stderr := issuerCLI(t, "issuer", "init", "--dir", dir, "--name", "en=Relief", "--url", "https://issuer.relief.example",
		"--type", reg, "--type", lang, "--jpt", "humanitarian-registration", "--json")
	if code != 0 {
		t.Fatalf("init: %d %s", code, stderr)
	}
	var cfg issuer.DirConfig
	if err := json.Unmarshal([]byte(stdout), &cfg); err != nil || len(cfg.JPT) != 1 || cfg.JPT[0] != reg || cfg.BBSKey == "" {
		t.Fatalf("init config: %v %s", err, stdout)
	}
	if !strings.Contains(stderr, "cairn registry add-key --did "+cfg.DID+" --bbs-key "+cfg.BBSKey) {
		t.Errorf("init does not say how to register the BBS key:\n%s", stderr)
	}
	if fi, err := os.Stat(filepath.Join(dir, issuer.DirBBSKeyFile)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("BBS key file: %v", err)
	}
	if code, _, stderr := issuerCLI(t, "issuer", "init", "--dir", filepath.Join(root, "x"), "--name", "en=X", "--url", "https://x.example", "--type", reg, "--jpt", lang); code != ExitUsage || !strings.Contains(stderr, "--jpt") {
		t.Fatalf("init --jpt of another type: %d %s", code, stderr)
	}

	claims := filepath.Join(root, "c.json")
	os.WriteFile(claims, []byte(`{"registration_id":"REG-1","registration_date":"2025-03-02","registration_place":{"country":"LB"}}`), 0o600)
	// language-skills is not jpt yet: refused with exit 2.
	langClaims := filepath.Join(root, "l.json")
	os.WriteFile(langClaims, []byte(`{"languages":[{"language":"ar","level":"C2"}]}`), 0o600)
	if code, _, stderr := issuerCLI(t, "issuer", "offer", "--dir", dir, "--type", lang, "--claims", langClaims, "--format", "jpt", "--no-png"); code != ExitUsage || !strings.Contains(stderr, "jpt") {
		t.Fatalf("jpt offer of a type without it: %d %s", code, stderr)
	}
	code, stdout, stderr = issuerCLI(t, "issuer", "jpt", "--dir", dir, "--enable", "language-skills")
	if code != 0 || strings.TrimSpace(stdout) != cfg.BBSKey || !strings.Contains(stderr, lang) {
		t.Fatalf("issuer jpt --enable: %d %q %s", code, stdout, stderr)
	}
	if code, _, stderr := issuerCLI(t, "issuer", "jpt", "--dir", dir, "--enable", "school-enrolment"); code != ExitUsage {
		t.Fatalf("enable a type the issuer does not offer: %d %s", code, stderr)
	}

	code, stdout, stderr = issuerCLI(t, "issuer", "offer", "--dir", dir, "--type", "humanitarian-registration", "--claims", claims, "--format", "jpt", "--no-png", "--reference", "Q-9")
	if code != 0 {
		t.Fatalf("jpt offer: %d %s", code, stderr)
	}
	// Issue it in process, as the credential endpoint does.
	svc, err := issuerdir.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	ou, err := oid4vci.ParseOfferURI(strings.TrimSpace(stdout), oid4vci.Options{})
	if err != nil {
		t.Fatal(err)
	}
	o, err := svc.GetOffer(context.Background(), ou.URI[strings.LastIndex(ou.URI, "/")+1:])
	if err != nil || o.ConfigurationID != "humanitarian-registration.v1.jpt" {
		t.Fatalf("stored offer: %+v %v", o, err)
	}
	g, err := svc.RedeemCode(context.Background(), svc.CredentialOffer(o).Grants.PreAuthorizedCode.PreAuthorizedCode, "")
	if err != nil {
		t.Fatal(err)
	}
	issued, err := svc.IssueJPT(context.Background(), issuer.JPTRequest{AccessToken: g.AccessToken, ConfigurationID: o.ConfigurationID})
	svc.Close()
	if err != nil {
		t.Fatal(err)
	}
	id := issued.Record.CredentialID
	code, stdout, _ = issuerCLI(t, "issuer", "list", "--dir", dir)
	if code != 0 || !strings.Contains(stdout, "none (jpt)") {
		t.Fatalf("list: %s", stdout)
	}
	for _, verb := range []string{"revoke", "suspend"} {
		code, _, stderr = issuerCLI(t, "issuer", verb, "--dir", dir, "--", id)
		if code != ExitUsage || !strings.Contains(stderr, "jpt credential") || !strings.Contains(stderr, "expir") {
			t.Fatalf("%s of a jpt credential: %d %s", verb, code, stderr)
		}
	}
	if code, _, stderr = issuerCLI(t, "issuer", "revoke", "--dir", dir, "--reference", "Q-9"); code != 0 || !strings.Contains(stderr, "not revocable") {
		t.Fatalf("revoke --reference over a jpt credential: %d %s", code, stderr)
	}

	// The registry: the issuer, its BBS key, an authorization ended later.
	r := newRegistryCLI(t)
	r.ok("init", "--name", "Pilot Board", "--key", r.path("authority.jwk"))
	r.ok("add", "--did", cfg.DID, "--role", "issuer", "--name", "en=Relief")
	if res := r.run("add-key", "--did", cfg.DID, "--bbs-key", cfg.DID); res.code != ExitUsage {
		t.Fatalf("add-key with a JWS key's DID: %d %s", res.code, res.stderr)
	}
	r.ok("add-key", "--did", cfg.DID, "--bbs-key", cfg.BBSKey)
	// The BBS key names the issuer in authorize.
	r.ok("authorize", "--did", cfg.BBSKey, "--vct", reg, "--max-strength", "3", "--max-validity", "3")
	if show := r.ok("show"); !strings.Contains(show.stdout, "BBS key: "+cfg.BBSKey) {
		t.Fatalf("show:\n%s", show.stdout)
	}
	r.now = r.now.Add(72 * time.Hour)
	r.ok("deauthorize", "--did", cfg.DID, "--id", "a1", "--reason", "programme closed")
	r.ok("publish", "--key", r.path("authority.jwk"), "--out", r.path("registry.jwt"))
	snap, _ := os.ReadFile(r.path("registry.jwt"))
	tr, err := trust.VerifySnapshot(strings.TrimSpace(string(snap)), r.pinned(), r.now)
	if err != nil {
		t.Fatal(err)
	}
	bk, err := keys.LoadBBS(filepath.Join(dir, issuer.DirBBSKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	if pub, err := did.BBSKey(cfg.BBSKey); err != nil || pub.Kid != bk.Public.Kid {
		t.Fatalf("the printed BBS key: %v", err)
	}
	day := 24 * time.Hour
	start := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC) // the registry clock's first day
	for _, tc := range []struct {
		iat  time.Time
		want bool
	}{{start, true}, {start.Add(day), true}, {start.Add(3 * day), true}, {start.Add(4 * day), false}} {
		d, err := vccheck.BBSKeyAuthorized(tr, cfg.DID, &bk.Public, reg, tc.iat)
		if err != nil || d.Authorized != tc.want {
			t.Errorf("authorized on %s = %v (%s), want %v", tc.iat.Format("2006-01-02"), d.Authorized, d.Reason, tc.want)
		}
	}
}
