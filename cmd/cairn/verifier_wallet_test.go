package main

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cairn-id/cairn/internal/jose"
	"github.com/cairn-id/cairn/internal/proximity"
	"github.com/cairn-id/cairn/internal/qr"
	"github.com/cairn-id/cairn/internal/trust"
	"github.com/cairn-id/cairn/verifier"
)

// TestVerifierCheckWalletQR: the project's issuer issues to the wallet
// agent, whose 'cairn wallet proximity --png' QR (format CP1) is verified
// by 'cairn verifier check --qr' against an offline bundle holding the
// issuer's status list: valid with a fresh bundle; with a stale one,
// refused (exit 13), then accepted with --accept-stale and shown.
func TestVerifierCheckWalletQR(t *testing.T) {
	work := t.TempDir()
	ngo := filepath.Join(work, "ngo")
	issAddr := freeAddr(t)
	const vct = "urn:cairn:vct:humanitarian-registration:1"
	code, out, stderr := issuerCLI(t, "issuer", "init", "--dir", ngo, "--name", "en=Relief", "--url", "http://"+issAddr, "--dev", "--type", vct)
	if code != 0 {
		t.Fatalf("init: %d %s", code, stderr)
	}
	issuerDID := regexp.MustCompile(`did:jwk:\S+`).FindString(out)
	serveInProcess(t, ngo, issAddr)
	claims := filepath.Join(work, "c.json")
	os.WriteFile(claims, []byte(`{"given_name":"Aminata","family_name":"Diallo","registration_id":"REG-77","registration_date":"2025-03-02","registration_place":{"country":"LB"}}`), 0o600)
	code, out, stderr = issuerCLI(t, "issuer", "offer", "--no-png", "--dir", ngo, "--type", vct, "--claims", claims, "--json")
	if code != 0 {
		t.Fatalf("offer: %d %s", code, stderr)
	}
	var offer map[string]string
	if err := json.Unmarshal([]byte(out), &offer); err != nil {
		t.Fatal(err)
	}

	agentAddr := freeAddr(t)
	walletServe(t, filepath.Join(work, "agent"), agentAddr, "--dev-allow-private-network")
	pin := filepath.Join(work, "pin")
	os.WriteFile(pin, []byte("2468\n"), 0o600)
	session := filepath.Join(work, "s.json")
	if code, _, stderr := walletCLI(t, "wallet", "--agent", "http://"+agentAddr, "--session", session, "holder", "create", "--pin-file", pin); code != 0 {
		t.Fatalf("create: %d %s", code, stderr)
	}
	if code, out, stderr := walletCLI(t, "wallet", "--session", session, "receive", offer["uri"], "--yes"); code != 0 {
		t.Fatalf("receive: %d\n%s\n%s", code, out, stderr)
	}
	png := filepath.Join(work, "qr.png")
	if code, _, stderr := walletCLI(t, "wallet", "--session", session, "proximity", "--challenge", "K7P2-91AB", "--png", png, "--claim", "given_name", "--claim", "family_name"); code != 0 {
		t.Fatalf("proximity: %d %s", code, stderr)
	}

	// The bundle: the registry admits the issuer; its status list is
	// fetched now (the check itself has no network).
	img, _ := os.ReadFile(png)
	text, err := qr.Decode(img)
	if err != nil || !strings.HasPrefix(text, proximity.Prefix) {
		t.Fatalf("the wallet's QR: %q %v", text, err)
	}
	pres, err := proximity.Decode(text)
	if err != nil {
		t.Fatal(err)
	}
	j, err := jose.ParseLimited(strings.SplitN(pres, "~", 2)[0], 16<<10)
	if err != nil {
		t.Fatal(err)
	}
	var payload struct {
		Status struct {
			StatusList struct {
				URI string `json:"uri"`
			} `json:"status_list"`
		} `json:"status"`
	}
	if err := json.Unmarshal(j.Payload, &payload); err != nil || payload.Status.StatusList.URI == "" {
		t.Fatalf("no status reference: %v %s", err, j.Payload)
	}
	resp, err := http.Get(payload.Status.StatusList.URI)
	if err != nil {
		t.Fatal(err)
	}
	list, _ := io.ReadAll(resp.Body)
	resp.Body.Close()

	// The stale snapshot expired just after the list was fetched; the
	// desk checks two minutes later (within the KB-JWT's five minutes).
	fetched := time.Now()
	now := fetched.Add(2 * time.Minute)
	w := newVerifierWorld(t, "", now)
	since := now.Add(-24 * time.Hour)
	w.reg.IssuedAt = since
	w.reg.Entities = []trust.Entity{{DID: issuerDID, Names: map[string]string{"en": "Relief"}, Role: trust.RoleIssuer, Status: trust.StatusActive,
		StatusHistory: []trust.StatusChange{{Status: trust.StatusActive, At: since}}, ValidFrom: since,
		IssuerAuthorizations: []trust.IssuerAuthorization{{VCT: vct, MaxStrength: 3, MaxValidity: 3, MaxVerification: 3, From: since}}}}
	bundleFor := func(name string, expires time.Time) string {
		w.reg.Expires = expires
		b, err := trust.MakeBundle(w.snapshot(t), map[string]string{payload.Status.StatusList.URI: string(list)}, now.Add(-2*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(work, name)
		os.WriteFile(path, b, 0o600)
		return path
	}
	fresh, stale := bundleFor("fresh.json", now.Add(7*24*time.Hour)), bundleFor("stale.json", fetched.Add(time.Second))
	check := func(bundle, challenge string, extra ...string) cliResult {
		return runCLIAt(t, now, append([]string{"verifier", "check", "--bundle", bundle, "--registry-key", w.authFile, "--challenge", challenge, "--qr", png}, extra...)...)
	}
	for _, c := range []struct {
		name             string
		r                cliResult
		code             int
		stdout, stderr   string
		stdoutNot, plain string
	}{
		{name: "fresh", r: check(fresh, "K7P2-91AB"), code: ExitOK, stdout: "VALID", plain: "Diallo"},
		{name: "other challenge", r: check(fresh, "ZZZZ"), code: ExitInvalid, stdout: string(verifier.CodeChallengeNeeded)},
		{name: "stale", r: check(stale, "K7P2-91AB"), code: ExitStaleBundle, stderr: "past its expiry", stdoutNot: "Diallo"},
		{name: "stale accepted", r: check(stale, "K7P2-91AB", "--accept-stale"), code: ExitOK, stdout: "PAST ITS EXPIRY, accepted with --accept-stale", plain: "Aminata"},
	} {
		if c.r.code != c.code || !strings.Contains(c.r.stdout, c.stdout) || !strings.Contains(c.r.stderr, c.stderr) || !strings.Contains(c.r.stdout, c.plain) ||
			(c.stdoutNot != "" && strings.Contains(c.r.stdout, c.stdoutNot)) {
			t.Errorf("%s: exit %d, want %d\n%s%s", c.name, c.r.code, c.code, c.r.stdout, c.r.stderr)
		}
	}
}
