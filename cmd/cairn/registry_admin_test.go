package main

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/cairn-id/cairn/internal/trust"
)

// cairn runs any cairn command with the registry test's clock.
func (r *registryCLI) cairn(args ...string) cliResult {
	r.t.Helper()
	var out, errb bytes.Buffer
	now := r.now
	e := &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, getenv: func(string) string { return "" }, now: func() time.Time { return now }}
	code := run(context.Background(), args, e)
	return cliResult{code, out.String(), errb.String()}
}

const hrVCT = "urn:cairn:vct:humanitarian-registration:1"

// walkthroughIssuer follows docs/registry-walkthrough.md: the board is
// created, the NGO (an issuer directory) is admitted and authorized with
// the given extra authorize flags, and the registry is published. It
// returns the NGO's DID.
func (r *registryCLI) walkthroughIssuer(authorize ...string) string {
	r.t.Helper()
	r.ok("init", "--name", "Lesvos Pilot Board", "--key", r.path("board.jwk"), "--pin-out", r.path("authority.pub.jwk"))
	res := r.cairn("issuer", "init", "--dir", r.path("ngo"), "--name", "en=Helping Hands", "--url", "https://ngo.example", "--type", hrVCT)
	if res.code != ExitOK {
		r.t.Fatalf("issuer init: %d %s", res.code, res.stderr)
	}
	ngo := strings.TrimSpace(res.stdout)
	r.ok("add", "--did", ngo, "--role", "issuer", "--name", "en=Helping Hands,fr=Mains Secourables")
	r.ok(append([]string{"authorize", "--did", ngo}, authorize...)...)
	r.ok("publish", "--key", r.path("board.jwk"), "--out", r.path("registry.jwt"))
	claims := `{"given_name": "Amina", "family_name": "Haddad", "registration_id": "REG-1", "registration_date": "2025-03-02", "registration_place": {"country": "LB"}}`
	if err := os.WriteFile(r.path("amina.json"), []byte(claims), 0o600); err != nil {
		r.t.Fatal(err)
	}
	return ngo
}

func (r *registryCLI) offer() cliResult {
	r.t.Helper()
	return r.cairn("issuer", "offer", "--dir", r.path("ngo"), "--type", hrVCT, "--claims", r.path("amina.json"),
		"--registry", r.path("registry.jwt"), "--registry-key", r.path("authority.pub.jwk"), "--no-png")
}

// TestRegistryCLIDefaultCapsLetIssue: an NGO authorized with the defaults
// (and the type's short name) can issue the type's default evidence.
func TestRegistryCLIDefaultCapsLetIssue(t *testing.T) {
	r := newRegistryCLI(t)
	r.walkthroughIssuer("--vct", "humanitarian-registration", "--jurisdiction", "GR")
	show := r.ok("show").stdout
	if !strings.Contains(show, "a1: may issue "+hrVCT+" (strength ≤2, validity ≤2, verification ≤2, GR)") {
		t.Fatalf("show:\n%s", show)
	}
	if res := r.offer(); res.code != ExitOK || !strings.HasPrefix(res.stdout, "openid-credential-offer://") {
		t.Fatalf("offer with the default evidence: exit %d\n%s", res.code, res.stderr)
	}
}

// TestRegistryCLIEvidenceRefusalSaysWhat: a cap below the default
// evidence is refused with the score, the value asked, the cap and the
// commands that raise it.
func TestRegistryCLIEvidenceRefusalSaysWhat(t *testing.T) {
	r := newRegistryCLI(t)
	ngo := r.walkthroughIssuer("--vct", hrVCT, "--max-verification", "0")
	res := r.offer()
	if res.code != ExitNotAuthorized {
		t.Fatalf("offer: exit %d %s", res.code, res.stderr)
	}
	for _, want := range []string{"evidence verification above the registry cap", "verification asked 2, cap 0",
		"cairn registry amend --did " + ngo + " --id a1 --max-verification 2", "cairn registry publish"} {
		if !strings.Contains(res.stderr, want) {
			t.Errorf("refusal lacks %q:\n%s", want, res.stderr)
		}
	}
	// Authorizing with a cap below the default evidence said so.
	r2 := newRegistryCLI(t)
	r2.ok("init", "--name", "B", "--key", r2.path("b.jwk"))
	r2.ok("add", "--did", "did:web:ngo.example", "--role", "issuer", "--name", "en=NGO")
	if res := r2.ok("authorize", "--did", "did:web:ngo.example", "--vct", "humanitarian-registration", "--max-verification", "1"); !strings.Contains(res.stderr, "verification 2") {
		t.Errorf("no warning about caps below the default evidence: %s", res.stderr)
	}
}

// TestRegistryCLIAmendAndDeauthorize corrects a mistaken authorization
// and ends one, keeping the history that answers for the past.
func TestRegistryCLIAmendAndDeauthorize(t *testing.T) {
	r := newRegistryCLI(t)
	ngo := r.walkthroughIssuer("--vct", hrVCT, "--max-strength", "2", "--max-validity", "2", "--max-verification", "0")
	issuedBefore := r.now.Add(time.Minute)

	// Authorizing again does not add a second entry.
	res := r.run("authorize", "--did", ngo, "--vct", hrVCT, "--max-verification", "2")
	if res.code != ExitUsage || !strings.Contains(res.stderr, "a1") || !strings.Contains(res.stderr, "cairn registry amend") {
		t.Fatalf("second authorize: %d %s", res.code, res.stderr)
	}

	r.now = r.now.Add(24 * time.Hour)
	amendedAt := r.now
	res = r.ok("amend", "--did", ngo, "--id", "a1", "--max-verification", "2", "--reason", "verification cap forgotten")
	if !strings.Contains(res.stderr, "a2") {
		t.Fatalf("amend output: %s", res.stderr)
	}
	r.ok("publish", "--key", r.path("board.jwk"), "--out", r.path("registry.jwt"))
	if res := r.offer(); res.code != ExitOK {
		t.Fatalf("offer after the amendment: %d %s", res.code, res.stderr)
	}
	show := r.ok("show").stdout
	for _, want := range []string{"a1: may issue", "ended " + amendedAt.Format(time.RFC3339), "verification cap forgotten", "a2: may issue", "replaces a1"} {
		if !strings.Contains(show, want) {
			t.Errorf("show lacks %q:\n%s", want, show)
		}
	}

	r.now = r.now.Add(24 * time.Hour)
	endedAt := r.now
	r.ok("deauthorize", "--did", ngo, "--id", "a2", "--reason", "programme closed")
	if res := r.run("deauthorize", "--did", ngo, "--id", "a2"); res.code != ExitUsage {
		t.Fatalf("deauthorize twice: %d", res.code)
	}
	if res := r.run("deauthorize", "--did", ngo, "--id", "a7"); res.code != ExitUsage || !strings.Contains(res.stderr, "registry show") {
		t.Fatalf("deauthorize unknown id: %d %s", res.code, res.stderr)
	}
	res = r.ok("publish", "--key", r.path("board.jwk"), "--out", "-")
	reg, err := trust.VerifySnapshot(strings.TrimSpace(res.stdout), r.pinned(), r.now)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		at  time.Time
		ok  bool
		ver int
	}{
		{issuedBefore, true, 0},
		{amendedAt, true, 2},
		{endedAt.Add(-time.Second), true, 2},
		{endedAt, false, 0},
	} {
		d, _ := reg.IssuerAuthorized(ngo, hrVCT, tc.at)
		if d.Authorized != tc.ok || tc.ok && d.Authorization.MaxVerification != tc.ver {
			t.Errorf("at %s: %+v", tc.at, d)
		}
	}

	// A verifier's purpose is amended with --claims.
	r.ok("add", "--did", "did:web:desk.example", "--role", "verifier", "--name", "en=Desk")
	r.ok("authorize", "--did", "did:web:desk.example", "--purpose", "intake", "--claims", "given_name")
	r.ok("amend", "--did", "did:web:desk.example", "--id", "a1", "--claims", "given_name,birthdate")
	if show := r.ok("show").stdout; !strings.Contains(show, `a2: may request for "intake": /birthdate, /given_name`) {
		t.Fatalf("show:\n%s", show)
	}
}

func TestRegistryCLIInputRules(t *testing.T) {
	r := newRegistryCLI(t)
	r.ok("init", "--name", "Board", "--key", r.path("authority.jwk"))
	r.ok("add", "--did", "did:web:ngo.example", "--role", "issuer", "--name", "en=NGO")
	tests := []struct {
		name  string
		args  []string
		code  int
		words []string
	}{
		{"unknown type", []string{"registry", "--db", r.db, "authorize", "--did", "did:web:ngo.example", "--vct", "https://cairn.example/vct/identity", "--max-strength", "2", "--max-validity", "2"},
			ExitUsage, []string{"not in the catalogue", "--allow-unknown-type", "cairn schemas list"}},
		{"unknown type allowed", []string{"registry", "--db", r.db, "authorize", "--did", "did:web:ngo.example", "--vct", "https://cairn.example/vct/identity", "--max-strength", "2", "--max-validity", "2", "--allow-unknown-type"},
			ExitOK, []string{"warning", "not in the catalogue"}},
		{"unknown type needs caps", []string{"registry", "--db", r.db, "authorize", "--did", "did:web:ngo.example", "--vct", "urn:other:vct", "--allow-unknown-type"},
			ExitUsage, []string{"--max-strength"}},
		{"did:example", []string{"registry", "--db", r.db, "add", "--did", "did:example:ngo", "--role", "issuer", "--name", "en=NGO"},
			ExitUsage, []string{"did:jwk, did:key, did:web"}},
		{"registry name without English", []string{"registry", "--db", r.db, "add", "--did", "did:web:other.example", "--role", "issuer", "--name", "fr=ONG"},
			ExitUsage, []string{"English display name (en=…) is required"}},
		{"issuer name without English", []string{"issuer", "init", "--dir", r.path("ngo"), "--name", "fr=ONG", "--url", "https://ngo.example", "--type", hrVCT},
			ExitUsage, []string{"English display name (en=…) is required"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := r.cairn(tc.args...)
			if res.code != tc.code {
				t.Fatalf("exit %d, want %d: %s", res.code, tc.code, res.stderr)
			}
			for _, w := range tc.words {
				if !strings.Contains(res.stderr, w) {
					t.Errorf("stderr lacks %q: %s", w, res.stderr)
				}
			}
		})
	}
}
