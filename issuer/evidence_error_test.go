package issuer

import (
	"strings"
	"testing"
)

// TestEvidenceErrorSaysWhat: a refusal names each score, the value asked
// and the cap, and for registry caps the command that raises them.
func TestEvidenceErrorSaysWhat(t *testing.T) {
	tests := []struct {
		name string
		err  EvidenceError
		want []string
		not  []string
	}{
		{"registry", EvidenceError{Fields: []string{"validity", "verification"}, Source: "registry", Asked: []int{2, 2}, Caps: []int{1, 0},
			VCT: "urn:cairn:vct:humanitarian-registration:1", Issuer: "did:web:ngo.example", AuthorizationID: "a3"},
			[]string{"evidence validity, verification above the registry cap", "validity asked 2, cap 1; verification asked 2, cap 0",
				"cairn registry amend --did did:web:ngo.example --id a3 --max-validity 2 --max-verification 2", "cairn registry publish"}, nil},
		{"type", EvidenceError{Fields: []string{"strength"}, Source: "type", Asked: []int{4}, Caps: []int{1}, VCT: "urn:cairn:vct:community-vouching:1"},
			[]string{"strength asked 4, cap 1", "type allows no more"}, []string{"cairn registry"}},
		{"without values (older admin server)", EvidenceError{Fields: []string{"validity"}, Source: "registry"},
			[]string{"issuer: evidence validity above the registry cap"}, []string{"asked"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			msg := tc.err.Error()
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("%q lacks %q", msg, w)
				}
			}
			for _, w := range tc.not {
				if strings.Contains(msg, w) {
					t.Errorf("%q has %q", msg, w)
				}
			}
		})
	}
}
