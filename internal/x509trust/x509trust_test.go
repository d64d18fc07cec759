package x509trust_test

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cairn-id/cairn/internal/x509trust"
)

const eudi = "../../testdata/eudi"

// vector is the part of an expected.json credential entry these tests use.
type vector struct {
	File             string    `json:"file"`
	X5CLen           int       `json:"x5c_len"`
	LeafSubject      string    `json:"x5c_leaf_subject"`
	Anchor           string    `json:"anchor"`
	AnchorInX5C      bool      `json:"anchor_in_x5c"`
	LeafNotAfter     time.Time `json:"leaf_not_after"`
	VerificationTime time.Time `json:"verification_time"`
}

func loadVectors(t testing.TB) []vector {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(eudi, "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Credentials []vector `json:"credentials"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Credentials) == 0 {
		t.Fatal("expected.json lists no credentials")
	}
	return doc.Credentials
}

// x5cOf returns the decoded x5c of a compact SD-JWT file's header.
func x5cOf(t testing.TB, file string) [][]byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(eudi, file))
	if err != nil {
		t.Fatal(err)
	}
	hdr, _, _ := strings.Cut(strings.TrimSpace(string(raw)), ".")
	js, err := base64.RawURLEncoding.DecodeString(hdr)
	if err != nil {
		t.Fatal(err)
	}
	var h map[string]any
	if err := json.Unmarshal(js, &h); err != nil {
		t.Fatal(err)
	}
	chain, err := x509trust.DecodeX5C(h["x5c"])
	if err != nil {
		t.Fatal(err)
	}
	return chain
}

func anchors(t testing.TB, ctx x509trust.Context, files ...string) *x509trust.AnchorSet {
	t.Helper()
	s := x509trust.NewAnchorSet()
	for _, f := range files {
		raw, err := os.ReadFile(filepath.Join(eudi, f))
		if err != nil {
			t.Fatal(err)
		}
		as, err := x509trust.ParseAnchorsPEM(raw, ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		s.Add(as...)
	}
	return s
}

// cn is the CN= part of an RFC 4514-ish subject as expected.json writes it.
func cn(subject string) string {
	for _, p := range strings.Split(subject, ", ") {
		if v, ok := strings.CutPrefix(p, "CN="); ok {
			return v
		}
	}
	return ""
}

// TestValidateEUDIVectors: every credential of expected.json, at its
// verification time, closes at its anchor; at the project date a chain
// whose leaf has expired says so; against another anchor it is untrusted;
// with no anchor at all it is untrusted even when x5c carries the root.
func TestValidateEUDIVectors(t *testing.T) {
	all := []string{"certs/pid-issuer-ca-ut-01.pem", "certs/pid-issuer-ca-ut-02.pem", "certs/pid-issuer-ca-02-eu.pem", "certs/idunion-test-ca.pem"}
	realDate := time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)
	for _, v := range loadVectors(t) {
		t.Run(filepath.Base(v.File), func(t *testing.T) {
			chain := x5cOf(t, v.File)
			if len(chain) != v.X5CLen {
				t.Fatalf("x5c has %d certificates, expected.json says %d", len(chain), v.X5CLen)
			}
			good := anchors(t, x509trust.ContextPID, v.Anchor)
			p, err := x509trust.Validate(chain, good, v.VerificationTime, x509trust.ContextPID)
			if err != nil {
				t.Fatalf("at %s: %v", v.VerificationTime, err)
			}
			if p.Anchor.Source != v.Anchor {
				t.Errorf("closed on %s, want %s", p.Anchor.Source, v.Anchor)
			}
			if got, want := p.Leaf().Subject.CommonName, cn(v.LeafSubject); got != want {
				t.Errorf("leaf CN %q, want %q", got, want)
			}
			if !p.Leaf().NotAfter.Equal(v.LeafNotAfter) {
				t.Errorf("leaf notAfter %s, want %s", p.Leaf().NotAfter, v.LeafNotAfter)
			}
			if p.AnchorInX5C != v.AnchorInX5C {
				t.Errorf("AnchorInX5C = %v, want %v", p.AnchorInX5C, v.AnchorInX5C)
			}
			links := p.Links()
			if len(links) != len(p.Certs)+1 || links[len(links)-1].Subject != p.Anchor.Cert.Subject.String() {
				t.Errorf("links do not end at the anchor: %+v", links)
			}

			// Every other anchor, all together: untrusted.
			var others []string
			for _, a := range all {
				if a != v.Anchor {
					others = append(others, a)
				}
			}
			if _, err := x509trust.Validate(chain, anchors(t, x509trust.ContextPID, others...), v.VerificationTime, x509trust.ContextPID); !errors.Is(err, x509trust.ErrUntrusted) {
				t.Errorf("wrong anchors: err = %v, want ErrUntrusted", err)
			}
			// No anchor: untrusted, whatever x5c carries.
			if _, err := x509trust.Validate(chain, nil, v.VerificationTime, x509trust.ContextPID); !errors.Is(err, x509trust.ErrUntrusted) {
				t.Errorf("no anchors: err = %v, want ErrUntrusted", err)
			}
			// The right anchor in another context only: untrusted.
			if _, err := x509trust.Validate(chain, anchors(t, x509trust.ContextAccess, v.Anchor), v.VerificationTime, x509trust.ContextPID); !errors.Is(err, x509trust.ErrUntrusted) {
				t.Errorf("anchor of another context: err = %v, want ErrUntrusted", err)
			}
			// At the project date.
			_, err = x509trust.Validate(chain, good, realDate, x509trust.ContextPID)
			if realDate.After(v.LeafNotAfter) {
				if !errors.Is(err, x509trust.ErrExpired) {
					t.Errorf("at %s: err = %v, want ErrExpired", realDate, err)
				}
			} else if err != nil {
				t.Errorf("at %s the certificates are still valid: %v", realDate, err)
			}
		})
	}
}

func TestAnchorSetAndPEM(t *testing.T) {
	s := anchors(t, x509trust.ContextPID, "certs/pid-issuer-ca-ut-02.pem", "certs/pid-issuer-ca-ut-02.pem")
	if s.Len() != 1 {
		t.Fatalf("duplicate anchor added: %d", s.Len())
	}
	s.Add(anchors(t, x509trust.ContextPIDStatus, "certs/pid-issuer-ca-ut-02.pem").All()...)
	if s.Len() != 2 || len(s.For(x509trust.ContextPIDStatus)) != 1 {
		t.Fatalf("one anchor in two contexts: %d", s.Len())
	}
	ski, _ := base64.RawURLEncoding.DecodeString("YseURyi9D6IWIKeawkmURPEB08c") // expected.json
	if a := s.BySKI(ski, x509trust.ContextPID); a == nil || a.Name != "PID Issuer CA - UT 02" {
		t.Fatalf("BySKI = %+v", a)
	}
	for name, in := range map[string]string{
		"empty":    "",
		"key":      "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
		"trailing": mustRead(t, "certs/pid-issuer-ca-ut-02.pem") + "junk",
	} {
		if _, err := x509trust.ParseAnchorsPEM([]byte(in), x509trust.ContextPID, name); !errors.Is(err, x509trust.ErrAnchor) {
			t.Errorf("%s: err = %v, want ErrAnchor", name, err)
		}
	}
	// An end-entity certificate is no anchor.
	if _, err := x509trust.ParseAnchorsPEM([]byte(mustRead(t, "certs/kotlin-pid-issuer-dev-2026.pem")), x509trust.ContextPID, "ee"); !errors.Is(err, x509trust.ErrAnchor) {
		t.Errorf("end entity as anchor: err = %v", err)
	}
	if _, err := x509trust.ParseAnchorsPEM([]byte(mustRead(t, "certs/pid-issuer-ca-ut-02.pem")), "nope", "ctx"); !errors.Is(err, x509trust.ErrAnchor) {
		t.Errorf("unknown context: err = %v", err)
	}
}

func mustRead(t testing.TB, f string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(eudi, f))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestPIDSigningProfile: the TS 119 412-6 shaped certificate meets the
// profile; the 2024/2025 document-signer leaves do not, with codes, and
// the lenient report lists the same findings as warnings.
func TestPIDSigningProfile(t *testing.T) {
	kotlin := anchorsLeaf(t, "certs/kotlin-pid-issuer-dev-2026.pem")
	if r := x509trust.CheckPIDSigningProfile(kotlin, true); !r.OK() || len(r.Findings) != 0 {
		t.Errorf("kotlin-pid-issuer-dev-2026: %+v", r.Findings)
	}
	ref := x5cOf(t, "credentials/pid-eudi-ref-2026-08.sdjwt")
	legacy := x5cOf(t, "credentials/pid-eudi-legacy-2024-12.sdjwt")
	bdr := x5cOf(t, "credentials/pid-bdr-2025-04.sdjwt")
	for _, tc := range []struct {
		name string
		der  []byte
		want []string
	}{
		{"pid-eudi-ref-2026-08", ref[0], nil},
		{"pid-eudi-legacy-2024-12", legacy[0], []string{x509trust.FindingNoQCStatements, x509trust.FindingNoPolicies, x509trust.FindingReaderAuthEKU}},
		{"pid-bdr-2025-04", bdr[0], []string{x509trust.FindingNoQCStatements, x509trust.FindingNoPolicies}},
		{"verifier access certificate", derOf(t, "certs/verifier-signer-dev-2026.pem"), []string{x509trust.FindingNoQCStatements}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := parseCert(t, tc.der)
			strict := x509trust.CheckPIDSigningProfile(c, true)
			if got := strict.Codes(); strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Errorf("strict codes %v, want %v (%+v)", got, tc.want, strict.Findings)
			}
			if strict.OK() != (len(tc.want) == 0) {
				t.Errorf("strict OK = %v with %d findings", strict.OK(), len(tc.want))
			}
			lenient := x509trust.CheckPIDSigningProfile(c, false)
			if !lenient.OK() || len(lenient.Findings) != len(strict.Findings) {
				t.Errorf("lenient: OK %v, %d findings", lenient.OK(), len(lenient.Findings))
			}
			for _, f := range lenient.Findings {
				if f.Severity != x509trust.SeverityWarning || f.Message == "" {
					t.Errorf("lenient finding %+v", f)
				}
			}
		})
	}
}
