package vccheck

import (
	"context"
	"crypto/rand"
	"crypto/x509"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/cairn-id/cairn/internal/sdjwtvc"
	"github.com/cairn-id/cairn/internal/x509trust"
)

// TestIssuerBinding: iss against the signing certificate's names. The
// chain is what is trusted; a leaf naming something other than iss is a
// warning in every profile (never a refusal: SD-JWT VC -25 makes the
// certificate's subject the issuer), a leaf without SAN leaves iss
// unconfirmed.
func TestIssuerBinding(t *testing.T) {
	root := mintCert(t, "PID CA", nil, true, nil)
	uri := func(s string) *url.URL { u, _ := url.Parse(s); return u }
	for _, tc := range []struct {
		name    string
		iss     string
		edit    func(*x509.Certificate)
		match   string
		warning bool
	}{
		{"URI SAN equals iss", "https://pid.example/issuer", func(c *x509.Certificate) { c.URIs = []*url.URL{uri("https://pid.example/issuer")} }, IssuerMatchURI, false},
		{"DNS SAN is iss's host", "https://pid.example/issuer", func(c *x509.Certificate) { c.DNSNames = []string{"PID.example"} }, IssuerMatchDNS, false},
		{"dns: URI iss", "dns:pid.example", func(c *x509.Certificate) { c.DNSNames = []string{"pid.example"} }, IssuerMatchDNS, false},
		{"names another issuer", "https://other.example", func(c *x509.Certificate) {
			c.URIs, c.DNSNames = []*url.URL{uri("https://pid.example/issuer")}, []string{"pid.example"}
		}, IssuerMismatch, true},
		{"a URI SAN that only shares the host", "https://pid.example/other", func(c *x509.Certificate) { c.URIs = []*url.URL{uri("https://pid.example/issuer")} }, IssuerMismatch, true},
		{"http iss on a DNS name", "http://pid.example", func(c *x509.Certificate) { c.DNSNames = []string{"pid.example"} }, IssuerMismatch, true},
		{"no SAN", "https://pid.example/issuer", nil, IssuerNotInCert, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ds := mintCert(t, "PID DS", root, false, tc.edit)
			cred, err := sdjwtvc.Issue(sdjwtvc.Credential{VCT: "urn:eudi:pid:1", Issuer: tc.iss, IssuedAt: tNow.Add(-time.Hour),
				ExpiresAt: tNow.Add(time.Hour), Claims: map[string]any{"family_name": "Tester"}},
				sdjwtvc.IssueOptions{Signer: signerOf(t, ds), Rand: rand.Reader, X5C: [][]byte{ds.Cert.Raw}})
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range []PIDProfile{PIDProfileOff, PIDProfileLenient, PIDProfileStrict} {
				o := Options{PIDProfile: p, Credential: sdjwtvc.VerifyOptions{Now: func() time.Time { return tNow },
					Trust: sdjwtvc.Trust{X509: sdjwtvc.X509Trust{Anchors: anchorFor(t, root, x509trust.ContextPID)}}}}
				oc, err := Verify(context.Background(), cred, o)
				if err != nil && !(p == PIDProfileStrict && Classify(err) == CodeCertificateProfile) {
					t.Fatalf("%s: %v", p, err)
				}
				b := oc.IssuerBinding
				if b == nil || b.Match != tc.match || b.ISS != tc.iss || b.Subject != "CN=PID DS" {
					t.Fatalf("%s: binding %+v, want %s", p, b, tc.match)
				}
				warned := false
				for _, w := range oc.Warnings {
					warned = warned || strings.HasPrefix(w, "iss ")
				}
				if warned != tc.warning {
					t.Errorf("%s: warned %v, want %v: %q", p, warned, tc.warning, oc.Warnings)
				}
				if r := NewReport(oc, err, ReportOptions{}); r.IssuerBinding != b || !strings.Contains(b.Describe(), "iss") {
					t.Errorf("report %+v", r.IssuerBinding)
				}
			}
		})
	}
}

// TestIssuerBindingEUDI: the reference PID's signing certificate has no
// SAN, so its iss is unconfirmed, with no warning; it still verifies.
func TestIssuerBindingEUDI(t *testing.T) {
	e := loadEUDI(t)
	for _, v := range e.Credentials {
		if v.Expected != "valid" {
			continue
		}
		oc, _ := Verify(context.Background(), readVector(t, v.File), eudiOptions(caAnchors(t, v.Anchor), v.VerificationTime))
		b := oc.IssuerBinding
		if b == nil || b.ISS == "" || !strings.HasPrefix(b.Subject, "CN=") {
			t.Fatalf("%s: binding %+v", v.File, b)
		}
		if len(b.Names) == 0 && b.Match != IssuerNotInCert {
			t.Errorf("%s: a leaf without SAN gives %s", v.File, b.Match)
		}
		for _, w := range oc.Warnings {
			if strings.HasPrefix(w, "iss ") && b.Match != IssuerMismatch {
				t.Errorf("%s: warning %q", v.File, w)
			}
		}
	}
}
