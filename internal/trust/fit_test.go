package trust

import (
	"errors"
	"reflect"
	"testing"
	"time"
)

// TestFitPurpose: which of a verifier's purposes a request serves and what
// it asks beyond it — fewest claims outside first, then the closest fit,
// remaining ties all named; a given purpose only that one.
func TestFitPurpose(t *testing.T) {
	r := fixtureRegistry()
	at := func(d int) time.Time { return t0.Add(time.Duration(d) * day) }
	e := r.Entity("did:example:desk")
	e.VerifierAuthorizations = append(e.VerifierAuthorizations,
		VerifierAuthorization{Purpose: "names-only", Claims: []string{"/family_name", "/given_name"}, From: at(0)},
		VerifierAuthorization{Purpose: "names-too", Claims: []string{"/given_name", "/family_name"}, From: at(0)},
		VerifierAuthorization{Purpose: "age-check", Claims: []string{"/birthdate"}, From: at(0)})
	tests := []struct {
		name       string
		did        string
		claims     []string
		at         time.Time
		candidates []string
		purposes   []string
		outside    []string
		reason     string
	}{
		{"closest fit wins over a wider purpose", "did:example:desk", []string{"family_name", "given_name"}, at(1), nil,
			[]string{"names-only", "names-too"}, nil, ReasonAuthorized},
		{"fewest outside first", "did:example:desk", []string{"family_name", "address"}, at(1), nil,
			[]string{"shelter-intake"}, nil, ReasonAuthorized},
		{"over-asking against the best", "did:example:desk", []string{"family_name", "given_name", "birthdate"}, at(1), nil,
			[]string{"names-only", "names-too"}, []string{"/birthdate"}, ReasonClaimsOutsidePurpose},
		{"an ended purpose does not count", "did:example:desk", []string{"birthdate"}, at(20), []string{"old-purpose"},
			nil, []string{"/birthdate"}, ReasonAuthorizationTime},
		{"the desk's own purpose only", "did:example:desk", []string{"family_name", "birthdate"}, at(1), []string{"shelter-intake"},
			[]string{"shelter-intake"}, []string{"/birthdate"}, ReasonClaimsOutsidePurpose},
		{"a purpose it does not have", "did:example:desk", []string{"family_name"}, at(1), []string{"border-check"},
			nil, []string{"/family_name"}, ReasonNoAuthorization},
		{"unknown verifier", "did:example:x", []string{"family_name"}, at(1), nil,
			nil, []string{"/family_name"}, ReasonUnknownEntity},
		{"an issuer is no verifier", "did:example:ngo", []string{"family_name"}, at(1), []string{"shelter-intake"},
			nil, []string{"/family_name"}, ReasonWrongRole},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, err := r.FitPurpose(tc.did, tc.claims, tc.at, tc.candidates...)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(f.Purposes, tc.purposes) || !reflect.DeepEqual(f.Outside, tc.outside) && len(f.Outside)+len(tc.outside) > 0 || f.Reason != tc.reason {
				t.Fatalf("got %v/%v/%s, want %v/%v/%s", f.Purposes, f.Outside, f.Reason, tc.purposes, tc.outside, tc.reason)
			}
			if f.OverAsking() != (tc.reason != ReasonAuthorized) {
				t.Errorf("OverAsking %v", f.OverAsking())
			}
		})
	}
	if _, err := r.FitPurpose("did:example:desk", []string{"/a//b"}, at(1)); !errors.Is(err, ErrBadQuery) {
		t.Errorf("malformed claim: %v", err)
	}
}
