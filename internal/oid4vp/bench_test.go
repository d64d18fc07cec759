package oid4vp

import (
	"fmt"
	"testing"
)

// BenchmarkEvaluate evaluates credentials_alternatives.json (5 credential
// queries, 2 credential sets) over a wallet of 1,000 credentials of 5 types
// (200 of each), against BenchmarkSelectBaseline: the bare claim-path
// selection the evaluation must do (every claims query path over every
// credential of a fitting type), measured in the same run.
//
//	go test ./internal/oid4vp -run '^$' -bench 'Evaluate|SelectBaseline' -benchmem
func BenchmarkEvaluate(b *testing.B) {
	q, creds := benchWallet(b)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if r := Evaluate(q, creds); !r.Satisfiable {
			b.Fatal("unsatisfiable")
		}
	}
}

func BenchmarkSelectBaseline(b *testing.B) {
	q, creds := benchWallet(b)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		for i := range q.Credentials {
			cq := &q.Credentials[i]
			for _, c := range creds {
				if c.VCT() != cq.Meta.VCTValues[0] {
					continue
				}
				for _, cl := range cq.Claims {
					_, _ = cl.Path.Select(c.Claims())
				}
			}
		}
	}
}

func benchWallet(b *testing.B) (*Query, []Credential) {
	q := loadQuery(b, "credentials_alternatives.json")
	types := []struct {
		vct    string
		claims map[string]any
	}{
		{identityVCT, map[string]any{"given_name": "A", "family_name": "B", "address": map[string]any{"street_address": "S"}}},
		{"https://othercredentials.example/pid", map[string]any{"given_name": "A", "family_name": "B"}},
		{"https://credentials.example.com/reduced_identity_credential", map[string]any{"given_name": "A", "family_name": "B"}},
		{"https://cred.example/residence_credential", map[string]any{"postal_code": "1", "locality": "L", "region": "R"}},
		{"https://company.example/company_rewards", map[string]any{"rewards_number": "7"}},
	}
	creds := make([]Credential, 0, 1000)
	for i := range 1000 {
		ty := types[i%len(types)]
		creds = append(creds, issue(b, ty.vct, ty.claims, true))
	}
	if len(creds) != 1000 {
		b.Fatal(fmt.Sprint(len(creds)))
	}
	return q, creds
}
