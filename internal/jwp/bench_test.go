package jwp_test

import (
	"encoding/base64"
	"fmt"
	"testing"

	"github.com/cairn-id/cairn/internal/jwp"
	"github.com/cairn-id/cairn/internal/qr"
)

// benchToken builds a claim set of n claims with realistic short values.
func benchToken(b testing.TB, n int) (*jwp.PrivateKey, *jwp.ClaimSet, map[string]any) {
	names := make([]string, n)
	claims := map[string]any{}
	for i := range n {
		names[i] = fmt.Sprintf("claim_%02d", i)
		claims[names[i]] = fmt.Sprintf("value of claim %d, about thirty bytes", i)
	}
	cs, err := jwp.NewClaimSet("", names)
	if err != nil {
		b.Fatal(err)
	}
	return testKey(b, "bench"), cs, claims
}

var benchSizes = []int{5, 20, 50}

// Issue = BBS Sign over n payloads; Present = Confirm (Verify) + ProofGen
// disclosing 4; Verify = ProofVerify. Compare the three within one run.
func BenchmarkIssueToken(b *testing.B) {
	for _, n := range benchSizes {
		key, cs, claims := benchToken(b, n)
		b.Run(fmt.Sprintf("claims=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := jwp.IssueToken(key, cs, "jpt", claims); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkPresentToken(b *testing.B) {
	for _, n := range benchSizes {
		key, cs, claims := benchToken(b, n)
		j, err := jwp.IssueToken(key, cs, "jpt", claims)
		if err != nil {
			b.Fatal(err)
		}
		ph := jwp.PresentationHeader{Aud: testAud, Nonce: testNonce}
		disclose := cs.Names[:4]
		b.Run(fmt.Sprintf("claims=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := jwp.PresentToken(nil, &key.Public, cs, j, ph, disclose); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkVerifyToken(b *testing.B) {
	for _, n := range benchSizes {
		key, cs, claims := benchToken(b, n)
		j, err := jwp.IssueToken(key, cs, "jpt", claims)
		if err != nil {
			b.Fatal(err)
		}
		p, err := jwp.PresentToken(nil, &key.Public, cs, j, jwp.PresentationHeader{Aud: testAud, Nonce: testNonce}, cs.Names[:4])
		if err != nil {
			b.Fatal(err)
		}
		wire := p.Compact()
		opts := jwp.VerifyOptions{Audience: testAud, Nonce: testNonce}
		b.Run(fmt.Sprintf("claims=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				p, err := jwp.ParsePresented(wire)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := jwp.VerifyToken(&key.Public, cs, p, opts); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkParsePresented(b *testing.B) {
	ex := loadJPA(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := jwp.ParsePresented(ex.Presented); err != nil {
			b.Fatal(err)
		}
	}
}

// qrVersion is the version of the QR code (byte mode) that holds text.
func qrVersion(t *testing.T, text string, level qr.Level) int {
	t.Helper()
	m, err := qr.Modules(text, level)
	if err != nil {
		t.Fatalf("%d bytes: %v", len(text), err)
	}
	return (len(m) - 2*qr.QuietZone - 17) / 4
}

// TestPresentedSize logs the presented size of a humanitarian-registration
// credential (catalogue type humanitarian-registration/1, realistic values,
// every top-level claim of its schema in its own slot) and the QR version
// it needs. The figures are measured, not asserted; the test checks the
// size arithmetic of the proof.
func TestPresentedSize(t *testing.T) {
	key := testKey(t, "size")
	names := []string{"iss", "vct", "iat", "exp", "family_name", "given_name", "birthdate", "birthdate_precision",
		"registration_id", "registration_date", "household_size", "case_id", "registration_place", "evidence"}
	cs, err := jwp.NewClaimSet("", names)
	if err != nil {
		t.Fatal(err)
	}
	claims := map[string]any{
		"iss": "https://issuer.unhcr-sd.example", "vct": "urn:cairn:type:humanitarian-registration:1",
		"iat": 1764633600, "exp": 1767225600,
		"family_name": "Abdelrahman Mohamed", "given_name": "Amina", "birthdate": "1990-01-01", "birthdate_precision": "year",
		"registration_id": "KRT-2026-0481527", "registration_date": "2026-11-14", "household_size": 5, "case_id": "SDN-KAS-26-004417",
		"registration_place": map[string]any{"country": "SD", "region": "Kassala", "locality": "Kassala", "site": "Shagarab 1"},
		"evidence":           map[string]any{"method": "document_check", "time": "2026-11-14"},
	}
	j, err := jwp.IssueToken(key, cs, "jpt", claims)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("issued: %d bytes, %d slots", len(j.Compact()), len(names))
	ph := jwp.PresentationHeader{Aud: "x509_san_dns:clinic.example.org", Nonce: "Y2Fpcm4tbm9uY2UtMTIzNDU2"}
	for _, d := range [][]string{
		{"given_name", "family_name", "birthdate", "registration_id"},
		{"iss", "vct", "exp", "given_name", "family_name", "birthdate", "registration_id"},
	} {
		p, err := jwp.PresentToken(nil, &key.Public, cs, j, ph, d)
		if err != nil {
			t.Fatal(err)
		}
		wire := p.Compact()
		undisclosed := len(names) - len(d)
		if len(p.Proof[0]) != 3*48+(4+undisclosed)*32 {
			t.Fatalf("proof %d bytes", len(p.Proof[0]))
		}
		t.Logf("presented %v: %d bytes (proof %d bytes = %d base64url chars); QR version %d at level M, %d at level L (byte mode)",
			d, len(wire), len(p.Proof[0]), base64.RawURLEncoding.EncodedLen(len(p.Proof[0])),
			qrVersion(t, wire, qr.LevelMedium), qrVersion(t, wire, qr.LevelLow))
	}
}
