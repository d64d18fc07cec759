package assurance

import (
	"fmt"
	"testing"

	"github.com/cairn-id/cairn/schemas"
)

// benchCredentials returns n consistent credentials from n/2 issuers over
// n months, mixed strengths.
func benchCredentials(n int) []Credential {
	out := make([]Credential, n)
	for i := range n {
		ev := schemas.Evidence{Strength: 1 + i%3, Validity: 1 + i%2, Verification: i % 3, IdentityFraud: i % 2}
		out[i] = credential(fmt.Sprintf("c%02d", i), fmt.Sprintf("did:web:issuer%02d.example", i/2), vctHealth,
			monthsAgo(n-i), ev, caps(3, 3, 3, 3))
		out[i].Identity.NameVariants = []NameVariant{{FamilyName: "Youssef", Script: "Latn", Source: "transliteration"}}
	}
	return out
}

// BenchmarkEvaluate20 evaluates 20 credentials against each shipped policy.
func BenchmarkEvaluate20(b *testing.B) {
	var policies []*Policy
	for _, n := range Shipped() {
		policies = append(policies, mustLoad(b, n))
	}
	creds := benchCredentials(20)
	b.ReportAllocs()
	for b.Loop() {
		for _, p := range policies {
			if _, err := Evaluate(p, creds, evalTime); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkParsePolicy is the baseline: parsing the three shipped policies.
func BenchmarkParsePolicy(b *testing.B) {
	var files [][]byte
	for _, n := range Shipped() {
		f, _ := shippedFS.ReadFile("policies/" + n + ".json")
		files = append(files, f)
	}
	b.ReportAllocs()
	for b.Loop() {
		for _, f := range files {
			if _, err := ParsePolicy(f); err != nil {
				b.Fatal(err)
			}
		}
	}
}
