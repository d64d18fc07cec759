package main

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"
)

const (
	seTL      = "../../testdata/eudi/trust-lists/tl-se-2025-04-10.xml"
	ewcTL     = "../../testdata/eudi/trust-lists/tl-ewc-pilot-2025-02-13.xml"
	ptsSigner = "../../internal/tsl/testdata/pts-se-tl-signer.pem"
	caQC      = "http://uri.etsi.org/TrstSvc/Svctype/CA/QC"
)

// TestRegistryImportTLCLI: the SE list imports at 2025-05-01 (its granted
// CA/QC services as anchors, the withdrawn one left out); a one-byte edit
// is refused as invalid, the unsigned EWC list as untrusted, the SE list
// at the real date as expired; no QEAA service means nothing imported.
func TestRegistryImportTLCLI(t *testing.T) {
	r := newRegistryCLI(t)
	r.ok("init", "--name", "Board", "--key", r.path("authority.jwk"))
	r.now = time.Date(2025, 5, 1, 0, 0, 0, 0, time.UTC)

	b, err := os.ReadFile(seTL)
	if err != nil {
		t.Fatal(err)
	}
	edited := r.path("edited.xml")
	if err := os.WriteFile(edited, bytes.Replace(b, []byte("<TSLSequenceNumber>55<"), []byte("<TSLSequenceNumber>56<"), 1), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
		now  time.Time
		code int
		msg  string
	}{
		{"edited", []string{edited, "--service-type", caQC}, r.now, ExitInvalid, "signature does not verify"},
		{"unsigned", []string{ewcTL, "--service-type", "http://uri.etsi.org/TrstSvc/Svctype/EAA"}, r.now, ExitUntrusted, "not signed"},
		{"stale", []string{seTL, "--service-type", caQC}, time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC), ExitExpired, "past its NextUpdate"},
		{"no QEAA service", []string{seTL}, r.now, ExitNothingOffered, "no provider"},
		{"bad context", []string{seTL, "--context", "tls"}, r.now, ExitUsage, "--context"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			now := r.now
			r.now = tc.now
			defer func() { r.now = now }()
			res := r.run(append([]string{"import-tl", "--signer-anchors", ptsSigner}, tc.args...)...)
			if res.code != tc.code || !strings.Contains(res.stderr, tc.msg) {
				t.Fatalf("exit %d, want %d (%s)\n%s", res.code, tc.code, tc.msg, res.stderr)
			}
		})
	}
	res := r.ok("import-tl", seTL, "--signer-anchors", ptsSigner, "--service-type", caQC, "--context", "qeaa", "--json")
	var rep struct {
		AnchorsTrusted int    `json:"anchors_trusted"`
		Signer         string `json:"signer"`
		Sequence       int    `json:"sequence"`
	}
	if err := json.Unmarshal([]byte(res.stdout), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.AnchorsTrusted < 4 || rep.Sequence != 55 || !strings.Contains(rep.Signer, "PTS") {
		t.Fatalf("SE import: %+v\n%s", rep, res.stdout)
	}
	if show := r.ok("show", "--json"); !strings.Contains(show.stdout, `"format": "etsi-119612"`) {
		t.Fatal("imported providers not in the registry")
	}
}
