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
	"github.com/cairn-id/cairn/internal/statuslist"
	"github.com/cairn-id/cairn/internal/testkit"
	"github.com/cairn-id/cairn/internal/trust"
)

type registryCLI struct {
	t   *testing.T
	dir string
	db  string
	now time.Time
}

func newRegistryCLI(t *testing.T) *registryCLI {
	dir := t.TempDir()
	return &registryCLI{t: t, dir: dir, db: filepath.Join(dir, "reg.db"), now: time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)}
}

func (r *registryCLI) path(name string) string { return filepath.Join(r.dir, name) }

func (r *registryCLI) run(args ...string) cliResult {
	r.t.Helper()
	var out, errb bytes.Buffer
	now := r.now
	e := &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, getenv: func(string) string { return "" }, now: func() time.Time { return now }}
	code := run(context.Background(), append([]string{"registry", "--db", r.db}, args...), e)
	return cliResult{code, out.String(), errb.String()}
}

func (r *registryCLI) ok(args ...string) cliResult {
	r.t.Helper()
	res := r.run(args...)
	if res.code != ExitOK {
		r.t.Fatalf("%v: exit %d\nstderr: %s", args, res.code, res.stderr)
	}
	return res
}

func (r *registryCLI) pinned() []*jose.JWK {
	r.t.Helper()
	k, err := keys.LoadPublicJWK(r.path("authority.pub.jwk"))
	if err != nil {
		r.t.Fatal(err)
	}
	return []*jose.JWK{k}
}

func newIssuerKey(t *testing.T, dir string) *keys.PrivateKey {
	k, err := keys.Generate(keys.DefaultAlg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := keys.Save(filepath.Join(dir, "ngo.jwk"), k); err != nil {
		t.Fatal(err)
	}
	return k
}

func TestRegistryCLIWalkthrough(t *testing.T) {
	r := newRegistryCLI(t)
	res := r.ok("init", "--name", "Pilot Board", "--key", r.path("authority.jwk"))
	authDID := strings.TrimSpace(res.stdout)
	if !strings.HasPrefix(authDID, "did:jwk:") || !strings.Contains(res.stderr, "authority.pub.jwk") {
		t.Fatalf("init output: %q / %q", res.stdout, res.stderr)
	}
	if fi, err := os.Stat(r.path("authority.jwk")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("authority key: %v %v", fi, err)
	}
	pin := r.pinned()[0]
	if did.FromJWK(pin) != authDID || pin.Kid != authDID+"#0" {
		t.Fatalf("pin %+v does not name the authority %s", pin, authDID)
	}
	// init never runs twice.
	if res := r.run("init", "--name", "Again", "--key", r.path("authority.jwk")); res.code != ExitUsage {
		t.Fatalf("second init: exit %d", res.code)
	}

	ngo := newIssuerKey(t, r.dir)
	ngoDID := ngo.DIDJWK()
	vct := "urn:cairn:vct:identity-attestation:1"
	r.ok("add", "--did", ngoDID, "--role", "issuer", "--name", "en=Helping Hands,fr=Mains Secourables")
	r.ok("authorize", "--did", ngoDID, "--vct", vct, "--max-strength", "2", "--max-validity", "3", "--jurisdiction", "GR")
	r.ok("add", "--did", "did:web:desk.example", "--role", "verifier", "--name", "en=Intake desk")
	r.ok("authorize", "--did", "did:web:desk.example", "--purpose", "shelter-intake", "--claims", "given_name,family_name")

	show := r.ok("show", "--lang", "fr")
	for _, want := range []string{"Pilot Board", `issuer "Mains Secourables" [active]`, "may issue " + vct, `may request for "shelter-intake": /family_name, /given_name`, "published: version 0"} {
		if !strings.Contains(show.stdout, want) {
			t.Errorf("show lacks %q:\n%s", want, show.stdout)
		}
	}
	var st map[string]any
	if err := json.Unmarshal([]byte(r.ok("show", "--json").stdout), &st); err != nil || st["authority"].(map[string]any)["did"] != authDID {
		t.Fatalf("show --json: %v", err)
	}

	r.ok("publish", "--key", r.path("authority.jwk"), "--ttl", "720h", "--out", r.path("v1.jwt"))
	snap, _ := os.ReadFile(r.path("v1.jwt"))
	reg, err := trust.VerifySnapshot(strings.TrimSpace(string(snap)), r.pinned(), r.now)
	if err != nil || reg.Version != 1 {
		t.Fatalf("published snapshot: %v", err)
	}
	issued := r.now.Add(time.Hour)

	// Ten days later the NGO is suspended; version 2 says so.
	r.now = r.now.Add(10 * 24 * time.Hour)
	r.ok("suspend", "--did", ngoDID, "--reason", "audit")
	res = r.ok("publish", "--key", r.path("authority.jwk"), "--out", "-")
	reg, err = trust.VerifySnapshot(strings.TrimSpace(res.stdout), r.pinned(), r.now)
	if err != nil || reg.Version != 2 {
		t.Fatalf("v2: %v", err)
	}
	if d, _ := reg.IssuerAuthorized(ngoDID, vct, issued); !d.Authorized || d.CurrentStatus != trust.StatusSuspended {
		t.Fatalf("credential issued before suspension: %+v", d)
	}
	if d, _ := reg.IssuerAuthorized(ngoDID, vct, r.now.Add(time.Minute)); d.Authorized {
		t.Fatal("credential issued while suspended accepted")
	}
	r.ok("reinstate", "--did", ngoDID)

	// A bundle with the NGO's status list.
	list, err := statuslist.New(1, 64)
	if err != nil {
		t.Fatal(err)
	}
	_ = list.Set(5, 1)
	uri := "https://ngo.example/status/1"
	tok, err := list.SignToken(ngo.JoseSigner().WithKeyID(ngoDID+"#0"), statuslist.TokenOptions{Subject: uri, IssuedAt: r.now, ExpiresIn: 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(r.path("status-1.jwt"), []byte(tok), 0o644)
	r.ok("bundle", "--out", r.path("bundle.json"), "--status-list", uri+"="+r.path("status-1.jwt"))
	bb, _ := os.ReadFile(r.path("bundle.json"))
	b, err := trust.LoadBundle(context.Background(), bb, r.pinned(), r.now, trust.BundleOptions{Resolve: (&did.Resolver{}).ResolveKey})
	if err != nil {
		t.Fatal(err)
	}
	if s, err := b.Status(statuslist.Reference{URI: uri, Index: 5}); err != nil || s != 1 {
		t.Fatalf("bundled status: %d %v", s, err)
	}
	// A status list signed by a key the registry does not know is refused.
	stranger, _ := keys.Generate(keys.DefaultAlg, nil)
	bad, _ := list.SignToken(stranger.JoseSigner(), statuslist.TokenOptions{Subject: uri, IssuedAt: r.now})
	os.WriteFile(r.path("bad.jwt"), []byte(bad), 0o644)
	if res := r.run("bundle", "--out", r.path("bad-bundle.json"), "--status-list", uri+"="+r.path("bad.jwt")); res.code != ExitInvalid {
		t.Fatalf("bundle with a stranger's list: exit %d %s", res.code, res.stderr)
	}
	if _, err := os.Stat(r.path("bad-bundle.json")); err == nil {
		t.Fatal("refused bundle was written")
	}

	// Compromise: everything from the key becomes untrusted.
	r.ok("revoke", "--did", ngoDID, "--reason", "key stolen", "--compromised")
	res = r.ok("publish", "--key", r.path("authority.jwk"), "--out", "-")
	reg, _ = trust.VerifySnapshot(strings.TrimSpace(res.stdout), r.pinned(), r.now)
	if d, _ := reg.IssuerAuthorized(ngoDID, vct, issued); d.Authorized || d.Reason != trust.ReasonCompromised {
		t.Fatalf("after compromise: %+v", d)
	}
}

func TestRegistryCLIUsageErrors(t *testing.T) {
	r := newRegistryCLI(t)
	// Nothing initialized yet.
	if res := r.run("show"); res.code != ExitUsage || !strings.Contains(res.stderr, "registry init") {
		t.Fatalf("show without db: %d %s", res.code, res.stderr)
	}
	if _, err := os.Stat(r.db); err == nil {
		t.Fatal("show created a database")
	}
	r.ok("init", "--name", "Board", "--key", r.path("authority.jwk"))
	other := r.path("other.jwk")
	k, _ := keys.Generate(keys.DefaultAlg, nil)
	keys.Save(other, k)
	tests := []struct {
		name string
		args []string
		code int
	}{
		{"unknown subcommand", []string{"frobnicate"}, ExitUsage},
		{"add bad role", []string{"add", "--did", "did:web:x.example", "--role", "admin", "--name", "en=X"}, ExitUsage},
		{"add bad names", []string{"add", "--did", "did:web:x.example", "--role", "issuer", "--name", "Helping Hands"}, ExitUsage},
		{"add not a DID", []string{"add", "--did", "ngo", "--role", "issuer", "--name", "en=X"}, ExitUsage},
		{"add bad date", []string{"add", "--did", "did:web:x.example", "--role", "issuer", "--name", "en=X", "--valid-until", "soon"}, ExitUsage},
		{"add missing flag", []string{"add", "--did", "did:web:x.example"}, ExitUsage},
		{"authorize unknown", []string{"authorize", "--did", "did:web:none.example", "--vct", "humanitarian-registration", "--max-strength", "1", "--max-validity", "1"}, ExitUsage},
		{"authorize both", []string{"authorize", "--did", "did:example:x", "--vct", "v", "--purpose", "p"}, ExitUsage},
		{"authorize neither", []string{"authorize", "--did", "did:example:x"}, ExitUsage},
		{"suspend unknown", []string{"suspend", "--did", "did:example:none"}, ExitUsage},
		{"publish wrong key", []string{"publish", "--key", other}, ExitUsage},
		{"publish missing key", []string{"publish", "--key", r.path("missing.jwk")}, ExitUsage},
		{"bundle before publish", []string{"bundle", "--out", r.path("b.json")}, ExitUsage},
		{"bundle bad status-list", []string{"bundle", "--out", r.path("b.json"), "--status-list", "nofile"}, ExitUsage},
		{"serve bad addr", []string{"serve", "--addr", "not-an-address"}, ExitUsage},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if res := r.run(tc.args...); res.code != tc.code || res.stderr == "" {
				t.Fatalf("exit %d (want %d), stderr %q", res.code, tc.code, res.stderr)
			}
		})
	}
	// None of that changed the registry.
	var st struct {
		Revision uint64 `json:"revision"`
	}
	json.Unmarshal([]byte(r.ok("show", "--json").stdout), &st)
	if st.Revision != 1 {
		t.Fatalf("refused commands changed the registry: revision %d", st.Revision)
	}
	// An insecure key file is an I/O-class failure, not a usage error.
	os.Chmod(r.path("authority.jwk"), 0o644)
	if res := r.run("publish", "--key", r.path("authority.jwk")); res.code != ExitFailure {
		t.Fatalf("world-readable key: exit %d", res.code)
	}
}

func TestRegistryCLIServe(t *testing.T) {
	r := newRegistryCLI(t)
	r.ok("init", "--name", "Board", "--key", r.path("authority.jwk"))
	r.ok("add", "--did", "did:web:ngo.example", "--role", "issuer", "--name", "en=NGO")
	r.ok("publish", "--key", r.path("authority.jwk"))

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stderr testkit.SyncBuffer
	now := r.now
	e := &env{stdin: strings.NewReader(""), stdout: io.Discard, stderr: &stderr, getenv: func(string) string { return "" }, now: func() time.Time { return now }}
	done := make(chan int, 1)
	go func() { done <- run(ctx, []string{"registry", "--db", r.db, "serve", "--addr", "127.0.0.1:0"}, e) }()
	addrRe := regexp.MustCompile(`listening on (http://\S+)`)
	var base string
	for i := 0; i < 200 && base == ""; i++ {
		if m := addrRe.FindStringSubmatch(stderr.String()); m != nil {
			base = m[1]
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if base == "" {
		t.Fatalf("server did not start: %s", stderr.String())
	}
	c := &trust.Client{Pinned: r.pinned(), HTTPClient: &http.Client{Timeout: 5 * time.Second}, CachePath: r.path("cache.jwt"), Now: func() time.Time { return now }}
	reg, err := c.Refresh(ctx, base+"/registry/snapshot")
	if err != nil || reg.Entity("did:web:ngo.example") == nil {
		t.Fatalf("refresh from served registry: %v", err)
	}
	// Publishing while the server runs works, and the server hands out the new version.
	r.ok("suspend", "--did", "did:web:ngo.example")
	r.ok("publish", "--key", r.path("authority.jwk"))
	if reg, err := c.Refresh(ctx, base+"/registry/snapshot"); err != nil || reg.Version != 2 {
		t.Fatalf("refresh after publishing while serving: %v", err)
	}
	resp, err := http.Get(base + "/healthz")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("healthz: %v", err)
	}
	resp.Body.Close()
	cancel()
	select {
	case code := <-done:
		if code != ExitOK {
			t.Fatalf("serve exit %d: %s", code, stderr.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not shut down")
	}
	if !strings.Contains(stderr.String(), "registry stopped") {
		t.Fatalf("no shutdown message: %s", stderr.String())
	}
}
