package schemas

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// Issue 8, issuer desk: partial birthdates, country names, allowed values
// with labels, evidence presets.

// TestPartialBirthdates: every type with a birthdate takes year-only and
// year-month dates, stored as the first day with the precision claim.
func TestPartialBirthdates(t *testing.T) {
	cat := mustLoad(t)
	n := 0
	for _, ty := range cat.Types() {
		if _, ok := ty.claimIndex["/birthdate"]; !ok || ty.External {
			continue // an external type (the EU PID) is never typed in at a desk
		}
		f := fieldAt(t, ty, "/birthdate")
		n++
		for _, tc := range []struct {
			in, date, precision string
		}{
			{"1990", "1990-01-01", "year"},
			{"1990-05", "1990-05-01", "month"},
			{"1990-05-17", "1990-05-17", ""},
		} {
			// Only the birthdate: the type's other required claims fail,
			// never the birthdate or its precision.
			_, err := ty.ClaimsFromText([]ClaimText{{[]any{"birthdate"}, tc.in}}, InputOptions{})
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("%s: %v", ty.Name, err)
			}
			for _, p := range ve.Problems {
				if strings.HasPrefix(p.Pointer, "/birthdate") {
					t.Errorf("%s %q: %s %s", ty.Name, tc.in, p.Pointer, p.Message)
				}
			}
			if ty.Name != "identity-attestation" {
				continue
			}
			claims, err := ty.ClaimsFromText([]ClaimText{{[]any{"family_name"}, "K"}, {[]any{"given_name"}, "O"}, {[]any{"birthdate"}, tc.in}}, InputOptions{})
			if err != nil {
				t.Fatalf("%q: %v", tc.in, err)
			}
			if claims["birthdate"] != tc.date {
				t.Errorf("%q: birthdate %v", tc.in, claims["birthdate"])
			}
			if p, _ := claims["birthdate_precision"].(string); p != tc.precision {
				t.Errorf("%q: precision %q, want %q", tc.in, p, tc.precision)
			}
		}
		for _, bad := range []string{"1990-13", "199", "1990-5", "90"} {
			if _, err := f.ParseText(bad, InputOptions{}); !errors.Is(err, ErrNotDate) {
				t.Errorf("%s %q: %v", ty.Name, bad, err)
			}
		}
		if _, err := f.ParseText("1990", InputOptions{}); err != nil {
			t.Errorf("%s: %v", ty.Name, err)
		}
		if f.Precision != "birthdate_precision" {
			t.Errorf("%s: birthdate precision claim %q", ty.Name, f.Precision)
		}
	}
	if n < 5 {
		t.Fatalf("only %d types with a birthdate", n)
	}
	// A date without a precision claim stays full-date only.
	hr, _ := cat.Resolve("humanitarian-registration")
	if _, err := fieldAt(t, hr, "/registration_date").ParseText("2025", InputOptions{}); !errors.Is(err, ErrNotDate) {
		t.Errorf("registration_date took a year: %v", err)
	}
	// An explicit precision that contradicts the date is refused.
	id, _ := cat.Resolve("identity-attestation")
	_, err := id.ClaimsFromText([]ClaimText{{[]any{"family_name"}, "K"}, {[]any{"given_name"}, "O"},
		{[]any{"birthdate"}, "1990"}, {[]any{"birthdate_precision"}, "day"}}, InputOptions{})
	var ve *ValidationError
	if !errors.As(err, &ve) || ve.Problems[0].Pointer != "/birthdate_precision" {
		t.Errorf("contradicting precision: %v", err)
	}
}

// TestCountryNames: a country field takes the country's name in en, fr,
// ar and uk (case, accents and apostrophes aside) and stores the code.
func TestCountryNames(t *testing.T) {
	id, _ := mustLoad(t).Resolve("identity-attestation")
	nat := fieldAt(t, id, "/nationalities")
	pob := fieldAt(t, id, "/place_of_birth/country")
	for _, tc := range []struct {
		f    Field
		in   string
		want any
	}{
		{pob, "Ukraine", "UA"},
		{pob, "ukraine", "UA"},
		{pob, "Україна", "UA"},
		{pob, "سوريا", "SY"},
		{pob, "Syrie", "SY"},
		{pob, "Liban", "LB"},
		{pob, "Cote d'Ivoire", "CI"},
		{pob, "lb", "LB"},
		{nat, "Érythrée; Somalia", []any{"ER", "SO"}},
		{nat, "أوكرانيا;Polska", nil},
	} {
		got, err := tc.f.ParseText(tc.in, InputOptions{})
		if tc.want == nil {
			if !errors.Is(err, ErrNotAllowed) {
				t.Errorf("%q: %v %v", tc.in, got, err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%q: %v %v, want %v", tc.in, got, err, tc.want)
		}
	}
	if got, _ := id.AllowedValueLabel([]any{"nationalities", nil}, "UA", "ar"); got != "أوكرانيا" {
		t.Errorf("ValueLabel UA ar = %q", got)
	}
	if got, _ := id.ValueLabel([]any{"sex"}, 2, "fr"); got == "" || got == "2" {
		t.Errorf("ValueLabel sex 2 fr = %q", got)
	}
}

// TestEvidencePresets: types define named presets; every preset is within
// the type's caps, and the default is one of them.
func TestEvidencePresets(t *testing.T) {
	cat := mustLoad(t)
	hr, _ := cat.Resolve("humanitarian-registration")
	names := hr.EvidencePresetNames()
	if len(names) < 2 || names[0] != "document-seen" {
		t.Fatalf("presets %v", names)
	}
	declared, err := hr.EvidencePreset("declared-only")
	if err != nil {
		t.Fatal(err)
	}
	if declared.Verification >= hr.DefaultEvidence.Verification || declared == hr.DefaultEvidence {
		t.Errorf("declared-only %+v not below the default %+v", declared, hr.DefaultEvidence)
	}
	if _, err := hr.EvidencePreset("anything"); !errors.Is(err, ErrUnknownPreset) {
		t.Errorf("unknown preset: %v", err)
	}
	for _, ty := range cat.Types() {
		for _, n := range ty.EvidencePresetNames() {
			ev, _ := ty.EvidencePreset(n)
			if ty.CapEvidence(ev) != ev {
				t.Errorf("%s %s above the caps", ty.Name, n)
			}
		}
	}
}

// TestValueLabelsSource: the labels of name variant sources.
func TestValueLabelsSource(t *testing.T) {
	id, _ := mustLoad(t).Resolve("identity-attestation")
	if got, _ := id.ValueLabel([]any{"name_variants", nil, "source"}, "self_declared", "uk"); got != "зі слів особи" {
		t.Errorf("source label %q", got)
	}
}

// TestClaimsFromJSON: a claims file goes through the same typing.
func TestClaimsFromJSON(t *testing.T) {
	id, _ := mustLoad(t).Resolve("identity-attestation")
	got, err := id.ClaimsFromJSON(map[string]any{"family_name": "K", "given_name": "O", "birthdate": "1990-05",
		"place_of_birth": map[string]any{"country": "Liban"}, "nationalities": []any{"Україна", "SY"}, "sex": "2", "extra": true}, InputOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"family_name": "K", "given_name": "O", "birthdate": "1990-05-01", "birthdate_precision": "month",
		"place_of_birth": map[string]any{"country": "LB"}, "nationalities": []any{"UA", "SY"}, "sex": int64(2), "extra": true}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v\nwant %v", got, want)
	}
	_, err = id.ClaimsFromJSON(map[string]any{"sex": "two", "birthdate": "2/3/1990"}, InputOptions{})
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("%v", err)
	}
	got2 := map[string]string{}
	for _, p := range ve.Problems {
		got2[p.Pointer] = p.Message
	}
	want2 := map[string]string{"/birthdate": "must be a date YYYY-MM-DD", "/sex": "must be a whole number", "/family_name": "is required", "/given_name": "is required"}
	if !reflect.DeepEqual(got2, want2) {
		t.Errorf("problems %v, want %v", got2, want2)
	}
}
