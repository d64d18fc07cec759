package main

import (
	"bytes"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/cairn-id/cairn/internal/jose"
	"github.com/cairn-id/cairn/internal/lote"
	"github.com/cairn-id/cairn/internal/testkit"
)

const refLoTEFile = "../../testdata/eudi/trust-lists/lote-pid-providers-eudi-ref-2026-03-16.json"

// typedLoTE is the reference list with every service typed PID issuance
// and sequence seq.
func typedLoTE(t *testing.T, seq int) []byte {
	t.Helper()
	b, err := os.ReadFile(refLoTEFile)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	l := doc["LoTE"].(map[string]any)
	l["ListAndSchemeInformation"].(map[string]any)["LoTESequenceNumber"] = seq
	for _, e := range l["TrustedEntitiesList"].([]any) {
		for _, s := range e.(map[string]any)["TrustedEntityServices"].([]any) {
			s.(map[string]any)["ServiceInformation"].(map[string]any)["ServiceTypeIdentifier"] = lote.SvcPIDIssuance
		}
	}
	out, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestRegistryImportLoteCLI(t *testing.T) {
	r := newRegistryCLI(t)
	r.ok("init", "--name", "EU board", "--key", r.path("authority.jwk"))

	// The reference list, unsigned: strict finds no PID anchor and says why.
	res := r.run("import-lote", refLoTEFile, "--list", "pid", "--allow-unsigned")
	if res.code != ExitNothingOffered || !strings.Contains(res.stdout, "skipped: service \"Service UT\" has no ServiceTypeIdentifier") ||
		!strings.Contains(res.stderr, "no PID anchors") {
		t.Fatalf("strict: exit %d\n%s\n%s", res.code, res.stdout, res.stderr)
	}
	if st := r.ok("show", "--json"); strings.Contains(st.stdout, "x509_anchors") {
		t.Fatal("a refused import stored anchors")
	}
	// Lenient: 7 anchors, flagged, UT 02 and CA 02 EU among them.
	res = r.ok("import-lote", refLoTEFile, "--list", "pid", "--allow-unsigned", "--lenient", "--json")
	var rep struct {
		AnchorsTrusted int `json:"anchors_trusted"`
		Entities       []struct {
			Name    string `json:"name"`
			DID     string `json:"did"`
			Change  string `json:"change"`
			Anchors []struct {
				Subject string   `json:"subject"`
				Flags   []string `json:"flags"`
			} `json:"anchors"`
		} `json:"entities"`
	}
	if err := json.Unmarshal([]byte(res.stdout), &rep); err != nil {
		t.Fatal(err)
	}
	subjects := ""
	for _, e := range rep.Entities {
		if e.Change != "added" || len(e.Anchors) != 1 || strings.Join(e.Anchors[0].Flags, ",") != "service_type_missing,unsigned_list" {
			t.Errorf("%s: %+v", e.Name, e)
		}
		subjects += e.Anchors[0].Subject + "\n"
	}
	if rep.AnchorsTrusted != 7 || !strings.Contains(subjects, "CN=PID Issuer CA - UT 02") || !strings.Contains(subjects, "CN=PID Issuer CA 02,O=EUDI Wallet Reference Implementation,C=EU") {
		t.Fatalf("lenient: %d anchors\n%s", rep.AnchorsTrusted, subjects)
	}

	// The reference PID against a snapshot of that registry: its chain
	// closes on UT 02, and the result names the provider entity (keyed by
	// its list name, not by iss) and the list that states it.
	r.ok("publish", "--key", r.path("authority.jwk"), "--ttl", "8760h", "--out", r.path("registry.jwt"))
	at := "2026-09-01T00:00:00Z"
	args := []string{"credential", "verify", "--no-kb", "--offline", "--at", at, "--registry", r.path("registry.jwt"),
		"--registry-key", r.path("authority.pub.jwk"), "--trust-state", r.path("marks.json"), "../../testdata/eudi/credentials/pid-eudi-ref-2026-08.sdjwt"}
	v := runCLIAt(t, r.now, args...)
	if v.code != ExitStatusUnknown || !strings.Contains(v.stdout, `issued by Trusted Entity UT (listed in `) || !strings.Contains(v.stdout, " seq 1") {
		t.Fatalf("verify: exit %d\n%s%s", v.code, v.stdout, v.stderr)
	}
	v = runCLIAt(t, r.now, append([]string{"credential", "verify", "--json"}, args[2:]...)...)
	var out struct {
		Provider struct {
			Name string `json:"name"`
			DID  string `json:"did"`
			List struct {
				Format string `json:"format"`
				Type   string `json:"type"`
				Source struct {
					Sequence uint64 `json:"sequence"`
				} `json:"source"`
			} `json:"list"`
			TrustedAtIAT bool `json:"trusted_at_iat"`
		} `json:"provider"`
	}
	if err := json.Unmarshal([]byte(v.stdout), &out); err != nil {
		t.Fatalf("%v\n%s", err, v.stdout)
	}
	p := out.Provider
	if p.Name != "Trusted Entity UT" || p.DID == "" || p.List.Format != "etsi-119602" || !strings.HasSuffix(p.List.Type, "EUPIDProvidersList") || p.List.Source.Sequence != 1 || !p.TrustedAtIAT {
		t.Errorf("provider %+v", p)
	}
}

func TestRegistryImportLoteSignedCLI(t *testing.T) {
	r := newRegistryCLI(t)
	r.ok("init", "--name", "EU board", "--key", r.path("authority.jwk"))
	ca := testkit.NewTestCA(t, "EU LoTE Root", time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
	seal := ca.Issue(t, "EU LoTE seal", time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC), 3*365*24*time.Hour)
	other := testkit.NewTestCA(t, "Other Root", time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
	write := func(name string, b []byte) string {
		p := r.path(name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	sealPEM, otherPEM := write("seal.pem", ca.PEM()), write("other.pem", other.PEM())
	payload := typedLoTE(t, 2)
	jws, err := lote.Sign(payload, seal.Key, []*x509.Certificate{seal.Cert}, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	good := write("list.jwt", []byte(jws+"\n"))
	parts := strings.Split(jws, ".")
	tampered := write("tampered.jwt", []byte(parts[0]+"."+jose.B64.EncodeToString(bytes.Replace(payload, []byte("Trusted Entity PT"), []byte("Trusted Entity PX"), 1))+"."+parts[2]))

	for _, tc := range []struct {
		name, file, anchors string
		now                 time.Time
		code                int
		stderr              string
	}{
		{"tampered", tampered, sealPEM, r.now, ExitInvalid, "signature does not verify"},
		{"wrong seal", good, otherPEM, r.now, ExitUntrusted, "does not chain to a pinned seal anchor"},
		{"past NextUpdate beyond the grace", good, sealPEM, time.Date(2026, 9, 30, 0, 0, 0, 0, time.UTC), ExitExpired, "past its NextUpdate"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r.now = tc.now
			res := r.run("import-lote", tc.file, "--list", "pid", "--seal-anchors", tc.anchors)
			if res.code != tc.code || !strings.Contains(res.stderr, tc.stderr) {
				t.Fatalf("exit %d, want %d (%s)\n%s", res.code, tc.code, tc.stderr, res.stderr)
			}
		})
	}
	// Within the grace: imported as stale, with a warning.
	r.now = time.Date(2026, 9, 14, 0, 0, 0, 0, time.UTC)
	res := r.ok("import-lote", good, "--list", "pid", "--seal-anchors", sealPEM)
	if !strings.Contains(res.stderr, "warning: list is stale") || !strings.Contains(res.stdout, "signed by CN=EU LoTE seal") ||
		!strings.Contains(res.stdout, "7 anchors trusted (7 added, 0 revoked)") {
		t.Fatalf("stale import:\n%s\n%s", res.stdout, res.stderr)
	}
	if res := r.run("import-lote", good, "--list", "eaa", "--seal-anchors", sealPEM); res.code != ExitUsage {
		t.Fatalf("--list eaa: exit %d", res.code)
	}
}
