package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cairn-id/cairn/internal/did"
	"github.com/cairn-id/cairn/internal/jose"
	"github.com/cairn-id/cairn/internal/keys"
	"github.com/cairn-id/cairn/internal/oid4vp"
	"github.com/cairn-id/cairn/internal/qr"
	"github.com/cairn-id/cairn/internal/sdjwtvc"
	"github.com/cairn-id/cairn/internal/testkit"
	"github.com/cairn-id/cairn/internal/trust"
	"github.com/cairn-id/cairn/internal/vccheck"
	"github.com/cairn-id/cairn/verifier"
)

func runCLIAt(t *testing.T, now time.Time, args ...string) cliResult {
	t.Helper()
	var out, errb bytes.Buffer
	e := &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, getenv: func(string) string { return "" }, now: func() time.Time { return now }}
	code := run(context.Background(), args, e)
	return cliResult{code, out.String(), errb.String()}
}

func TestVerifierInit(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "desk")
	r := runCLI(t, "verifier", "init", "--dir", dir, "--name", "en=Clinic desk,fr=Accueil", "--url", "https://desk.example")
	if r.code != ExitOK {
		t.Fatalf("init: %d %s", r.code, r.stderr)
	}
	lines := strings.Split(r.stdout, "\n")
	d := lines[0]
	if !strings.HasPrefix(d, "did:jwk:") {
		t.Fatalf("first line %q is not the DID", d)
	}
	for _, want := range []string{
		"cairn registry add --did " + d + ` --role verifier --name "en=Clinic desk,fr=Accueil"`,
		"cairn registry authorize --did " + d + " --purpose clinic-access --claims /birthdate,/family_name,/given_name",
		"--purpose bank-account", "--purpose school-enrolment", "--purpose cash-assistance --claims /birthdate,/family_name,/given_name,/household_size",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("init output lacks %q:\n%s", want, r.stdout)
		}
	}
	for f, mode := range map[string]os.FileMode{"": 0o700, "key.jwk": 0o600, "results.key": 0o600, "verifier.json": 0o600} {
		fi, err := os.Stat(filepath.Join(dir, f))
		if err != nil || fi.Mode().Perm() != mode {
			t.Errorf("%s: %v %v, want %o", f, fi.Mode(), err, mode)
		}
	}
	if r := runCLI(t, "verifier", "init", "--dir", dir, "--name", "en=Again", "--url", "https://desk.example"); r.code == ExitOK {
		t.Error("init over an existing verifier succeeded")
	}
	if r := runCLI(t, "verifier", "init", "--dir", t.TempDir(), "--name", "en=X", "--url", "http://desk.example"); r.code != ExitUsage {
		t.Errorf("http URL without --dev: exit %d", r.code)
	}
}

type verifierWorld struct {
	authority, ngo, holder *keys.PrivateKey
	reg                    *trust.Registry
	authFile               string
}

func newVerifierWorld(t *testing.T, verifierDID string, expires time.Time) *verifierWorld {
	t.Helper()
	gen := func() *keys.PrivateKey {
		k, err := keys.Generate(jose.ES256, nil)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	w := &verifierWorld{authority: gen(), ngo: gen(), holder: gen()}
	since := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	ents := []trust.Entity{{DID: w.ngo.DIDJWK(), Names: map[string]string{"en": "NGO"}, Role: trust.RoleIssuer, Status: trust.StatusActive,
		StatusHistory: []trust.StatusChange{{Status: trust.StatusActive, At: since}}, ValidFrom: since,
		IssuerAuthorizations: []trust.IssuerAuthorization{{VCT: "urn:cairn:vct:identity-attestation:1", MaxStrength: 3, MaxValidity: 3, MaxVerification: 3, From: since}}}}
	if verifierDID != "" {
		ents = append(ents, trust.Entity{DID: verifierDID, Names: map[string]string{"en": "Desk"}, Role: trust.RoleVerifier, Status: trust.StatusActive,
			StatusHistory: []trust.StatusChange{{Status: trust.StatusActive, At: since}}, ValidFrom: since,
			VerifierAuthorizations: []trust.VerifierAuthorization{{Purpose: "clinic-access", Claims: []string{"/family_name", "/given_name", "/birthdate"}, From: since}}})
	}
	w.reg = &trust.Registry{ID: "pilot", Name: "Pilot", Authority: w.authority.DIDJWK(), Version: 1, IssuedAt: since, Expires: expires, Entities: ents}
	w.authFile = filepath.Join(t.TempDir(), "authority.pub.jwk")
	b, _ := json.Marshal(w.authority.PublicJWK())
	if err := os.WriteFile(w.authFile, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return w
}

func (w *verifierWorld) snapshot(t *testing.T) string {
	s, err := trust.SignSnapshot(w.reg, w.authority.JoseSigner().WithKeyID(w.authority.DIDJWK()+"#0"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func (w *verifierWorld) credential(t *testing.T, iat time.Time) string {
	s, err := sdjwtvc.Issue(sdjwtvc.Credential{VCT: "urn:cairn:vct:identity-attestation:1", Issuer: w.ngo.DIDJWK(), IssuedAt: iat, ExpiresAt: iat.Add(3 * 365 * 24 * time.Hour),
		HolderJWK: w.holder.PublicJWK(), Claims: map[string]any{"family_name": "Haddad", "given_name": "Amina", "birthdate": "1990-04-02"},
		Disclosable: []string{"/family_name", "/given_name", "/birthdate"}}, sdjwtvc.IssueOptions{Signer: w.ngo.JoseSigner().WithKeyID(w.ngo.DIDJWK() + "#0")})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestVerifierCheckOffline: a proximity QR verified from its PNG against a
// fresh bundle, then a stale one (refused, then accepted and shown).
func TestVerifierCheckOffline(t *testing.T) {
	now := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	w := newVerifierWorld(t, "", now.Add(7*24*time.Hour))
	cred := w.credential(t, now.Add(-30*24*time.Hour))
	dir := t.TempDir()
	bundle := filepath.Join(dir, "bundle.json")
	b, err := trust.MakeBundle(w.snapshot(t), nil, now.Add(-2*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(bundle, b, 0o600)
	qrAt := func(at time.Time, nonce string) string {
		p, err := sdjwtvc.Present(cred, w.holder.JoseSigner(), sdjwtvc.PresentOptions{Paths: []string{"/family_name", "/given_name"}, Audience: verifier.ProximityAudience, Nonce: nonce, Now: func() time.Time { return at }})
		if err != nil {
			t.Fatal(err)
		}
		png, err := qr.Encode(p, qr.LevelLow)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), "scan.png")
		os.WriteFile(path, png, 0o600)
		return path
	}
	fresh := qrAt(now, "K7P2")
	r := runCLIAt(t, now, "verifier", "check", "--bundle", bundle, "--registry-key", w.authFile, "--challenge", "K7P2", "--qr", fresh)
	if r.code != ExitOK || !strings.Contains(r.stdout, "VALID") || !strings.Contains(r.stdout, "2h0m0s old") || !strings.Contains(r.stdout, "Haddad") {
		t.Errorf("fresh: %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = runCLIAt(t, now, "verifier", "check", "--bundle", bundle, "--registry-key", w.authFile, "--challenge", "ZZZZ", "--qr", fresh)
	if r.code != ExitInvalid || !strings.Contains(r.stdout, string(verifier.CodeChallengeNeeded)) {
		t.Errorf("wrong challenge: %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	later := now.Add(8 * 24 * time.Hour)
	stale := qrAt(later, "Q9")
	r = runCLIAt(t, later, "verifier", "check", "--bundle", bundle, "--registry-key", w.authFile, "--challenge", "Q9", "--qr", stale)
	if r.code != ExitStaleBundle || !strings.Contains(r.stderr, "past its expiry") {
		t.Errorf("stale: %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = runCLIAt(t, later, "verifier", "check", "--bundle", bundle, "--registry-key", w.authFile, "--challenge", "Q9", "--qr", stale, "--accept-stale")
	if r.code != ExitOK || !strings.Contains(r.stdout, "PAST ITS EXPIRY, accepted with --accept-stale") {
		t.Errorf("stale accepted: %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = runCLIAt(t, later, "verifier", "check", "--bundle", bundle, "--registry-key", w.authFile, "--challenge", "Q9", "--qr", stale, "--accept-stale", "--json")
	var res verifier.Result
	if err := json.Unmarshal([]byte(r.stdout), &res); err != nil || !res.StaleAccepted || res.BundleAge == "" {
		t.Errorf("stale --json: %v %s", err, r.stdout)
	}
	if r := runCLIAt(t, now, "verifier", "check", "--bundle", bundle, "--registry-key", w.authFile); r.code != ExitUsage {
		t.Errorf("no input: exit %d", r.code)
	}
	// Files are read within bounds: a huge presentation file or image is
	// refused before it is read whole.
	huge := filepath.Join(t.TempDir(), "huge.txt")
	if err := os.WriteFile(huge, []byte(strings.Repeat("A", 3*verifier.MaxProximityLen)), 0o600); err != nil {
		t.Fatal(err)
	}
	if r := runCLIAt(t, now, "verifier", "check", "--bundle", bundle, "--registry-key", w.authFile, huge); r.code != ExitUsage || !strings.Contains(r.stderr, "larger than its limit") {
		t.Errorf("huge file: exit %d\n%s", r.code, r.stderr)
	}
}

// TestVerifierServeRequestResult: init, serve, request through the admin
// socket, a Go wallet answers, result --wait shows it.
func TestVerifierServeRequestResult(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "desk")
	addr := freeAddr(t)
	base := "http://" + addr
	r := runCLI(t, "verifier", "init", "--dir", dir, "--name", "en=Desk", "--url", base, "--dev")
	if r.code != ExitOK {
		t.Fatalf("init: %d %s", r.code, r.stderr)
	}
	vdid := strings.SplitN(r.stdout, "\n", 2)[0]
	w := newVerifierWorld(t, vdid, time.Now().Add(24*time.Hour))
	// The registry lets the desk ask only for the names: its clinic-access
	// query, which asks for the birth date too, over-asks.
	w.reg.Entity(vdid).VerifierAuthorizations[0].Claims = []string{"/family_name", "/given_name"}
	regFile := filepath.Join(t.TempDir(), "registry.jws")
	os.WriteFile(regFile, []byte(w.snapshot(t)), 0o600)

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	serveErr := &testkit.SyncBuffer{}
	go func() {
		done <- run(ctx, []string{"verifier", "serve", "--dir", dir, "--addr", addr, "--registry", regFile, "--registry-key", w.authFile},
			&env{stdin: strings.NewReader(""), stdout: io.Discard, stderr: serveErr, getenv: func(string) string { return "" }, now: time.Now})
	}()
	defer func() {
		cancel()
		select {
		case code := <-done:
			if code != 0 {
				t.Errorf("serve exited %d: %s", code, serveErr.String())
			}
		case <-time.After(15 * time.Second):
			t.Error("serve did not shut down")
		}
		if strings.Contains(serveErr.String(), "Haddad") {
			t.Error("a claim value reached the log")
		}
	}()
	if !waitReady(base) {
		t.Fatalf("server not ready: %s", serveErr.String())
	}
	r = runCLIAt(t, time.Now(), "verifier", "request", "--dir", dir, "--purpose", "clinic-access", "--json")
	if r.code != ExitOK {
		t.Fatalf("request: %d %s", r.code, r.stderr)
	}
	var req verifier.Request
	if err := json.Unmarshal([]byte(r.stdout), &req); err != nil {
		t.Fatal(err)
	}
	if req.OverAsking == nil || !strings.Contains(r.stderr, "WARNING: This request asks for more than the trust registry") || !strings.Contains(r.stderr, "/birthdate") {
		t.Errorf("request: no over-asking warning: %+v\n%s", req.OverAsking, r.stderr)
	}
	if r := runCLIAt(t, time.Now(), "verifier", "request", "--dir", dir, "--purpose", "bank-account"); r.code != ExitOK || !strings.Contains(r.stderr, "WARNING: The trust registry does not authorize this desk for this purpose") {
		t.Errorf("request for a purpose not granted: %d\n%s", r.code, r.stderr)
	}
	if r := runCLIAt(t, time.Now(), "verifier", "result", "--dir", dir, req.SessionID); r.code != ExitNoResult {
		t.Errorf("pending result: exit %d %s", r.code, r.stderr)
	}
	if r := runCLIAt(t, time.Now(), "verifier", "request", "--dir", dir, "--purpose", "nope"); r.code != ExitUsage {
		t.Errorf("unknown purpose: exit %d %s", r.code, r.stderr)
	}

	// The wallet.
	ru, err := oid4vp.ParseRequestURI(req.URI, oid4vp.Options{Dev: true})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(ru.RequestURI)
	if err != nil {
		t.Fatal(err)
	}
	jws, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	ar, err := oid4vp.VerifyRequestObject(context.Background(), string(jws), oid4vp.VerifyOptions{Options: oid4vp.Options{Dev: true}, ClientID: ru.ClientID, Resolver: &did.Resolver{}})
	if err != nil {
		t.Fatalf("request object: %v (%s)", err, jws)
	}
	p, err := sdjwtvc.Present(w.credential(t, time.Now().Add(-time.Hour)), w.holder.JoseSigner(), sdjwtvc.PresentOptions{Paths: []string{"/family_name", "/given_name", "/birthdate"}, Audience: oid4vp.KBAudience(ar.ClientID), Nonce: ar.Nonce})
	if err != nil {
		t.Fatal(err)
	}
	form, err := (&oid4vp.Response{VPToken: oid4vp.VPToken{"identity": {p}}, State: ar.State}).EncryptedForm(ar, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp, err := http.PostForm(ar.ResponseURI, form); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("post: %v %v", resp, err)
	}
	r = runCLIAt(t, time.Now(), "verifier", "result", "--dir", dir, req.SessionID, "--wait", "5s", "--lang", "fr")
	if r.code != ExitOK || !strings.Contains(r.stdout, "VALID (valid)") || !strings.Contains(r.stdout, "Les attestations sont authentiques") || !strings.Contains(r.stdout, "Haddad") || !strings.Contains(r.stdout, "policy basic-services") {
		t.Errorf("result: %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	// The desk's own over-asking, and identifiers shortened after names
	// (in full with --verbose).
	ngo := w.ngo.DIDJWK()
	if !regexp.MustCompile(`OVER-ASKING: +Cette demande porte sur plus`).MatchString(r.stdout) || !strings.Contains(r.stdout, "beyond the purpose clinic-access: /birthdate") {
		t.Errorf("result: over-asking not said:\n%s", r.stdout)
	}
	if strings.Contains(r.stdout, ngo) || !strings.Contains(r.stdout, "NGO ("+vccheck.ShortID(ngo)+")") || vccheck.ShortID(ngo) == ngo {
		t.Errorf("result: the issuer is not shown as name (short id):\n%s", r.stdout)
	}
	if r := runCLIAt(t, time.Now(), "verifier", "result", "--dir", dir, req.SessionID, "--verbose"); !strings.Contains(r.stdout, "NGO ("+ngo+")") {
		t.Errorf("result --verbose: %d\n%s", r.code, r.stdout)
	}
	r = runCLIAt(t, time.Now(), "verifier", "result", "--dir", dir, req.SessionID, "--json")
	var res verifier.Result
	if err := json.Unmarshal([]byte(r.stdout), &res); err != nil || res.Code != verifier.CodeValid {
		t.Errorf("result --json: %v %s", err, r.stdout)
	}
}

// TestPrintResultProvisional: a result whose only problem is a status that
// could not be checked prints its assessment, marked provisional in the
// result's language; a revoked one prints none.
func TestPrintResultProvisional(t *testing.T) {
	a := json.RawMessage(`{"policy":"bank-account","met":{"profile":"eu-pid"},"eidas":"high","summary":"Meets profile eu-pid of policy bank-account (version 2)."}`)
	r := &verifier.Result{Outcome: verifier.OutcomeUndetermined, Code: verifier.Code(vccheck.CodeStatusUnavailable), Assurance: a, AssuranceProvisional: true}
	r.Localize("fr")
	var b bytes.Buffer
	if err := printResult(&b, r, verifyPrint{}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if !strings.Contains(out, "UNDETERMINED (status_unavailable)") || !strings.Contains(out, "PROVISIONAL:  Provisoire : satisfait au profil eu-pid") ||
		!strings.Contains(out, "eIDAS advice: high") {
		t.Errorf("provisional result printed as:\n%s", out)
	}
	b.Reset()
	if err := printResult(&b, &verifier.Result{Outcome: verifier.OutcomeInvalid, Code: verifier.Code(vccheck.CodeRevoked)}, verifyPrint{}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "PROVISIONAL") || strings.Contains(b.String(), "assurance:") {
		t.Errorf("revoked result printed as:\n%s", b.String())
	}
}
