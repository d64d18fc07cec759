package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestCredentialVerifyX509: cairn credential verify --x509-anchor on the
// EUDI vectors (testdata/eudi), at their verification times: the chain
// and the anchor it closed on are named in text and JSON; no anchor, a
// missing x5c and a legacy typ each get their code and exit status.
func TestCredentialVerifyX509(t *testing.T) {
	dir := "../../testdata/eudi"
	f := func(p string) string { return filepath.Join(dir, p) }
	bdr, ref, neg, legacy := f("credentials/pid-bdr-2025-04.sdjwt"), f("credentials/pid-eudi-ref-2026-08.sdjwt"),
		f("credentials/negative-pid-eudi-py-no-x5c.sdjwt"), f("credentials/pid-eudi-legacy-2024-12.sdjwt")
	idunion, ut02, ut01 := f("certs/idunion-test-ca.pem"), f("certs/pid-issuer-ca-ut-02.pem"), f("certs/pid-issuer-ca-ut-01.pem")
	now := time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name string
		args []string
		exit int
		want []string
	}{
		{"valid, anchor copy in x5c ignored", []string{"--x509-anchor", idunion, "--at", "2025-05-15T00:00:00Z", "--offline", bdr}, ExitOK,
			[]string{"VALID", "signer CN=Test Issuer", "(valid 2025-01-27 to 2026-03-03)", `closed on anchor "IDunion Test CA"`, "from " + idunion, "warning: x5c carries a copy of the trust anchor", "warning no_qcstatements", "iss https://demo.bdr-prototypes/issuer/pid is a URI name of the signing certificate"}},
		{"no anchor configured", []string{"--at", "2025-05-15T00:00:00Z", "--offline", bdr}, ExitUntrusted, []string{"INVALID (untrusted_chain)"}},
		{"wrong anchor", []string{"--x509-anchor", ut01, "--at", "2026-09-01T00:00:00Z", "--offline", ref}, ExitUntrusted, []string{"INVALID (untrusted_chain)"}},
		{"expired now", []string{"--x509-anchor", ut02, "--offline", ref}, ExitExpired, []string{"INVALID (expired)"}},
		{"status unknown offline, chain shown", []string{"--x509-anchor", ut02, "--at", "2026-09-01T00:00:00Z", "--offline", ref}, ExitStatusUnknown,
			[]string{"NOT CHECKED (status_unavailable)", "signer CN=PID DS - 002", `closed on anchor "PID Issuer CA - UT 02"`, "certificate profile: meets",
				"issuer (certificate subject): CN=PID DS - 002,", "iss https://backend.issuer.eudiw.dev is not confirmed by the signing certificate"}},
		{"no x5c", []string{"--x509-anchor", ut02, "--lenient", "--at", "2024-12-15T00:00:00Z", "--offline", neg}, ExitInvalid, []string{"INVALID (no_x5c)"}},
		{"legacy typ refused", []string{"--x509-anchor", ut01, "--at", "2024-12-15T00:00:00Z", "--offline", legacy}, ExitInvalid, []string{"INVALID (wrong_typ)"}},
		{"legacy typ, lenient: warned, sha3-256 processed, then the RSA holder key", []string{"--x509-anchor", ut01, "--lenient", "--at", "2024-12-15T00:00:00Z", "--offline", legacy}, ExitInvalid,
			[]string{"INVALID (holder_key_missing)", "warning wrong_typ: ", "warning wrong_vct: ", "warning unsupported_sd_alg: "}},
		{"not a certificate", []string{"--x509-anchor", bdr, bdr}, ExitUsage, nil},
		{"strict PID profile: the legacy PID's three departures", []string{"--x509-anchor", ut01, "--pid-profile", "strict", "--at", "2024-12-15T00:00:00Z", "--offline", legacy}, ExitInvalid,
			[]string{"INVALID (wrong_typ, wrong_vct, unsupported_sd_alg)", "PID profile (strict): 3 finding(s):", "error wrong_typ: ", "error wrong_vct: ", "error unsupported_sd_alg: "}},
		{"lenient PID profile by name", []string{"--x509-anchor", ut01, "--pid-profile", "lenient", "--at", "2024-12-15T00:00:00Z", "--offline", legacy}, ExitInvalid,
			[]string{"INVALID (holder_key_missing)", "PID profile (lenient): 3 finding(s):", "warning unsupported_sd_alg: "}},
		{"strict PID profile: the reference PID", []string{"--x509-anchor", ut02, "--pid-profile", "strict", "--at", "2026-09-01T00:00:00Z", "--offline", ref}, ExitStatusUnknown,
			[]string{"NOT CHECKED (status_unavailable)", "PID profile (strict): no departure", "certificate profile: meets"}},
		{"off by default", []string{"--x509-anchor", ut02, "--at", "2026-09-01T00:00:00Z", "--offline", ref}, ExitStatusUnknown, []string{"NOT CHECKED"}},
		{"unknown PID profile", []string{"--x509-anchor", ut01, "--pid-profile", "strictest", legacy}, ExitUsage, nil},
		{"--lenient contradicts strict", []string{"--x509-anchor", ut01, "--lenient", "--pid-profile", "strict", legacy}, ExitUsage, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runCLIAt(t, now, append([]string{"credential", "verify", "--no-kb"}, tc.args...)...)
			if r.code != tc.exit {
				t.Fatalf("exit %d, want %d\n%s%s", r.code, tc.exit, r.stdout, r.stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(r.stdout, w) {
					t.Errorf("output lacks %q:\n%s", w, r.stdout)
				}
			}
		})
	}

	r := runCLIAt(t, now, "credential", "verify", "--no-kb", "--json", "--x509-anchor", idunion, "--at", "2025-05-15T00:00:00Z", "--offline", bdr)
	if r.code != ExitOK {
		t.Fatalf("--json: exit %d %s", r.code, r.stderr)
	}
	var out struct {
		Valid bool `json:"valid"`
		Chain struct {
			Certificates []struct {
				Subject  string    `json:"subject"`
				NotAfter time.Time `json:"not_after"`
			} `json:"certificates"`
			Anchor struct {
				Name, Context, SKI, Source string
			} `json:"anchor"`
			AnchorInX5C bool `json:"anchor_in_x5c"`
		} `json:"x509_chain"`
		Profile struct {
			Findings []struct{ Code string } `json:"findings"`
		} `json:"certificate_profile"`
		Claims map[string]any `json:"claims"`
		Issuer struct {
			Subject, ISS, Match string
		} `json:"issuer_certificate"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatal(err)
	}
	c := out.Chain
	if !out.Valid || len(c.Certificates) != 2 || c.Anchor.Name != "IDunion Test CA" || c.Anchor.SKI != "T5brPtqNO6Z7H5hwVug2tV4La1E" ||
		c.Anchor.Source != idunion || !c.AnchorInX5C || !c.Certificates[0].NotAfter.Equal(time.Date(2026, 3, 3, 15, 59, 42, 0, time.UTC)) {
		t.Errorf("x509_chain %+v", c)
	}
	if len(out.Profile.Findings) == 0 || out.Claims["family_name"] != "MUSTERMANN" {
		t.Errorf("profile %+v, claims %v", out.Profile, out.Claims)
	}
	if out.Issuer.Match != "uri_san" || out.Issuer.ISS != "https://demo.bdr-prototypes/issuer/pid" || !strings.Contains(out.Issuer.Subject, "CN=Test Issuer") {
		t.Errorf("issuer_certificate %+v", out.Issuer)
	}
	if strings.Contains(r.stdout, `"pid_profile"`) {
		t.Errorf("a PID profile report with the profile off:\n%s", r.stdout)
	}

	// --json under the strict profile: every finding and every code.
	r = runCLIAt(t, now, "credential", "verify", "--no-kb", "--json", "--x509-anchor", ut01, "--pid-profile", "strict", "--at", "2024-12-15T00:00:00Z", "--offline", legacy)
	if r.code != ExitInvalid {
		t.Fatalf("strict --json: exit %d %s", r.code, r.stderr)
	}
	var strict struct {
		Valid bool     `json:"valid"`
		Code  string   `json:"code"`
		Codes []string `json:"codes"`
		PID   struct {
			Profile  string `json:"profile"`
			Findings []struct{ Code, Severity, Message string }
		} `json:"pid_profile"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &strict); err != nil {
		t.Fatal(err)
	}
	if strict.Valid || strings.Join(strict.Codes, ",") != "wrong_typ,wrong_vct,unsupported_sd_alg" || strict.PID.Profile != "strict" || len(strict.PID.Findings) != 3 {
		t.Errorf("strict JSON %+v", strict)
	}
	for _, f := range strict.PID.Findings {
		if f.Severity != "error" || f.Message == "" {
			t.Errorf("finding %+v", f)
		}
	}
}
