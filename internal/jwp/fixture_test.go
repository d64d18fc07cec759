package jwp_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/cairn-id/cairn/internal/bbs"
	"github.com/cairn-id/cairn/internal/jose"
	"github.com/cairn-id/cairn/internal/jwp"
)

type jpaExample struct {
	IssuerJWK          json.RawMessage `json:"issuer_jwk_private"`
	IssuerHeaderJSON   string          `json:"issuer_header_json"`
	PresentationHeader string          `json:"presentation_header_json"`
	Payloads           []string        `json:"payloads_utf8"`
	Disclosed          []int           `json:"disclosed_indexes"`
	Issued             string          `json:"issued_compact"`
	Presented          string          `json:"presented_compact"`
}

func readFile(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func loadJPA(t testing.TB) *jpaExample {
	t.Helper()
	var ex jpaExample
	if err := json.Unmarshal(readFile(t, "jpa-13-appendix-a3.json"), &ex); err != nil {
		t.Fatal(err)
	}
	return &ex
}

// The example's verifier expectations (its Presentation Header).
var exampleOpts = jwp.VerifyOptions{Audience: "https://recipient.example.com", Nonce: "wrmBRkKtXjQ"}

// legacyKey reads the mattr-legacy private JWK, whose "d" is the scalar in
// little-endian order: this test, not production code, reverses it.
func legacyKey(t testing.TB) *jwp.PrivateKey {
	t.Helper()
	raw := readFile(t, "mattr-legacy/bbs-private-key.jwk")
	if _, err := jwp.ParsePrivateJWK(raw); !errors.Is(err, jwp.ErrBadKey) {
		t.Fatalf("ParsePrivateJWK(legacy little-endian d) = %v, want ErrBadKey", err)
	}
	var m map[string]string
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	d, err := jose.DecodeSegment(m["d"])
	if err != nil {
		t.Fatal(err)
	}
	slices.Reverse(d) // legacy: little-endian
	sk, err := bbs.ParseSecretKey(d)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := jwp.ParsePublicJWK(readFile(t, "mattr-legacy/bbs-public-key.jwk"))
	if err != nil {
		t.Fatal(err)
	}
	k := jwp.NewPrivateKey(sk, "")
	if string(k.Public.Bytes) != string(pub.Bytes) {
		t.Fatal("reversed legacy d does not give x")
	}
	return k
}

func TestJPAExampleA3(t *testing.T) {
	ex := loadJPA(t)
	key, err := jwp.ParsePrivateJWK(ex.IssuerJWK)
	if err != nil {
		t.Fatal(err)
	}
	pub := &key.Public

	issued, err := jwp.ParseIssued(ex.Issued)
	if err != nil {
		t.Fatal(err)
	}
	if string(issued.Header) != ex.IssuerHeaderJSON {
		t.Fatalf("issuer header %s", issued.Header)
	}
	if len(issued.Payloads) != len(ex.Payloads) {
		t.Fatalf("%d payloads", len(issued.Payloads))
	}
	for i, p := range ex.Payloads {
		if string(issued.Payloads[i]) != p {
			t.Fatalf("payload %d = %q", i, issued.Payloads[i])
		}
	}
	if _, err := jwp.Confirm(pub, issued); err != nil {
		t.Fatalf("Confirm: %v", err)
	}
	if issued.Compact() != ex.Issued {
		t.Fatal("issued form does not re-serialize to the same string")
	}
	// BBS Sign is deterministic: issuing the same header and payloads gives
	// the example's proof.
	again, err := jwp.Issue(key, []byte(ex.IssuerHeaderJSON), issued.Payloads)
	if err != nil {
		t.Fatal(err)
	}
	if again.Compact() != ex.Issued {
		t.Fatal("Issue does not reproduce the example")
	}

	pres, err := jwp.ParsePresented(ex.Presented)
	if err != nil {
		t.Fatal(err)
	}
	if string(pres.PresentationHeader) != ex.PresentationHeader {
		t.Fatalf("presentation header %s", pres.PresentationHeader)
	}
	v, err := jwp.Verify(pub, pres, exampleOpts)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if !slices.Equal(v.Disclosed, ex.Disclosed) {
		t.Fatalf("disclosed %v, want %v", v.Disclosed, ex.Disclosed)
	}
	if pres.Compact() != ex.Presented {
		t.Fatal("presented form does not re-serialize to the same string")
	}
	// A fresh proof from the issued form verifies and differs.
	fresh, err := jwp.Present(nil, pub, issued, pres.PresentationHeader, ex.Disclosed)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := jwp.Verify(pub, fresh, exampleOpts); err != nil {
		t.Fatalf("fresh proof: %v", err)
	}
	if string(fresh.Proof[0]) == string(pres.Proof[0]) {
		t.Fatal("fresh proof equals the example's")
	}
	// Another presentation header fails.
	bad := *pres
	bad.PresentationHeader = []byte(strings.Replace(ex.PresentationHeader, "wrmBRkKtXjQ", "wrmBRkKtXjR", 1))
	if _, err := jwp.Verify(pub, &bad, jwp.VerifyOptions{Audience: exampleOpts.Audience, Nonce: "wrmBRkKtXjR"}); !errors.Is(err, jwp.ErrInvalidProof) {
		t.Fatalf("changed ph: %v", err)
	}
}

func TestMattrLegacyExample(t *testing.T) {
	key := legacyKey(t)
	pub := &key.Public
	issuedS := strings.TrimSpace(string(readFile(t, "mattr-legacy/bbs-issuer-compact.jwp")))
	issued, err := jwp.ParseIssued(issuedS)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := jwp.Confirm(pub, issued); err != nil {
		t.Fatalf("Confirm: %v", err)
	}
	if proof := strings.TrimSpace(string(readFile(t, "mattr-legacy/bbs-issuer-proof.base64url"))); !strings.HasSuffix(issuedS, "."+proof) {
		t.Fatal("issuer proof file disagrees with the compact form")
	}
	again, err := jwp.Issue(key, issued.Header, issued.Payloads)
	if err != nil {
		t.Fatal(err)
	}
	if again.Compact() != issuedS {
		t.Fatal("Issue does not reproduce the legacy example")
	}
	presS := strings.TrimSpace(string(readFile(t, "mattr-legacy/bbs-presentation-compact.jwp")))
	pres, err := jwp.ParsePresented(presS)
	if err != nil {
		t.Fatal(err)
	}
	if proof := strings.TrimSpace(string(readFile(t, "mattr-legacy/bbs-presentation-proof.base64url"))); !strings.HasSuffix(presS, "."+proof) {
		t.Fatal("presentation proof file disagrees with the compact form")
	}
	if _, err := jwp.Verify(pub, pres, exampleOpts); err != nil {
		t.Fatalf("Verify: %v", err)
	}
	// The legacy and the A.3 keys differ: each example fails under the other.
	a3, err := jwp.ParsePrivateJWK(loadJPA(t).IssuerJWK)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := jwp.Verify(&a3.Public, pres, exampleOpts); !errors.Is(err, jwp.ErrInvalidProof) {
		t.Fatalf("legacy presentation under the A.3 key: %v", err)
	}
}
