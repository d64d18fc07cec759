package sdjwt

import (
	"crypto/sha256"
	"strings"
	"testing"

	"github.com/cairn-id/cairn/internal/jose"
)

func TestDigestOf(t *testing.T) {
	for _, n := range []int{0, 1, 511, 512, 513, 4000} {
		s := strings.Repeat("WyJzYWx0IiwiYSIsMV0~", n/20+1)[:n]
		sum := sha256.Sum256([]byte(s))
		if got, want := digestOf(s), jose.B64.EncodeToString(sum[:]); got != want {
			t.Fatalf("digestOf(%d bytes) = %s, want %s", n, got, want)
		}
	}
}

// Process (whose SDJWT the caller keeps) never returns a container of the
// payload, and Verify never lets Claims share a container with a
// disclosure's Value.
func TestProcessedContainersAreOwn(t *testing.T) {
	f := newFixture(t, jose.ES256, jose.ES256)
	tok, err := Parse(f.present(t, fixtureSelect), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	claims, err := tok.Process()
	if err != nil {
		t.Fatal(err)
	}
	claims["cnf"].(map[string]any)["jwk"].(map[string]any)["x"] = "changed"
	if tok.Payload["cnf"].(map[string]any)["jwk"].(map[string]any)["x"] == "changed" {
		t.Fatal("Process shares cnf.jwk with the payload")
	}
	issued, err := Issue(map[string]any{"obj": map[string]any{"a": "b"}}, IssueOptions{
		Signer: f.issuer, Header: map[string]any{"typ": "example+sd-jwt"}, Disclosable: []string{"/obj"},
	})
	if err != nil {
		t.Fatal(err)
	}
	opts := f.opts()
	opts.RequireKeyBinding = false
	v, err := Verify(issued.String(), opts)
	if err != nil {
		t.Fatal(err)
	}
	v.Claims["obj"].(map[string]any)["a"] = "changed"
	if v.Disclosures[0].Value.(map[string]any)["a"] == "changed" {
		t.Fatal("Claims share a container with a disclosure value")
	}
}
