package trust

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"
)

func testCert(t testing.TB, cn string) ([]byte, *x509.Certificate) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: cn, Country: []string{"UT"}},
		NotBefore: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), NotAfter: time.Date(2035, 1, 1, 0, 0, 0, 0, time.UTC),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, k.Public(), k)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return der, c
}

var (
	tListed  = time.Date(2026, 3, 16, 16, 34, 24, 0, time.UTC)
	tDropped = time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
)

func anchorRegistry(t testing.TB) (*Registry, []byte) {
	t.Helper()
	der, c := testCert(t, "PID Issuer CA - UT 02")
	src := ListSource{URL: "https://lists.example/pid.jwt", Sequence: 1, IssuedAt: tListed}
	e := Entity{
		DID: "did:x509:0:sha256:abc::subject:C:UT", Names: map[string]string{"en": "Trusted Entity UT"},
		Role: RoleIssuer, Status: StatusActive, ValidFrom: tListed,
		StatusHistory:        []StatusChange{{Status: StatusActive, At: tListed}},
		IssuerAuthorizations: []IssuerAuthorization{{ID: "a1", VCT: "urn:eudi:pid:*", MaxStrength: 4, MaxValidity: 4, From: tListed}},
		X509Anchors: []X509Anchor{{
			DER: der, SKI: SKIOf(c), Context: AnchorPID, Status: AnchorRevoked, Source: src,
			History: []AnchorStatusChange{
				{Status: AnchorTrusted, At: tListed, Sequence: 1},
				{Status: AnchorRevoked, At: tDropped, Reason: "no longer in the list (sequence 2)", Sequence: 2},
			},
		}},
		List: &EntityList{Format: "etsi-119602", Type: "http://uri.etsi.org/19602/LoTEType/EUPIDProvidersList", Territory: "EU", Key: "Trusted Entity UT", Source: src},
	}
	r := &Registry{ID: "r", Name: "R", Authority: "did:jwk:x", Entities: []Entity{e}}
	if err := r.Validate(); err != nil {
		t.Fatal(err)
	}
	return r, der
}

func TestAnchorTrustedAtHistory(t *testing.T) {
	r, der := anchorRegistry(t)
	other, _ := testCert(t, "other")
	iat := time.Date(2026, 8, 10, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name    string
		der     []byte
		ctx     AnchorContext
		at      time.Time
		trusted bool
		reason  string
	}{
		{"trusted at iat, revoked now", der, AnchorPID, iat, true, ReasonAnchorTrusted},
		{"after the drop", der, AnchorPID, tDropped.Add(time.Hour), false, ReasonAnchorRevokedAtTime},
		{"before the list", der, AnchorPID, tListed.Add(-time.Hour), false, ReasonAnchorNotYetTrusted},
		{"other context", der, AnchorPIDStatus, iat, false, ReasonUnknownAnchor},
		{"unknown certificate", other, AnchorPID, iat, false, ReasonUnknownAnchor},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := r.AnchorTrustedAt(tc.der, tc.ctx, tc.at)
			if err != nil {
				t.Fatal(err)
			}
			if d.Trusted != tc.trusted || d.Reason != tc.reason {
				t.Fatalf("got trusted=%v reason=%s, want %v %s", d.Trusted, d.Reason, tc.trusted, tc.reason)
			}
			if tc.reason != ReasonUnknownAnchor && (d.CurrentStatus != AnchorRevoked || !d.RevokedAt.Equal(tDropped)) {
				t.Fatalf("current status %s revoked at %s, want revoked at %s", d.CurrentStatus, d.RevokedAt, tDropped)
			}
		})
	}
	if got := r.AnchorsAt(AnchorPID, iat); len(got) != 1 || got[0].SKI != r.Entities[0].X509Anchors[0].SKI {
		t.Fatalf("AnchorsAt(iat) = %v", got)
	}
	if got := r.AnchorsAt(AnchorPID, tDropped); len(got) != 0 {
		t.Fatalf("AnchorsAt(after drop) = %v", got)
	}
	if _, err := r.AnchorTrustedAt(nil, AnchorPID, iat); !errors.Is(err, ErrBadQuery) {
		t.Fatalf("empty certificate: %v", err)
	}
	// The entity's wildcard authorization covers the PID type.
	d, err := r.IssuerAuthorized(r.Entities[0].DID, "urn:eudi:pid:1", iat)
	if err != nil || !d.Authorized {
		t.Fatalf("IssuerAuthorized(urn:eudi:pid:1) = %+v, %v", d, err)
	}
	// A compromised revocation of the entity taints the anchor too.
	r.Entities[0].StatusHistory = append(r.Entities[0].StatusHistory, StatusChange{Status: StatusRevoked, At: tDropped, Compromised: true})
	r.Entities[0].Status = StatusRevoked
	if d, _ := r.AnchorTrustedAt(der, AnchorPID, iat); d.Trusted || d.Reason != ReasonCompromised {
		t.Fatalf("compromised entity: %+v", d)
	}
}

func TestVCTMatches(t *testing.T) {
	for _, tc := range []struct {
		pattern, vct string
		want         bool
	}{
		{"urn:eudi:pid:*", "urn:eudi:pid:1", true},
		{"urn:eudi:pid:*", "urn:eudi:pid:de:1", true},
		{"urn:eudi:pid:*", "urn:eudi:pid:", false},
		{"urn:eudi:pid:*", "urn:eudi:pidx", false},
		{"urn:eudi:pid:*", "urn:eu.europa.ec.eudi:pid:1", false},
		{"urn:eudi:pid*", "urn:eudi:pid1", false},
		{"urn:eudi:pid:1", "urn:eudi:pid:1", true},
		{"*", "anything", false},
	} {
		if got := vctMatches(tc.pattern, tc.vct); got != tc.want {
			t.Errorf("vctMatches(%q, %q) = %v", tc.pattern, tc.vct, got)
		}
	}
}

func TestAnchorValidate(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(a *X509Anchor)
		want   string
	}{
		{"wrong ski", func(a *X509Anchor) { a.SKI = "00" }, "ski"},
		{"bad context", func(a *X509Anchor) { a.Context = "tls" }, "context"},
		{"not a certificate", func(a *X509Anchor) { a.DER = []byte{0x30, 0x00} }, "not a certificate"},
		{"status disagrees", func(a *X509Anchor) { a.Status = AnchorTrusted }, "disagrees"},
		{"no history", func(a *X509Anchor) { a.History = nil }, "history"},
		{"history out of order", func(a *X509Anchor) { a.History[0].At = tDropped.Add(time.Hour) }, "out of order"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, _ := anchorRegistry(t)
			tc.change(&r.Entities[0].X509Anchors[0])
			err := r.Validate()
			if !errors.Is(err, ErrInvalidRegistry) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Validate = %v, want %q", err, tc.want)
			}
		})
	}
	r, _ := anchorRegistry(t)
	r.Entities[0].X509Anchors = append(r.Entities[0].X509Anchors, r.Entities[0].X509Anchors[0])
	if err := r.Validate(); err == nil || !strings.Contains(err.Error(), "twice") {
		t.Fatalf("duplicate anchor: %v", err)
	}
}

// TestSnapshotFormat: a registry of DID entities writes format 1 (no
// "fmt"), as before anchors existed; one with anchors writes format 2 and
// reads back whole; an unknown newer format is refused.
func TestSnapshotFormat(t *testing.T) {
	old := fixtureRegistry()
	b, err := json.Marshal(old)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), `"fmt"`) || strings.Contains(string(b), "x509_anchors") {
		t.Fatalf("DID-only registry writes the new members: %s", b)
	}
	var back Registry
	if err := json.Unmarshal(b, &back); err != nil || len(back.Entities) != len(old.Entities) {
		t.Fatalf("format 1 round trip: %v", err)
	}
	r, der := anchorRegistry(t)
	b, err = json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"fmt":2`) {
		t.Fatalf("registry with anchors lacks fmt 2: %.200s", b)
	}
	back = Registry{}
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if err := back.Validate(); err != nil {
		t.Fatal(err)
	}
	if d, _ := back.AnchorTrustedAt(der, AnchorPID, tListed.Add(time.Hour)); !d.Trusted {
		t.Fatalf("anchor lost in the round trip: %+v", d)
	}
	newer := strings.Replace(string(b), `"fmt":2`, `"fmt":3`, 1)
	if err := json.Unmarshal([]byte(newer), &back); err == nil || !strings.Contains(err.Error(), "newer") {
		t.Fatalf("fmt 3: %v", err)
	}
}
