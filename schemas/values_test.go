package schemas

import (
	"encoding/json"
	"testing"
)

func TestValueLabel(t *testing.T) {
	c := mustLoad(t)
	typ, err := c.Lookup("urn:cairn:vct:identity-attestation:1")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path   []any
		v      any
		lang   string
		want   string
		wantOK bool
	}{
		{[]any{"sex"}, json.Number("2"), "fr", "Féminin", true},
		{[]any{"sex"}, float64(1), "en", "Male", true},
		{[]any{"sex"}, json.Number("9"), "de", "Not applicable", true}, // falls back to English
		{[]any{"sex"}, json.Number("7"), "en", "", false},
		{[]any{"birthdate_precision"}, "year", "uk", "Лише рік", true},
		{[]any{"given_name"}, "Amina", "en", "", false},
	}
	for _, tc := range tests {
		got, ok := typ.ValueLabel(tc.path, tc.v, tc.lang)
		if got != tc.want || ok != tc.wantOK {
			t.Errorf("ValueLabel(%v, %v, %s) = %q, %v; want %q, %v", tc.path, tc.v, tc.lang, got, ok, tc.want, tc.wantOK)
		}
	}
	// Every labelled value has a label in every required locale.
	m, err := loadValueLabels()
	if err != nil {
		t.Fatal(err)
	}
	for claim, byValue := range m {
		for v, ds := range byValue {
			have := map[string]bool{}
			for _, d := range ds {
				have[d.Locale] = d.Label != ""
			}
			for _, l := range RequiredLocales() {
				if !have[l] {
					t.Errorf("%s=%s has no %s label", claim, v, l)
				}
			}
		}
	}
}
